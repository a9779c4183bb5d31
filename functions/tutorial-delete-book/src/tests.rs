use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};

fn tutorial_delete(id: &str) -> ApiEvent {
    ApiEvent::new("DELETE", "/booksApi/{id}", &format!("/booksApi/{id}")).path_param("id", id)
}

#[tokio::test]
async fn the_tutorial_delete_answers_in_text() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(app, handle, &tutorial_delete(book.id.as_str())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), format!("Removed Book with id {}", book.id));
    assert_eq!(app.store.get(&book.id).await.unwrap(), None);
    let again = call(app, handle, &tutorial_delete(book.id.as_str())).await;
    assert_problem(&again, 404, "book-not-found");
}

#[tokio::test]
async fn a_delete_without_a_signed_in_caller_is_401_and_deletes_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let event = tutorial_delete(book.id.as_str()).anonymous();
    assert_problem(&call(app, handle, &event).await, 401, "unauthenticated");
    assert_eq!(app.store.get(&book.id).await.unwrap(), Some(book));
}

#[tokio::test]
async fn the_tutorial_delete_honours_if_match() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let stale = tutorial_delete(book.id.as_str()).header("if-match", "\"2\"");
    assert_problem(&call(app, handle, &stale).await, 412, "precondition-failed");
    assert_eq!(app.store.get(&book.id).await.unwrap().as_ref(), Some(&book));
    let current = tutorial_delete(book.id.as_str()).header("if-match", "\"1\"");
    assert_eq!(call(app, handle, &current).await.status, 200);
    assert_eq!(app.store.get(&book.id).await.unwrap(), None);
}
