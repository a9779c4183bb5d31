//! The Flask tutorial's own JSON interface, `/booksApi`, served by the same
//! functions, store and model as `/books`, with the tutorial's bugs fixed.
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

use crate::App;
use crate::book::{Author, Book, BookChanges, BookFields, FieldError, Genre, Title};
use crate::clock::now_rfc3339;
use crate::http::{ApiError, book_id, json_response, query_param};
use crate::store::ListQuery;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// The path prefix of the tutorial's routes.
pub const PREFIX: &str = "/booksApi";

/// Whether `request` came in through one of the tutorial's routes (by API
/// Gateway's route key, or the path when there is none).
pub fn is_tutorial_route(request: &Request) -> bool {
    let route_key = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    };
    match route_key {
        Some(route_key) => route_key
            .split_once(' ')
            .is_some_and(|(_, path)| path == PREFIX || path.starts_with("/booksApi/")),
        None => {
            let path = request.uri().path();
            path == PREFIX || path.starts_with("/booksApi/")
        }
    }
}

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

/// `GET /booksApi`: every book, sorted as `/books` sorts, paged through
/// internally.
pub async fn list(app: &App) -> Result<Response<Body>, ApiError> {
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
    let books: Vec<TutorialBook<'_>> = books.iter().map(TutorialBook::from).collect();
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "books": books }),
    ))
}

/// `POST /booksApi?title=…&author=…&genre=…` → 200 `{"Book": book}`.
pub async fn create(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let fields = fields_from_query(request)?;
    let book = Book::create(fields, now_rfc3339());
    app.store.create(&book, None).await?;
    Ok(json_response(
        StatusCode::OK,
        &Created {
            book: TutorialBook::from(&book),
        },
    ))
}

/// `GET /booksApi/{id}` → 200 `{"books": book}`.
pub async fn get(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(request)?;
    let book = app
        .store
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::BookNotFound(id.to_string()))?;
    Ok(json_response(
        StatusCode::OK,
        &Books {
            books: TutorialBook::from(&book),
        },
    ))
}

/// `PUT /booksApi/{id}?title=…&author=…&genre=…`: each parameter sent
/// replaces its field (an empty `genre` removes it), the others stay →
/// 200 `Updated a Book with id {id}`.
pub async fn update(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(request)?;
    let changes = changes_from_query(request)?;
    app.store
        .update(&id, &changes, None, &now_rfc3339())
        .await?;
    Ok(text_response(format!("Updated a Book with id {id}")))
}

/// `DELETE /booksApi/{id}` → 200 `Removed Book with id {id}`.
pub async fn delete(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let id = book_id(request)?;
    app.store.delete(&id, None).await?;
    Ok(text_response(format!("Removed Book with id {id}")))
}

/// The create parameters: `title` and `author` required, `genre` optional
/// (empty means none). Every field error is reported at once.
pub fn fields_from_query(request: &Request) -> Result<BookFields, ApiError> {
    let mut errors = Vec::new();
    let title = required(request, Title::FIELD, Title::parse, &mut errors)?;
    let author = required(request, Author::FIELD, Author::parse, &mut errors)?;
    let genre = optional_genre(request, &mut errors)?;
    match (title, author, genre) {
        (Some(title), Some(author), Some(genre)) if errors.is_empty() => Ok(BookFields {
            title,
            author,
            genre,
        }),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// The update parameters: only those present change their field.
pub fn changes_from_query(request: &Request) -> Result<BookChanges, ApiError> {
    let mut errors = Vec::new();
    let title = present(request, Title::FIELD, Title::parse, &mut errors)?;
    let author = present(request, Author::FIELD, Author::parse, &mut errors)?;
    let genre = match query_param(request, Genre::FIELD)? {
        None => None,
        Some(_) => optional_genre(request, &mut errors)?,
    };
    if errors.is_empty() {
        Ok(BookChanges {
            title,
            author,
            genre,
        })
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn required<T>(
    request: &Request,
    name: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<T>, ApiError> {
    match query_param(request, name)? {
        None => {
            errors.push(FieldError::new(name, "is required"));
            Ok(None)
        }
        Some(raw) => Ok(parse(raw).map_err(|error| errors.push(error)).ok()),
    }
}

fn present<T>(
    request: &Request,
    name: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<T>, ApiError> {
    Ok(query_param(request, name)?
        .and_then(|raw| parse(raw).map_err(|error| errors.push(error)).ok()))
}

/// `genre`: absent or empty means none; otherwise parsed like any field.
/// `None` when it is invalid (the error is recorded).
fn optional_genre(
    request: &Request,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Option<Genre>>, ApiError> {
    match query_param(request, Genre::FIELD)? {
        None => Ok(Some(None)),
        Some(raw) if raw.trim().is_empty() => Ok(Some(None)),
        Some(raw) => Ok(Genre::parse(raw)
            .map(Some)
            .map_err(|error| errors.push(error))
            .ok()),
    }
}

fn text_response(text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
