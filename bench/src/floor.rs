//! The floor: the raw DynamoDB Local round trips a function's handler makes, timed from the
//! benchmark process with the same SDK and the same request shapes, so that each function's
//! warm latency can be read as an overhead over what DynamoDB itself costs.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use bookshelf::domain::Actor;
use bookshelf::store::{ListPosition, ListQuery, ShelfShards, book_item};
use bookshelf::{Book, BookId};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::stats::Summary;
use crate::table::{BenchTable, book_key};

/// One raw DynamoDB operation, shaped like the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Operation {
    /// `GetItem`, consistent (get-book).
    GetItem,
    /// One 25-book page of the whole shelf (list-books): a `Query` of every shelf shard
    /// on `byTitle`, k-way merged, by the store's own listing (the requests the handler
    /// makes, and no others).
    QueryPage,
    /// Conditional `PutItem` of a new book (create-book).
    PutItem,
    /// Conditional `UpdateItem` returning the new item (replace-book, patch-book).
    UpdateItem,
    /// Conditional `DeleteItem`.
    DeleteItem,
    /// The store's delete (delete-book): a conditional `UpdateItem` marking the book with
    /// who deletes it and a delete id, then a `DeleteItem` conditional on that id.
    MarkThenDelete,
    /// `Query` of one book's history, newest first (book-history).
    QueryHistory,
    /// `TransactWriteItems`: an idempotency record and a new book (create-book with an
    /// `Idempotency-Key`).
    TransactCreate,
    /// `UpdateItem` conditional on the version (replace-book with `If-Match`).
    UpdateIfMatch,
    /// `Query` of one 25-book page (+1) on `byAuthor`.
    QueryAuthor,
    /// `Query` of one 25-book page (+1) on `byAuthorGenre`.
    QueryAuthorGenre,
    /// A page deep in the shelf, every shard resumed after a position (a cursor's), by
    /// the store's own listing.
    QueryDeep,
    /// 100 conditional `PutItem`s of new history entries, one after the other
    /// (record-history with a full batch).
    PutHistory100,
}

/// The author every filtered list asks for (one of the seeded authors).
pub const AUTHOR: &str = "Ursula K. Le Guin";
/// The genre of the author + genre filter (one of the seeded genres).
pub const GENRE: &str = "Fantasy";
/// Books per list page, as the sample event asks (`limit=25`).
pub const PAGE: usize = 25;
/// Entries in a full stream batch (record-history's `BatchSize`).
pub const FULL_BATCH: usize = 100;

impl Operation {
    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            Operation::GetItem => "GetItem",
            Operation::QueryPage => "Query × every shelf shard, merged (page of 25)",
            Operation::PutItem => "PutItem",
            Operation::UpdateItem => "UpdateItem",
            Operation::DeleteItem => "DeleteItem",
            Operation::MarkThenDelete => "UpdateItem (mark) + DeleteItem (on the mark)",
            Operation::QueryHistory => "Query (history)",
            Operation::TransactCreate => "TransactWriteItems (record + book)",
            Operation::UpdateIfMatch => "UpdateItem (version condition)",
            Operation::QueryAuthor => "Query (byAuthor page)",
            Operation::QueryAuthorGenre => "Query (byAuthorGenre page)",
            Operation::QueryDeep => "Query × every shelf shard, after a position (deep page)",
            Operation::PutHistory100 => "100 × PutItem (history)",
        }
    }
}

/// What the floor operations act on.
pub struct Targets<'a> {
    /// A book that exists (read and updated).
    pub book: &'a BookId,
    /// The book whose history exists.
    pub history_book: &'a str,
    /// Books that exist and may be deleted, one per sample.
    pub deletable: &'a [BookId],
    /// A book only the `If-Match` floor updates, and the version it is at.
    pub versioned: &'a BookId,
    /// Its version (the floor's conditional update follows it).
    pub version: &'a std::sync::atomic::AtomicU64,
    /// Where the deep page starts: the position the page before it ended at.
    pub deep_after: &'a ListPosition,
}

/// The raw requests of one function's handler, timed together right after each of its warm
/// invocations: paired samples, so that DynamoDB Local speeding up or slowing down (JIT,
/// garbage collection, the machine's other work) moves the function and its floor alike.
pub struct Paired<'a> {
    table: &'a BenchTable,
    operations: Vec<Operation>,
    targets: &'a Targets<'a>,
    /// Where this pairing's deletes start in `targets.deletable` (the unpaired
    /// [`measure`] of `DeleteItem` uses the first ones).
    first_delete: usize,
}

impl<'a> Paired<'a> {
    /// The floor of a handler that makes `operations`; `None` if it makes none.
    pub fn new(
        table: &'a BenchTable,
        operations: Vec<Operation>,
        targets: &'a Targets<'a>,
        first_delete: usize,
    ) -> Option<Paired<'a>> {
        (!operations.is_empty()).then_some(Paired {
            table,
            operations,
            targets,
            first_delete,
        })
    }

    /// Times sample `n`: every operation once, one after the other.
    ///
    /// # Errors
    /// When a request fails.
    pub async fn time(&self, n: usize) -> Result<Duration, Error> {
        let mut total = Duration::ZERO;
        for operation in &self.operations {
            total += once(self.table, *operation, self.targets, self.first_delete + n).await?;
        }
        Ok(total)
    }
}

/// Runs `rounds` of every operation but deletes (puts of non-book items), untimed: DynamoDB Local is a JVM, and
/// its first thousands of requests run slower while the JIT compiles them.
///
/// # Errors
/// When a request fails.
pub async fn warm_up(
    table: &BenchTable,
    targets: &Targets<'_>,
    rounds: usize,
) -> Result<(), Error> {
    for n in 0..rounds {
        for operation in [
            Operation::GetItem,
            Operation::QueryPage,
            Operation::UpdateItem,
            Operation::QueryHistory,
        ] {
            once(table, operation, targets, n).await?;
        }
        // Not a book (no index keys), so the table still holds exactly the seeded books.
        table
            .client
            .put_item()
            .table_name(&table.name)
            .item("pk", AttributeValue::S(format!("WARMUP#{n}")))
            .item("sk", AttributeValue::S("WARMUP".into()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
    }
    Ok(())
}

/// Untimed round trips before the timed ones of [`measure`].
pub const WARMUP: usize = 20;

/// Times `samples` round trips of `operation` (after [`WARMUP`] untimed ones).
///
/// # Errors
/// When a request fails.
pub async fn measure(
    table: &BenchTable,
    operation: Operation,
    targets: &Targets<'_>,
    samples: usize,
) -> Result<Summary, Error> {
    let warmup = WARMUP;
    let mut times = Vec::with_capacity(samples);
    for n in 0..warmup + samples {
        let elapsed = once(table, operation, targets, n).await?;
        if n >= warmup {
            times.push(elapsed);
        }
    }
    Ok(Summary::of(&times))
}

async fn once(
    table: &BenchTable,
    operation: Operation,
    targets: &Targets<'_>,
    n: usize,
) -> Result<Duration, Error> {
    let client = &table.client;
    let name = table.name.as_str();
    let started = Instant::now();
    match operation {
        Operation::GetItem => {
            client
                .get_item()
                .table_name(name)
                .set_key(Some(book_key(targets.book)))
                .consistent_read(true)
                .send()
                .await?;
        }
        Operation::QueryPage | Operation::QueryDeep => {
            let store = table.store();
            let query = ListQuery {
                author: None,
                genre: None,
                title_prefix: None,
                limit: PAGE,
                after: (operation == Operation::QueryDeep).then(|| targets.deep_after.clone()),
            };
            let started = Instant::now();
            store.list(&query).await?;
            return Ok(started.elapsed());
        }
        Operation::PutItem => {
            let item = floor_book(n, table.shelf)?;
            let started = Instant::now();
            client
                .put_item()
                .table_name(name)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await?;
            return Ok(started.elapsed());
        }
        Operation::UpdateItem => {
            client
                .update_item()
                .table_name(name)
                .set_key(Some(book_key(targets.book)))
                .update_expression(
                    "SET #version = #version + :one, #updatedAt = :now, #genre = :genre",
                )
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#version", "version")
                .expression_attribute_names("#updatedAt", "updatedAt")
                .expression_attribute_names("#genre", "genre")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(
                    ":now",
                    AttributeValue::S("2026-01-01T00:00:00Z".into()),
                )
                .expression_attribute_values(":genre", AttributeValue::S(format!("Genre {n}")))
                .return_values(ReturnValue::AllNew)
                .send()
                .await?;
        }
        Operation::MarkThenDelete => {
            let id = targets
                .deletable
                .get(n)
                .ok_or("not enough deletable books seeded for the floor")?;
            let delete_id = AttributeValue::S(uuid::Uuid::now_v7().to_string());
            client
                .update_item()
                .table_name(name)
                .set_key(Some(book_key(id)))
                .update_expression("SET #deletedBy = :by, #deleteId = :deleteId")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#deletedBy", "deletedBy")
                .expression_attribute_names("#deleteId", "deleteId")
                .expression_attribute_values(":by", AttributeValue::S("anonymous".into()))
                .expression_attribute_values(":deleteId", delete_id.clone())
                .send()
                .await?;
            client
                .delete_item()
                .table_name(name)
                .set_key(Some(book_key(id)))
                .condition_expression("attribute_exists(pk) AND #deleteId = :deleteId")
                .expression_attribute_names("#deleteId", "deleteId")
                .expression_attribute_values(":deleteId", delete_id)
                .send()
                .await?;
        }
        Operation::DeleteItem => {
            let id = targets
                .deletable
                .get(n)
                .ok_or("not enough deletable books seeded for the floor")?;
            client
                .delete_item()
                .table_name(name)
                .set_key(Some(book_key(id)))
                .condition_expression("attribute_exists(pk)")
                .send()
                .await?;
        }
        Operation::QueryHistory => {
            client
                .query()
                .table_name(name)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(format!("BOOK#{}", targets.history_book)),
                )
                .expression_attribute_values(":prefix", AttributeValue::S("HISTORY#".into()))
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(21)
                .send()
                .await?;
        }
        Operation::TransactCreate => {
            let book = floor_book(n, table.shelf)?;
            // The record holds the book as a map, outside every index, as the store's.
            let record = HashMap::from([
                (
                    "pk".to_owned(),
                    AttributeValue::S(format!("IDEMPOTENCY#floor-{}", uuid::Uuid::new_v4())),
                ),
                ("sk".to_owned(), AttributeValue::S("IDEMPOTENCY".into())),
                ("kind".to_owned(), AttributeValue::S("idempotency".into())),
                (
                    "expiresAt".to_owned(),
                    AttributeValue::N("4102444800".into()),
                ),
                ("book".to_owned(), AttributeValue::M(book.clone())),
            ]);
            let put = |item, condition: &str| {
                Put::builder()
                    .table_name(name)
                    .set_item(Some(item))
                    .condition_expression(condition)
                    .build()
            };
            let started = Instant::now();
            client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .put(
                            Put::builder()
                                .table_name(name)
                                .set_item(Some(record))
                                .condition_expression(
                                    "attribute_not_exists(pk) OR expiresAt < :now",
                                )
                                .expression_attribute_values(
                                    ":now",
                                    AttributeValue::N("1767225600".into()),
                                )
                                .build()?,
                        )
                        .build(),
                )
                .transact_items(
                    TransactWriteItem::builder()
                        .put(put(book, "attribute_not_exists(pk)")?)
                        .build(),
                )
                .send()
                .await?;
            return Ok(started.elapsed());
        }
        Operation::UpdateIfMatch => {
            let version = targets.version.load(Ordering::SeqCst);
            client
                .update_item()
                .table_name(name)
                .set_key(Some(book_key(targets.versioned)))
                .update_expression(
                    "SET #version = :next, #updatedAt = :now, #title = :title, #author = :author, #genre = :genre",
                )
                .condition_expression("attribute_exists(pk) AND #version = :version")
                .expression_attribute_names("#version", "version")
                .expression_attribute_names("#updatedAt", "updatedAt")
                .expression_attribute_names("#title", "title")
                .expression_attribute_names("#author", "author")
                .expression_attribute_names("#genre", "genre")
                .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
                .expression_attribute_values(":next", AttributeValue::N((version + 1).to_string()))
                .expression_attribute_values(":now", AttributeValue::S("2026-01-01T00:00:00Z".into()))
                .expression_attribute_values(":title", AttributeValue::S(format!("Floor title {n}")))
                .expression_attribute_values(":author", AttributeValue::S("Benchmark".into()))
                .expression_attribute_values(":genre", AttributeValue::S("Benchmark".into()))
                .return_values(ReturnValue::AllNew)
                .send()
                .await?;
            targets.version.store(version + 1, Ordering::SeqCst);
        }
        Operation::QueryAuthor | Operation::QueryAuthorGenre => {
            let (index, attribute, value) = if operation == Operation::QueryAuthor {
                ("byAuthor", "author", AUTHOR.to_owned())
            } else {
                // As the store keys it: author, U+0001, genre.
                (
                    "byAuthorGenre",
                    "authorGenre",
                    format!("{AUTHOR}\u{1}{GENRE}"),
                )
            };
            client
                .query()
                .table_name(name)
                .index_name(index)
                .key_condition_expression("#partition = :partition")
                .expression_attribute_names("#partition", attribute)
                .expression_attribute_values(":partition", AttributeValue::S(value))
                .limit(26)
                .send()
                .await?;
        }
        Operation::PutHistory100 => {
            let mut items = Vec::with_capacity(FULL_BATCH);
            for _ in 0..FULL_BATCH {
                // A history entry: the book as a map, outside every index, as the store's.
                let item = HashMap::from([
                    (
                        "pk".to_owned(),
                        AttributeValue::S(format!("BOOK#{}", BookId::generate())),
                    ),
                    (
                        "sk".to_owned(),
                        AttributeValue::S(format!(
                            "HISTORY#2026-01-01T00:00:00Z#{}",
                            uuid::Uuid::new_v4()
                        )),
                    ),
                    ("kind".to_owned(), AttributeValue::S("history".into())),
                    (
                        "book".to_owned(),
                        AttributeValue::M(floor_book(n, table.shelf)?),
                    ),
                ]);
                items.push(item);
            }
            let started = Instant::now();
            for item in items {
                client
                    .put_item()
                    .table_name(name)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await?;
            }
            return Ok(started.elapsed());
        }
    }
    Ok(started.elapsed())
}

/// A new book's item, as the store writes it on a shelf of `shelf` shards (not timed:
/// made before the clock starts).
fn floor_book(n: usize, shelf: ShelfShards) -> Result<HashMap<String, AttributeValue>, Error> {
    let now = "2026-01-01T00:00:00Z".to_owned();
    let book = Book {
        id: BookId::generate(),
        title: format!("Floor book {n}"),
        author: "Benchmark".into(),
        genre: Some("Benchmark".into()),
        version: 1,
        created_at: now.clone(),
        updated_at: now,
    };
    Ok(book_item(&book, &Actor::anonymous(), shelf)?)
}
