//! `bookshelf-admin migrate` against DynamoDB Local: books stored with keys of
//! an earlier release get today's keys, nothing else of them changes, and a
//! second run finds nothing to do.

use aws_sdk_dynamodb::types::AttributeValue;
use bookshelf::store::{ListQuery, book_item, title_key};
use bookshelf::{App, Book};
use bookshelf_admin::migrate;
use bookshelf_admin::progress::Progress;
use bookshelf_testing::{app, seed, test_writer};

/// Stores `book` as the release before catalogue order did: its title key
/// the lower-cased title, U+0001, the id.
async fn store_with_lowercase_key(app: &App, book: &Book) {
    let mut item = book_item(book, &test_writer()).unwrap();
    item.insert(
        "titleKey".into(),
        AttributeValue::S(format!("{}\u{1}{}", book.title.to_lowercase(), book.id)),
    );
    app.store
        .client()
        .put_item()
        .table_name(app.store.table())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

async fn listed_titles(app: &App) -> Vec<String> {
    let query = ListQuery {
        author: None,
        genre: None,
        limit: 100,
        after: None,
    };
    let page = app.store.list(&query).await.unwrap();
    page.books.into_iter().map(|book| book.title).collect()
}

async fn stored_key(app: &App, book: &Book) -> String {
    let item = app
        .store
        .client()
        .get_item()
        .table_name(app.store.table())
        .key("pk", AttributeValue::S(format!("BOOK#{}", book.id)))
        .key("sk", AttributeValue::S("BOOK".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    item["titleKey"].as_s().unwrap().clone()
}

#[tokio::test]
async fn old_keys_are_recomputed_and_a_second_run_does_nothing() {
    let app = app().await;
    let current = seed(app, "Dune", "Frank Herbert", None).await;
    let mut legacy = Vec::new();
    for title in ["Zebra", "Éclair", "Ångström", "Foundation"] {
        let book = seed(app, title, "Someone", Some("SF")).await;
        store_with_lowercase_key(app, &book).await;
        legacy.push(book);
    }
    assert_eq!(
        listed_titles(app).await,
        ["Dune", "Foundation", "Zebra", "Ångström", "Éclair"],
        "the lower-cased keys sort by code point"
    );

    let progress = Progress::new("migrate", migrate::COUNTERS);
    migrate::migrate(&app.store, 3, &progress).await.unwrap();
    assert_eq!(progress.get("examined"), 5);
    assert_eq!(progress.get("rekeyed"), 4);
    assert_eq!(progress.get("raced"), 0);
    assert_eq!(
        listed_titles(app).await,
        ["Ångström", "Dune", "Éclair", "Foundation", "Zebra"]
    );
    for book in &legacy {
        assert_eq!(
            stored_key(app, book).await,
            title_key(&book.title, &book.id)
        );
        let stored = app.store.get(&book.id).await.unwrap().unwrap();
        assert_eq!(
            &stored, book,
            "nothing but the key changed, not even the version"
        );
    }
    assert_eq!(
        stored_key(app, &current).await,
        title_key(&current.title, &current.id)
    );

    let again = Progress::new("migrate", migrate::COUNTERS);
    migrate::migrate(&app.store, 2, &again).await.unwrap();
    assert_eq!(again.get("examined"), 5);
    assert_eq!(again.get("rekeyed"), 0);
}
