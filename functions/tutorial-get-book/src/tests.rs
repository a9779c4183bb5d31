use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};

fn tutorial_get(id: &str) -> ApiEvent {
    ApiEvent::new("GET", "/booksApi/{id}", &format!("/booksApi/{id}")).path_param("id", id)
}

#[tokio::test]
async fn the_tutorial_route_answers_under_books() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(app, handle, &tutorial_get(book.id.as_str())).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        serde_json::json!({"books": {"title": "Dune", "author": "Frank Herbert", "genre": null, "id": book.id.as_str()}})
    );
    let unknown = bookshelf::BookId::generate();
    assert_problem(
        &call(app, handle, &tutorial_get(unknown.as_str())).await,
        404,
        "book-not-found",
    );
}
