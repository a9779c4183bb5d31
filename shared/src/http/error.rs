//! [`ApiError`]: the one error type that crosses the wire. Every failure a route
//! can meet converts into it, and [`ApiError::into_response`] is the only place
//! where an error becomes a status code and an `application/problem+json` body
//! (RFC 9457).

use crate::domain::FieldError;
use crate::store::StoreError;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: &str = "1";
/// The `Content-Security-Policy` of every problem answer: it loads nothing and
/// cannot be framed.
pub const PROBLEM_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Why a request failed, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (400).
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// A query parameter, header or cursor is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// A write without a verified caller (401, with `WWW-Authenticate: Bearer`).
    #[error("this request needs a signed-in caller (a bearer token with the write scope)")]
    Unauthenticated,
    /// No book with this id exists (404).
    #[error("no book has the id {0}")]
    BookNotFound(String),
    /// Nothing is at this path (404), such as an asset the web page does not
    /// have; the text says what was looked for.
    #[error("{0}")]
    NotFound(String),
    /// The path exists, but not with this method (405, with `Allow`).
    #[error("{method} is not allowed here; allowed: {}", allowed.join(", "))]
    MethodNotAllowed {
        /// The method the request used.
        method: String,
        /// The methods the path answers.
        allowed: &'static [&'static str],
    },
    /// The `If-Match` header or `version` field names another version (412).
    #[error("the book has changed since the version the request names")]
    PreconditionFailed,
    /// The body exceeds the size limit (413).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A body was sent without a JSON content type (415).
    #[error("the request body must be sent as {expected}")]
    UnsupportedMediaType {
        /// The media types the route accepts, for the message.
        expected: &'static str,
        /// For a PATCH route, its `Accept-Patch` (RFC 5789 §2.2).
        accept_patch: Option<&'static str>,
    },
    /// The body has a `Content-Encoding` this API does not decode (415, with
    /// `Accept-Encoding: identity`, RFC 9110 §8.4 and §15.5.16).
    #[error("the request body must not be encoded; `{coding}` is not accepted (send it as is)")]
    UnsupportedContentEncoding {
        /// The coding the request named.
        coding: String,
    },
    /// The JSON is well formed but its fields are not acceptable (422).
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// The `Idempotency-Key` was used before for a different request (422).
    #[error("the Idempotency-Key was already used with a different request body")]
    IdempotencyKeyReused,
    /// DynamoDB is throttling or unreachable; retrying later can succeed (503).
    #[error("the book store is unavailable, retry later")]
    Unavailable,
    /// A fault of ours; the detail goes to the log, never to the client (500).
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(id) => Self::BookNotFound(id),
            StoreError::VersionMismatch => Self::PreconditionFailed,
            StoreError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            StoreError::Unavailable(_) => Self::Unavailable,
            StoreError::Internal(detail) => Self::Internal(detail),
        }
    }
}

/// The parts of the request a problem document names: `instance` and `requestId`.
/// Taken before the handler consumes the request.
#[derive(Debug, Clone, Default)]
pub struct ProblemContext {
    /// The request path, reported as the problem's `instance`.
    pub instance: String,
    /// API Gateway's request id (or Lambda's), to find the request in the logs.
    pub request_id: String,
}

impl ProblemContext {
    /// Reads the path and request id of an API Gateway request.
    pub fn of(request: &Request) -> Self {
        let request_id = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
            _ => None,
        }
        .or_else(|| {
            request
                .lambda_context_ref()
                .map(|context| context.request_id.clone())
        })
        .unwrap_or_default();
        Self {
            instance: request.uri().path().to_owned(),
            request_id,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    instance: &'a str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

/// How one kind of [`ApiError`] appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemKind {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable name: the problem `type` is
    /// `urn:bookshelf:problem:<slug>`.
    pub slug: &'static str,
    /// The short, human-readable summary (the problem's `title`).
    pub title: &'static str,
}

impl ProblemKind {
    const fn new(status: StatusCode, slug: &'static str, title: &'static str) -> Self {
        Self {
            status,
            slug,
            title,
        }
    }
}

impl ApiError {
    /// Status, slug and title of this error: the one table of the API's problems.
    pub fn kind(&self) -> ProblemKind {
        use StatusCode as S;
        match self {
            Self::MalformedJson(_) => {
                ProblemKind::new(S::BAD_REQUEST, "malformed-json", "Malformed JSON")
            }
            Self::BadRequest(_) => ProblemKind::new(S::BAD_REQUEST, "bad-request", "Bad request"),
            Self::Unauthenticated => {
                ProblemKind::new(S::UNAUTHORIZED, "unauthenticated", "Unauthenticated")
            }
            Self::BookNotFound(_) => {
                ProblemKind::new(S::NOT_FOUND, "book-not-found", "Book not found")
            }
            Self::NotFound(_) => ProblemKind::new(S::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed { .. } => ProblemKind::new(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::PreconditionFailed => ProblemKind::new(
                S::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
            ),
            Self::PayloadTooLarge { .. } => ProblemKind::new(
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::UnsupportedMediaType { .. } => ProblemKind::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::UnsupportedContentEncoding { .. } => ProblemKind::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-content-encoding",
                "Unsupported content encoding",
            ),
            Self::Validation(_) => ProblemKind::new(
                S::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Validation failed",
            ),
            Self::IdempotencyKeyReused => ProblemKind::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
            ),
            Self::Unavailable => ProblemKind::new(
                S::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Service unavailable",
            ),
            Self::Internal(_) => ProblemKind::new(
                S::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal server error",
            ),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.kind().status
    }

    /// The problem+json answer. Server-side failures are logged here, once, with
    /// their detail; the client gets only a generic message and the request id.
    pub fn into_response(self, context: &ProblemContext) -> Response<Body> {
        match &self {
            Self::Internal(detail) => {
                tracing::error!(request_id = %context.request_id, %detail, "internal error")
            }
            Self::Unavailable => {
                tracing::warn!(request_id = %context.request_id, "store unavailable")
            }
            _ => {}
        }
        let kind = self.kind();
        let status = kind.status;
        let problem = Problem {
            kind: format!("urn:bookshelf:problem:{}", kind.slug),
            title: kind.title,
            status: status.as_u16(),
            detail: self.to_string(),
            instance: &context.instance,
            request_id: &context.request_id,
            errors: match &self {
                Self::Validation(errors) => Some(errors),
                _ => None,
            },
        };
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // A problem is data, never a page: nothing in it may run, frame or be sniffed.
        super::set_security_headers(
            headers,
            HeaderValue::from_static(PROBLEM_CONTENT_SECURITY_POLICY),
        );
        if let Self::MethodNotAllowed { allowed, .. } = &self
            && let Ok(allow) = HeaderValue::from_str(&allowed.join(", "))
        {
            headers.insert(header::ALLOW, allow);
        }
        if let Self::UnsupportedMediaType {
            accept_patch: Some(accept_patch),
            ..
        } = &self
        {
            headers.insert("accept-patch", HeaderValue::from_static(accept_patch));
        }
        if let Self::Unauthenticated = &self {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::UnsupportedContentEncoding { .. } = &self {
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("identity"),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn context() -> ProblemContext {
        ProblemContext {
            instance: "/books/x".into(),
            request_id: "req-1".into(),
        }
    }

    fn answer(error: ApiError) -> (StatusCode, Value, Response<Body>) {
        let response = error.into_response(&context());
        let body: Value = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("unexpected body {other:?}"),
        };
        (response.status(), body, response)
    }

    #[test]
    fn validation_lists_field_errors() {
        let (status, body, response) = answer(ApiError::Validation(vec![FieldError::new(
            "title",
            "is required",
        )]));
        assert_eq!(status, 422);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(body["type"], "urn:bookshelf:problem:validation-failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["instance"], "/books/x");
        assert_eq!(body["requestId"], "req-1");
        assert_eq!(body["errors"][0]["field"], "title");
        assert_eq!(body["errors"][0]["message"], "is required");
    }

    #[test]
    fn unavailable_says_when_to_retry() {
        let (status, body, response) = answer(ApiError::Unavailable);
        assert_eq!(status, 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert!(body.get("errors").is_none());
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let (status, body, response) = answer(ApiError::MethodNotAllowed {
            method: "TRACE".into(),
            allowed: &["GET", "POST"],
        });
        assert_eq!(status, 405);
        assert_eq!(response.headers()["allow"], "GET, POST");
        assert_eq!(body["type"], "urn:bookshelf:problem:method-not-allowed");
    }

    #[test]
    fn internal_detail_never_reaches_the_client() {
        let (status, body, _) = answer(ApiError::Internal("secret SDK message".into()));
        assert_eq!(status, 500);
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[test]
    fn every_problem_has_all_members() {
        for error in [
            ApiError::MalformedJson("eof".into()),
            ApiError::BadRequest("bad limit".into()),
            ApiError::BookNotFound("x".into()),
            ApiError::Unauthenticated,
            ApiError::NotFound("no asset named `x`".into()),
            ApiError::PreconditionFailed,
            ApiError::PayloadTooLarge { limit: 10 },
            ApiError::UnsupportedMediaType {
                expected: "application/json",
                accept_patch: None,
            },
            ApiError::UnsupportedContentEncoding {
                coding: "gzip".into(),
            },
            ApiError::IdempotencyKeyReused,
            ApiError::MethodNotAllowed {
                method: "TRACE".into(),
                allowed: &["GET"],
            },
        ] {
            let expected = error.status().as_u16();
            let (status, body, _) = answer(error);
            assert_eq!(status.as_u16(), expected);
            for member in ["type", "title", "status", "detail", "instance", "requestId"] {
                assert!(body.get(member).is_some(), "{member} missing in {body}");
            }
            assert_eq!(body["status"], expected);
        }
    }
}
