use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};

fn delete(id: &str) -> ApiEvent {
    ApiEvent::new("DELETE", "/books/{id}", &format!("/books/{id}")).path_param("id", id)
}

#[tokio::test]
async fn deletes_and_then_404s() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(app, handle, &delete(book.id.as_str())).await;
    assert_eq!(response.status, 204, "{}", response.text());
    assert!(response.text().is_empty());
    assert_eq!(app.store.get(&book.id).await.unwrap(), None);
    let again = call(app, handle, &delete(book.id.as_str())).await;
    assert_problem(&again, 404, "book-not-found");
}

#[tokio::test]
async fn if_match_guards_the_delete() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    for stale in ["\"2\"", "W/\"1\""] {
        let response = call(
            app,
            handle,
            &delete(book.id.as_str()).header("If-Match", stale),
        )
        .await;
        assert_problem(&response, 412, "precondition-failed");
        assert!(
            app.store.get(&book.id).await.unwrap().is_some(),
            "deleted despite {stale}"
        );
    }
    let response = call(
        app,
        handle,
        &delete(book.id.as_str()).header("If-Match", "\"1\""),
    )
    .await;
    assert_eq!(response.status, 204);
}

#[tokio::test]
async fn if_match_star_needs_an_existing_book() {
    let app = app().await;
    let unknown = bookshelf::BookId::generate();
    let response = call(
        app,
        handle,
        &delete(unknown.as_str()).header("If-Match", "*"),
    )
    .await;
    assert_problem(&response, 404, "book-not-found");
    let response = call(
        app,
        handle,
        &delete(unknown.as_str()).header("If-Match", "\"1\""),
    )
    .await;
    assert_problem(&response, 404, "book-not-found");
}

#[tokio::test]
async fn malformed_if_match_is_400_and_deletes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(
        app,
        handle,
        &delete(book.id.as_str()).header("If-Match", "1"),
    )
    .await;
    assert_problem(&response, 400, "bad-request");
    assert!(app.store.get(&book.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_delete_without_a_signed_in_caller_is_401_and_deletes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let event = delete(book.id.as_str()).anonymous();
    assert_problem(&call(app, handle, &event).await, 401, "unauthenticated");
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book));
}

#[tokio::test]
async fn if_none_match_is_a_precondition_of_the_delete() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    for header in ["*", "\"1\""] {
        let event = delete(book.id.as_str()).header("if-none-match", header);
        assert_problem(&call(app, handle, &event).await, 412, "precondition-failed");
        assert_eq!(app.store.get(&book.id).await.unwrap().as_ref(), Some(&book));
    }
    let event = delete(book.id.as_str()).header("if-none-match", "\"2\"");
    assert_eq!(call(app, handle, &event).await.status, 204);
    assert_eq!(app.store.get(&book.id).await.unwrap(), None);
}
