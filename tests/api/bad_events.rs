//! Malformed invocation events: the real function binaries, run by the local runner's Lambda
//! emulation (`bookshelf_local::lambda`) exactly as `serve` runs them, are invoked with
//! payloads API Gateway would never send. Each must come back as an invocation error
//! reported to the Runtime API — not a crash, not a panic — and the same process must go on
//! serving valid events.
//!
//! Every function process runs under a small `sh` wrapper that appends its pid and its
//! output to a log file, so a test sees whether the process was replaced and what it wrote.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use bookshelf_local::lambda::{self, FunctionSpec, InvokeError, Invoker, Scaling};
use bookshelf_local::serve::{LocalScope, function_environment};
use bookshelf_local::template::Template;
use bookshelf_local::workspace;
use bookshelf_testing::build_dir;
use bookshelf_testing::{TestTable, endpoint};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// `POST /books` as API Gateway sends it (payload format 2.0).
const CREATE_EVENT: &str = include_str!("../../events/create-book.json");
/// `GET /books/{id}` as API Gateway sends it (payload format 2.0).
const GET_EVENT: &str = include_str!("../../events/get-book.json");
/// The marker the wrapper writes each time it starts a process.
const STARTED: &str = "wrapper: process started, pid ";

/// One function's single process, with its output in a log file.
struct Function {
    invoker: Invoker,
    shutdown: CancellationToken,
    log: PathBuf,
}

impl Function {
    /// Starts the template's function `logical_id` over `table`, with the environment the
    /// runner gives it.
    fn start(logical_id: &str, table: &TestTable) -> Function {
        let template = Template::load(&workspace::root().join("template.yaml")).expect("template");
        let function = template
            .functions
            .iter()
            .find(|f| f.logical_id == logical_id)
            .unwrap_or_else(|| panic!("template.yaml has no {logical_id}"));
        let scope = LocalScope {
            template: &template,
            table_names: BTreeMap::from([("BooksTable".to_owned(), table.name.clone())]),
            stream_arns: BTreeMap::new(),
        };
        let bin_dir = build_dir();
        let environment = function_environment(function, &scope, &endpoint(), &bin_dir);

        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("bad-events-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = dir.join("output.log");
        let wrapper = dir.join("bootstrap");
        let binary = bin_dir.join(&function.binary);
        assert!(binary.is_file(), "{} is not built", binary.display());
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho \"{STARTED}$$\" >> '{log}'\nexec '{binary}' >> '{log}' 2>&1\n",
                log = log.display(),
                binary = binary.display()
            ),
        )
        .expect("wrapper written");
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
            .expect("wrapper made executable");

        let spec = FunctionSpec {
            name: logical_id.to_owned(),
            program: wrapper,
            environment,
            timeout: function.timeout,
        };
        let shutdown = CancellationToken::new();
        let invoker = lambda::start(spec, Scaling::single(), shutdown.clone());
        Function {
            invoker,
            shutdown,
            log,
        }
    }

    /// Invokes with a valid event and returns the HTTP response it describes.
    async fn answer(&self, event: &Value) -> (u16, Value) {
        let result = self
            .invoker
            .invoke(Bytes::from(event.to_string()))
            .await
            .unwrap_or_else(|e| panic!("a valid event failed: {e}\n{}", self.output()));
        let response: Value = serde_json::from_slice(&result).expect("the result is JSON");
        let status = u16::try_from(response["statusCode"].as_u64().expect("statusCode"))
            .expect("a status code");
        let body = serde_json::from_str(response["body"].as_str().unwrap_or("null"))
            .expect("the body is JSON");
        (status, body)
    }

    /// Invokes with a malformed payload: it must fail as a function error (the error
    /// document the function posted to the Runtime API), not as a crash or a timeout.
    async fn refuses(&self, what: &str, payload: impl Into<Bytes>) -> Value {
        match self.invoker.invoke(payload.into()).await {
            Err(InvokeError::Function(document)) => {
                let document: Value =
                    serde_json::from_slice(&document).expect("the error document is JSON");
                for member in ["errorType", "errorMessage"] {
                    assert!(
                        document[member].as_str().is_some_and(|v| !v.is_empty()),
                        "{what}: no {member} in {document}"
                    );
                }
                document
            }
            other => panic!(
                "{what}: expected a function error, got {other:?}\n{}",
                self.output()
            ),
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asserts the function ran in one process from start to end and never panicked.
    fn assert_one_process_and_no_panic(&self) {
        let output = self.output();
        let starts = output.lines().filter(|l| l.starts_with(STARTED)).count();
        assert_eq!(starts, 1, "the process was replaced:\n{output}");
        let lines: Vec<&str> = output.lines().collect();
        let panics: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.contains("panicked"))
            .flat_map(|(at, _)| lines[at..lines.len().min(at + 2)].iter().copied())
            .collect();
        assert!(panics.is_empty(), "the function panicked: {panics:#?}");
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn event(template: &str) -> Value {
    serde_json::from_str(template).expect("a sample event")
}

/// The sample `GET /books/{id}` event, for the book `id`.
fn get_event(id: &str) -> Value {
    let mut event = event(GET_EVENT);
    event["rawPath"] = json!(format!("/books/{id}"));
    event["requestContext"]["http"]["path"] = event["rawPath"].clone();
    event["pathParameters"]["id"] = json!(id);
    event
}

/// Creates a book through the create-book function; returns it.
async fn create_book(create: &Function) -> Value {
    let (status, book) = create.answer(&event(CREATE_EVENT)).await;
    assert_eq!(status, 201, "{book}");
    book
}

#[tokio::test]
async fn an_event_without_a_request_context_is_an_invocation_error() {
    let table = TestTable::create("BooksTable").await;
    let create = Function::start("CreateBookFunction", &table);
    let get = Function::start("GetBookFunction", &table);
    let book = create_book(&create).await;
    let id = book["id"].as_str().unwrap();
    assert_eq!(get.answer(&get_event(id)).await, (200, book.clone()));

    let mut malformed = get_event(id);
    malformed.as_object_mut().unwrap().remove("requestContext");
    get.refuses("no requestContext", malformed.to_string())
        .await;
    let mut malformed = get_event(id);
    malformed["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("http");
    get.refuses("no requestContext.http", malformed.to_string())
        .await;

    assert_eq!(get.answer(&get_event(id)).await, (200, book));
    get.assert_one_process_and_no_panic();
}

#[tokio::test]
async fn a_payload_format_1_0_event_is_an_invocation_error() {
    let table = TestTable::create("BooksTable").await;
    let create = Function::start("CreateBookFunction", &table);
    let get = Function::start("GetBookFunction", &table);
    let book = create_book(&create).await;
    let id = book["id"].as_str().unwrap();

    // What API Gateway sends an integration configured for payload format 1.0.
    let version_1 = json!({
        "version": "1.0",
        "resource": "/books/{id}",
        "path": format!("/books/{id}"),
        "httpMethod": "GET",
        "headers": {"accept": "application/json"},
        "multiValueHeaders": {"accept": ["application/json"]},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "httpMethod": "GET",
            "path": format!("/books/{id}"),
            "protocol": "HTTP/1.1",
            "requestId": "Zq1mLhA4oAMEbJA=",
            "resourcePath": "/books/{id}",
            "stage": "$default",
            "identity": {"sourceIp": "203.0.113.24"}
        },
        "pathParameters": {"id": id},
        "stageVariables": null,
        "body": null,
        "isBase64Encoded": false
    });
    get.refuses("payload format 1.0", version_1.to_string())
        .await;

    assert_eq!(get.answer(&get_event(id)).await, (200, book));
    get.assert_one_process_and_no_panic();
}

#[tokio::test]
async fn an_invalid_base64_body_is_an_invocation_error_not_a_panic() {
    let table = TestTable::create("BooksTable").await;
    let create = Function::start("CreateBookFunction", &table);

    // A well-formed base64 body is decoded: `{"title":"Kindred","author":"Octavia E. Butler"}`.
    let mut encoded = event(CREATE_EVENT);
    encoded["headers"]
        .as_object_mut()
        .unwrap()
        .remove("idempotency-key");
    encoded["isBase64Encoded"] = json!(true);
    encoded["body"] = json!("eyJ0aXRsZSI6IktpbmRyZWQiLCJhdXRob3IiOiJPY3RhdmlhIEUuIEJ1dGxlciJ9");
    let (status, book) = create.answer(&encoded).await;
    assert_eq!((status, &book["title"]), (201, &json!("Kindred")), "{book}");

    let mut malformed = encoded.clone();
    malformed["body"] = json!("this is not base64!");
    create
        .refuses("a body that is not base64", malformed.to_string())
        .await;

    let (status, _) = create.answer(&encoded).await;
    assert_eq!(status, 201);
    create.assert_one_process_and_no_panic();
}

#[tokio::test]
async fn payloads_that_are_not_api_gateway_events_are_invocation_errors() {
    let table = TestTable::create("BooksTable").await;
    let create = Function::start("CreateBookFunction", &table);
    let book = create_book(&create).await;

    for (what, payload) in [
        ("an empty object", "{}"),
        ("an array", "[1, 2]"),
        ("a string", "\"GET /books\""),
        ("null", "null"),
        ("truncated JSON", "{\"version\": \"2.0\", \"rawPath\""),
        ("not JSON", "GET /books HTTP/1.1"),
    ] {
        create.refuses(what, payload).await;
    }

    // The sample event again: its Idempotency-Key makes it answer the same book.
    let (status, again) = create.answer(&event(CREATE_EVENT)).await;
    assert_eq!((status, again), (201, book));
    create.assert_one_process_and_no_panic();
}

#[tokio::test]
async fn an_unparsable_host_header_is_an_invocation_error_not_a_panic() {
    let table = TestTable::create("BooksTable").await;
    let create = Function::start("CreateBookFunction", &table);
    let get = Function::start("GetBookFunction", &table);
    let book = create_book(&create).await;
    let id = book["id"].as_str().unwrap();

    let mut malformed = get_event(id);
    malformed["headers"]["host"] = json!("not a host:port");
    get.refuses("an unparsable Host header", malformed.to_string())
        .await;

    assert_eq!(get.answer(&get_event(id)).await, (200, book));
    get.assert_one_process_and_no_panic();
}

/// The sample event of the function built from `package` (`events/<package>.json`).
fn sample_event(package: &str) -> Value {
    let path = workspace::root()
        .join("events")
        .join(format!("{package}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (every function has a sample event)",
            path.display()
        )
    });
    event(&text)
}

/// Payloads that are no event of any kind: every function refuses them.
const NOT_EVENTS: [(&str, &str); 5] = [
    ("an array", "[1, 2]"),
    ("a string", "\"GET /books\""),
    ("null", "null"),
    ("truncated JSON", "{\"version\": \"2.0\", \"rawPath\""),
    ("not JSON", "GET /books HTTP/1.1"),
];

/// Every function binary of template.yaml, not a hand-picked few: each refuses every kind
/// of malformed event as an invocation error, never panics, and the same process then
/// answers its sample event.
#[tokio::test]
async fn every_function_binary_refuses_malformed_events_and_keeps_serving() {
    let table = TestTable::create("BooksTable").await;
    let template = Template::load(&workspace::root().join("template.yaml")).expect("template");
    assert!(template.functions.len() >= 15, "every function is covered");
    for declared in &template.functions {
        let function = Function::start(&declared.logical_id, &table);
        let sample = sample_event(&declared.package);
        let what = |case: &str| format!("{}: {case}", declared.logical_id);
        for (case, payload) in NOT_EVENTS {
            function.refuses(&what(case), payload).await;
        }
        if declared.http_events.is_empty() {
            // A stream consumer: its sample batch is recorded.
            let result = function
                .invoker
                .invoke(Bytes::from(sample.to_string()))
                .await
                .unwrap_or_else(|e| panic!("{}: the sample failed: {e}", declared.logical_id));
            let response: Value = serde_json::from_slice(&result).expect("a JSON response");
            assert_eq!(response["batchItemFailures"], json!([]), "{response}");
        } else {
            let mut no_context = sample.clone();
            no_context.as_object_mut().unwrap().remove("requestContext");
            function
                .refuses(&what("no requestContext"), no_context.to_string())
                .await;
            let mut version_1 = sample.clone();
            version_1["version"] = json!("1.0");
            version_1["requestContext"]
                .as_object_mut()
                .unwrap()
                .remove("http");
            function
                .refuses(&what("payload format 1.0"), version_1.to_string())
                .await;
            let mut bad_base64 = sample.clone();
            bad_base64["isBase64Encoded"] = json!(true);
            bad_base64["body"] = json!("this is not base64!");
            function
                .refuses(&what("a body that is not base64"), bad_base64.to_string())
                .await;
            let mut bad_host = sample.clone();
            bad_host["headers"]["host"] = json!("not a host:port");
            function
                .refuses(&what("an unparsable Host header"), bad_host.to_string())
                .await;
            let result = function
                .invoker
                .invoke(Bytes::from(sample.to_string()))
                .await
                .unwrap_or_else(|e| panic!("{}: the sample failed: {e}", declared.logical_id));
            let response: Value = serde_json::from_slice(&result).expect("a JSON response");
            let status = response["statusCode"].as_u64().expect("a statusCode");
            assert!(
                (200..500).contains(&status),
                "{}: the sample answered {status}: {response}",
                declared.logical_id
            );
        }
        function.assert_one_process_and_no_panic();
    }
}
