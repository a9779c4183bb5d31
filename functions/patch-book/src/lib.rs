//! `PATCH /books/{id}`: a JSON Merge Patch (RFC 7396) of title, author and
//! genre; `"genre": null` removes the genre. Accepts
//! `application/merge-patch+json` and `application/json`; honours `If-Match`.

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::parse_patch;
use bookshelf::http::{BookEvent, JsonMediaType, book_id, book_response, if_match, json_object};
use bookshelf::{ApiError, App};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Answers one `PATCH /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let precondition = if_match(&request)?;
    let body = json_object(&request, JsonMediaType::MergePatch)?;
    let changes = parse_patch(&body).map_err(ApiError::Validation)?;
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
