use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, stored_count};
use serde_json::Value;

fn tutorial_post(query: &[(&str, &str)]) -> ApiEvent {
    ApiEvent::new("POST", "/booksApi", "/booksApi").query(query)
}

#[tokio::test]
async fn the_tutorial_route_creates_from_query_parameters() {
    let app = app().await;
    let event = tutorial_post(&[
        ("title", "Kindred"),
        ("author", "Octavia E. Butler"),
        ("genre", "SF"),
    ]);
    let response = call(app, handle, &event).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let book = response.json()["Book"].clone();
    assert_eq!(book["title"], "Kindred");
    assert_eq!(book["author"], "Octavia E. Butler");
    assert_eq!(book["genre"], "SF");
    let id = bookshelf::BookId::parse(book["id"].as_str().unwrap()).unwrap();
    let stored = app.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    let without_genre = call(
        app,
        handle,
        &tutorial_post(&[("title", "T"), ("author", "A")]),
    )
    .await;
    assert_eq!(without_genre.json()["Book"]["genre"], Value::Null);
}

#[tokio::test]
async fn the_tutorial_route_refuses_what_the_tutorial_stored() {
    let app = app().await;
    type Query<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Query, &[&str]); 4] = [
        (&[], &["title", "author"]),
        (&[("title", " "), ("author", "")], &["title", "author"]),
        (&[("title", &"t".repeat(251)), ("author", "A")], &["title"]),
        (
            &[("title", "T"), ("author", "A"), ("genre", &"g".repeat(251))],
            &["genre"],
        ),
    ];
    for (query, fields) in cases {
        let response = call(app, handle, &tutorial_post(query)).await;
        let problem = assert_problem(&response, 422, "validation-failed");
        let reported: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        assert_eq!(reported, fields, "{query:?}");
    }
    assert_eq!(stored_count(app).await, 0);
}

#[tokio::test]
async fn a_create_without_a_signed_in_caller_is_401_and_stores_nothing() {
    let app = app().await;
    let event = tutorial_post(&[("title", "T"), ("author", "A")]).anonymous();
    assert_problem(&call(app, handle, &event).await, 401, "unauthenticated");
    assert_eq!(stored_count(app).await, 0);
}
