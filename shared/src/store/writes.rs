//! Reading one book, and the three writes: create (optionally idempotent),
//! update, delete — each a single conditional request.

use super::expression::Expression;
use super::item::{
    self, AUTHOR, AUTHOR_GENRE, DELETED_BY, GENRE, PK, TITLE, TITLE_KEY, UPDATED_AT, UPDATED_BY,
    VERSION, author_genre, book_from_item, book_key, title_key, to_item,
};
use super::{BookStore, StoreError, classify};
use crate::domain::{Actor, Book, BookChanges, BookId};
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
/// The attribute a delete marks the book with, and then removes it under.
const DELETE_ID: &str = "deleteId";
/// Attempts at an update whose combined index key depends on a field that
/// keeps changing under it (each attempt reads it again).
const UPDATE_ATTEMPTS: u32 = 3;
/// DynamoDB's limit on the operands of `IN` in a condition expression.
const MAX_IN_OPERANDS: usize = 100;

/// What a write requires of the stored book's version: RFC 9110's `If-Match`
/// (one of these versions) and `If-None-Match` (none of these, or no book at
/// all). The default requires only that the book exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionCheck {
    /// The version must be one of these (`None`: any version; an empty list
    /// never matches).
    pub one_of: Option<Vec<u64>>,
    /// The version must be none of these.
    pub none_of: Vec<u64>,
    /// `If-None-Match: *`: the book must not exist. A write never creates, so
    /// this fails as 412 for a book that exists and 404 for one that does not.
    pub must_not_exist: bool,
}

impl VersionCheck {
    /// Whether a book at `version` satisfies the check.
    pub fn admits(&self, version: u64) -> bool {
        !self.must_not_exist
            && self
                .one_of
                .as_ref()
                .is_none_or(|one_of| one_of.contains(&version))
            && !self.none_of.contains(&version)
    }
}

/// What an update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    /// The book as stored now.
    pub book: Book,
    /// `false` when the changes were already the book's fields: nothing was
    /// written, the version (and so the ETag) is unchanged, no history entry.
    pub changed: bool,
}

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

    /// One caller's key: two callers' equal keys never collide (the `sub` is
    /// length-prefixed, so no `sub` and key can spell another pair).
    fn pk(caller: &Actor, key: &str) -> String {
        format!("IDEMPOTENCY#{}:{}#{key}", caller.sub.len(), caller.sub)
    }

    fn key(caller: &Actor, key: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(Self::pk(caller, key))),
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

    /// Stores a new book, written by `by`. With an `idempotency_key` (scoped
    /// to `by`), a retry of the same create within 24 hours returns the book
    /// the first attempt made ([`CreateOutcome::Replayed`]) and the same key
    /// with other fields is [`StoreError::IdempotencyKeyReused`].
    #[tracing::instrument(skip(self, book, by), fields(book_id = %book.id))]
    pub async fn create(
        &self,
        book: &Book,
        idempotency_key: Option<&str>,
        by: &Actor,
    ) -> Result<CreateOutcome, StoreError> {
        match idempotency_key {
            None => self
                .put_new(book, by)
                .await
                .map(|()| CreateOutcome::Created(book.clone())),
            Some(key) => self.create_idempotent(book, key, by).await,
        }
    }

    async fn put_new(&self, book: &Book, by: &Actor) -> Result<(), StoreError> {
        let item = to_item(book, by, self.shelf)?;
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
    async fn create_idempotent(
        &self,
        book: &Book,
        key: &str,
        by: &Actor,
    ) -> Result<CreateOutcome, StoreError> {
        let now = crate::domain::clock::now_epoch_seconds();
        let record = IdempotencyItem {
            pk: IdempotencyItem::pk(by, key),
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
            .set_item(Some(to_item(book, by, self.shelf)?))
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
            if record_taken && let Some(previous) = self.idempotency_record(by, key).await? {
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

    async fn idempotency_record(&self, by: &Actor, key: &str) -> Result<Option<Book>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(IdempotencyItem::key(by, key)))
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

    /// Applies `changes` to the book `id` if its version passes `check`,
    /// incrementing the version, and returns the book as stored. Changes that
    /// are already the book's fields write nothing ([`Updated::changed`] is
    /// `false`), still under `check`.
    #[tracing::instrument(skip(self, changes, by), fields(book_id = %id))]
    pub async fn update(
        &self,
        id: &BookId,
        changes: &BookChanges,
        check: &VersionCheck,
        now: &str,
        by: &Actor,
    ) -> Result<Updated, StoreError> {
        if changes == &BookChanges::default() {
            let book = self.checked_current(id, check).await?;
            return Ok(Updated {
                book,
                changed: false,
            });
        }
        let check = self.narrow(id, check).await?;
        for _ in 1..UPDATE_ATTEMPTS {
            if let Attempt::Done(result) = self.try_update(id, changes, &check, now, by).await? {
                return result;
            }
        }
        match self.try_update(id, changes, &check, now, by).await? {
            Attempt::Done(result) => result,
            Attempt::Retry => Err(StoreError::Unavailable(format!(
                "book {id} kept changing under an update of its author or genre"
            ))),
        }
    }

    /// One attempt at [`Self::update`]. The `byAuthorGenre` key depends on
    /// both fields, so a change of only one of them reads the other first and
    /// writes on condition that it is still what was read; a concurrent change
    /// of it asks for another attempt ([`Attempt::Retry`]).
    async fn try_update(
        &self,
        id: &BookId,
        changes: &BookChanges,
        check: &VersionCheck,
        now: &str,
        by: &Actor,
    ) -> Result<Attempt, StoreError> {
        // A fresh id per call, stored with the write: if the SDK retries after
        // a late answer, the retry finds its own earlier attempt applied (see
        // below) instead of failing its condition or applying twice.
        let write_id = AttributeValue::S(uuid::Uuid::now_v7().to_string());
        let mut targets = Vec::new();
        let mut expression = Expression::new();
        expression
            .increment(VERSION, 1)
            .set(UPDATED_AT, AttributeValue::S(now.to_owned()))
            .set(WRITE_ID, write_id.clone())
            .set(UPDATED_BY, actor_value(by)?)
            // Any write clears a delete's mark, so that delete cannot remove
            // a book that changed after its precondition was checked.
            .remove(DELETE_ID)
            .remove(DELETED_BY);
        if let Some(title) = &changes.title {
            let title = AttributeValue::S(title.as_str().to_owned());
            expression.set(TITLE, title.clone()).set(
                TITLE_KEY,
                AttributeValue::S(title_key(title.as_s().map_or("", |t| t), id)),
            );
            targets.push((TITLE, Some(title)));
        }
        if let Some(author) = &changes.author {
            let author = AttributeValue::S(author.as_str().to_owned());
            expression.set(AUTHOR, author.clone());
            targets.push((AUTHOR, Some(author)));
        }
        match &changes.genre {
            None => {}
            Some(Some(genre)) => {
                let genre = AttributeValue::S(genre.as_str().to_owned());
                expression.set(GENRE, genre.clone());
                targets.push((GENRE, Some(genre)));
            }
            Some(None) => {
                expression.remove(GENRE);
                targets.push((GENRE, None));
            }
        }
        let guard = self.index_keys(id, changes, &mut expression).await?;
        require_version(&mut expression, check);
        expression
            .require_absent_or_not(WRITE_ID, write_id.clone())
            .require_any_change(targets);
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
        let changed = |book| Updated {
            book,
            changed: true,
        };
        let result = match result {
            Ok(output) => book_from_item(output.attributes.unwrap_or_default()).map(changed),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    let Some(item) = failed.item() else {
                        return Ok(Attempt::Done(Err(StoreError::NotFound(id.to_string()))));
                    };
                    if item.get(WRITE_ID) == Some(&write_id) {
                        return Ok(Attempt::Done(book_from_item(item.clone()).map(changed)));
                    }
                    let book = book_from_item(item.clone())?;
                    if check.admits(book.version)
                        && guard.as_ref().is_some_and(|guard| !guard.holds(item))
                    {
                        // Someone changed the other field since it was read.
                        return Ok(Attempt::Retry);
                    }
                    // The precondition held and nothing would change: a no-op.
                    if check.admits(book.version) && already_applied(&book, changes) {
                        Ok(Updated {
                            book,
                            changed: false,
                        })
                    } else {
                        Err(StoreError::VersionMismatch)
                    }
                }
                _ => Err(classify(error)),
            },
        };
        Ok(Attempt::Done(result))
    }

    /// Sets or removes the `byAuthorGenre` key for `changes`, reading the book
    /// when only one of author and genre changes; returns the condition that
    /// keeps what was read true until the write.
    async fn index_keys(
        &self,
        id: &BookId,
        changes: &BookChanges,
        expression: &mut Expression,
    ) -> Result<Option<Guard>, StoreError> {
        let set_key = |expression: &mut Expression, author: &str, genre: &str| {
            expression.set(AUTHOR_GENRE, AttributeValue::S(author_genre(author, genre)));
        };
        match (&changes.author, &changes.genre) {
            (None, None) => Ok(None),
            (_, Some(None)) => {
                expression.remove(AUTHOR_GENRE);
                Ok(None)
            }
            (Some(author), Some(Some(genre))) => {
                set_key(expression, author.as_str(), genre.as_str());
                Ok(None)
            }
            (Some(author), None) => {
                let current = self
                    .get(id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                let guard = Guard {
                    attribute: GENRE,
                    value: current.genre.clone().map(AttributeValue::S),
                };
                if let Some(genre) = &current.genre {
                    set_key(expression, author.as_str(), genre);
                }
                guard.require(expression);
                Ok(Some(guard))
            }
            (None, Some(Some(genre))) => {
                let current = self
                    .get(id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                set_key(expression, &current.author, genre.as_str());
                let guard = Guard {
                    attribute: AUTHOR,
                    value: Some(AttributeValue::S(current.author)),
                };
                guard.require(expression);
                Ok(Some(guard))
            }
        }
    }

    /// The book `id` as it is, if its version passes `check`: what a write
    /// that changes nothing answers.
    async fn checked_current(&self, id: &BookId, check: &VersionCheck) -> Result<Book, StoreError> {
        match self.get(id).await? {
            None => Err(StoreError::NotFound(id.to_string())),
            Some(book) if check.admits(book.version) => Ok(book),
            Some(_) => Err(StoreError::VersionMismatch),
        }
    }

    /// Deletes the book `id` if its version is one of `expected` (any version
    /// when `None`), on behalf of `by`.
    ///
    /// Two requests: the first marks the book with who deletes it and a fresh
    /// delete id (under the version condition; the version does not change,
    /// so the mark is no change of the book), the second removes exactly the
    /// item so marked. The stream's record of the removal then says who
    /// removed it; a write between the two makes the removal a 412.
    #[tracing::instrument(skip(self, by), fields(book_id = %id))]
    pub async fn delete(
        &self,
        id: &BookId,
        check: &VersionCheck,
        by: &Actor,
    ) -> Result<(), StoreError> {
        let check = self.narrow(id, check).await?;
        let delete_id = AttributeValue::S(uuid::Uuid::now_v7().to_string());
        let mut mark = Expression::new();
        mark.set(DELETED_BY, actor_value(by)?)
            .set(DELETE_ID, delete_id.clone());
        require_version(&mut mark, &check);
        let marked = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(book_key(id)))
            .set_update_expression(mark.update_expression())
            .set_condition_expression(mark.condition_expression())
            .set_expression_attribute_names(mark.names())
            .set_expression_attribute_values(mark.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        if let Err(error) = marked {
            return Err(match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failure(id, failed.item().is_some())
                }
                _ => classify(error),
            });
        }
        let mut expression = Expression::new();
        expression
            .require_exists(PK)
            .require_one_of(DELETE_ID, [delete_id]);
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

    /// Makes a version check fit one condition expression: lists deduplicated,
    /// and a check that cannot be written as one (`If-None-Match: *`, an
    /// empty or over-100 list for `IN`) settled by reading the current version.
    async fn narrow(&self, id: &BookId, check: &VersionCheck) -> Result<VersionCheck, StoreError> {
        let dedup = |versions: &[u64]| {
            let mut versions = versions.to_vec();
            versions.sort_unstable();
            versions.dedup();
            versions
        };
        let one_of = check.one_of.as_deref().map(dedup);
        let none_of = dedup(&check.none_of);
        let fits = |list: &[u64]| list.len() <= MAX_IN_OPERANDS;
        let writable = !check.must_not_exist
            && one_of
                .as_ref()
                .is_none_or(|one_of| !one_of.is_empty() && fits(one_of))
            && fits(&none_of);
        if writable {
            return Ok(VersionCheck {
                one_of,
                none_of,
                must_not_exist: false,
            });
        }
        let book = self.checked_current(id, check).await?;
        Ok(VersionCheck {
            one_of: Some(vec![book.version]),
            ..VersionCheck::default()
        })
    }
}

/// What an update attempt came to.
enum Attempt {
    /// Its outcome.
    Done(Result<Updated, StoreError>),
    /// A field it read changed before it wrote: try again.
    Retry,
}

/// A field an update read and relies on: it must still hold the value read.
struct Guard {
    attribute: &'static str,
    /// The value read; `None` when the attribute was absent.
    value: Option<AttributeValue>,
}

impl Guard {
    fn require(&self, expression: &mut Expression) {
        match &self.value {
            Some(value) => expression.require_equal(self.attribute, value.clone()),
            None => expression.require_absent(self.attribute),
        };
    }

    fn holds(&self, item: &HashMap<String, AttributeValue>) -> bool {
        item.get(self.attribute) == self.value.as_ref()
    }
}

/// Whether `changes` are already `book`'s fields.
fn already_applied(book: &Book, changes: &BookChanges) -> bool {
    changes
        .title
        .as_ref()
        .is_none_or(|title| title.as_str() == book.title)
        && changes
            .author
            .as_ref()
            .is_none_or(|author| author.as_str() == book.author)
        && changes
            .genre
            .as_ref()
            .is_none_or(|genre| genre.as_ref().map(|genre| genre.as_str()) == book.genre.as_deref())
}

/// `by` as a DynamoDB map attribute.
fn actor_value(by: &Actor) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(by)
        .map_err(|error| StoreError::Internal(format!("cannot serialise the caller: {error}")))
}

/// The book exists and its version passes `check` (already narrowed).
fn require_version(expression: &mut Expression, check: &VersionCheck) {
    let number = |version: &u64| AttributeValue::N(version.to_string());
    expression.require_exists(PK);
    if let Some(one_of) = &check.one_of {
        expression.require_one_of(VERSION, one_of.iter().map(number));
    }
    expression.require_none_of(VERSION, check.none_of.iter().map(number));
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
