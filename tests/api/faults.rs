//! Faults end to end: the local runner in front of a DynamoDB Local of the test's own, which
//! the test stops (or freezes) in the middle of a load and then brings back.
//!
//! While DynamoDB is away every route answers 503 problem+json with `Retry-After`, never 500
//! and never a hang; once it is back the very same function processes answer 2xx again,
//! without a restart and without a panic in the logs.
//!
//! A write that DynamoDB carries out but answers too late for the SDK's attempt timeout is
//! retried by the SDK; the retry meets the first attempt's effect, and that must not turn
//! into an error for a write that happened.
//!
//! A function process that crashes, and a request that outlives the function's `Timeout`,
//! are covered by `runner.rs` (`crashes_timeouts_and_errors_become_api_gateway_errors`) and
//! by `local/tests/lambda.rs`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bookshelf_local::dynamodb_local::free_port;
use bookshelf_local::template::Template;
use bookshelf_local::{client, process, tables, workspace};
use bookshelf_testing::{LocalApi, LocalApiOptions, Response as ApiResponse};
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// A request with no answer after this long fails the test instead of hanging it. It is a
/// guard, not a measurement: an answer after the function's 10 s `Timeout` would be the
/// gateway's 500 anyway, which the assertions refuse.
const NO_ANSWER: Duration = Duration::from_secs(40);
/// How long DynamoDB Local may take to start, and the API to recover after it is back.
const PATIENCE: Duration = Duration::from_secs(60);

/// A DynamoDB Local (in memory) on a port chosen by the test, so that it can be stopped and
/// started again where the functions expect it. `DynamoDbLocal::start` picks its own port
/// each time, hence this small twin of it.
struct OwnDynamoDb {
    port: u16,
    child: Child,
}

impl OwnDynamoDb {
    async fn start(port: u16) -> OwnDynamoDb {
        let root = workspace::root();
        let jar = workspace::dynamodb_local_jar(&root).expect("DynamoDB Local is installed");
        let jar = std::fs::canonicalize(jar).expect("jar path");
        let lib = jar.parent().expect("jar folder").join("DynamoDBLocal_lib");
        let mut child = Command::new("java")
            .arg(format!("-Djava.library.path={}", lib.display()))
            .arg("-jar")
            .arg(&jar)
            .args([
                "-port",
                &port.to_string(),
                "-sharedDb",
                "-inMemory",
                "-disableTelemetry",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("java runs");
        process::forward_output(&mut child, "DynamoDBLocal (faults)");
        let dynamodb = client::dynamodb(&endpoint(port)).await;
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("DynamoDB Local on port {port} exited during startup: {status}");
            }
            let listed = tokio::time::timeout(
                Duration::from_secs(2),
                dynamodb.list_tables().limit(1).send(),
            )
            .await;
            if matches!(listed, Ok(Ok(_))) {
                return OwnDynamoDb { port, child };
            }
            assert!(
                started.elapsed() < PATIENCE,
                "DynamoDB Local did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn endpoint(&self) -> String {
        endpoint(self.port)
    }

    /// Stops it (SIGTERM, then SIGKILL) and waits until it has exited.
    async fn stop(mut self) -> u16 {
        process::terminate(&mut self.child, Duration::from_secs(5)).await;
        self.port
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) it: connections are accepted but never answered.
    fn signal(&self, signal: libc::c_int) {
        process::signal(&self.child, signal);
    }
}

fn endpoint(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// Creates the template's tables for `api`, as the runner does when it starts.
async fn create_tables(api: &LocalApi, endpoint: &str) {
    let template = Template::load(&workspace::root().join("template.yaml")).expect("template");
    let dynamodb = client::dynamodb(endpoint).await;
    for table in &template.tables {
        let base = table.table_name.as_deref().unwrap_or(&table.logical_id);
        let name = format!("{base}{}", api.table_suffix);
        tables::create_table(&dynamodb, table, &name)
            .await
            .unwrap_or_else(|e| panic!("cannot create {name}: {e}"));
    }
}

/// The runner's child processes (its functions), by pid, with their names.
fn function_processes(runner: u32) -> BTreeMap<u32, String> {
    let mut children = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let parent = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|ppid| ppid.parse::<u32>().ok());
        if parent == Some(runner) {
            children.insert(pid, stat[open + 1..close].to_owned());
        }
    }
    children
}

/// Lines of the runner's output that show a panic or a function instance that ended
/// abnormally (crash, timeout, exit).
fn trouble(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| line.contains("panicked") || line.contains(" ended: "))
        .collect()
}

/// Asserts every function process running `before` still runs `now`: none crashed or was
/// replaced (instances may have been added meanwhile: the load scales functions out).
fn still_running(before: &BTreeMap<u32, String>, now: &BTreeMap<u32, String>) {
    let gone: Vec<_> = before
        .iter()
        .filter(|(pid, name)| now.get(pid) != Some(name))
        .collect();
    assert!(
        gone.is_empty(),
        "function processes gone: {gone:?} (now {now:?})"
    );
}

/// Checks the answer DynamoDB's absence must give: 503 problem+json `service-unavailable`
/// with `Retry-After: 1`.
fn assert_unavailable(what: &str, response: &ApiResponse) {
    assert_eq!(response.status, 503, "{what}: {}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
    assert_eq!(response.header("retry-after"), Some("1"), "{what}");
    let problem = response.json();
    assert_eq!(
        problem["type"], "urn:bookshelf:problem:service-unavailable",
        "{what}: {problem}"
    );
    assert_eq!(problem["status"], 503, "{what}: {problem}");
    for member in ["title", "detail", "instance", "requestId"] {
        assert!(
            problem[member].as_str().is_some_and(|v| !v.is_empty()),
            "{what}: no {member} in {problem}"
        );
    }
}

/// One request of the routes' tour: (label, method, path, headers, body).
type Call = (
    &'static str,
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    Option<Value>,
);

/// One request to every route that reads or writes the table.
fn every_route(id: &str) -> Vec<Call> {
    let path = format!("/books/{id}");
    let book = json!({"title": "Outage", "author": "Faults"});
    vec![
        ("get", "GET", path.clone(), vec![], None),
        ("list", "GET", "/books?limit=5".into(), vec![], None),
        (
            "list by author",
            "GET",
            "/books?author=Faults&genre=SF".into(),
            vec![],
            None,
        ),
        (
            "create",
            "POST",
            "/books".into(),
            vec![],
            Some(book.clone()),
        ),
        (
            "create with an Idempotency-Key",
            "POST",
            "/books".into(),
            vec![("idempotency-key", "outage-1")],
            Some(book.clone()),
        ),
        (
            "replace",
            "PUT",
            path.clone(),
            vec![("if-match", "\"1\"")],
            Some(book),
        ),
        (
            "patch",
            "PATCH",
            path.clone(),
            vec![("content-type", "application/merge-patch+json")],
            Some(json!({"genre": "SF"})),
        ),
        (
            "delete",
            "DELETE",
            path.clone(),
            vec![("if-match", "\"1\"")],
            None,
        ),
        ("history", "GET", format!("{path}/history"), vec![], None),
        // The tutorial's routes, each its own function over the same store.
        ("tutorial list", "GET", "/booksApi".into(), vec![], None),
        (
            "tutorial create",
            "POST",
            "/booksApi?title=Outage&author=Faults".into(),
            vec![],
            None,
        ),
        (
            "tutorial get",
            "GET",
            format!("/booksApi/{id}"),
            vec![],
            None,
        ),
        (
            "tutorial update",
            "PUT",
            format!("/booksApi/{id}?genre=SF"),
            vec![],
            None,
        ),
        (
            "tutorial delete",
            "DELETE",
            format!("/booksApi/{id}"),
            vec![("if-match", "\"1\"")],
            None,
        ),
    ]
}

/// Sends `call`; panics when no answer comes within [`NO_ANSWER`].
async fn send(api: &LocalApi, call: &Call) -> ApiResponse {
    let (label, method, path, headers, body) = call;
    let answer = async {
        match body {
            Some(body) => api.send_json(method, path, headers, body).await,
            None => api.request(method, path, headers, Bytes::new()).await,
        }
    };
    tokio::time::timeout(NO_ANSWER, answer)
        .await
        .unwrap_or_else(|_| panic!("{label}: {method} {path} got no answer within {NO_ANSWER:?}"))
}

/// Sends one request to every route at once and checks that each answers 503 problem+json.
async fn every_route_is_unavailable(api: &Arc<LocalApi>, id: &str) {
    let calls: Vec<_> = every_route(id)
        .into_iter()
        .map(|call| {
            let api = api.clone();
            tokio::spawn(async move {
                let response = send(&api, &call).await;
                (call.0, response)
            })
        })
        .collect();
    for call in calls {
        let (label, response) = call.await.expect("request task");
        assert_unavailable(label, &response);
    }
}

async fn create_book(api: &LocalApi, title: &str) -> Value {
    let created = api
        .post_json("/books", &json!({"title": title, "author": "Faults"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

/// What the background load saw, so far.
#[derive(Debug, Default)]
struct Seen {
    succeeded: AtomicUsize,
    unavailable: AtomicUsize,
}

/// Clients that keep reading and writing until `stop`, refusing any answer other than a
/// success, a client error or a proper 503.
fn background_load(
    api: &Arc<LocalApi>,
    ids: &[String],
    seen: &Arc<Seen>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..4)
        .map(|client| {
            let api = api.clone();
            let seen = seen.clone();
            let stop = stop.clone();
            let ids = ids.to_vec();
            tokio::spawn(async move {
                let mut turn = client;
                while !stop.load(Ordering::Relaxed) {
                    turn += 1;
                    let id = &ids[turn % ids.len()];
                    let call: Call = match turn % 4 {
                        0 => ("get", "GET", format!("/books/{id}"), vec![], None),
                        1 => ("list", "GET", "/books?limit=10".into(), vec![], None),
                        2 => (
                            "create",
                            "POST",
                            "/books".into(),
                            vec![],
                            Some(json!({"title": format!("Load {turn}"), "author": "Faults"})),
                        ),
                        _ => (
                            "patch",
                            "PATCH",
                            format!("/books/{id}"),
                            vec![],
                            Some(json!({"genre": format!("G{turn}")})),
                        ),
                    };
                    let response = send(&api, &call).await;
                    if response.status == 503 {
                        assert_unavailable(call.0, &response);
                        seen.unavailable.fetch_add(1, Ordering::Relaxed);
                    } else {
                        assert!(
                            response.status < 400,
                            "{}: {} {}",
                            call.0,
                            response.status,
                            response.text()
                        );
                        seen.succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect()
}

/// Waits until `count` reaches `target`; fails after [`PATIENCE`].
async fn wait_until(what: &str, count: &AtomicUsize, target: usize) {
    let started = Instant::now();
    while count.load(Ordering::Relaxed) < target {
        assert!(started.elapsed() < PATIENCE, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts the API serves every route again; returns after the first success, having
/// accepted only 503s before it.
/// What the change history does once DynamoDB is back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// The same stream goes on (an outage without data loss, like a freeze): every
    /// write after it is recorded.
    Resumes,
    /// DynamoDB Local came back empty and the table was created again, with a new
    /// stream that the mapping does not follow (as on AWS, where an event source
    /// mapping is bound to one stream): a new book's history stays empty.
    Replaced,
}

async fn recovers(api: &LocalApi, start: Instant, stream: Stream) -> Value {
    let mut refused = 0;
    let book = loop {
        let created = send(
            api,
            &(
                "create after the outage",
                "POST",
                "/books".into(),
                vec![],
                Some(json!({"title": "Back", "author": "Faults"})),
            ),
        )
        .await;
        if created.status == 201 {
            break created.json();
        }
        assert_unavailable("create after the outage", &created);
        refused += 1;
        assert!(
            start.elapsed() < PATIENCE,
            "the API did not recover ({refused} answers of 503)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!(
        "recovered {:.1} s after DynamoDB Local was back, after {refused} answers of 503",
        start.elapsed().as_secs_f64()
    );
    let path = format!("/books/{}", book["id"].as_str().unwrap());
    let read = api.get(&path).await;
    assert_eq!((read.status, read.json()), (200, book.clone()));
    let listed = api.get("/books?author=Faults&limit=100").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.json()["items"].as_array().unwrap().contains(&book));
    let replaced = api
        .send_json(
            "PUT",
            &path,
            &[("if-match", "\"1\"")],
            &json!({"title": "Back again", "author": "Faults"}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let patched = api
        .send_json(
            "PATCH",
            &path,
            &[("if-match", "\"2\"")],
            &json!({"genre": "Recovered"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["version"], 3);
    let id = book["id"].as_str().unwrap();
    match stream {
        // The stream and record-history are back too: the three writes are recorded.
        Stream::Resumes => {
            let history = api.history_with(id, 3).await;
            let events: Vec<&Value> = history["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| &entry["event"])
                .collect();
            assert_eq!(
                events,
                [&json!("updated"), &json!("updated"), &json!("created")],
                "{history}"
            );
        }
        Stream::Replaced => {
            let history = api.get(&format!("{path}/history")).await;
            assert_eq!(history.status, 200, "{}", history.text());
            assert_eq!(history.json()["items"], json!([]), "nothing recorded");
        }
    }
    let tutorial = api.get(&format!("/booksApi/{id}")).await;
    assert_eq!(tutorial.status, 200, "{}", tutorial.text());
    let deleted = api.delete(&path, &[("if-match", "\"3\"")]).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(api.get(&path).await.status, 404);
    book
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_stopped_mid_load_is_503_and_started_again_is_served_by_the_same_processes() {
    let port = free_port().expect("a free port");
    let dynamodb = OwnDynamoDb::start(port).await;
    let api =
        Arc::new(LocalApi::start_against(LocalApiOptions::default(), &dynamodb.endpoint()).await);
    let mut ids = Vec::new();
    for n in 0..8 {
        let book = create_book(&api, &format!("Before {n}")).await;
        ids.push(book["id"].as_str().unwrap().to_owned());
    }
    let processes = function_processes(api.pid());
    assert!(
        !processes.is_empty(),
        "the creates ran on function processes"
    );

    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let load = background_load(&api, &ids, &seen, &stop);
    // Let the load run against a healthy DynamoDB, pull it away under the load's feet, and
    // keep the load going through the outage for a while.
    wait_until("20 successes", &seen.succeeded, 20).await;
    let port = dynamodb.stop().await;
    let before_outage = seen.succeeded.load(Ordering::Relaxed);
    wait_until("12 answers of 503", &seen.unavailable, 12).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        if let Err(error) = task.await {
            std::panic::resume_unwind(error.into_panic());
        }
    }
    println!(
        "background load: {before_outage} successes, then {} more and {} answers of 503",
        seen.succeeded.load(Ordering::Relaxed) - before_outage,
        seen.unavailable.load(Ordering::Relaxed)
    );

    every_route_is_unavailable(&api, &ids[0]).await;

    // Back on the same port; in memory, so its tables are created again, as the runner does.
    let dynamodb = OwnDynamoDb::start(port).await;
    let back = Instant::now();
    create_tables(&api, &dynamodb.endpoint()).await;
    recovers(&api, back, Stream::Replaced).await;

    still_running(&processes, &function_processes(api.pid()));
    let output = api.output();
    let trouble = trouble(&output);
    assert!(trouble.is_empty(), "in the runner's output: {trouble:#?}");
    dynamodb.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_dynamodb_is_503_within_the_timeout_and_thawed_is_served_again() {
    let dynamodb = OwnDynamoDb::start(free_port().expect("a free port")).await;
    let api =
        Arc::new(LocalApi::start_against(LocalApiOptions::default(), &dynamodb.endpoint()).await);
    let book = create_book(&api, "Frozen").await;
    let id = book["id"].as_str().unwrap().to_owned();
    let processes = function_processes(api.pid());

    // Connections are accepted and requests sent, but nothing ever answers: only the
    // functions' own timeouts stand between the client and the function's `Timeout`.
    dynamodb.signal(libc::SIGSTOP);
    every_route_is_unavailable(&api, &id).await;
    dynamodb.signal(libc::SIGCONT);

    let back = Instant::now();
    recovers(&api, back, Stream::Resumes).await;
    // The writes that timed out were still delivered to DynamoDB Local, which carries them
    // out once thawed: a 503 after a timeout does not say a write did not happen.
    // Each of them was carried out or not, whole: the book is gone, or it is a
    // consistent book whose ETag is its version and that takes a write at it.
    let path = format!("/books/{id}");
    let after = api.get(&path).await;
    match after.status {
        404 => {}
        200 => {
            let book = after.json();
            let version = book["version"].as_u64().expect("a version");
            assert!((1..=4).contains(&version), "{book}");
            let etag = format!("\"{version}\"");
            assert_eq!(after.header("etag"), Some(etag.as_str()));
            let patched = api
                .send_json(
                    "PATCH",
                    &path,
                    &[("if-match", &etag)],
                    &json!({"genre": "Thawed"}),
                )
                .await;
            assert_eq!(patched.status, 200, "{}", patched.text());
            assert_eq!(patched.json()["version"], version + 1);
        }
        status => panic!("after the thaw the book answers {status}: {}", after.text()),
    }

    still_running(&processes, &function_processes(api.pid()));
    let output = api.output();
    let trouble = trouble(&output);
    assert!(trouble.is_empty(), "in the runner's output: {trouble:#?}");
    dynamodb.stop().await;
}

/// An HTTP proxy in front of DynamoDB that, once armed, passes one request of a given kind
/// (`X-Amz-Target` suffix, e.g. `PutItem`) on at once, so DynamoDB carries it out, but holds
/// DynamoDB's answer back for a while: a slow network or an overloaded DynamoDB, exactly.
struct LateProxy {
    endpoint: String,
    armed: Arc<Mutex<Option<(&'static str, Duration)>>>,
    /// Requests seen, by operation (`X-Amz-Target` suffix).
    seen: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl LateProxy {
    async fn start(upstream: String) -> LateProxy {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("a proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let armed: Arc<Mutex<Option<(&'static str, Duration)>>> = Arc::new(Mutex::new(None));
        let seen: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let state = (armed.clone(), seen.clone(), client, upstream);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let (armed, seen, client, upstream) = state.clone();
                        async move { forward(request, &client, &upstream, &armed, &seen).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        LateProxy {
            endpoint: endpoint(port),
            armed,
            seen,
        }
    }

    /// How many `operation` requests came through so far.
    fn count(&self, operation: &str) -> usize {
        self.seen
            .lock()
            .expect("proxy state")
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// Holds back the answer to the next `operation` request for `delay`.
    fn hold_next(&self, operation: &'static str, delay: Duration) {
        *self.armed.lock().expect("proxy state") = Some((operation, delay));
    }

    /// Whether the armed request has come through.
    fn held(&self) -> bool {
        self.armed.lock().expect("proxy state").is_none()
    }
}

async fn forward(
    request: Request<Incoming>,
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: &str,
    armed: &Mutex<Option<(&'static str, Duration)>>,
    seen: &Mutex<BTreeMap<String, usize>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let failed = |status: StatusCode| {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        Ok(response)
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return failed(StatusCode::BAD_REQUEST);
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some((_, operation)) = target.rsplit_once('.') {
        *seen
            .lock()
            .expect("proxy state")
            .entry(operation.to_owned())
            .or_default() += 1;
    }
    let hold = {
        let mut armed = armed.lock().expect("proxy state");
        match *armed {
            Some((operation, delay)) if target.ends_with(&format!(".{operation}")) => {
                *armed = None;
                Some(delay)
            }
            _ => None,
        }
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = Request::builder()
        .method(parts.method.clone())
        .uri(format!("{upstream}{path}"));
    for (name, value) in &parts.headers {
        if name != header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(outgoing) = outgoing.body(Full::new(body)) else {
        return failed(StatusCode::BAD_REQUEST);
    };
    let Ok(response) = client.request(outgoing).await else {
        return failed(StatusCode::BAD_GATEWAY);
    };
    let (parts, body) = response.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return failed(StatusCode::BAD_GATEWAY);
    };
    if let Some(delay) = hold {
        tokio::time::sleep(delay).await;
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_carried_out_but_answered_late_is_not_answered_as_failed() {
    // Longer than the SDK's 2 s attempt timeout, so the SDK retries; short enough that the
    // retry still fits in its 5 s operation timeout.
    const LATE: Duration = Duration::from_millis(3_000);
    let proxy = LateProxy::start(bookshelf_testing::endpoint()).await;
    let api = LocalApi::start_against(LocalApiOptions::default(), &proxy.endpoint).await;
    let author = "Late Writer";

    let puts = proxy.count("PutItem");
    proxy.hold_next("PutItem", LATE);
    let created = api
        .post_json("/books", &json!({"title": "Slow", "author": author}))
        .await;
    assert!(proxy.held(), "the create went through the proxy");
    assert!(
        proxy.count("PutItem") >= puts + 2,
        "the SDK retried the late PutItem"
    );
    let listed = api.get("/books?author=Late%20Writer").await.json();
    let books = listed["items"].as_array().unwrap();
    assert_eq!(books.len(), 1, "exactly one book was created: {listed}");
    let book = books[0].clone();
    let path = format!("/books/{}", book["id"].as_str().unwrap());

    let updates = proxy.count("UpdateItem");
    proxy.hold_next("UpdateItem", LATE);
    let replaced = api
        .send_json(
            "PUT",
            &path,
            &[("if-match", "\"1\"")],
            &json!({"title": "Slower", "author": author}),
        )
        .await;
    assert!(proxy.held(), "the replace went through the proxy");
    assert!(
        proxy.count("UpdateItem") >= updates + 2,
        "the SDK retried the late UpdateItem"
    );
    let after_replace = api.get(&path).await.json();
    assert_eq!(after_replace["version"], 2, "replaced exactly once");

    proxy.hold_next("DeleteItem", LATE);
    let deleted = api.delete(&path, &[("if-match", "\"2\"")]).await;
    assert!(proxy.held(), "the delete went through the proxy");
    assert_eq!(api.get(&path).await.status, 404, "deleted");

    // Each write happened, exactly once, and its answer says so: the SDK's retry
    // recognised the create and the replace as its own. A delete is never retried
    // (a retry would find the book gone and answer 404 for a delete that happened):
    // its late answer is a 503, "outcome unknown", or a 204 if it came in time.
    assert_eq!(created.status, 201, "POST: {}", created.text());
    assert_eq!(created.json(), book);
    assert_eq!(
        replaced.status,
        200,
        "PUT If-Match: \"1\": {}",
        replaced.text()
    );
    assert_eq!(replaced.json(), after_replace);
    assert!(
        deleted.status == 204 || deleted.status == 503,
        "DELETE If-Match: \"2\": {} {}",
        deleted.status,
        deleted.text()
    );
}
