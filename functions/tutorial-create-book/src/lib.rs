//! `POST /booksApi?title=…&author=…&genre=…`: the Flask tutorial's create →
//! 200 `{"Book": book}`. Fields come from the query string (the tutorial sends
//! no body); a missing, blank or too long field is a 422 and nothing is stored.

use bookshelf::domain::Book;
use bookshelf::domain::clock::now_rfc3339;
use bookshelf::http::{BookEvent, tutorial, writer};
use bookshelf::{ApiError, App};
use lambda_http::{Body, Request, Response};

/// Answers one `POST /booksApi` request.
pub async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let by = writer(&request, app.allow_anonymous_writes)?;
    let fields = tutorial::fields_from_query(&request)?;
    let book = Book::create(fields, now_rfc3339());
    app.store.create(&book, None, &by).await?;
    Ok(BookEvent::Created.mark(tutorial::created_response(&book)))
}

#[cfg(test)]
mod tests;
