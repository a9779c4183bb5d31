//! History entries in the books table: `pk BOOK#<id>`, `sk HISTORY#<version>#<rank>`
//! beside the book item itself, so one Query reads a book's history newest
//! first, and it outlives the book.

use super::item::{PK, SK, book_pk};
use super::{BookStore, StoreError, classify};
use crate::domain::BookId;
use crate::domain::history::{ChangeKind, HistoryEntry};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What every history entry's sort key starts with.
const HISTORY_SK_PREFIX: &str = "HISTORY#";

/// A history entry exactly as stored.
#[derive(Debug, Serialize, Deserialize)]
struct HistoryItem {
    pk: String,
    sk: String,
    kind: String,
    entry: HistoryEntry,
}

/// The sort key of an entry: zero-padded so entries sort by version, and a
/// delete (which shares the last version) after the write that made it.
fn history_sk(entry: &HistoryEntry) -> String {
    let rank = match entry.event {
        ChangeKind::Created | ChangeKind::Updated => 1,
        ChangeKind::Deleted => 2,
    };
    format!("{HISTORY_SK_PREFIX}{:020}#{rank}", entry.version)
}

/// One page of a book's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The entries of this page.
    pub entries: Vec<HistoryEntry>,
    /// The sort key to resume after, if there may be more.
    pub next: Option<String>,
}

impl BookStore {
    /// Stores `entry` for the book `id` unless it is already stored: the
    /// stream delivers records at least once, and a redelivery must not
    /// duplicate or rewrite an entry. Returns whether it was new.
    #[tracing::instrument(skip(self, entry), fields(book_id = %id, version = entry.version))]
    pub async fn record_history(
        &self,
        id: &BookId,
        entry: &HistoryEntry,
    ) -> Result<bool, StoreError> {
        let item = HistoryItem {
            pk: book_pk(id),
            sk: history_sk(entry),
            kind: "history".to_owned(),
            entry: entry.clone(),
        };
        let item = serde_dynamo::to_item(item)
            .map_err(|error| StoreError::Internal(format!("cannot serialise an entry: {error}")))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(classify(error)),
        }
    }

    /// Up to `limit` history entries of the book `id`, newest first, starting
    /// after the entry with sort key `after`.
    #[tracing::instrument(skip(self), fields(book_id = %id))]
    pub async fn history(
        &self,
        id: &BookId,
        limit: usize,
        after: Option<String>,
    ) -> Result<HistoryPage, StoreError> {
        let pk = book_pk(id);
        let start = after.map(|sk| {
            HashMap::from([
                (PK.to_owned(), AttributeValue::S(pk.clone())),
                (SK.to_owned(), AttributeValue::S(sk)),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":prefix", AttributeValue::S(HISTORY_SK_PREFIX.to_owned()))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item::<_, HistoryItem>(item)
                    .map_err(|error| StoreError::Internal(format!("not a history item: {error}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|item| item.sk.clone())
        } else {
            None
        };
        Ok(HistoryPage {
            entries: items.into_iter().map(|item| item.entry).collect(),
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::HistoryEntry;

    fn entry(version: u64, event: ChangeKind) -> HistoryEntry {
        HistoryEntry {
            version,
            event,
            at: String::new(),
            book: None,
            changes: Default::default(),
            by: None,
        }
    }

    #[test]
    fn sort_keys_order_entries_by_version_then_delete_last() {
        let mut keys = vec![
            history_sk(&entry(10, ChangeKind::Updated)),
            history_sk(&entry(10, ChangeKind::Deleted)),
            history_sk(&entry(2, ChangeKind::Updated)),
            history_sk(&entry(1, ChangeKind::Created)),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                history_sk(&entry(1, ChangeKind::Created)),
                history_sk(&entry(2, ChangeKind::Updated)),
                history_sk(&entry(10, ChangeKind::Updated)),
                history_sk(&entry(10, ChangeKind::Deleted)),
            ]
        );
    }
}
