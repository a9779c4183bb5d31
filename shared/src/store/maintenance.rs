//! Migrations of stored books: a pass over every book item that rewrites the
//! index keys derived from its fields when the way they are derived has
//! changed: its `titleKey` ([`super::title_key`]) and its shelf shard
//! ([`super::ShelfShards::key_of`], after the shard count changed). Only the `bookshelf-admin migrate` command runs it;
//! no request does.
//!
//! A migration reads the table with a (parallel) Scan: it must visit every
//! book, which is what a Scan is for; the API itself never scans. Each book
//! whose keys are out of date gets one conditional update that holds only if
//! the book still has the title and keys that were read, so a book written
//! meanwhile (by functions that already derive the new keys) is left as its
//! writer left it. The version does not change (no client-visible change, no
//! history entry: the history function skips same-version images), and a run
//! can be repeated or resumed at will: books already up to date are only read.

use super::item::{BOOK_KIND, PK, SHELF, TITLE, TITLE_KEY, book_pk, title_key};
use super::{BookStore, StoreError, classify};
use crate::domain::BookId;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// Items one Scan request examines at most (its page also stops at 1 MB).
const SCAN_PAGE_ITEMS: i32 = 1_000;

/// Where a segment's scan stopped: pass it back to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanPosition(HashMap<String, AttributeValue>);

/// What one page of a migration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RekeyPage {
    /// Book items read.
    pub examined: u64,
    /// Books whose keys were rewritten.
    pub rekeyed: u64,
    /// Books changed or deleted between the read and the rewrite: their writer
    /// already wrote current keys (or there is nothing left to key).
    pub raced: u64,
    /// Where the segment continues; `None` when it is done.
    pub next: Option<ScanPosition>,
}

/// A book's fields a migration reads.
struct Keyed {
    id: BookId,
    title: String,
    title_key: Option<String>,
    shelf: Option<String>,
}

impl Keyed {
    fn from_item(item: &HashMap<String, AttributeValue>) -> Result<Self, StoreError> {
        let text = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
        let id = text("id")
            .and_then(|id| BookId::parse(&id))
            .ok_or_else(|| StoreError::Internal(format!("book item without an id: {item:?}")))?;
        let title =
            text(TITLE).ok_or_else(|| StoreError::Internal(format!("book {id} has no title")))?;
        Ok(Self {
            title_key: text(TITLE_KEY),
            shelf: text(SHELF),
            id,
            title,
        })
    }
}

/// The keys a book should have.
struct Keys {
    title_key: String,
    shelf: String,
}

impl BookStore {
    /// Brings the index keys of the books in one page of scan segment
    /// `segment` (of `segments`) up to date, starting at `start` (`None`: the
    /// segment's beginning).
    ///
    /// # Errors
    /// [`StoreError`] when a Scan or an update fails other than by its
    /// condition (a condition that fails counts as [`RekeyPage::raced`]).
    #[tracing::instrument(skip(self, start))]
    pub async fn rekey_books(
        &self,
        segment: i32,
        segments: i32,
        start: Option<ScanPosition>,
    ) -> Result<RekeyPage, StoreError> {
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .segment(segment)
            .total_segments(segments)
            .limit(SCAN_PAGE_ITEMS)
            .filter_expression("#kind = :book")
            .projection_expression("#id, #title, #titleKey, #shelf")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#title", TITLE)
            .expression_attribute_names("#titleKey", TITLE_KEY)
            .expression_attribute_names("#shelf", SHELF)
            .expression_attribute_values(":book", AttributeValue::S(BOOK_KIND.to_owned()))
            .set_exclusive_start_key(start.map(|position| position.0))
            .send()
            .await
            .map_err(classify)?;
        let mut page = RekeyPage {
            next: output.last_evaluated_key.map(ScanPosition),
            ..RekeyPage::default()
        };
        for item in output.items.unwrap_or_default() {
            let book = Keyed::from_item(&item)?;
            page.examined += 1;
            let wanted = Keys {
                title_key: title_key(&book.title, &book.id),
                shelf: self.shelf.key_of(&book.id),
            };
            if book.title_key.as_deref() == Some(wanted.title_key.as_str())
                && book.shelf.as_deref() == Some(wanted.shelf.as_str())
            {
                continue;
            }
            if self.rekey(&book, wanted).await? {
                page.rekeyed += 1;
            } else {
                page.raced += 1;
            }
        }
        Ok(page)
    }

    /// Rewrites one book's keys, on condition that its title and keys are
    /// still those read; `false` when they are not (or the book is gone).
    async fn rekey(&self, book: &Keyed, wanted: Keys) -> Result<bool, StoreError> {
        let mut condition = "attribute_exists(#pk) AND #title = :title".to_owned();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(book_pk(&book.id)))
            .key(
                super::item::SK,
                AttributeValue::S(super::item::BOOK_SK.to_owned()),
            )
            .update_expression("SET #titleKey = :titleKey, #shelf = :shelf")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#title", TITLE)
            .expression_attribute_names("#titleKey", TITLE_KEY)
            .expression_attribute_names("#shelf", SHELF)
            .expression_attribute_values(":title", AttributeValue::S(book.title.clone()))
            .expression_attribute_values(":titleKey", AttributeValue::S(wanted.title_key))
            .expression_attribute_values(":shelf", AttributeValue::S(wanted.shelf));
        for (name, placeholder, read) in [
            ("#titleKey", ":oldTitleKey", &book.title_key),
            ("#shelf", ":oldShelf", &book.shelf),
        ] {
            match read {
                Some(old) => {
                    condition.push_str(&format!(" AND {name} = {placeholder}"));
                    request = request
                        .expression_attribute_values(placeholder, AttributeValue::S(old.clone()));
                }
                None => condition.push_str(&format!(" AND attribute_not_exists({name})")),
            }
        }
        match request.condition_expression(condition).send().await {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(classify(error)),
            },
        }
    }
}
