//! `PUT /books/{id}`: replaces title, author and genre (a missing genre means
//! none). The body may be a representation a GET returned: its `id` must match
//! the URL and its `version` is a precondition, like `If-Match`. PUT never
//! creates: an unknown id is 404.

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::{BookChanges, parse_replace};
use bookshelf::http::{BookEvent, JsonMediaType, book_id, book_response, if_match, json_object};
use bookshelf::{ApiError, App};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Answers one `PUT /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let precondition = if_match(&request)?;
    let body = json_object(&request, JsonMediaType::Json)?;
    let replacement = parse_replace(&body, &id).map_err(ApiError::Validation)?;
    let precondition = precondition.and_version(replacement.version);
    let changes = BookChanges::from(replacement.fields);
    let book = app
        .store
        .update(
            &id,
            &changes,
            precondition.expected_versions(),
            &now_rfc3339(),
        )
        .await?;
    Ok(BookEvent::Updated.mark(book_response(StatusCode::OK, &book)))
}

#[cfg(test)]
mod tests;
