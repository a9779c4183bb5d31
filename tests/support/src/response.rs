//! One response type for every test, whether it came from a handler or over
//! HTTP from the local runner, and the assertion every problem answer meets.

use bytes::Bytes;
use http::HeaderMap;
use lambda_http::Body;
use serde_json::Value;

/// A response as tests read it.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Bytes,
}

impl Response {
    /// The body parsed as JSON.
    ///
    /// # Panics
    /// When the body is not JSON (with the body in the message).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {:?}", self.text()))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// What a handler returned, read the way a client would read it.
impl From<lambda_http::Response<Body>> for Response {
    fn from(response: lambda_http::Response<Body>) -> Self {
        let body = match response.body() {
            Body::Text(text) => Bytes::from(text.clone()),
            Body::Binary(bytes) => Bytes::from(bytes.clone()),
            _ => Bytes::new(),
        };
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
        }
    }
}

/// Asserts `response` is a problem+json answer with `status` and `slug`
/// (`urn:bookshelf:problem:<slug>`), and returns its body.
pub fn assert_problem(response: &Response, status: u16, slug: &str) -> Value {
    assert_eq!(
        response.status,
        status,
        "unexpected status: {}",
        response.text()
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let body = response.json();
    assert_eq!(
        body["type"],
        format!("urn:bookshelf:problem:{slug}"),
        "{body}"
    );
    assert_eq!(body["status"], status);
    for member in ["title", "detail", "instance", "requestId"] {
        assert!(body[member].is_string(), "{member} missing in {body}");
    }
    assert!(
        body["requestId"].as_str().is_some_and(|id| !id.is_empty()),
        "empty requestId in {body}"
    );
    body
}
