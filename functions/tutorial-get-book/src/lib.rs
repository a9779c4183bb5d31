//! `GET /booksApi/{id}`: one book in the Flask tutorial's shape → 200
//! `{"books": book}`; an unknown id is a 404 (the tutorial answered 500).

use bookshelf::http::{book_id, tutorial};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `GET /booksApi/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let book = app
        .store
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::BookNotFound(id.to_string()))?;
    Ok(tutorial::book_response(&book))
}

#[cfg(test)]
mod tests;
