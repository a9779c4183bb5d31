//! Real events: API Gateway HTTP API (payload 2.0) requests and DynamoDB stream
//! batches, as Lambda delivers them to a function.
//!
//! The base event is exactly what `sam local generate-event apigateway
//! http-api-proxy` prints; [`ApiEvent`] rewrites only the parts a request
//! changes (method, route, path, query, headers, body), so every handler test
//! parses the same payload-2.0 JSON Lambda delivers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::Request;
use serde_json::{Map, Value, json};

const BASE_EVENT: &str = include_str!("../fixtures/http-api-proxy.json");
/// What `sam local generate-event dynamodb update` prints: an INSERT, a MODIFY
/// and a REMOVE record of a table with a stream.
const BASE_STREAM_EVENT: &str = include_str!("../fixtures/dynamodb-update.json");

/// The `sub` of the caller every event is signed in as.
pub const TEST_SUB: &str = "3f0c1d2e-0000-4000-8000-00000000test";
/// The `username` of that caller.
pub const TEST_USERNAME: &str = "tester";

/// An API Gateway HTTP API (payload 2.0) event under construction.
#[derive(Debug, Clone)]
pub struct ApiEvent(Value);

impl ApiEvent {
    /// A `method` request matched by `route` (e.g. `/books/{id}`) for `path`,
    /// without query, body, cookies or path parameters.
    pub fn new(method: &str, route: &str, path: &str) -> Self {
        let mut event: Value = serde_json::from_str(BASE_EVENT).expect("the base event is JSON");
        let route_key = format!("{method} {route}");
        event["routeKey"] = json!(route_key);
        event["rawPath"] = json!(path);
        event["rawQueryString"] = json!("");
        event["headers"] = json!({
            "accept": "application/json",
            "host": "id.execute-api.us-east-1.amazonaws.com",
            "user-agent": "handler-test"
        });
        event["requestContext"]["routeKey"] = json!(route_key);
        event["requestContext"]["http"]["method"] = json!(method);
        event["requestContext"]["http"]["path"] = json!(path);
        event["requestContext"]["requestId"] = json!(uuid::Uuid::now_v7().to_string());
        event["requestContext"]["authorizer"] = json!({
            "jwt": {
                "claims": {
                    "sub": TEST_SUB,
                    "username": TEST_USERNAME,
                    "client_id": "bookshelf-web",
                    "scope": "openid bookshelf/books.read bookshelf/books.write",
                    "token_use": "access",
                    "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
                },
                "scopes": ["openid", "bookshelf/books.read", "bookshelf/books.write"]
            }
        });
        let object = event.as_object_mut().expect("the base event is an object");
        for absent in ["queryStringParameters", "pathParameters", "body", "cookies"] {
            object.remove(absent);
        }
        object.insert("isBase64Encoded".into(), json!(false));
        Self(event)
    }

    /// The request without a verified caller: no authorizer claims, as a route
    /// without an authorizer would deliver it.
    pub fn anonymous(mut self) -> Self {
        if let Some(context) = self.0["requestContext"].as_object_mut() {
            context.remove("authorizer");
        }
        self
    }

    /// The request signed in as another caller (`sub`, `username`).
    pub fn signed_in_as(mut self, sub: &str, username: &str) -> Self {
        self.0["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = json!(sub);
        self.0["requestContext"]["authorizer"]["jwt"]["claims"]["username"] = json!(username);
        self
    }

    /// Replaces the route key (e.g. `ANY /books/{id}` for a catch-all route).
    pub fn route_key(mut self, route_key: &str) -> Self {
        self.0["routeKey"] = json!(route_key);
        self.0["requestContext"]["routeKey"] = json!(route_key);
        self
    }

    /// Sets the path parameter `name`.
    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        let parameters = self.object_member("pathParameters");
        parameters.insert(name.into(), json!(value));
        self
    }

    /// Sets the query string from decoded `(name, value)` pairs: `rawQueryString`
    /// percent-encoded, and `queryStringParameters` with repeated names joined by
    /// commas, as API Gateway does.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        let raw: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
            .collect();
        self.0["rawQueryString"] = json!(raw.join("&"));
        let mut parsed: Map<String, Value> = Map::new();
        for (name, value) in pairs {
            match parsed.get_mut(*name) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(value);
                }
                _ => {
                    parsed.insert((*name).to_owned(), json!(value));
                }
            }
        }
        self.0["queryStringParameters"] = Value::Object(parsed);
        self
    }

    /// Sets a header (names are lower-cased, as API Gateway delivers them).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0["headers"][name.to_ascii_lowercase()] = json!(value);
        self
    }

    /// A JSON body with `content-type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.body(Some("application/json"), &body.to_string())
    }

    /// A text body with an optional content type.
    pub fn body(mut self, content_type: Option<&str>, body: &str) -> Self {
        if let Some(content_type) = content_type {
            self = self.header("content-type", content_type);
        }
        self.0["body"] = json!(body);
        self.0["isBase64Encoded"] = json!(false);
        self
    }

    /// A body API Gateway delivered base64-encoded (binary content types).
    pub fn base64_body(mut self, content_type: &str, bytes: &[u8]) -> Self {
        self = self.header("content-type", content_type);
        self.0["body"] = json!(STANDARD.encode(bytes));
        self.0["isBase64Encoded"] = json!(true);
        self
    }

    /// The event JSON, as Lambda would deliver it.
    pub fn to_json(&self) -> String {
        self.0.to_string()
    }

    /// The event parsed the way `lambda_http` parses it at run time.
    pub fn to_request(&self) -> Request {
        lambda_http::request::from_str(&self.to_json()).expect("lambda_http parses the event")
    }

    fn object_member(&mut self, name: &str) -> &mut Map<String, Value> {
        let object = self.0.as_object_mut().expect("the event is an object");
        object
            .entry(name)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("the member is an object")
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A book item in DynamoDB JSON (`{"title": {"S": "…"}, …}`), as a stream
/// record's `NewImage` or `OldImage` carries it.
pub fn book_image(book: &bookshelf::Book) -> Value {
    let item = bookshelf::store::book_item(
        book,
        &crate::handler::test_writer(),
        bookshelf::store::ShelfShards::ONE,
    )
    .expect("a book serialises");
    serde_json::to_value(serde_dynamo::Item::from(item)).expect("an item serialises")
}

/// One DynamoDB stream record of a book write, shaped like the records of
/// `sam local generate-event dynamodb update`: INSERT when only `after`
/// exists, REMOVE when only `before`, MODIFY with both.
pub fn stream_record(
    sequence: u64,
    before: Option<&bookshelf::Book>,
    after: Option<&bookshelf::Book>,
) -> Value {
    let base: Value =
        serde_json::from_str(BASE_STREAM_EVENT).expect("the base stream event is JSON");
    let (event_name, template_index) = match (before, after) {
        (None, _) => ("INSERT", 0),
        (Some(_), Some(_)) => ("MODIFY", 1),
        (Some(_), None) => ("REMOVE", 2),
    };
    let mut record = base["Records"][template_index].clone();
    let book = after
        .or(before)
        .expect("a record of a book write has an image");
    record["eventID"] = json!(format!("{sequence:032x}"));
    record["eventName"] = json!(event_name);
    let change = &mut record["dynamodb"];
    change["Keys"] = json!({"pk": {"S": format!("BOOK#{}", book.id)}, "sk": {"S": "BOOK"}});
    change["SequenceNumber"] = json!(sequence.to_string());
    let change = change.as_object_mut().expect("the change is an object");
    change.remove("NewImage");
    change.remove("OldImage");
    if let Some(before) = before {
        change.insert("OldImage".into(), book_image(before));
    }
    if let Some(after) = after {
        change.insert("NewImage".into(), book_image(after));
    }
    record
}

/// A stream event (`{"Records": […]}`) of `records`.
pub fn stream_event(records: &[Value]) -> Value {
    let mut event: Value =
        serde_json::from_str(BASE_STREAM_EVENT).expect("the base stream event is JSON");
    event["Records"] = json!(records);
    event
}
