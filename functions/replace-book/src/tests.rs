use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};
use serde_json::{Value, json};

fn put(id: &str, body: &Value) -> ApiEvent {
    ApiEvent::new("PUT", "/books/{id}", &format!("/books/{id}"))
        .path_param("id", id)
        .json(body)
}

#[tokio::test]
async fn replaces_every_field_and_bumps_the_version() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let body = json!({"title": "Dune Messiah", "author": " F. Herbert "});
    let response = call(app, handle, &put(book.id.as_str(), &body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let replaced = response.json();
    assert_eq!(replaced["title"], "Dune Messiah");
    assert_eq!(replaced["author"], "F. Herbert");
    assert_eq!(replaced["genre"], Value::Null, "a missing genre means none");
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["createdAt"], book.created_at.as_str());
    assert_eq!(response.header("etag"), Some("\"2\""));
    let stored = app.store.get(&book.id).await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(stored).unwrap(), replaced);
}

#[tokio::test]
async fn accepts_the_representation_a_get_returned() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let mut body = serde_json::to_value(&book).unwrap();
    body["genre"] = json!("SF");
    body["createdAt"] = json!("ignored");
    let response = call(app, handle, &put(book.id.as_str(), &body)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["genre"], "SF");
    assert_eq!(response.json()["createdAt"], book.created_at.as_str());
    // The same body again names version 1, which is no longer current.
    let stale = call(app, handle, &put(book.id.as_str(), &body)).await;
    assert_problem(&stale, 412, "precondition-failed");
}

#[tokio::test]
async fn another_id_in_the_body_is_422() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let other = bookshelf::BookId::generate();
    let body = json!({"id": other.as_str(), "title": "T", "author": "A"});
    let problem = assert_problem(
        &call(app, handle, &put(book.id.as_str(), &body)).await,
        422,
        "validation-failed",
    );
    assert_eq!(problem["errors"][0]["field"], "id");
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap(), book);
}

#[tokio::test]
async fn if_match_is_a_precondition() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let body = json!({"title": "T", "author": "A"});
    for stale in ["\"2\"", "W/\"1\"", "\"0\", \"3\""] {
        let response = call(
            app,
            handle,
            &put(book.id.as_str(), &body).header("If-Match", stale),
        )
        .await;
        assert_problem(&response, 412, "precondition-failed");
    }
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap(), book);
    let current = call(
        app,
        handle,
        &put(book.id.as_str(), &body).header("If-Match", "\"1\""),
    )
    .await;
    assert_eq!(current.status, 200, "{}", current.text());
    let any = call(
        app,
        handle,
        &put(book.id.as_str(), &json!({"title": "T2", "author": "A"})).header("If-Match", "*"),
    )
    .await;
    assert_eq!(any.json()["version"], 3);
}

#[tokio::test]
async fn header_and_body_versions_must_agree() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let body = json!({"title": "T", "author": "A", "version": 1});
    let response = call(
        app,
        handle,
        &put(book.id.as_str(), &body).header("If-Match", "\"2\""),
    )
    .await;
    assert_problem(&response, 412, "precondition-failed");
}

#[tokio::test]
async fn put_never_creates() {
    let app = app().await;
    let unknown = bookshelf::BookId::generate();
    let body = json!({"title": "T", "author": "A"});
    assert_problem(
        &call(app, handle, &put(unknown.as_str(), &body)).await,
        404,
        "book-not-found",
    );
    assert_eq!(app.store.get(&unknown).await.unwrap(), None);
    let with_version = json!({"title": "T", "author": "A", "version": 1});
    assert_problem(
        &call(app, handle, &put(unknown.as_str(), &with_version)).await,
        404,
        "book-not-found",
    );
}

#[tokio::test]
async fn invalid_input_changes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let id = book.id.as_str();
    let route =
        || ApiEvent::new("PUT", "/books/{id}", &format!("/books/{id}")).path_param("id", id);
    let cases = [
        (put(id, &json!({"title": "T"})), 422),
        (
            put(id, &json!({"title": "T", "author": "A", "version": "1"})),
            422,
        ),
        (route().body(Some("application/json"), "{"), 400),
        (route().body(Some("text/plain"), "{}"), 415),
        (
            route().json(&json!({"title": "x".repeat(70_000), "author": "A"})),
            413,
        ),
    ];
    for (event, status) in cases {
        let response = call(app, handle, &event).await;
        assert_eq!(response.status, status, "{}", response.text());
    }
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap(), book);
}

#[tokio::test]
async fn of_concurrent_writers_with_one_if_match_exactly_one_wins() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let writers = (0..8).map(|writer| {
        let event = put(
            book.id.as_str(),
            &json!({"title": format!("Writer {writer}"), "author": "A"}),
        )
        .header("If-Match", "\"1\"");
        tokio::spawn(async move { call(app, handle, &event).await })
    });
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.push(writer.await.unwrap().status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn a_replace_without_a_signed_in_caller_is_401_and_changes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let event = put(book.id.as_str(), &json!({"title": "X", "author": "Y"})).anonymous();
    assert_problem(&call(app, handle, &event).await, 401, "unauthenticated");
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book));
}

#[tokio::test]
async fn if_none_match_is_a_precondition_of_the_write() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let body = json!({"title": "Overwritten", "author": "X"});
    for (header, status) in [
        ("*", 412),
        ("\"1\"", 412),
        ("W/\"1\"", 412),
        ("\"7\", \"1\"", 412),
    ] {
        let event = put(book.id.as_str(), &body).header("if-none-match", header);
        let response = call(app, handle, &event).await;
        assert_problem(&response, status, "precondition-failed");
        assert_eq!(
            app.store.get(&book.id).await.unwrap().as_ref(),
            Some(&book),
            "{header}"
        );
    }
    let unknown = bookshelf::BookId::generate();
    let event = put(unknown.as_str(), &body).header("if-none-match", "*");
    assert_problem(&call(app, handle, &event).await, 404, "book-not-found");
    // If-Match is evaluated first; both must hold.
    let event = put(book.id.as_str(), &body)
        .header("if-match", "\"1\"")
        .header("if-none-match", "\"2\"");
    let response = call(app, handle, &event).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["version"], 2);
}

#[tokio::test]
async fn a_replacement_equal_to_the_book_writes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let same = json!({"title": "Dune", "author": "Frank Herbert", "genre": "SF"});
    let response = call(app, handle, &put(book.id.as_str(), &same)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(response.json()["version"], 1);
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book.clone()));
    // Still under its precondition.
    let stale = put(book.id.as_str(), &same).header("if-match", "\"9\"");
    assert_problem(&call(app, handle, &stale).await, 412, "precondition-failed");
}
