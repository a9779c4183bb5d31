use super::*;
use bookshelf::Book;
use bookshelf::domain::history::ChangeKind;
use bookshelf_testing::{app, seed, stream_event, stream_record};
use lambda_http::Context;
use serde_json::{Value, json};

async fn deliver(app: &'static App, event: &Value) -> DynamoDbEventResponse {
    let event: Event = serde_json::from_value(event.clone()).expect("a Lambda DynamoDB event");
    handle(app, LambdaEvent::new(event, Context::default()))
        .await
        .expect("the handler answers")
}

fn failures(response: &DynamoDbEventResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .filter_map(|failure| failure.item_identifier.clone())
        .collect()
}

/// A book's life as three versions: created, retitled, deleted.
fn life(book: &Book) -> (Book, Book) {
    let mut retitled = book.clone();
    retitled.title = "Dune Messiah".into();
    retitled.genre = Some("SF".into());
    retitled.version = 2;
    retitled.updated_at = "2026-11-24T12:00:00Z".into();
    (book.clone(), retitled)
}

#[tokio::test]
async fn records_create_update_and_delete() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let (created, updated) = life(&book);
    let event = stream_event(&[
        stream_record(101, None, Some(&created)),
        stream_record(102, Some(&created), Some(&updated)),
        stream_record(103, Some(&updated), None),
    ]);
    let response = deliver(app, &event).await;
    assert!(failures(&response).is_empty());
    let page = app.store.history(&book.id, 10, None).await.unwrap();
    let events: Vec<ChangeKind> = page.entries.iter().map(|entry| entry.event).collect();
    assert_eq!(
        events,
        [
            ChangeKind::Deleted,
            ChangeKind::Updated,
            ChangeKind::Created
        ]
    );
    let versions: Vec<u64> = page.entries.iter().map(|entry| entry.version).collect();
    assert_eq!(versions, [2, 2, 1]);
    assert_eq!(page.entries[0].book, None);
    assert_eq!(page.entries[1].book.as_ref(), Some(&updated));
    assert_eq!(
        serde_json::to_value(&page.entries[1].changes).unwrap(),
        json!({"genre": {"from": null, "to": "SF"}, "title": {"from": "Dune", "to": "Dune Messiah"}})
    );
    assert_eq!(page.entries[2].book.as_ref(), Some(&created));
    assert_eq!(page.entries[2].at, created.updated_at);
    // A delete is dated by the record's ApproximateCreationDateTime (2015 in
    // the sam fixture), but never before the book's last write.
    assert_eq!(page.entries[0].at, updated.updated_at);
}

#[tokio::test]
async fn a_redelivered_batch_adds_nothing() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let (created, updated) = life(&book);
    let event = stream_event(&[
        stream_record(201, None, Some(&created)),
        stream_record(202, Some(&created), Some(&updated)),
    ]);
    assert!(failures(&deliver(app, &event).await).is_empty());
    let first = app.store.history(&book.id, 10, None).await.unwrap();
    assert!(failures(&deliver(app, &event).await).is_empty());
    // A single duplicate inside a later batch, too.
    let duplicate = stream_event(&[stream_record(202, Some(&created), Some(&updated))]);
    assert!(failures(&deliver(app, &duplicate).await).is_empty());
    let again = app.store.history(&book.id, 10, None).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(again.entries.len(), 2);
}

#[tokio::test]
async fn a_malformed_record_fails_alone() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let (created, updated) = life(&book);
    let mut malformed = stream_record(302, Some(&created), Some(&updated));
    malformed["dynamodb"]["NewImage"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    let mut no_images = stream_record(303, Some(&created), None);
    no_images["dynamodb"]
        .as_object_mut()
        .unwrap()
        .remove("OldImage");
    let event = stream_event(&[
        stream_record(301, None, Some(&created)),
        malformed,
        no_images,
        stream_record(304, Some(&updated), None),
    ]);
    let response = deliver(app, &event).await;
    assert_eq!(failures(&response), ["302", "303"]);
    let page = app.store.history(&book.id, 10, None).await.unwrap();
    let events: Vec<ChangeKind> = page.entries.iter().map(|entry| entry.event).collect();
    assert_eq!(events, [ChangeKind::Deleted, ChangeKind::Created]);
}

#[tokio::test]
async fn records_of_other_items_are_skipped() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let mut history_record = stream_record(401, None, Some(&book));
    history_record["dynamodb"]["Keys"]["sk"] = json!({"S": "HISTORY#00000000000000000001#1"});
    let response = deliver(app, &stream_event(&[history_record])).await;
    assert!(failures(&response).is_empty());
    assert!(
        app.store
            .history(&book.id, 10, None)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
}

#[tokio::test]
async fn a_full_batch_is_recorded_whole_with_failures_in_stream_order() {
    let app = app().await;
    let mut books = Vec::new();
    let mut records = Vec::new();
    // A full batch (template.yaml's BatchSize).
    for n in 0..100u64 {
        let book = seed(app, &format!("Book {n}"), "Batch Author", None).await;
        let mut record = stream_record(1_000 + n, None, Some(&book));
        if n % 40 == 7 {
            record["dynamodb"]["NewImage"]
                .as_object_mut()
                .unwrap()
                .remove("author");
        }
        records.push(record);
        books.push(book);
    }
    let response = deliver(app, &stream_event(&records)).await;
    assert_eq!(failures(&response), ["1007", "1047", "1087"]);
    for (n, book) in books.iter().enumerate() {
        let page = app.store.history(&book.id, 10, None).await.unwrap();
        let expected = usize::from(n % 40 != 7);
        assert_eq!(page.entries.len(), expected, "book {n}: {page:?}");
    }
}

#[tokio::test]
async fn each_entry_says_who_made_the_change_and_a_deletes_mark_is_no_entry() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", None).await;
    let (created, updated) = life(&book);
    // The mark a delete leaves just before removing the book: same version,
    // with who deletes it.
    let deleter = json!({"M": {"sub": {"S": "sub-bob"}, "name": {"S": "bob"}}});
    let mut mark = stream_record(402, Some(&updated), Some(&updated));
    mark["dynamodb"]["NewImage"]["deletedBy"] = deleter.clone();
    let mut removal = stream_record(403, Some(&updated), None);
    removal["dynamodb"]["OldImage"]["deletedBy"] = deleter;
    let event = stream_event(&[stream_record(401, None, Some(&created)), mark, removal]);
    assert!(failures(&deliver(app, &event).await).is_empty());
    let page = app.store.history(&book.id, 10, None).await.unwrap();
    let events: Vec<ChangeKind> = page.entries.iter().map(|entry| entry.event).collect();
    assert_eq!(
        events,
        [ChangeKind::Deleted, ChangeKind::Created],
        "no entry for the mark"
    );
    let by = |index: usize| page.entries[index].by.as_ref().map(|by| by.name.as_str());
    assert_eq!(by(0), Some("bob"), "the delete is by whoever marked it");
    assert_eq!(by(1), Some(bookshelf_testing::test_writer().name.as_str()));
}

/// A stand-in for an unreachable DynamoDB: accepts connections, counts them,
/// and closes each at once (a request sent to it fails as a dispatch failure).
async fn counting_black_hole() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (format!("http://{address}"), count)
}

#[tokio::test]
async fn an_unavailable_store_fails_the_rest_of_the_batch_without_trying_it() {
    let (endpoint, connections) = counting_black_hole().await;
    let client = bookshelf_local::client::dynamodb(&endpoint).await;
    let config = bookshelf::Config {
        table_name: "unreachable".into(),
        cursor_secret: None,
        shelf_shards: bookshelf::store::ShelfShards::ONE,
        allow_anonymous_writes: false,
    };
    let app: &'static App = Box::leak(Box::new(App::new(client, config)));
    let book = Book::create(
        bookshelf::domain::BookFields {
            title: bookshelf::domain::Title::parse("Dune").unwrap(),
            author: bookshelf::domain::Author::parse("Frank Herbert").unwrap(),
            genre: None,
        },
        "2026-11-24T12:00:00Z".into(),
    );
    let (created, updated) = life(&book);
    let event = stream_event(&[
        stream_record(401, None, Some(&created)),
        stream_record(402, Some(&created), Some(&updated)),
        stream_record(403, Some(&updated), None),
    ]);
    let response = deliver(app, &event).await;
    assert_eq!(failures(&response), ["401", "402", "403"]);
    let tried = connections.load(std::sync::atomic::Ordering::SeqCst);
    // One record's request and the SDK's retries of it: not three records' worth.
    assert!((1..=3).contains(&tried), "{tried} connections");
}
