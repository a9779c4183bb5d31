//! Building successful responses.

use super::etag::EntityTag;
use crate::domain::Book;
use crate::store::Updated;
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode, header};
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

/// 200 with the book an update left, and its `ETag`; counted as an update
/// only when something changed (a write that changes nothing answers the
/// unchanged book and ETag, RFC 9110 §9.3.4 allows either).
pub fn updated_response(updated: Updated) -> Response<Body> {
    let response = book_response(StatusCode::OK, &updated.book);
    mark_if_changed(&updated, response)
}

/// `response`, marked [`BookEvent::Updated`] when `updated` changed the book.
pub fn mark_if_changed(updated: &Updated, response: Response<Body>) -> Response<Body> {
    if updated.changed {
        BookEvent::Updated.mark(response)
    } else {
        response
    }
}

/// Sets the headers that keep a browser from running, framing or sniffing
/// what it was not meant to: `Content-Security-Policy: policy`,
/// `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
pub fn set_security_headers(headers: &mut HeaderMap, policy: HeaderValue) {
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
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

/// What a successful request did to a book: counted in the request's metrics
/// (`BooksCreated`, …). A handler marks its response with [`BookEvent::mark`];
/// the serve loop reads it back with [`BookEvent::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookEvent {
    /// A book was created.
    Created,
    /// A create was answered from its idempotency record: nothing was written.
    Replayed,
    /// A book was changed.
    Updated,
    /// A book was deleted.
    Deleted,
}

impl BookEvent {
    /// The name of the metric that counts this event.
    pub fn metric_name(self) -> &'static str {
        match self {
            Self::Created => "BooksCreated",
            Self::Replayed => "IdempotentReplays",
            Self::Updated => "BooksUpdated",
            Self::Deleted => "BooksDeleted",
        }
    }

    /// `response`, marked with this event.
    pub fn mark(self, mut response: Response<Body>) -> Response<Body> {
        response.extensions_mut().insert(self);
        response
    }

    /// The event `response` was marked with, if any.
    pub fn of(response: &Response<Body>) -> Option<Self> {
        response.extensions().get::<Self>().copied()
    }
}
