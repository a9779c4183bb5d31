//! The Flask tutorial's own JSON interface, `/booksApi`: its representation and
//! its way of sending input. Each of its routes is its own function
//! (`functions/tutorial-*`) over the same domain, validation and store as
//! `/books`, with the tutorial's bugs fixed.
//!
//! Its shape is kept for the clients written against it: input only from query
//! parameters (never a body), a book as `{"title", "author", "genre", "id"}`,
//! `{"books": […]}` for the list, `{"Book": book}` after a create, `{"books":
//! book}` for one book (the tutorial's key), and plain-text answers for updates
//! and deletes. What is fixed: a missing, blank or too long field is a 422 and
//! nothing is stored (the tutorial stored empty books); an unknown id is a 404
//! (the tutorial answered 500); an update applies the parameters sent and keeps
//! the others (the tutorial did the reverse); and every write is conditional and
//! bumps `version`, like every other write.

use super::{ApiError, json_response, query_param};
use crate::domain::{Author, Book, BookChanges, BookFields, Genre, RawBook, RawField, Title};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// A book as the tutorial serialises it.
#[derive(Debug, Serialize)]
pub struct TutorialBook<'a> {
    /// The title.
    pub title: &'a str,
    /// The author.
    pub author: &'a str,
    /// The genre, or `null`.
    pub genre: Option<&'a str>,
    /// The id (a string here: the tutorial's integers have no DynamoDB equivalent).
    pub id: &'a str,
}

impl<'a> From<&'a Book> for TutorialBook<'a> {
    fn from(book: &'a Book) -> Self {
        Self {
            title: &book.title,
            author: &book.author,
            genre: book.genre.as_deref(),
            id: book.id.as_str(),
        }
    }
}

/// `{"books": …}`: the tutorial's envelope of the list and of one book.
#[derive(Serialize)]
struct Books<T> {
    books: T,
}

/// `{"Book": book}`: the tutorial's envelope of a created book.
#[derive(Serialize)]
struct Created<'a> {
    #[serde(rename = "Book")]
    book: TutorialBook<'a>,
}

/// 200 `{"books": [book, …]}`: the list.
pub fn list_response(books: &[Book]) -> Response<Body> {
    let books: Vec<TutorialBook<'_>> = books.iter().map(TutorialBook::from).collect();
    json_response(StatusCode::OK, &Books { books })
}

/// 200 `{"books": book}`: one book.
pub fn book_response(book: &Book) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &Books {
            books: TutorialBook::from(book),
        },
    )
}

/// 200 `{"Book": book}`: a created book (the tutorial answers 200, not 201).
pub fn created_response(book: &Book) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &Created {
            book: TutorialBook::from(book),
        },
    )
}

/// 200 with a plain-text message, as the tutorial answers updates and deletes.
pub fn text_response(text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The create parameters: `title` and `author` required, `genre` optional
/// (empty means none). Every field error is reported at once (422).
pub fn fields_from_query(request: &Request) -> Result<BookFields, ApiError> {
    raw_book(request)?
        .into_fields()
        .map_err(ApiError::Validation)
}

/// The update parameters: only those present change their field (an empty
/// `genre` removes it).
pub fn changes_from_query(request: &Request) -> Result<BookChanges, ApiError> {
    raw_book(request)?
        .into_changes()
        .map_err(ApiError::Validation)
}

/// The query parameters as the domain's raw fields: a parameter is text when
/// present; the tutorial's empty `genre=` is "no genre".
fn raw_book(request: &Request) -> Result<RawBook<'_>, ApiError> {
    let text = |name: &str| -> Result<RawField<'_>, ApiError> {
        Ok(query_param(request, name)?.map_or(RawField::Absent, RawField::Text))
    };
    let genre = match query_param(request, Genre::FIELD)? {
        None => RawField::Absent,
        Some(raw) if raw.trim().is_empty() => RawField::Null,
        Some(raw) => RawField::Text(raw),
    };
    Ok(RawBook {
        title: text(Title::FIELD)?,
        author: text(Author::FIELD)?,
        genre,
    })
}
