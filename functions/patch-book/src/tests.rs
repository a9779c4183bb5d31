use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};
use serde_json::{Value, json};

fn patch(id: &str, body: &Value) -> ApiEvent {
    ApiEvent::new("PATCH", "/books/{id}", &format!("/books/{id}"))
        .path_param("id", id)
        .body(Some("application/merge-patch+json"), &body.to_string())
}

#[tokio::test]
async fn changes_only_the_fields_named() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let response = call(
        app,
        handle,
        &patch(book.id.as_str(), &json!({"title": "Dune (1965)"})),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let patched = response.json();
    assert_eq!(patched["title"], "Dune (1965)");
    assert_eq!(patched["author"], "Frank Herbert");
    assert_eq!(patched["genre"], "SF");
    assert_eq!(patched["version"], 2);
    assert_eq!(response.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn null_genre_removes_it_and_plain_json_is_accepted() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let event = ApiEvent::new("PATCH", "/books/{id}", &format!("/books/{}", book.id))
        .path_param("id", book.id.as_str())
        .json(&json!({"genre": null}));
    let response = call(app, handle, &event).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["genre"], Value::Null);
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap().genre, None);
}

#[tokio::test]
async fn title_and_author_cannot_be_removed() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    for body in [json!({"title": null}), json!({"author": null})] {
        let response = call(app, handle, &patch(book.id.as_str(), &body)).await;
        assert_problem(&response, 422, "validation-failed");
    }
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap(), book);
}

#[tokio::test]
async fn invalid_patches_change_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let id = book.id.as_str();
    let route =
        || ApiEvent::new("PATCH", "/books/{id}", &format!("/books/{id}")).path_param("id", id);
    let cases = [
        (patch(id, &json!({"title": ""})), 422),
        (patch(id, &json!({"genre": 7})), 422),
        (patch(id, &json!({"version": 9})), 422),
        (patch(id, &json!({"colour": "red"})), 422),
        (
            route().body(Some("application/merge-patch+json"), "nope"),
            400,
        ),
        (route().body(Some("text/plain"), "{}"), 415),
    ];
    for (event, status) in cases {
        let response = call(app, handle, &event).await;
        assert_eq!(response.status, status, "{}", response.text());
    }
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap(), book);
}

#[tokio::test]
async fn if_match_and_unknown_ids() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let body = json!({"genre": "SF"});
    let stale = call(
        app,
        handle,
        &patch(book.id.as_str(), &body).header("If-Match", "\"5\""),
    )
    .await;
    assert_problem(&stale, 412, "precondition-failed");
    let current = call(
        app,
        handle,
        &patch(book.id.as_str(), &body).header("If-Match", "\"1\""),
    )
    .await;
    assert_eq!(current.status, 200, "{}", current.text());
    let unknown = bookshelf::BookId::generate();
    assert_problem(
        &call(app, handle, &patch(unknown.as_str(), &body)).await,
        404,
        "book-not-found",
    );
}

#[tokio::test]
async fn concurrent_patches_without_if_match_all_apply() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let writers = (0..8).map(|writer| {
        let event = patch(
            book.id.as_str(),
            &json!({"genre": format!("genre {writer}")}),
        );
        tokio::spawn(async move { call(app, handle, &event).await.status })
    });
    for writer in writers {
        assert_eq!(writer.await.unwrap(), 200);
    }
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap().version, 9);
}

#[tokio::test]
async fn a_patch_without_a_signed_in_caller_is_401_and_changes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let event = patch(book.id.as_str(), &json!({"title": "X"})).anonymous();
    assert_problem(&call(app, handle, &event).await, 401, "unauthenticated");
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book));
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    for body in [
        json!({}),
        json!({"title": "Dune"}),
        json!({"genre": null}),
        json!({"author": " Frank Herbert "}),
    ] {
        let response = call(app, handle, &patch(book.id.as_str(), &body)).await;
        assert_eq!(response.status, 200, "{body}: {}", response.text());
        assert_eq!(response.header("etag"), Some("\"1\""), "{body}");
        assert_eq!(
            app.store.get(&book.id).await.unwrap().as_ref(),
            Some(&book),
            "{body}"
        );
    }
    let stale = patch(book.id.as_str(), &json!({})).header("if-match", "\"3\"");
    assert_problem(&call(app, handle, &stale).await, 412, "precondition-failed");
    let unknown = bookshelf::BookId::generate();
    assert_problem(
        &call(app, handle, &patch(unknown.as_str(), &json!({}))).await,
        404,
        "book-not-found",
    );
    let changed = call(
        app,
        handle,
        &patch(book.id.as_str(), &json!({"title": "Dune", "genre": "SF"})),
    )
    .await;
    assert_eq!(changed.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn if_none_match_star_never_patches_an_existing_book() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let event = patch(book.id.as_str(), &json!({"title": "X"})).header("if-none-match", "*");
    assert_problem(&call(app, handle, &event).await, 412, "precondition-failed");
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book));
}
