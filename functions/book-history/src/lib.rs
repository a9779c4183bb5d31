//! `GET /books/{id}/history`: what happened to a book, newest first, paged like
//! `GET /books` (`limit`, `cursor`). It still answers after the book is
//! deleted; an id that never had a book is 404.
//!
//! Entries are written by the `record-history` function from the table's
//! stream, so a write shows up here within moments, not in the same instant.

use bookshelf::http::{
    ItemsPage, book_id, decode_cursor, encode_cursor, json_response, page_limit, query_param,
};
use bookshelf::{ApiError, App, BookId};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Where a page of one book's history ended.
#[derive(Debug, Serialize, Deserialize)]
struct HistoryCursor {
    /// The book whose history this is a page of.
    #[serde(rename = "b")]
    book: BookId,
    /// The sort key of the last entry returned.
    #[serde(rename = "s")]
    after: String,
}

/// Answers one `GET /books/{id}/history` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(&request)?;
    let limit = page_limit(&request)?;
    let after = match query_param(&request, "cursor")? {
        None => None,
        Some(raw) => {
            let cursor: HistoryCursor = decode_cursor(raw, app.cursor_secret()?)
                .map_err(|error| ApiError::BadRequest(error.to_string()))?;
            if cursor.book != id {
                return Err(ApiError::BadRequest(
                    "the cursor belongs to the history of another book".into(),
                ));
            }
            Some(cursor.after)
        }
    };
    let first_page = after.is_none();
    let page = app.store.history(&id, limit, after).await?;
    if first_page && page.entries.is_empty() && app.store.get(&id).await?.is_none() {
        return Err(ApiError::BookNotFound(id.to_string()));
    }
    let secret = app.cursor_secret()?;
    let next_cursor = page.next.map(|after| {
        let cursor = HistoryCursor {
            book: id.clone(),
            after,
        };
        encode_cursor(&cursor, secret)
    });
    Ok(json_response(
        StatusCode::OK,
        &ItemsPage {
            items: page.entries,
            next_cursor,
        },
    ))
}

#[cfg(test)]
mod tests;
