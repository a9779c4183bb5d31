use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};

fn get(id: &str) -> ApiEvent {
    ApiEvent::new("GET", "/books/{id}", &format!("/books/{id}")).path_param("id", id)
}

#[tokio::test]
async fn returns_the_book_with_its_etag() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let response = call(app, handle, &get(book.id.as_str())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json(), serde_json::to_value(&book).unwrap());
}

#[tokio::test]
async fn if_none_match_answers_304_while_current() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    for tag in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
        let response = call(
            app,
            handle,
            &get(book.id.as_str()).header("If-None-Match", tag),
        )
        .await;
        assert_eq!(response.status, 304, "{tag}");
        assert!(response.text().is_empty());
        assert_eq!(response.header("etag"), Some("\"1\""));
    }
    let stale = call(
        app,
        handle,
        &get(book.id.as_str()).header("If-None-Match", "\"2\""),
    )
    .await;
    assert_eq!(stale.status, 200);
}

#[tokio::test]
async fn unknown_and_impossible_ids_are_404() {
    let app = app().await;
    let unknown = bookshelf::BookId::generate();
    let body = assert_problem(
        &call(app, handle, &get(unknown.as_str())).await,
        404,
        "book-not-found",
    );
    assert_eq!(body["instance"], format!("/books/{unknown}"));
    assert_problem(
        &call(app, handle, &get("not-an-id")).await,
        404,
        "book-not-found",
    );
}

#[tokio::test]
async fn malformed_if_none_match_is_400() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(
        app,
        handle,
        &get(book.id.as_str()).header("If-None-Match", "1"),
    )
    .await;
    assert_problem(&response, 400, "bad-request");
}
