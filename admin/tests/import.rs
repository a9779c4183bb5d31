//! `bookshelf-admin import` against DynamoDB Local: lines become books by the
//! API's rules, refused lines are reported, and a re-run after a failure
//! writes exactly what is missing, duplicating and overwriting nothing.

use aws_sdk_dynamodb::types::AttributeValue;
use bookshelf::App;
use bookshelf::domain::clock::now_rfc3339;
use bookshelf::domain::{BookChanges, Genre};
use bookshelf::store::{ListQuery, ShelfShards, VersionCheck};
use bookshelf_admin::import::{self, ImportOptions};
use bookshelf_admin::progress::Progress;
use bookshelf_testing::{app_with_shelf, test_writer};
use std::sync::Arc;

async fn everything(app: &App) -> Vec<bookshelf::Book> {
    let mut books = Vec::new();
    let mut after = None;
    loop {
        let query = ListQuery {
            author: None,
            genre: None,
            title_prefix: None,
            limit: 100,
            after,
        };
        let page = app.store.list(&query).await.unwrap();
        books.extend(page.books);
        match page.next {
            Some(next) => after = Some(next),
            None => return books,
        }
    }
}

fn write_file(lines: &[String]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("import-{}.jsonl", uuid::Uuid::new_v4()));
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

async fn run(app: &App, path: &std::path::Path) -> (Arc<Progress>, import::ImportReport) {
    let progress = Progress::new("import", import::COUNTERS);
    let options = ImportOptions {
        chunk_lines: 10,
        concurrency: 3,
        ..ImportOptions::default()
    };
    let report = import::import_file(&app.store, path, &options, &progress)
        .await
        .unwrap();
    (progress, report)
}

#[tokio::test]
async fn a_file_is_imported_once_and_a_rerun_after_a_failure_adds_only_what_is_missing() {
    let app = app_with_shelf(ShelfShards::new(4).unwrap()).await;
    let mut lines: Vec<String> = (0..45)
        .map(|n| {
            serde_json::json!({"title": format!("Book {n:02}"), "author": "Importer", "genre": "SF"})
                .to_string()
        })
        .collect();
    lines.insert(3, r#"{"title": " ", "author": "Importer"}"#.to_owned());
    lines.insert(20, "not json".to_owned());
    lines.insert(30, String::new());
    let path = write_file(&lines);

    let (progress, report) = run(app, &path).await;
    assert_eq!(progress.get("read"), 47);
    assert_eq!(progress.get("written"), 45);
    assert_eq!(progress.get("refused"), 2);
    assert_eq!(report.refused.len(), 2);
    assert_eq!(report.refused[0].0, 4);
    assert!(
        report.refused[0].1.contains("title"),
        "{:?}",
        report.refused
    );
    assert_eq!(report.refused[1].0, 21);
    let books = everything(app).await;
    assert_eq!(books.len(), 45);
    assert_eq!(books[0].title, "Book 00");
    assert!(
        books
            .iter()
            .all(|book| book.version == 1 && book.genre.as_deref() == Some("SF"))
    );

    // The same file again: every chunk is recorded as done.
    let (again, _) = run(app, &path).await;
    assert_eq!(again.get("skipped"), 48);
    assert_eq!(again.get("written"), 0);

    // As if the first run had failed part-way: its chunk records never
    // written, two books never written, and a client has since changed one
    // that was.
    let client = app.store.client();
    let records = client
        .query()
        .table_name(app.store.table())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("IMPORT#{}", report.import_id)),
        )
        .send()
        .await
        .unwrap();
    for item in records.items() {
        if item["sk"].as_s().unwrap().contains("CHUNK") {
            client
                .delete_item()
                .table_name(app.store.table())
                .key("pk", item["pk"].clone())
                .key("sk", item["sk"].clone())
                .send()
                .await
                .unwrap();
        }
    }
    for book in &books[10..12] {
        client
            .delete_item()
            .table_name(app.store.table())
            .key("pk", AttributeValue::S(format!("BOOK#{}", book.id)))
            .key("sk", AttributeValue::S("BOOK".into()))
            .send()
            .await
            .unwrap();
    }
    let edited = &books[0];
    let changes = BookChanges {
        genre: Some(Some(Genre::parse("Edited").unwrap())),
        ..BookChanges::default()
    };
    app.store
        .update(
            &edited.id,
            &changes,
            &VersionCheck::default(),
            &now_rfc3339(),
            &test_writer(),
        )
        .await
        .unwrap();

    let (resumed, _) = run(app, &path).await;
    assert_eq!(resumed.get("written"), 2);
    assert_eq!(resumed.get("existing"), 43);
    let after = everything(app).await;
    assert_eq!(after.len(), 45, "no duplicates");
    let ids: Vec<_> = after.iter().map(|book| book.id.clone()).collect();
    let before: Vec<_> = books.iter().map(|book| book.id.clone()).collect();
    assert_eq!(
        ids, before,
        "the same ids: the missing two are back as they were"
    );
    let kept = app.store.get(&edited.id).await.unwrap().unwrap();
    assert_eq!(kept.genre.as_deref(), Some("Edited"), "not overwritten");
    assert_eq!(kept.version, 2);
}
