//! `DELETE /booksApi/{id}`: the Flask tutorial's delete → 200 `Removed Book
//! with id {id}`; an unknown id is a 404 (the tutorial answered 500).

use bookshelf::http::{BookEvent, book_id, tutorial};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `DELETE /booksApi/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    app.store.delete(&id, None).await?;
    Ok(BookEvent::Deleted.mark(tutorial::text_response(format!(
        "Removed Book with id {id}"
    ))))
}

#[cfg(test)]
mod tests;
