//! The tutorial's `/booksApi` routes end to end, one test per behaviour and per
//! fixed bug, through the local runner.

use bookshelf_testing::LocalApi;
use serde_json::{Value, json};

async fn tutorial_create(api: &LocalApi, query: &str) -> Value {
    let response = api
        .request("POST", &format!("/booksApi?{query}"), &[], "")
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["Book"].clone()
}

#[tokio::test]
async fn post_with_query_parameters_creates_a_book_visible_everywhere() {
    let api = LocalApi::start().await;
    let book = tutorial_create(&api, "title=Kindred&author=Octavia%20E.%20Butler&genre=SF").await;
    assert_eq!(book["title"], "Kindred");
    assert_eq!(book["genre"], "SF");
    let id = book["id"].as_str().unwrap();
    let listed = api.get("/booksApi").await.json();
    assert_eq!(listed, json!({"books": [book]}));
    let one = api.get(&format!("/booksApi/{id}")).await.json();
    assert_eq!(one, json!({"books": book}));
    let json_api = api.get(&format!("/books/{id}")).await.json();
    assert_eq!(json_api["version"], 1);
}

#[tokio::test]
async fn a_blank_post_is_refused_and_stores_nothing() {
    let api = LocalApi::start().await;
    for query in ["", "title=&author=", "title=%20&author=A"] {
        let response = api
            .request("POST", &format!("/booksApi?{query}"), &[], "")
            .await;
        assert_eq!(response.status, 422, "{query}: {}", response.text());
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
    }
    assert_eq!(api.get("/booksApi").await.json(), json!({"books": []}));
}

#[tokio::test]
async fn a_251_character_title_is_refused() {
    let api = LocalApi::start().await;
    let query = format!("title={}&author=A", "t".repeat(251));
    let response = api
        .request("POST", &format!("/booksApi?{query}"), &[], "")
        .await;
    assert_eq!(response.status, 422, "{}", response.text());
    assert_eq!(response.json()["errors"][0]["field"], "title");
    assert_eq!(api.get("/booksApi").await.json(), json!({"books": []}));
}

#[tokio::test]
async fn put_applies_the_fields_sent_and_keeps_the_others() {
    let api = LocalApi::start().await;
    let book = tutorial_create(&api, "title=Dune&author=Frank%20Herbert&genre=SF").await;
    let id = book["id"].as_str().unwrap();
    let response = api
        .request(
            "PUT",
            &format!("/booksApi/{id}?title=Dune%20Messiah"),
            &[],
            "",
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text(), format!("Updated a Book with id {id}"));
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let stored = api.get(&format!("/books/{id}")).await.json();
    assert_eq!(stored["title"], "Dune Messiah");
    assert_eq!(stored["author"], "Frank Herbert");
    assert_eq!(stored["genre"], "SF");
    assert_eq!(stored["version"], 2);
}

#[tokio::test]
async fn delete_answers_in_text_and_missing_ids_are_404() {
    let api = LocalApi::start().await;
    let book = tutorial_create(&api, "title=Dune&author=Frank%20Herbert").await;
    let id = book["id"].as_str().unwrap();
    let deleted = api.delete(&format!("/booksApi/{id}"), &[]).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.text(), format!("Removed Book with id {id}"));
    for (method, path) in [
        ("GET", format!("/booksApi/{id}")),
        ("PUT", format!("/booksApi/{id}?title=T")),
        ("DELETE", format!("/booksApi/{id}")),
    ] {
        let response = api.request(method, &path, &[], "").await;
        assert_eq!(response.status, 404, "{method} {path}: {}", response.text());
    }
}
