use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};

fn tutorial_put(id: &str, query: &[(&str, &str)]) -> ApiEvent {
    ApiEvent::new("PUT", "/booksApi/{id}", &format!("/booksApi/{id}"))
        .path_param("id", id)
        .query(query)
}

#[tokio::test]
async fn the_tutorial_update_applies_what_is_sent_and_keeps_the_rest() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let response = call(
        app,
        handle,
        &tutorial_put(book.id.as_str(), &[("title", "Dune Messiah")]),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        response.text(),
        format!("Updated a Book with id {}", book.id)
    );
    let stored = app.store.get(&book.id).await.unwrap().unwrap();
    assert_eq!(stored.title, "Dune Messiah");
    assert_eq!(stored.author, "Frank Herbert");
    assert_eq!(stored.genre.as_deref(), Some("SF"));
    assert_eq!(stored.version, 2);
    let cleared = call(
        app,
        handle,
        &tutorial_put(book.id.as_str(), &[("genre", "")]),
    )
    .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap().genre, None);
}

#[tokio::test]
async fn the_tutorial_update_validates_and_404s() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(
        app,
        handle,
        &tutorial_put(book.id.as_str(), &[("title", " "), ("author", "Herbert")]),
    )
    .await;
    assert_problem(&response, 422, "validation-failed");
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap(), book);
    let unknown = bookshelf::BookId::generate();
    let response = call(
        app,
        handle,
        &tutorial_put(unknown.as_str(), &[("title", "T")]),
    )
    .await;
    assert_problem(&response, 404, "book-not-found");
}

#[tokio::test]
async fn an_update_without_a_signed_in_caller_is_401_and_changes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let event = tutorial_put(book.id.as_str(), &[("title", "X")]).anonymous();
    assert_problem(&call(app, handle, &event).await, 401, "unauthenticated");
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book));
}

#[tokio::test]
async fn the_tutorial_update_honours_preconditions_and_writes_nothing_for_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let stale = tutorial_put(book.id.as_str(), &[("title", "X")]).header("if-match", "\"4\"");
    assert_problem(&call(app, handle, &stale).await, 412, "precondition-failed");
    let star = tutorial_put(book.id.as_str(), &[("title", "X")]).header("if-none-match", "*");
    assert_problem(&call(app, handle, &star).await, 412, "precondition-failed");
    assert_eq!(app.store.get(&book.id).await.unwrap().as_ref(), Some(&book));
    let nothing = call(app, handle, &tutorial_put(book.id.as_str(), &[])).await;
    assert_eq!(nothing.status, 200, "{}", nothing.text());
    assert_eq!(
        app.store.get(&book.id).await.unwrap().as_ref(),
        Some(&book),
        "no write"
    );
    let current =
        tutorial_put(book.id.as_str(), &[("title", "Dune Messiah")]).header("if-match", "\"1\"");
    assert_eq!(call(app, handle, &current).await.status, 200);
    assert_eq!(app.store.get(&book.id).await.unwrap().unwrap().version, 2);
}
