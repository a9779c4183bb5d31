//! `DELETE /books/{id}`: 204 once the book is gone; `If-Match` makes the delete
//! conditional on the version the client saw (412 otherwise); unknown id → 404.

use bookshelf::http::{BookEvent, book_id, if_match, no_content};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `DELETE /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let precondition = if_match(&request)?;
    app.store
        .delete(&id, precondition.expected_versions())
        .await?;
    Ok(BookEvent::Deleted.mark(no_content()))
}

#[cfg(test)]
mod tests;
