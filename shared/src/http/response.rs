//! Building successful responses.

use super::etag::EntityTag;
use crate::domain::Book;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// The body of every paged route: `{"items": […], "nextCursor": string | null}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemsPage<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A JSON response with `status`.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    // Serialising our own types to JSON cannot fail: they hold strings and numbers.
    let body = serde_json::to_string(value).unwrap_or_default();
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A book as JSON with its `ETag`.
pub fn book_response(status: StatusCode, book: &Book) -> Response<Body> {
    let mut response = json_response(status, book);
    if let Ok(etag) = HeaderValue::from_str(&EntityTag::for_version(book.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// 304: the client's copy at `version` is current; no body, the ETag repeated.
pub fn not_modified(version: u64) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    if let Ok(etag) = HeaderValue::from_str(&EntityTag::for_version(version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// 204 with no body.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
