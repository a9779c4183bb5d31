//! The events each function is invoked with: the project's own sample events
//! (`events/<crate>.json`, API Gateway HTTP API payload 2.0 or a stream batch), pointed at
//! the benchmark's books and made repeatable (no `If-Match`, no `Idempotency-Key`, so the
//! thousandth invocation does what the first did).

use std::path::Path;

use bookshelf::BookId;
use bytes::Bytes;
use serde_json::Value;

use crate::Error;

/// The book every single-book sample event names (see `events/README.md`).
pub const SAMPLE_ID: &str = "0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e";

/// An endless supply of events for one function.
#[derive(Debug, Clone)]
pub struct Events {
    /// The event, as JSON text, still naming [`SAMPLE_ID`] where a book id goes.
    text: String,
    /// The book id to put in every event; empty for `ids`.
    fixed: Option<String>,
    /// One id per event (each book is deleted once).
    ids: Vec<BookId>,
    next: usize,
}

impl Events {
    /// The events for crate `package` (`get-book`, …): `book` is an existing book, and
    /// `deletable` the books `delete-book` may delete, one per event.
    ///
    /// # Errors
    /// When the sample event cannot be read or is not JSON.
    pub fn new(
        root: &Path,
        package: &str,
        book: &BookId,
        deletable: Vec<BookId>,
    ) -> Result<Events, Error> {
        let path = root.join("events").join(format!("{package}.json"));
        let raw = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut event: Value = serde_json::from_str(&raw)?;
        if let Some(headers) = event.get_mut("headers").and_then(Value::as_object_mut) {
            headers.remove("if-match");
            headers.remove("idempotency-key");
        }
        if package == "list-books" {
            event["rawQueryString"] = Value::from("limit=25");
            event["queryStringParameters"] = serde_json::json!({ "limit": "25" });
        }
        let text = serde_json::to_string(&event)?;
        let (fixed, ids) = match package {
            "get-book" | "replace-book" | "patch-book" => (Some(book.to_string()), Vec::new()),
            "delete-book" => (None, deletable),
            _ => (Some(SAMPLE_ID.to_owned()), Vec::new()),
        };
        Ok(Events {
            text,
            fixed,
            ids,
            next: 0,
        })
    }

    /// The next event.
    pub fn next_event(&mut self) -> Bytes {
        let id = match &self.fixed {
            Some(id) => id.clone(),
            None => {
                let id = self
                    .ids
                    .get(self.next)
                    .map_or_else(|| SAMPLE_ID.to_owned(), ToString::to_string);
                self.next += 1;
                id
            }
        };
        Bytes::from(self.text.replace(SAMPLE_ID, &id))
    }
}

/// Checks that a function's answer is the success its event asks for (any 2xx, a 405 for
/// `method-not-allowed`, a batch report for the stream function), so that a benchmark
/// never times a function failing fast.
///
/// # Errors
/// The status or document that was not expected.
pub fn check(package: &str, body: &[u8]) -> Result<(), String> {
    let answer: Value = serde_json::from_slice(body)
        .map_err(|_| format!("not JSON: {}", String::from_utf8_lossy(body)))?;
    if package == "record-history" {
        return match answer.get("batchItemFailures").and_then(Value::as_array) {
            Some(failures) if failures.is_empty() => Ok(()),
            _ => Err(format!("batch failures: {answer}")),
        };
    }
    let status = answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let expected = if package == "method-not-allowed" {
        status == 405
    } else {
        (200..300).contains(&status)
    };
    if expected {
        Ok(())
    } else {
        let detail = answer
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Err(format!("status {status}: {detail}"))
    }
}

/// The HTTP status of an API Gateway answer (0 when it is not one).
pub fn status_of(body: &[u8]) -> u64 {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
        .unwrap_or(0)
}
