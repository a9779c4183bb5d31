use super::*;
use bookshelf_testing::{ApiEvent, app, call, seed};
use serde_json::Value;

#[tokio::test]
async fn the_tutorial_route_lists_every_book_in_its_shape() {
    let app = app().await;
    let mut ids = Vec::new();
    for index in 0..120 {
        ids.push(
            seed(
                app,
                &format!("Book {index:03}"),
                "A",
                (index == 0).then_some("SF"),
            )
            .await
            .id,
        );
    }
    let response = call(app, handle, &ApiEvent::new("GET", "/booksApi", "/booksApi")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let books = response.json()["books"].as_array().unwrap().clone();
    assert_eq!(books.len(), 120, "every book, across internal pages");
    assert_eq!(
        books[0],
        serde_json::json!({"title": "Book 000", "author": "A", "genre": "SF", "id": ids[0].as_str()})
    );
    assert_eq!(books[119]["title"], "Book 119");
    assert_eq!(books[1]["genre"], Value::Null);
}
