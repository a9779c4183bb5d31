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

/// Which of a function's paths its events take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variant {
    /// The sample event made repeatable (no `If-Match`, no `Idempotency-Key`).
    Plain,
    /// create-book with a fresh `Idempotency-Key` each time: the transaction path.
    IdempotencyKey,
    /// replace-book with `If-Match` the book's current ETag (followed from each answer).
    IfMatch,
    /// list-books with this query (`key=value` pairs, decoded).
    Query(Vec<(String, String)>),
    /// record-history with a batch of this many stream records, every one new.
    Batch(usize),
}

/// Marks in the event text, replaced for each event.
const KEY_MARK: &str = "@@IDEMPOTENCY-KEY@@";
const ETAG_MARK: &str = "@@ETAG@@";

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
    variant: Variant,
    /// The ETag the next `If-Match` carries.
    etag: String,
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
        Events::of(root, package, book, deletable, Variant::Plain)
    }

    /// The events of one path of `package` (see [`Variant`]); `book` is at version 1.
    ///
    /// # Errors
    /// When the sample event cannot be read or is not JSON.
    pub fn of(
        root: &Path,
        package: &str,
        book: &BookId,
        deletable: Vec<BookId>,
        variant: Variant,
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
            let pairs = match &variant {
                Variant::Query(pairs) => pairs.clone(),
                _ => vec![("limit".to_owned(), "25".to_owned())],
            };
            let raw = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish()
                .replace('+', "%20");
            event["rawQueryString"] = Value::from(raw);
            event["queryStringParameters"] = pairs
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        if let Some(headers) = event.get_mut("headers").and_then(Value::as_object_mut) {
            match variant {
                Variant::IdempotencyKey => {
                    headers.insert("idempotency-key".into(), Value::from(KEY_MARK));
                }
                Variant::IfMatch => {
                    headers.insert("if-match".into(), Value::from(ETAG_MARK));
                }
                _ => {}
            }
        }
        if let Variant::Batch(size) = variant {
            let records = event
                .get("Records")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            // Records of the same book stay together; each copy gets its own book (below).
            let copies = size.div_ceil(records.len().max(1));
            let mut batch = Vec::with_capacity(size);
            for copy in 0..copies {
                for record in &records {
                    let text = serde_json::to_string(record)?
                        .replace(SAMPLE_ID, &format!("@@BOOK-{copy}@@"));
                    batch.push(serde_json::from_str::<Value>(&text)?);
                }
            }
            batch.truncate(size);
            event["Records"] = Value::from(batch);
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
            variant,
            etag: "\"1\"".to_owned(),
        })
    }

    /// Reads what the next event depends on from an answer (the ETag, for `If-Match`).
    pub fn observe(&mut self, answer: &[u8]) {
        if self.variant != Variant::IfMatch {
            return;
        }
        let etag = serde_json::from_slice::<Value>(answer).ok().and_then(|v| {
            v.get("headers")
                .and_then(|h| h.get("etag"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        if let Some(etag) = etag {
            self.etag = etag;
        }
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
        let mut text = self.text.replace(SAMPLE_ID, &id);
        match &self.variant {
            Variant::IdempotencyKey => {
                text = text.replace(KEY_MARK, &uuid::Uuid::new_v4().to_string());
            }
            Variant::IfMatch => {
                // The ETag is a JSON string inside the event's JSON text.
                let quoted = serde_json::to_string(&self.etag).unwrap_or_default();
                text = text.replace(&format!("\"{ETAG_MARK}\""), &quoted);
            }
            Variant::Batch(size) => {
                for copy in 0..size.div_ceil(4) {
                    text = text.replace(
                        &format!("@@BOOK-{copy}@@"),
                        &uuid::Uuid::new_v4().to_string(),
                    );
                }
            }
            Variant::Plain | Variant::Query(_) => {}
        }
        Bytes::from(text)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        bookshelf_local::workspace::root()
    }

    fn book() -> BookId {
        BookId::parse(SAMPLE_ID).expect("the sample id")
    }

    #[test]
    fn a_full_batch_has_every_record_new() {
        let mut events = Events::of(
            &root(),
            "record-history",
            &book(),
            Vec::new(),
            Variant::Batch(100),
        )
        .expect("the events");
        let event: Value = serde_json::from_slice(&events.next_event()).expect("JSON");
        let records = event["Records"].as_array().expect("records");
        assert_eq!(records.len(), 100);
        let text = event.to_string();
        assert!(!text.contains(SAMPLE_ID) && !text.contains("@@BOOK-"));
        let again = events.next_event();
        assert_ne!(&again[..], text.as_bytes());
    }

    #[test]
    fn if_match_follows_the_etag_of_each_answer() {
        let mut events = Events::of(
            &root(),
            "replace-book",
            &book(),
            Vec::new(),
            Variant::IfMatch,
        )
        .expect("the events");
        let first: Value = serde_json::from_slice(&events.next_event()).expect("JSON");
        assert_eq!(first["headers"]["if-match"], "\"1\"");
        events.observe(br#"{"statusCode":200,"headers":{"etag":"\"2\""}}"#);
        let second: Value = serde_json::from_slice(&events.next_event()).expect("JSON");
        assert_eq!(second["headers"]["if-match"], "\"2\"");
    }

    #[test]
    fn every_idempotent_create_has_its_own_key() {
        let mut events = Events::of(
            &root(),
            "create-book",
            &book(),
            Vec::new(),
            Variant::IdempotencyKey,
        )
        .expect("the events");
        let key = |e: Bytes| {
            serde_json::from_slice::<Value>(&e).expect("JSON")["headers"]["idempotency-key"]
                .as_str()
                .map(str::to_owned)
        };
        let (a, b) = (key(events.next_event()), key(events.next_event()));
        assert!(a.is_some() && a != b);
    }

    #[test]
    fn a_list_query_is_encoded_as_api_gateway_sends_it() {
        let query = Variant::Query(vec![
            ("author".into(), "Ursula K. Le Guin".into()),
            ("limit".into(), "25".into()),
        ]);
        let mut events =
            Events::of(&root(), "list-books", &book(), Vec::new(), query).expect("the events");
        let event: Value = serde_json::from_slice(&events.next_event()).expect("JSON");
        assert_eq!(
            event["rawQueryString"],
            "author=Ursula%20K.%20Le%20Guin&limit=25"
        );
        assert_eq!(
            event["queryStringParameters"]["author"],
            "Ursula K. Le Guin"
        );
    }
}
