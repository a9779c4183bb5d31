//! `DELETE /books/{id}`: 204 once the book is gone; `If-Match` makes the delete
//! conditional on the version the client saw, `If-None-Match` on one it did
//! not (412 otherwise); unknown id → 404.

use bookshelf::http::{BookEvent, book_id, no_content, write_preconditions, writer};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `DELETE /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let id = book_id(&request)?;
    let check = write_preconditions(&request)?;
    app.store.delete(&id, &check, &by).await?;
    Ok(BookEvent::Deleted.mark(no_content()))
}

#[cfg(test)]
mod tests;
