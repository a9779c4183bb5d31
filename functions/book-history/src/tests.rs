use super::*;
use bookshelf::Book;
use bookshelf::domain::history::HistoryEntry;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed, test_writer};
use serde_json::Value;

fn history(id: &str, query: &[(&str, &str)]) -> ApiEvent {
    ApiEvent::new(
        "GET",
        "/books/{id}/history",
        &format!("/books/{id}/history"),
    )
    .path_param("id", id)
    .query(query)
}

/// Records versions 1..=count of `book` as the stream function would.
async fn record_versions(app: &App, book: &Book, count: u64) {
    let mut before: Option<Book> = None;
    for version in 1..=count {
        let mut after = book.clone();
        after.version = version;
        after.title = format!("Title {version}");
        let entry =
            HistoryEntry::of_write(before.as_ref(), Some(&after), "unused", Some(test_writer()))
                .unwrap();
        app.store.record_history(&book.id, &entry).await.unwrap();
        before = Some(after);
    }
}

fn versions(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["version"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn lists_entries_newest_first_in_pages() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    record_versions(app, &book, 5).await;
    let first = call(app, handle, &history(book.id.as_str(), &[("limit", "2")])).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json();
    assert_eq!(versions(&first), [5, 4]);
    assert_eq!(first["items"][0]["event"], "updated");
    assert_eq!(first["items"][0]["changes"]["title"]["from"], "Title 4");
    let mut seen = versions(&first);
    let mut cursor = first["nextCursor"].as_str().unwrap().to_owned();
    loop {
        let page = call(
            app,
            handle,
            &history(book.id.as_str(), &[("limit", "2"), ("cursor", &cursor)]),
        )
        .await
        .json();
        seen.extend(versions(&page));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, [5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn answers_after_the_book_is_deleted() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    record_versions(app, &book, 1).await;
    app.store
        .delete(&book.id, &Default::default(), &test_writer())
        .await
        .unwrap();
    let response = call(app, handle, &history(book.id.as_str(), &[])).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(versions(&response.json()), [1]);
}

#[tokio::test]
async fn a_book_without_entries_yet_has_an_empty_history() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let response = call(app, handle, &history(book.id.as_str(), &[])).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        serde_json::json!({"items": [], "nextCursor": null})
    );
}

#[tokio::test]
async fn an_id_that_never_had_a_book_is_404() {
    let app = app().await;
    let unknown = BookId::generate();
    assert_problem(
        &call(app, handle, &history(unknown.as_str(), &[])).await,
        404,
        "book-not-found",
    );
    assert_problem(
        &call(app, handle, &history("nope", &[])).await,
        404,
        "book-not-found",
    );
}

#[tokio::test]
async fn cursors_of_other_books_and_bad_limits_are_400() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let other = seed(app, "Emma", "Jane Austen", None).await;
    record_versions(app, &book, 3).await;
    let page = call(app, handle, &history(book.id.as_str(), &[("limit", "1")]))
        .await
        .json();
    let cursor = page["nextCursor"].as_str().unwrap();
    let foreign = call(
        app,
        handle,
        &history(other.id.as_str(), &[("cursor", cursor)]),
    )
    .await;
    assert_problem(&foreign, 400, "bad-request");
    let garbage = call(
        app,
        handle,
        &history(book.id.as_str(), &[("cursor", "abc")]),
    )
    .await;
    assert_problem(&garbage, 400, "bad-request");
    let limit = call(app, handle, &history(book.id.as_str(), &[("limit", "0")])).await;
    assert_problem(&limit, 400, "bad-request");
}
