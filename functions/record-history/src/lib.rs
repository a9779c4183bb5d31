//! Triggered by the books table's stream (book items only, by the filter in
//! template.yaml): writes one history entry per create, change and delete of a
//! book, which `GET /books/{id}/history` serves.
//!
//! Lambda delivers stream records at least once, so writing an entry is
//! idempotent: a redelivered record finds its entry already stored and leaves
//! it alone. A record that cannot be recorded is reported as a batch item
//! failure (`ReportBatchItemFailures`) while the rest of the batch is still
//! recorded; Lambda then retries from that record. When the store is
//! unavailable (an outage, throttling), the rest of the batch is reported
//! failed without trying, so a long batch ends well within the timeout.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use bookshelf::App;
use bookshelf::app::emf::{MetricsRecord, Unit};
use bookshelf::app::emit;
use bookshelf::domain::clock::now_epoch_millis;
use bookshelf::domain::clock::rfc3339_from_epoch_millis;
use bookshelf::domain::history::HistoryEntry;
use bookshelf::store::{StoreError, StoredBook, stored_book_from_item};
use lambda_http::LambdaEvent;

/// Why one stream record was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The record has neither an old nor a new image.
    #[error("the record has no image of the book")]
    NoImage,
    /// An image is not a well-formed book, or the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not tried: the store was unavailable for an earlier record of the batch.
    #[error("not tried: the store was unavailable for an earlier record of the batch")]
    NotTried,
}

/// Records every book change in one batch of stream records.
pub async fn handle(
    app: &App,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, lambda_http::Error> {
    let mut response = DynamoDbEventResponse::default();
    let mut recorded = 0_u32;
    // Once the store is unavailable, the rest of the batch is reported
    // without trying: Lambda redelivers a stream from its first failed
    // record anyway, and trying each one would spend the invocation's time
    // on retries until it timed out.
    let mut unavailable = false;
    for record in &event.payload.records {
        if !is_book_record(record) {
            tracing::debug!(event_id = %record.event_id, "not a book item; skipped");
            continue;
        }
        let result = if unavailable {
            Err(RecordError::NotTried)
        } else {
            record_change(app, record).await
        };
        if let Err(error) = result {
            unavailable |= matches!(error, RecordError::Store(StoreError::Unavailable(_)));
            tracing::warn!(event_id = %record.event_id, %error, "reported as a batch item failure");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        } else {
            recorded += 1;
        }
    }
    emit(&batch_metrics(
        &event.payload.records,
        recorded,
        response.batch_item_failures.len(),
    ));
    Ok(response)
}

/// The batch's metrics: records recorded, records failed, and the age of the
/// oldest record (how far behind the stream the history is).
fn batch_metrics(records: &[EventRecord], recorded: u32, failed: usize) -> MetricsRecord {
    let now = now_epoch_millis();
    let oldest = records
        .iter()
        .map(|record| {
            record
                .change
                .approximate_creation_date_time
                .timestamp_millis()
        })
        .min();
    let mut metrics = MetricsRecord::new();
    metrics
        .property("level", "INFO")
        .property("message", "batch")
        .property("records", records.len())
        .dimension("Function", "RecordHistory")
        .metric("HistoryRecords", Unit::Count, f64::from(recorded))
        .metric("HistoryFailures", Unit::Count, failed as f64);
    if let Some(oldest) = oldest {
        let age = now.saturating_sub(oldest).max(0);
        metrics.metric("OldestRecordAge", Unit::Milliseconds, age as f64);
    }
    metrics
}

/// Whether the record is of a book item (`sk = BOOK`). The event filter already
/// selects these; checking again keeps a misconfigured filter from turning
/// other items into endless failures.
fn is_book_record(record: &EventRecord) -> bool {
    matches!(record.change.keys.get("sk"), Some(serde_dynamo::AttributeValue::S(sk)) if sk == "BOOK")
}

/// Writes the history entry of one record.
pub async fn record_change(app: &App, record: &EventRecord) -> Result<bool, RecordError> {
    let before = image(&record.change.old_image)?;
    let after = image(&record.change.new_image)?;
    let book = after
        .as_ref()
        .or(before.as_ref())
        .map(|stored| stored.book.id.clone())
        .ok_or(RecordError::NoImage)?;
    let deleted_at = rfc3339_from_epoch_millis(
        record
            .change
            .approximate_creation_date_time
            .timestamp_millis(),
    );
    // A create or update is by whoever wrote the new image; a delete by whoever
    // marked the book just before removing it.
    let by = match (&before, &after) {
        (_, Some(after)) => after.updated_by.clone(),
        (Some(before), None) => before.deleted_by.clone(),
        (None, None) => None,
    };
    let entry = HistoryEntry::of_write(
        before.as_ref().map(|stored| &stored.book),
        after.as_ref().map(|stored| &stored.book),
        &deleted_at,
        by,
    );
    match entry {
        // A delete's mark changes no version: nothing happened to the book yet.
        None => Ok(false),
        Some(entry) => Ok(app.store.record_history(&book, &entry).await?),
    }
}

fn image(image: &serde_dynamo::Item) -> Result<Option<StoredBook>, StoreError> {
    if image.is_empty() {
        return Ok(None);
    }
    stored_book_from_item(image.clone()).map(Some)
}

#[cfg(test)]
mod tests;
