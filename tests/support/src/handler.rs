//! Handler tests: an [`App`] over a fresh DynamoDB Local table, and a handler
//! run exactly as the deployed function runs it.

use crate::event::ApiEvent;
use crate::response::Response;
use crate::table::TestTable;
use bookshelf::app::Config;
use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::{Actor, Author, BookFields, Genre, Title};
use bookshelf::store::ShelfShards;
use bookshelf::{ApiError, App, Book};
use lambda_http::{Body, Request};

/// The caller every [`ApiEvent`] is signed in as unless made anonymous: the
/// claims API Gateway's JWT authorizer would pass for a Cognito user.
pub fn test_writer() -> Actor {
    Actor {
        sub: crate::event::TEST_SUB.to_owned(),
        name: crate::event::TEST_USERNAME.to_owned(),
    }
}

/// The cursor-signing key of test apps.
pub const TEST_CURSOR_SECRET: &str = "test-cursor-secret";

/// An [`App`] over a new, uniquely named table in the DynamoDB Local that
/// `make test` started (`DYNAMODB_ENDPOINT`), shaped exactly like `BooksTable`
/// in template.yaml, with the template's default shelf shards
/// ([`template_shelf_shards`]). Leaked: a test process lives only for its test.
pub async fn app() -> &'static App {
    app_with_shelf(template_shelf_shards()).await
}

/// Like [`app`], with a shelf of `shards` shards.
pub async fn app_with_shelf(shards: ShelfShards) -> &'static App {
    let table = TestTable::create("BooksTable").await;
    let config = Config {
        table_name: table.name.clone(),
        cursor_secret: Some(TEST_CURSOR_SECRET.as_bytes().to_vec()),
        shelf_shards: shards,
        allow_anonymous_writes: false,
    };
    Box::leak(Box::new(App::new(table.client.clone(), config)))
}

/// The `ShelfShards` parameter's default in template.yaml: what a deployed
/// stack and the local runner run with unless told otherwise.
///
/// # Panics
/// When the template cannot be read or has no valid default.
pub fn template_shelf_shards() -> ShelfShards {
    let path = bookshelf_local::workspace::root().join("template.yaml");
    let template = bookshelf_local::template::Template::load(&path)
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    let default = template
        .parameters
        .get("ShelfShards")
        .cloned()
        .flatten()
        .expect("template.yaml gives ShelfShards a default");
    ShelfShards::parse(&default).expect("a valid ShelfShards default")
}

/// Runs `handler` on `event` exactly as a deployed function does (including
/// the problem+json mapping of errors), with `state`: the [`App`], or `()` for
/// a function that reads no table.
pub async fn call<S, F, Fut>(state: &'static S, handler: F, event: &ApiEvent) -> Response
where
    S: ?Sized,
    F: Fn(&'static S, Request) -> Fut,
    Fut: std::future::Future<Output = Result<lambda_http::Response<Body>, ApiError>>,
{
    bookshelf::app::respond(state, event.to_request(), handler)
        .await
        .into()
}

/// Stores a book directly, for tests that need one to exist.
pub async fn seed(app: &App, title: &str, author: &str, genre: Option<&str>) -> Book {
    let fields = BookFields {
        title: Title::parse(title).expect("valid title"),
        author: Author::parse(author).expect("valid author"),
        genre: genre.map(|genre| Genre::parse(genre).expect("valid genre")),
    };
    let book = Book::create(fields, now_rfc3339());
    app.store
        .create(&book, None, &test_writer())
        .await
        .expect("seeding a book");
    book
}

/// How many books the shelf lists (up to 100): for tests that check a refused
/// write stored nothing.
pub async fn stored_count(app: &App) -> usize {
    let query = bookshelf::store::ListQuery {
        author: None,
        genre: None,
        title_prefix: None,
        limit: 100,
        after: None,
    };
    app.store
        .list(&query)
        .await
        .expect("listing the shelf")
        .books
        .len()
}
