//! `GET /booksApi`: the books in the Flask tutorial's shape → 200 `{"books":
//! […]}`, sorted as `GET /books` sorts them.
//!
//! The tutorial returned every book. Here an answer holds at most
//! [`MAX_BOOKS`] (ten internal pages of 100: bounded in time, in memory, and
//! in size — at most about 3 MB, under Lambda's 6 MB response limit, whatever
//! the books hold). When the shelf holds more, the answer carries
//! `Link: </books?limit=100&cursor=…>; rel="next"`: the rest, on `/books`.

use bookshelf::http::{Cursor, tutorial};
use bookshelf::store::ListQuery;
use bookshelf::{ApiError, App};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};

/// The most books one answer holds.
pub const MAX_BOOKS: usize = 1_000;

/// Answers one `GET /booksApi` request.
pub async fn handle(app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    answer(app, MAX_BOOKS).await
}

/// The answer with at most `cap` books (a multiple of 100 reads whole pages).
pub async fn answer(app: &App, cap: usize) -> Result<Response<Body>, ApiError> {
    let mut books = Vec::new();
    let mut query = ListQuery {
        author: None,
        genre: None,
        title_prefix: None,
        limit: 100.min(cap),
        after: None,
    };
    let rest = loop {
        let page = app.store.list(&query).await?;
        books.extend(page.books);
        match page.next {
            Some(next) if books.len() >= cap => break Some(next),
            Some(next) => {
                query.limit = 100.min(cap - books.len());
                query.after = Some(next);
            }
            None => break None,
        }
    };
    let mut response = tutorial::list_response(&books);
    if let Some(position) = rest {
        let cursor = Cursor {
            key: position.into(),
            author: None,
            genre: None,
            title_prefix: None,
        };
        let link = format!(
            "</books?limit=100&cursor={}>; rel=\"next\"",
            cursor.encode(app.cursor_secret()?)
        );
        if let Ok(link) = HeaderValue::from_str(&link) {
            response.headers_mut().insert("link", link);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests;
