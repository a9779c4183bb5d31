//! `GET /books`: one page of books in catalogue order (the title folded
//! case- and accent-insensitively, then the exact title, then the id). Query:
//! `limit` (1–100, default 25), `cursor` (a `nextCursor` returned earlier),
//! `author` and `genre` (exact matches), `q` (titles that start with it, folded
//! as titles are sorted; combines with either filter or both). Every page is one or a few
//! DynamoDB Queries on an index, never a Scan.

use bookshelf::domain::collation::TitlePrefix;
use bookshelf::domain::{Author, FieldError, Genre};
use bookshelf::http::{Cursor, ItemsPage, json_response, page_limit, query_param};
use bookshelf::store::{ListPosition, ListQuery};
use bookshelf::{ApiError, App};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Answers one `GET /books` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let author = filter(&request, Author::FIELD, Author::parse, Author::into_string)?;
    let genre = filter(&request, Genre::FIELD, Genre::parse, Genre::into_string)?;
    let title_prefix = filter(
        &request,
        TitlePrefix::FIELD,
        TitlePrefix::parse,
        TitlePrefix::into_folded,
    )?;
    let limit = page_limit(&request)?;
    let after = query_param(&request, "cursor")?
        .map(|raw| {
            Cursor::decode(
                raw,
                app.cursor_secret()?,
                author.as_deref(),
                genre.as_deref(),
                title_prefix.as_deref(),
            )
            .map(ListPosition::from)
            .map_err(|error| ApiError::BadRequest(error.to_string()))
        })
        .transpose()?;
    let page = app
        .store
        .list(&ListQuery {
            author: author.clone(),
            genre: genre.clone(),
            title_prefix: title_prefix.clone(),
            limit,
            after,
        })
        .await?;
    let secret = app.cursor_secret()?;
    let next_cursor = page.next.map(|position| {
        let cursor = Cursor {
            key: position.into(),
            author,
            genre,
            title_prefix,
        };
        cursor.encode(secret)
    });
    Ok(json_response(
        StatusCode::OK,
        &ItemsPage {
            items: page.books,
            next_cursor,
        },
    ))
}

/// A filter (an exact match, trimmed like the stored field it is compared
/// with) or the title search (folded); a bad one is a 400 naming it.
fn filter<T>(
    request: &Request,
    name: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    into_string: fn(T) -> String,
) -> Result<Option<String>, ApiError> {
    query_param(request, name)?
        .map(|raw| {
            parse(raw).map(into_string).map_err(|error| {
                ApiError::BadRequest(format!("the `{name}` filter {}", error.message))
            })
        })
        .transpose()
}

#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod shard_tests;
#[cfg(test)]
mod tests;
