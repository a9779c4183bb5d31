//! The bulk import's writes: books stored 25 at a time (`BatchWriteItem`),
//! never over a book that exists, and a record of which parts of an import
//! are done. Only `bookshelf-admin import` uses it; no request does.
//!
//! An import is idempotent by construction: its books' ids are derived from
//! the import and the book's place in it (the caller's job), and a batch
//! first reads which of its books exist (`BatchGetItem`, consistent) and
//! writes only the others. A re-run after a failure therefore writes exactly
//! the books the first run did not, and overwrites none (not even one a
//! client changed since). Each chunk of an import, once fully written, is
//! recorded, so a re-run skips it without reading its books again.

use super::item::{PK, SK, book_key, to_item};
use super::{BookStore, StoreError, classify};
use crate::domain::{Actor, Book, BookId};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Books per `BatchWriteItem` (DynamoDB's limit).
pub const IMPORT_BATCH: usize = 25;
/// Attempts at a batch whose items DynamoDB left unprocessed (throttling).
const BATCH_ATTEMPTS: u32 = 8;
/// The sort key of an import's record and of its chunks' records.
const IMPORT_SK: &str = "IMPORT";
/// An import record's start time, epoch milliseconds.
const STARTED_AT: &str = "startedAtMillis";

/// What one batch of an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportBatch {
    /// Books stored now.
    pub written: u64,
    /// Books that already existed (an earlier run's), left as they are.
    pub existing: u64,
}

impl BookStore {
    /// The start time (epoch milliseconds) recorded for the import `import`,
    /// recording `now` if this is its first run: every run of one import
    /// dates (and derives the ids of) its books from the same instant.
    ///
    /// # Errors
    /// [`StoreError`] when DynamoDB fails.
    pub async fn import_started_at(&self, import: &str, now: i64) -> Result<i64, StoreError> {
        let key = import_key(import, IMPORT_SK);
        let mut item = key.clone();
        item.insert("kind".to_owned(), AttributeValue::S("import".to_owned()));
        item.insert(STARTED_AT.to_owned(), AttributeValue::N(now.to_string()));
        item.insert(
            "startedAt".to_owned(),
            AttributeValue::S(crate::domain::clock::rfc3339_from_epoch_millis(now)),
        );
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if put.is_ok() {
            return Ok(now);
        }
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output
            .item
            .and_then(|item| item.get(STARTED_AT)?.as_n().ok()?.parse().ok())
            .ok_or_else(|| match put {
                Err(error) => classify(error),
                Ok(_) => StoreError::Internal(format!("import {import} has no record")),
            })
    }

    /// Whether chunk `chunk` of the import `import` was fully written.
    ///
    /// # Errors
    /// [`StoreError`] when DynamoDB fails.
    pub async fn import_chunk_done(&self, import: &str, chunk: u64) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(import_key(import, &chunk_sk(chunk))))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item.is_some())
    }

    /// Records that chunk `chunk` of the import `import` is fully written.
    ///
    /// # Errors
    /// [`StoreError`] when DynamoDB fails.
    pub async fn mark_import_chunk(
        &self,
        import: &str,
        chunk: u64,
        books: u64,
    ) -> Result<(), StoreError> {
        let mut item = import_key(import, &chunk_sk(chunk));
        item.insert("kind".to_owned(), AttributeValue::S("import".to_owned()));
        item.insert("books".to_owned(), AttributeValue::N(books.to_string()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Stores those of `books` (at most [`IMPORT_BATCH`], distinct ids) that
    /// do not exist yet, written by `by`.
    ///
    /// # Errors
    /// [`StoreError`] when DynamoDB fails, or keeps leaving items unprocessed.
    pub async fn import_batch(
        &self,
        books: &[Book],
        by: &Actor,
    ) -> Result<ImportBatch, StoreError> {
        if books.len() > IMPORT_BATCH {
            return Err(StoreError::Internal(format!(
                "an import batch holds at most {IMPORT_BATCH} books, got {}",
                books.len()
            )));
        }
        let existing = self.existing(books.iter().map(|book| &book.id)).await?;
        let mut requests = Vec::new();
        for book in books.iter().filter(|book| !existing.contains(&book.id)) {
            let put = PutRequest::builder()
                .set_item(Some(to_item(book, by, self.shelf)?))
                .build()
                .map_err(|error| StoreError::Internal(error.to_string()))?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        let written = requests.len() as u64;
        let mut attempt = 0;
        while !requests.is_empty() {
            attempt += 1;
            if attempt > BATCH_ATTEMPTS {
                return Err(StoreError::Unavailable(format!(
                    "{} books stayed unprocessed after {BATCH_ATTEMPTS} attempts",
                    requests.len()
                )));
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(classify)?;
            requests = output
                .unprocessed_items
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .unwrap_or_default();
            if !requests.is_empty() {
                backoff(attempt).await;
            }
        }
        Ok(ImportBatch {
            written,
            existing: existing.len() as u64,
        })
    }

    /// Which of `ids` are stored books, read consistently.
    async fn existing(
        &self,
        ids: impl Iterator<Item = &BookId>,
    ) -> Result<HashSet<BookId>, StoreError> {
        let mut keys: Vec<HashMap<String, AttributeValue>> = ids.map(book_key).collect();
        let mut found = HashSet::new();
        let mut attempt = 0;
        while !keys.is_empty() {
            attempt += 1;
            if attempt > BATCH_ATTEMPTS {
                return Err(StoreError::Unavailable(
                    "an import's existence check stayed unprocessed".into(),
                ));
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .projection_expression("#id")
                .expression_attribute_names("#id", "id")
                .build()
                .map_err(|error| StoreError::Internal(error.to_string()))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(classify)?;
            for item in output
                .responses
                .and_then(|mut responses| responses.remove(&self.table))
                .unwrap_or_default()
            {
                if let Some(id) = item
                    .get("id")
                    .and_then(|id| id.as_s().ok())
                    .and_then(|id| BookId::parse(id))
                {
                    found.insert(id);
                }
            }
            keys = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .map(|unprocessed| unprocessed.keys)
                .unwrap_or_default();
            if !keys.is_empty() {
                backoff(attempt).await;
            }
        }
        Ok(found)
    }
}

/// The key of an import's record (`sk` = `IMPORT`) or of one of its chunks'.
fn import_key(import: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(format!("IMPORT#{import}"))),
        (SK.to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

fn chunk_sk(chunk: u64) -> String {
    format!("{IMPORT_SK}#CHUNK#{chunk:010}")
}

/// Exponential backoff with a ceiling, as DynamoDB asks for unprocessed items.
async fn backoff(attempt: u32) {
    let millis = 25_u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

#[cfg(test)]
mod tests {
    use super::super::item::BOOK_SK;
    use super::*;

    #[test]
    fn import_records_never_collide_with_books() {
        let record = import_key("abc", IMPORT_SK);
        assert_eq!(record[PK], AttributeValue::S("IMPORT#abc".into()));
        assert_ne!(record[SK], AttributeValue::S(BOOK_SK.into()));
        assert_eq!(chunk_sk(7), "IMPORT#CHUNK#0000000007");
    }
}
