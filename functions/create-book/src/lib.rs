//! `POST /books`: creates a book → 201 with `Location` and `ETag`. With an
//! `Idempotency-Key` header, a retry of the same request within 24 hours
//! returns the same book instead of creating another, and the same key with a
//! different body is refused (422).

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::{Book, parse_create};
use bookshelf::http::{
    BookEvent, JsonMediaType, book_response, idempotency_key, json_object, writer,
};
use bookshelf::store::CreateOutcome;
use bookshelf::{ApiError, App};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

/// Answers one `POST /books` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let body = json_object(&request, JsonMediaType::Json)?;
    let key = idempotency_key(&request)?;
    let fields = parse_create(&body).map_err(ApiError::Validation)?;
    let book = Book::create(fields, now_rfc3339());
    let (book, replayed) = match app.store.create(&book, key, &by).await? {
        CreateOutcome::Created(book) => (book, false),
        CreateOutcome::Replayed(book) => (book, true),
    };
    let mut response = book_response(StatusCode::CREATED, &book);
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("/books/{}", book.id)) {
        headers.insert(header::LOCATION, location);
    }
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    let event = if replayed {
        BookEvent::Replayed
    } else {
        BookEvent::Created
    };
    Ok(event.mark(response))
}

#[cfg(test)]
mod tests;
