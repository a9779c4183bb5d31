//! `PUT /booksApi/{id}?title=…&author=…&genre=…`: the Flask tutorial's update.
//! Each parameter sent replaces its field (an empty `genre` removes it), the
//! others stay (the tutorial did the reverse) → 200 `Updated a Book with id
//! {id}`. A partial update, unlike `PUT /books/{id}`: its own function.
//! `If-Match` / `If-None-Match` are honoured as on `/books` (412); parameters
//! that change nothing write nothing.

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::http::{book_id, mark_if_changed, tutorial, write_preconditions, writer};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `PUT /booksApi/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let id = book_id(&request)?;
    let check = write_preconditions(&request)?;
    let changes = tutorial::changes_from_query(&request)?;
    let updated = app
        .store
        .update(&id, &changes, &check, &now_rfc3339(), &by)
        .await?;
    let response = tutorial::text_response(format!("Updated a Book with id {id}"));
    Ok(mark_if_changed(&updated, response))
}

#[cfg(test)]
mod tests;
