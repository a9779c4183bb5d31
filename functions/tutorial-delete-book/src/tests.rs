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
