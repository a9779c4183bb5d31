//! DynamoDB access: items, keys, conditional writes, and the one place SDK errors
//! are classified.
//!
//! Every write is a single conditional request, so concurrent writers cannot lose
//! an update: the condition carries the version the client named, and the version
//! is incremented by DynamoDB itself (`SET version = version + 1`).

mod error;
mod expression;
mod history;
mod import;
mod item;
mod list;
mod maintenance;
mod shelf;
mod writes;

pub use error::{StoreError, classify};
pub use expression::Expression;
pub use history::HistoryPage;
pub use import::{IMPORT_BATCH, ImportBatch};
pub use item::{StoredBook, book_from_item, stored_book_from_item, to_item as book_item};
pub use item::{title_key, title_key_prefix};
pub use list::{ListPosition, ListQuery, Page, PageCost};
pub use maintenance::{RekeyPage, ScanPosition};
pub use shelf::{InvalidShardCount, ShelfShards};
pub use writes::{CreateOutcome, Updated, VersionCheck};

use std::sync::OnceLock;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;

/// The books table: every read and write of books goes through here.
#[derive(Debug, Clone)]
pub struct BookStore {
    client: Client,
    /// `client` without retries, for requests a retry could misreport; built on first use.
    single_attempt: OnceLock<Client>,
    table: String,
    /// How many shard keys the shelf (`byTitle`) spreads books over.
    shelf: ShelfShards,
}

impl BookStore {
    /// A store over `table` whose shelf has `shelf` shards, using a client
    /// built once per cold start.
    pub fn new(client: Client, table: impl Into<String>, shelf: ShelfShards) -> Self {
        Self {
            client,
            single_attempt: OnceLock::new(),
            table: table.into(),
            shelf,
        }
    }

    /// The client with the same settings and connection pool, making one attempt per
    /// request: built once (a per-request config override would rebuild the SDK's
    /// runtime components on every call, about 0.2 ms of a warm delete).
    fn single_attempt_client(&self) -> &Client {
        self.single_attempt.get_or_init(|| {
            let config = self
                .client
                .config()
                .to_builder()
                .retry_config(RetryConfig::disabled())
                .build();
            Client::from_conf(config)
        })
    }

    /// How many shard keys the shelf spreads books over.
    pub fn shelf(&self) -> ShelfShards {
        self.shelf
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}
