//! `GET /books/{id}`: one book with its ETag; `If-None-Match` answers 304 when
//! the client's copy is current; an unknown id is 404.

use bookshelf::http::{book_id, book_response, if_none_match, not_modified};
use bookshelf::{ApiError, App};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Answers one `GET /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let condition = if_none_match(&request)?;
    let book = app
        .store
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::BookNotFound(id.to_string()))?;
    if condition.matches(book.version) {
        return Ok(not_modified(book.version));
    }
    Ok(book_response(StatusCode::OK, &book))
}

#[cfg(test)]
mod tests;
