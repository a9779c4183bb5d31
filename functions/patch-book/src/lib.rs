//! `PATCH /books/{id}`: a JSON Merge Patch (RFC 7396) of title, author and
//! genre; `"genre": null` removes the genre. Accepts
//! `application/merge-patch+json` and `application/json`; honours `If-Match`
//! and `If-None-Match`. A patch that changes nothing (`{}`, or the current
//! values) writes nothing and answers the book unchanged.

use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::parse_patch;
use bookshelf::http::{
    JsonMediaType, book_id, json_object, updated_response, write_preconditions, writer,
};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `PATCH /books/{id}` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let id = book_id(&request)?;
    let check = write_preconditions(&request)?;
    let body = json_object(&request, JsonMediaType::MergePatch)?;
    let changes = parse_patch(&body).map_err(ApiError::Validation)?;
    let updated = app
        .store
        .update(&id, &changes, &check, &now_rfc3339(), &by)
        .await?;
    Ok(updated_response(updated))
}

#[cfg(test)]
mod tests;
