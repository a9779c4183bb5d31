//! Reading one book, and the three writes: create (optionally idempotent),
//! update, delete — each a single conditional request.

use super::expression::Expression;
use super::item::{
    self, AUTHOR, GENRE, PK, TITLE, TITLE_KEY, UPDATED_AT, VERSION, book_from_item, book_key,
    title_key, to_item,
};
use super::{BookStore, StoreError, classify};
use crate::domain::{Book, BookChanges, BookId};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_WINDOW_SECONDS: i64 = 24 * 60 * 60;
/// Attempts at an idempotent create when DynamoDB reports a conflicting
/// transaction (a concurrent request with the same key).
const IDEMPOTENT_CREATE_ATTEMPTS: u32 = 4;
/// The attribute holding the id of the last update call, so that a retried
/// call recognises its own earlier attempt.
const WRITE_ID: &str = "writeId";
/// DynamoDB's limit on the operands of `IN` in a condition expression.
const MAX_IN_OPERANDS: usize = 100;

/// What a create did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The book was stored now.
    Created(Book),
    /// The idempotency key was seen before with the same fields: this is the book
    /// that request created, and nothing was stored now.
    Replayed(Book),
}

/// An idempotency record: the book a keyed create made, kept for 24 hours.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdempotencyItem {
    pk: String,
    sk: String,
    kind: String,
    /// Epoch seconds; the table's TTL attribute.
    expires_at: i64,
    book: Book,
}

impl IdempotencyItem {
    const SK: &'static str = "IDEMPOTENCY";

    fn pk(key: &str) -> String {
        format!("IDEMPOTENCY#{key}")
    }

    fn key(key: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(Self::pk(key))),
            (item::SK.to_owned(), AttributeValue::S(Self::SK.to_owned())),
        ])
    }
}

impl BookStore {
    /// The book `id`, read consistently (a client reads its own writes).
    #[tracing::instrument(skip(self), fields(book_id = %id))]
    pub async fn get(&self, id: &BookId) -> Result<Option<Book>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(book_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.map(book_from_item).transpose()
    }

    /// Stores a new book. With an `idempotency_key`, a retry of the same create
    /// within 24 hours returns the book the first attempt made
    /// ([`CreateOutcome::Replayed`]) and the same key with other fields is
    /// [`StoreError::IdempotencyKeyReused`].
    #[tracing::instrument(skip(self, book), fields(book_id = %book.id))]
    pub async fn create(
        &self,
        book: &Book,
        idempotency_key: Option<&str>,
    ) -> Result<CreateOutcome, StoreError> {
        match idempotency_key {
            None => self
                .put_new(book)
                .await
                .map(|()| CreateOutcome::Created(book.clone())),
            Some(key) => self.create_idempotent(book, key).await,
        }
    }

    async fn put_new(&self, book: &Book) -> Result<(), StoreError> {
        let item = to_item(book)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match error.as_service_error() {
                // The SDK retried a put whose first attempt was stored but
                // answered late: the item is exactly ours, so it was created.
                Some(PutItemError::ConditionalCheckFailedException(failed))
                    if failed.item() == Some(&item) =>
                {
                    Ok(())
                }
                // Another book with this UUIDv7: astronomically unlikely, and
                // never an overwrite.
                Some(PutItemError::ConditionalCheckFailedException(_)) => Err(
                    StoreError::Internal(format!("book id {} already exists", book.id)),
                ),
                _ => Err(classify(error)),
            },
        }
    }

    /// One transaction writes the idempotency record (unless a live one exists)
    /// and the book together: either both are stored or neither is.
    async fn create_idempotent(&self, book: &Book, key: &str) -> Result<CreateOutcome, StoreError> {
        let now = crate::domain::clock::now_epoch_seconds();
        let record = IdempotencyItem {
            pk: IdempotencyItem::pk(key),
            sk: IdempotencyItem::SK.to_owned(),
            kind: "idempotency".to_owned(),
            expires_at: now + IDEMPOTENCY_WINDOW_SECONDS,
            book: book.clone(),
        };
        let record = serde_dynamo::to_item(&record)
            .map_err(|error| StoreError::Internal(format!("cannot serialise a record: {error}")))?;
        let put_record = Put::builder()
            .table_name(&self.table)
            .set_item(Some(record))
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .build()
            .map_err(|error| StoreError::Internal(error.to_string()))?;
        let put_book = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(book)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|error| StoreError::Internal(error.to_string()))?;

        for attempt in 1..=IDEMPOTENT_CREATE_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(put_record.clone()).build())
                .transact_items(TransactWriteItem::builder().put(put_book.clone()).build())
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(CreateOutcome::Created(book.clone())),
                Err(error) => error,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                error.as_service_error()
            else {
                return Err(classify(error));
            };
            let record_taken = cancelled
                .cancellation_reasons()
                .first()
                .and_then(|reason| reason.code())
                == Some("ConditionalCheckFailed");
            if record_taken && let Some(previous) = self.idempotency_record(key).await? {
                return if same_fields(&previous, book) {
                    Ok(CreateOutcome::Replayed(previous))
                } else {
                    Err(StoreError::IdempotencyKeyReused)
                };
            }
            // The record expired and was removed between the two calls, or a
            // concurrent transaction holds the same key: back off, then the
            // condition decides.
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
        }
        Err(StoreError::Unavailable(format!(
            "idempotent create with key {key:?} kept conflicting"
        )))
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<Book>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(IdempotencyItem::key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let record: IdempotencyItem = serde_dynamo::from_item(item)
            .map_err(|error| StoreError::Internal(format!("not an idempotency record: {error}")))?;
        let live = record.expires_at >= crate::domain::clock::now_epoch_seconds();
        Ok(live.then_some(record.book))
    }

    /// Applies `changes` to the book `id` if its version is one of `expected`
    /// (any version when `None`), incrementing the version, and returns the book
    /// as stored. An empty `expected` list can never match.
    #[tracing::instrument(skip(self, changes), fields(book_id = %id))]
    pub async fn update(
        &self,
        id: &BookId,
        changes: &BookChanges,
        expected: Option<&[u64]>,
        now: &str,
    ) -> Result<Book, StoreError> {
        // A fresh id per call, stored with the write: if the SDK retries after
        // a late answer, the retry finds its own earlier attempt applied (see
        // below) instead of failing its condition or applying twice.
        let write_id = AttributeValue::S(uuid::Uuid::now_v7().to_string());
        let mut expression = Expression::new();
        expression
            .increment(VERSION, 1)
            .set(UPDATED_AT, AttributeValue::S(now.to_owned()))
            .set(WRITE_ID, write_id.clone());
        if let Some(title) = &changes.title {
            expression
                .set(TITLE, AttributeValue::S(title.as_str().to_owned()))
                .set(TITLE_KEY, AttributeValue::S(title_key(title.as_str(), id)));
        }
        if let Some(author) = &changes.author {
            expression.set(AUTHOR, AttributeValue::S(author.as_str().to_owned()));
        }
        match &changes.genre {
            None => {}
            Some(Some(genre)) => {
                expression.set(GENRE, AttributeValue::S(genre.as_str().to_owned()));
            }
            Some(None) => {
                expression.remove(GENRE);
            }
        }
        let expected = self.narrow(id, expected).await?;
        require_version(&mut expression, expected.as_deref());
        expression.require_absent_or_not(WRITE_ID, write_id.clone());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(book_key(id)))
            .set_update_expression(expression.update_expression())
            .set_condition_expression(expression.condition_expression())
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => book_from_item(output.attributes.unwrap_or_default()),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(item) if item.get(WRITE_ID) == Some(&write_id) => {
                            book_from_item(item.clone())
                        }
                        item => Err(condition_failure(id, item.is_some())),
                    }
                }
                _ => Err(classify(error)),
            },
        }
    }

    /// Deletes the book `id` if its version is one of `expected` (any version
    /// when `None`).
    #[tracing::instrument(skip(self), fields(book_id = %id))]
    pub async fn delete(&self, id: &BookId, expected: Option<&[u64]>) -> Result<(), StoreError> {
        let expected = self.narrow(id, expected).await?;
        let mut expression = Expression::new();
        require_version(&mut expression, expected.as_deref());
        // Not retried: a retry after a late answer would find the book gone and answer
        // 404 for a delete that succeeded. A timeout is a 503 instead, which tells the
        // client the outcome is unknown.
        let result = self
            .single_attempt_client()
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(book_key(id)))
            .set_condition_expression(expression.condition_expression())
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match error.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    Err(condition_failure(id, failed.item().is_some()))
                }
                _ => Err(classify(error)),
            },
        }
    }

    /// Makes an expected-version list fit one condition expression: duplicates
    /// dropped, and a list that cannot match (empty) or is too long for `IN`
    /// (over 100) settled by reading the current version instead.
    async fn narrow(
        &self,
        id: &BookId,
        expected: Option<&[u64]>,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        let Some(expected) = expected else {
            return Ok(None);
        };
        let mut versions = expected.to_vec();
        versions.sort_unstable();
        versions.dedup();
        if (1..=MAX_IN_OPERANDS).contains(&versions.len()) {
            return Ok(Some(versions));
        }
        match self.get(id).await? {
            None => Err(StoreError::NotFound(id.to_string())),
            Some(book) if versions.contains(&book.version) => Ok(Some(vec![book.version])),
            Some(_) => Err(StoreError::VersionMismatch),
        }
    }
}

/// The book exists, and when versions are expected, its version is one of them.
fn require_version(expression: &mut Expression, expected: Option<&[u64]>) {
    expression.require_exists(PK);
    if let Some(versions) = expected {
        expression.require_one_of(
            VERSION,
            versions
                .iter()
                .map(|version| AttributeValue::N(version.to_string())),
        );
    }
}

/// A failed condition means "gone" when DynamoDB returned no old item, and
/// "another version" when it did.
fn condition_failure(id: &BookId, existed: bool) -> StoreError {
    if existed {
        StoreError::VersionMismatch
    } else {
        StoreError::NotFound(id.to_string())
    }
}

fn same_fields(previous: &Book, requested: &Book) -> bool {
    previous.title == requested.title
        && previous.author == requested.author
        && previous.genre == requested.genre
}
