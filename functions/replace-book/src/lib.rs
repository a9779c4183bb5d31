//! `PUT /books/{id}`: replaces title, author and genre (a missing genre means
//! none). The body may be a representation a GET returned: its `id` must match
//! the URL and its `version` is a precondition, like `If-Match`; `If-None-Match`
//! is honoured too. PUT never creates: an unknown id is 404. A replacement
//! equal to the book writes nothing and answers it unchanged.

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::{BookChanges, parse_replace};
use bookshelf::http::{
    JsonMediaType, book_id, if_match, json_object, updated_response, version_check, writer,
};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `PUT /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let id = book_id(&request)?;
    let precondition = if_match(&request)?;
    let body = json_object(&request, JsonMediaType::Json)?;
    let replacement = parse_replace(&body, &id).map_err(ApiError::Validation)?;
    let check = version_check(precondition.and_version(replacement.version), &request)?;
    let changes = BookChanges::from(replacement.fields);
    let updated = app
        .store
        .update(&id, &changes, &check, &now_rfc3339(), &by)
        .await?;
    Ok(updated_response(updated))
}

#[cfg(test)]
mod tests;
