//! The sharded shelf through the handler: pages merged from N shards in one
//! catalogue order, exact across cursors while books are written meanwhile,
//! and what a page costs.

use super::*;
use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::{BookChanges, Title};
use bookshelf::store::{ShelfShards, VersionCheck, title_key};
use bookshelf::{Book, BookId};
use bookshelf_testing::{ApiEvent, app_with_shelf, call, seed, test_writer};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

fn shards(count: u32) -> ShelfShards {
    ShelfShards::new(count).unwrap()
}

async fn page(app: &'static App, limit: usize, cursor: Option<&str>) -> Value {
    let limit = limit.to_string();
    let mut query = vec![("limit", limit.as_str())];
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor));
    }
    let response = call(
        app,
        handle,
        &ApiEvent::new("GET", "/books", "/books").query(&query),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Every page of the walk, as (id, title) pairs, following `nextCursor`.
async fn walk(app: &'static App, limit: usize) -> Vec<Vec<(String, String)>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let json = page(app, limit, cursor.as_deref()).await;
        pages.push(pairs(&json));
        cursor = json["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return pages;
        }
    }
}

fn pairs(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|book| {
            (
                book["id"].as_str().unwrap().to_owned(),
                book["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Titles that fold alike, differ only in accents or case, or share starts.
const TITLES: &[&str] = &[
    "Dune",
    "dune",
    "Dune Messiah",
    "Éclair",
    "eclair",
    "Ångström",
    "Anathem",
    "Straße",
    "strasse",
    "Zebra",
    "été",
    "Foundation",
    "Øresund",
    "Oresund",
    "Æsop",
    "Aesop",
    "1984",
    "Ｄｕｎｅ",
];

fn sorted_by_key(books: &[Book]) -> Vec<(String, String)> {
    let mut books: Vec<&Book> = books.iter().collect();
    books.sort_by_key(|book| title_key(&book.title, &book.id));
    books
        .into_iter()
        .map(|book| (book.id.to_string(), book.title.clone()))
        .collect()
}

#[tokio::test]
async fn pages_merge_every_shard_into_one_catalogue_order() {
    for count in [4, 16] {
        let app = app_with_shelf(shards(count)).await;
        let mut books = Vec::new();
        for round in 0..3 {
            for title in TITLES {
                books.push(seed(app, &format!("{title} {round}"), "A", None).await);
                books.push(seed(app, title, "A", None).await);
            }
        }
        let used: HashSet<String> = books.iter().map(|b| shards(count).key_of(&b.id)).collect();
        assert!(
            used.len() >= 4,
            "the books sit on {} shards only",
            used.len()
        );
        for limit in [1, 7, 25, 100] {
            let pages = walk(app, limit).await;
            assert!(pages[..pages.len() - 1].iter().all(|p| p.len() == limit));
            assert!(!pages.last().unwrap().is_empty(), "no empty last page");
            let listed: Vec<(String, String)> = pages.into_iter().flatten().collect();
            assert_eq!(
                listed,
                sorted_by_key(&books),
                "{count} shards, limit {limit}"
            );
        }
    }
}

#[tokio::test]
async fn a_page_reads_every_shard_at_most_twice() {
    let app = app_with_shelf(shards(16)).await;
    for index in 0..120 {
        seed(app, &format!("Book {index:03}"), "A", None).await;
    }
    let mut after = None;
    for _ in 0..4 {
        let query = ListQuery {
            author: None,
            genre: None,
            title_prefix: None,
            limit: 25,
            after: after.clone(),
        };
        let page = app.store.list(&query).await.unwrap();
        assert_eq!(page.books.len(), 25);
        assert!(
            (16..=32).contains(&page.cost.queries),
            "{} Queries",
            page.cost.queries
        );
        assert!(page.cost.items_read <= 3 * 26 + 3 * 16, "{:?}", page.cost);
        assert!(page.cost.read_units > 0.0, "{:?}", page.cost);
        after = page.next;
    }
}

/// Writes that keep happening while a walk goes on: new books (some filed
/// before the walk's position, some after), retitles and deletes of books
/// created for the purpose, never touching the books that exist throughout.
async fn churn(app: &'static App, rounds: usize) -> Vec<BookId> {
    let mut created = Vec::new();
    for round in 0..rounds {
        for title in ["A early", "M middle", "Z late", "é accented"] {
            let book = seed(app, &format!("{title} {round}"), "Churn", None).await;
            created.push(book.id.clone());
        }
        if let Some(id) = created.get(round * 2) {
            let changes = BookChanges {
                title: Some(Title::parse(&format!("Retitled {round}")).unwrap()),
                ..BookChanges::default()
            };
            app.store
                .update(
                    id,
                    &changes,
                    &VersionCheck::default(),
                    &now_rfc3339(),
                    &test_writer(),
                )
                .await
                .unwrap();
        }
        if let Some(id) = created.get(round * 2 + 1) {
            app.store
                .delete(id, &VersionCheck::default(), &test_writer())
                .await
                .unwrap();
        }
        tokio::task::yield_now().await;
    }
    created
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_stay_exact_across_shards_under_concurrent_writes() {
    let app = app_with_shelf(shards(4)).await;
    let mut stable = Vec::new();
    for index in 0..60 {
        let title = TITLES[index % TITLES.len()];
        stable.push(seed(app, &format!("{title} {index:02}"), "Stable", None).await);
    }
    let writer = tokio::spawn(churn(app, 40));
    // Walk while the writer writes: small pages, so the walk spans the churn.
    let mut listed: Vec<(String, String)> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let json = page(app, 3, cursor.as_deref()).await;
        for (id, title) in pairs(&json) {
            let id_parsed = BookId::parse(&id).unwrap();
            keys.push(title_key(&title, &id_parsed));
            listed.push((id, title));
        }
        cursor = json["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    writer.await.unwrap();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &listed {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    for book in &stable {
        assert_eq!(
            seen.get(book.id.as_str()),
            Some(&1),
            "{} listed {:?} times",
            book.title,
            seen.get(book.id.as_str())
        );
    }
    // (A book retitled during the walk may show at both titles or at neither:
    // it moved. Only the books that exist throughout are promised.)
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "the walk went back");
    let stable_listed: Vec<(String, String)> = listed
        .into_iter()
        .filter(|(id, _)| stable.iter().any(|b| b.id.as_str() == id))
        .collect();
    assert_eq!(stable_listed, sorted_by_key(&stable));
}
