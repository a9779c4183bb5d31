//! The benchmark's table in DynamoDB Local: created exactly as `template.yaml` declares
//! `BooksTable`, then filled with books through `BatchWriteItem` (items made by the
//! project's own item mapping, so functions read them as their own).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use bookshelf::domain::Actor;
use bookshelf::store::{BookStore, ShelfShards, book_item};
use bookshelf::{Book, BookId};
use bookshelf_local::tables;
use bookshelf_local::template::Template;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Error;

/// The template's logical id of the books table.
pub const LOGICAL_ID: &str = "BooksTable";
/// Items per `BatchWriteItem` (DynamoDB's limit).
const BATCH: usize = 25;
/// Batches in flight while seeding.
const IN_FLIGHT: usize = 4;

const WORDS: &[&str] = &[
    "Silent", "Northern", "Glass", "Paper", "Winter", "Hidden", "Last", "Amber", "Iron", "Salt",
    "Distant", "Quiet", "Burning", "Broken", "Golden", "Lost", "River", "Stone",
];
const NOUNS: &[&str] = &[
    "Garden", "Harbour", "Library", "Orchard", "Lantern", "Bridge", "Archive", "Season", "Mirror",
    "Country", "Engine", "Atlas", "Shelf", "Tide", "Forest", "Letter",
];
const AUTHORS: &[&str] = &[
    "Ursula K. Le Guin",
    "Octavia E. Butler",
    "Italo Calvino",
    "Jorge Luis Borges",
    "Toni Morrison",
    "Stanisław Lem",
    "Chimamanda Ngozi Adichie",
    "Kazuo Ishiguro",
];
const GENRES: &[&str] = &[
    "Science fiction",
    "Fantasy",
    "Literary fiction",
    "History",
    "Poetry",
];

/// The books table of one benchmark run.
#[derive(Debug, Clone)]
pub struct BenchTable {
    /// A client for the DynamoDB Local that holds it.
    pub client: Client,
    /// Its name.
    pub name: String,
    /// The shelf's shard count the functions run with (the template's
    /// `ShelfShards` default), so seeded books sit where they list them.
    pub shelf: ShelfShards,
}

impl BenchTable {
    /// The project's own store over this table, for the floors whose requests are the
    /// store's merge of every shelf shard (made per call: a client clone and a name).
    pub fn store(&self) -> BookStore {
        BookStore::new(self.client.clone(), self.name.clone(), self.shelf)
    }

    /// Creates `BooksTable` of `template.yaml` (under `root`) as `name` at `endpoint`.
    ///
    /// # Errors
    /// When the template cannot be read or DynamoDB Local refuses the table.
    pub async fn create(root: &Path, endpoint: &str, name: &str) -> Result<BenchTable, Error> {
        let template = Template::load(&root.join("template.yaml"))?;
        let table = template
            .table(LOGICAL_ID)
            .ok_or("template.yaml declares no BooksTable")?;
        let shelf = template
            .parameters
            .get("ShelfShards")
            .cloned()
            .flatten()
            .ok_or("template.yaml gives ShelfShards no default")?;
        let shelf = ShelfShards::parse(&shelf)?;
        let client = bookshelf_local::client::dynamodb(endpoint).await;
        tables::create_table(&client, table, name).await?;
        Ok(BenchTable {
            client,
            name: name.to_owned(),
            shelf,
        })
    }

    /// Writes `count` new books (titles, authors and genres spread like a real shelf's)
    /// and returns their ids, in the order written.
    ///
    /// # Errors
    /// When a batch fails.
    pub async fn seed(&self, count: usize, start: usize) -> Result<Vec<BookId>, Error> {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)?;
        let books: Vec<Book> = (start..start + count).map(|n| book(n, &now)).collect();
        let ids = books.iter().map(|b| b.id.clone()).collect();
        let permits = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut tasks = JoinSet::new();
        let shelf = self.shelf;
        for chunk in books.chunks(BATCH) {
            let requests = chunk
                .iter()
                .map(|b| {
                    let item = book_item(b, &Actor::anonymous(), shelf)?;
                    Ok(WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                        .build())
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let permit = permits.clone().acquire_owned().await?;
            let client = self.client.clone();
            let table = self.name.clone();
            tasks.spawn(async move {
                let result = write_batch(&client, &table, requests).await;
                drop(permit);
                result
            });
            while let Some(done) = tasks.try_join_next() {
                done??;
            }
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        Ok(ids)
    }
}

/// Writes one batch, resubmitting unprocessed items until none are left.
async fn write_batch(
    client: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
) -> Result<(), Error> {
    let mut pending = HashMap::from([(table.to_owned(), requests)]);
    while !pending.values().all(Vec::is_empty) {
        let output = client
            .batch_write_item()
            .set_request_items(Some(pending))
            .send()
            .await?;
        pending = output.unprocessed_items.unwrap_or_default();
    }
    Ok(())
}

/// Book number `n` of the shelf.
fn book(n: usize, now: &str) -> Book {
    // A multiplicative hash spreads titles over the alphabet, so new books land all over
    // the index rather than at its end.
    let h = n.wrapping_mul(2_654_435_761) % 1_000_003;
    Book {
        id: BookId::generate(),
        title: format!(
            "{} {} {n}",
            WORDS[h % WORDS.len()],
            NOUNS[(h / 7) % NOUNS.len()]
        ),
        author: AUTHORS[(h / 3) % AUTHORS.len()].to_owned(),
        genre: (!n.is_multiple_of(6)).then(|| GENRES[(h / 11) % GENRES.len()].to_owned()),
        version: 1,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
    }
}

/// The primary key of the book `id`, as the store writes it.
pub fn book_key(id: &BookId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("BOOK#{id}"))),
        ("sk".to_owned(), AttributeValue::S("BOOK".to_owned())),
    ])
}
