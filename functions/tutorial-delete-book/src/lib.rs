//! `DELETE /booksApi/{id}`: the Flask tutorial's delete → 200 `Removed Book
//! with id {id}`; an unknown id is a 404 (the tutorial answered 500);
//! `If-Match` / `If-None-Match` are honoured as on `/books` (412).

use bookshelf::http::{BookEvent, book_id, tutorial, write_preconditions, writer};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `DELETE /booksApi/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let id = book_id(&request)?;
    let check = write_preconditions(&request)?;
    app.store.delete(&id, &check, &by).await?;
    Ok(BookEvent::Deleted.mark(tutorial::text_response(format!(
        "Removed Book with id {id}"
    ))))
}

#[cfg(test)]
mod tests;
