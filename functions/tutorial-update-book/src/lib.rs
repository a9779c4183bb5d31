//! `PUT /booksApi/{id}?title=…&author=…&genre=…`: the Flask tutorial's update.
//! Each parameter sent replaces its field (an empty `genre` removes it), the
//! others stay (the tutorial did the reverse) → 200 `Updated a Book with id
//! {id}`. A partial update, unlike `PUT /books/{id}`: its own function.

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::http::{BookEvent, book_id, tutorial};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `PUT /booksApi/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let changes = tutorial::changes_from_query(&request)?;
    app.store
        .update(&id, &changes, None, &now_rfc3339())
        .await?;
    Ok(BookEvent::Updated.mark(tutorial::text_response(format!(
        "Updated a Book with id {id}"
    ))))
}

#[cfg(test)]
mod tests;
