//! `PATCH /books/{id}`: a JSON Merge Patch (RFC 7396) of title, author and
//! genre; `"genre": null` removes the genre. Accepts
//! `application/merge-patch+json` and `application/json`; honours `If-Match`.
//!
//! Also serves the tutorial's `PUT /booksApi/{id}?title=…`, which is a partial
//! update too (see `bookshelf::tutorial`).

use bookshelf::book::parse_patch;
use bookshelf::http::{JsonMediaType, book_id, if_match, json_object};
use bookshelf::{ApiError, App, tutorial};
use lambda_http::{Body, Request, Response};

/// Answers one `PATCH /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    if tutorial::is_tutorial_route(&request) {
        return tutorial::update(app, &request).await;
    }
    let id = book_id(&request)?;
    let precondition = if_match(&request)?;
    let body = json_object(&request, JsonMediaType::MergePatch)?;
    let changes = parse_patch(&body).map_err(ApiError::Validation)?;
    app.update_book(&id, &changes, &precondition).await
}

#[cfg(test)]
mod tests;
