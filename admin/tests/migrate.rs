//! `bookshelf-admin migrate` against DynamoDB Local: books stored with keys of
//! an earlier release (lower-cased titles, one shelf key) get today's keys
//! (catalogue order, the shelf's shards), nothing else of them changes, and a
//! second run finds nothing to do.

use aws_sdk_dynamodb::types::AttributeValue;
use bookshelf::store::{BookStore, ListQuery, ShelfShards, book_item, title_key};
use bookshelf::{App, Book};
use bookshelf_admin::migrate;
use bookshelf_admin::progress::Progress;
use bookshelf_testing::{app_with_shelf, seed, test_writer};

/// Stores `book` as the release before catalogue order did: its title key
/// the lower-cased title, U+0001, the id.
async fn store_with_lowercase_key(app: &App, book: &Book) {
    let mut item = book_item(book, &test_writer(), ShelfShards::ONE).unwrap();
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

async fn listed_titles(store: &BookStore) -> Vec<String> {
    let query = ListQuery {
        author: None,
        genre: None,
        title_prefix: None,
        limit: 100,
        after: None,
    };
    let page = store.list(&query).await.unwrap();
    page.books.into_iter().map(|book| book.title).collect()
}

/// The book's stored `titleKey` and `shelf`.
async fn stored_keys(app: &App, book: &Book) -> (String, String) {
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
    (
        item["titleKey"].as_s().unwrap().clone(),
        item["shelf"].as_s().unwrap().clone(),
    )
}

#[tokio::test]
async fn old_keys_are_recomputed_and_a_second_run_does_nothing() {
    // Stored by a release with one shelf key, migrated onto four shards.
    let app = app_with_shelf(ShelfShards::ONE).await;
    let four = ShelfShards::new(4).unwrap();
    let sharded = BookStore::new(app.store.client().clone(), app.store.table(), four);
    let current = seed(app, "Dune", "Frank Herbert", None).await;
    let mut legacy = Vec::new();
    for title in ["Zebra", "Éclair", "Ångström", "Foundation"] {
        let book = seed(app, title, "Someone", Some("SF")).await;
        store_with_lowercase_key(app, &book).await;
        legacy.push(book);
    }
    assert_eq!(
        listed_titles(&app.store).await,
        ["Dune", "Foundation", "Zebra", "Ångström", "Éclair"],
        "the lower-cased keys sort by code point"
    );
    assert_eq!(
        listed_titles(&sharded).await.len(),
        5,
        "shard 0 is the old shelf key: four shards still list every book"
    );

    let progress = Progress::new("migrate", migrate::COUNTERS);
    migrate::migrate(&sharded, 3, &progress).await.unwrap();
    let current_moves = u64::from(four.key_of(&current.id) != "books");
    assert_eq!(progress.get("examined"), 5);
    assert_eq!(progress.get("rekeyed"), 4 + current_moves);
    assert_eq!(progress.get("raced"), 0);
    assert_eq!(
        listed_titles(&sharded).await,
        ["Ångström", "Dune", "Éclair", "Foundation", "Zebra"]
    );
    for book in legacy.iter().chain([&current]) {
        assert_eq!(
            stored_keys(app, book).await,
            (title_key(&book.title, &book.id), four.key_of(&book.id))
        );
        let stored = app.store.get(&book.id).await.unwrap().unwrap();
        assert_eq!(
            &stored, book,
            "nothing but the keys changed, not even the version"
        );
    }

    let again = Progress::new("migrate", migrate::COUNTERS);
    migrate::migrate(&sharded, 2, &again).await.unwrap();
    assert_eq!(again.get("examined"), 5);
    assert_eq!(again.get("rekeyed"), 0);
}
