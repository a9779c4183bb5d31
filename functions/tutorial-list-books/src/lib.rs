//! `GET /booksApi`: the books in the Flask tutorial's shape → 200 `{"books":
//! […]}`, sorted as `GET /books` sorts them, paged through internally.

use bookshelf::http::tutorial;
use bookshelf::store::ListQuery;
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `GET /booksApi` request.
pub async fn handle(app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    let mut books = Vec::new();
    let mut query = ListQuery {
        author: None,
        genre: None,
        limit: 100,
        after: None,
    };
    loop {
        let page = app.store.list(&query).await?;
        books.extend(page.books);
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    Ok(tutorial::list_response(&books))
}

#[cfg(test)]
mod tests;
