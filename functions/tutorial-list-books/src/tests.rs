use super::*;
use bookshelf::store::ListQuery;
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

#[tokio::test]
async fn a_shelf_past_the_cap_answers_the_cap_and_links_to_the_rest() {
    let app = app().await;
    for index in 0..130 {
        seed(app, &format!("Book {index:03}"), "A", None).await;
    }
    let response: bookshelf_testing::Response = answer(app, 100).await.unwrap().into();
    let books = response.json()["books"].as_array().unwrap().clone();
    assert_eq!(books.len(), 100);
    assert_eq!(books[99]["title"], "Book 099");
    let link = response.header("link").expect("a link to the rest");
    let cursor = link
        .strip_prefix("</books?limit=100&cursor=")
        .and_then(|rest| rest.strip_suffix(">; rel=\"next\""))
        .unwrap_or_else(|| panic!("unexpected link {link}"));
    // The link is a cursor of /books: the rest starts right after the cap.
    let key = bookshelf::http::Cursor::decode(
        cursor,
        bookshelf_testing::TEST_CURSOR_SECRET.as_bytes(),
        None,
        None,
        None,
    )
    .unwrap();
    let rest = app
        .store
        .list(&ListQuery {
            author: None,
            genre: None,
            title_prefix: None,
            limit: 100,
            after: Some(key.into()),
        })
        .await
        .unwrap();
    assert_eq!(rest.books.len(), 30);
    assert_eq!(rest.books[0].title, "Book 100");
    // Under the cap: everything, and no link.
    let all: bookshelf_testing::Response = answer(app, 1_000).await.unwrap().into();
    assert_eq!(all.json()["books"].as_array().unwrap().len(), 130);
    assert_eq!(all.header("link"), None);
}
