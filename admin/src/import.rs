//! `bookshelf-admin import FILE`: loads books from JSON Lines (one `POST
//! /books` body a line: `{"title": …, "author": …, "genre": …}`) with batched
//! writes, idempotently, reporting progress.
//!
//! - Every line passes the API's own rules (`parse_create`): a refused line is
//!   reported with its number and reasons and not stored; the rest are.
//! - An import has an id: by default the SHA-256 of the file, so running the
//!   same file again is the same import. Its books' ids are UUIDv7s made from
//!   the import's recorded start time and a hash of (import id, line number),
//!   so a re-run derives the same ids, and the store writes only those not
//!   stored yet ([`BookStore::import_batch`]): a re-run after a failure
//!   duplicates nothing and overwrites nothing.
//! - The file is imported in chunks of lines, several at once; a chunk fully
//!   written is recorded, so a re-run skips it.
//! - Books are dated by the import's start and written by the actor
//!   `bookshelf-admin`, whose history entries say so.

use crate::progress::Progress;
use bookshelf::domain::{Actor, parse_create};
use bookshelf::store::{BookStore, IMPORT_BATCH, StoreError};
use bookshelf::{Book, BookId};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// The counters an import reports: lines read, books stored now, books an
/// earlier run had stored, lines refused, and lines of chunks an earlier run
/// finished (not read again).
pub const COUNTERS: &[&str] = &["read", "written", "existing", "refused", "skipped"];

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The import's id (default: the SHA-256 of the file, hex, 32 digits).
    pub import_id: Option<String>,
    /// Lines per recorded chunk.
    pub chunk_lines: usize,
    /// Chunks written at once.
    pub concurrency: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            import_id: None,
            chunk_lines: 1_000,
            concurrency: 8,
        }
    }
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store failed (run the import again: it resumes).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did: its id, and the lines refused (number and reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The import's id.
    pub import_id: String,
    /// Each refused line: its number (from 1) and why.
    pub refused: Vec<(u64, String)>,
}

/// Imports `path` into `store` (see the module documentation).
///
/// # Errors
/// [`ImportError`] when the file cannot be read or the store fails; what was
/// written stays written, and a re-run resumes.
pub async fn import_file(
    store: &BookStore,
    path: &Path,
    options: &ImportOptions,
    progress: &Arc<Progress>,
) -> Result<ImportReport, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let import_id = options.import_id.clone().unwrap_or_else(|| {
        let digest = Sha256::digest(&bytes);
        digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    });
    let started = store
        .import_started_at(&import_id, bookshelf::domain::clock::now_epoch_millis())
        .await?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let chunk_lines = options.chunk_lines.max(1);
    let permits = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut chunks = tokio::task::JoinSet::new();
    let mut refused = Vec::new();
    for (index, chunk) in lines.chunks(chunk_lines).enumerate() {
        let first_line = (index * chunk_lines) as u64 + 1;
        let chunk: Vec<String> = chunk.iter().map(|line| (*line).to_owned()).collect();
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .map_err(|error| StoreError::Internal(error.to_string()))?;
        let store = store.clone();
        let progress = Arc::clone(progress);
        let import_id = import_id.clone();
        chunks.spawn(async move {
            let result = import_chunk(
                &store,
                &import_id,
                started,
                index as u64,
                first_line,
                &chunk,
                &progress,
            )
            .await;
            drop(permit);
            result
        });
        while let Some(done) = chunks.try_join_next() {
            refused.extend(joined(done)?);
        }
    }
    while let Some(done) = chunks.join_next().await {
        refused.extend(joined(done)?);
    }
    refused.sort();
    Ok(ImportReport { import_id, refused })
}

fn joined(
    done: Result<Result<Vec<(u64, String)>, StoreError>, tokio::task::JoinError>,
) -> Result<Vec<(u64, String)>, ImportError> {
    match done {
        Ok(result) => Ok(result?),
        Err(panicked) => Err(StoreError::Internal(panicked.to_string()).into()),
    }
}

/// Imports one chunk (unless an earlier run recorded it) and records it.
async fn import_chunk(
    store: &BookStore,
    import_id: &str,
    started: i64,
    chunk: u64,
    first_line: u64,
    lines: &[String],
    progress: &Progress,
) -> Result<Vec<(u64, String)>, StoreError> {
    if store.import_chunk_done(import_id, chunk).await? {
        progress.add("skipped", lines.len() as u64);
        return Ok(Vec::new());
    }
    let by = Actor {
        sub: format!("import:{import_id}"),
        name: "bookshelf-admin import".to_owned(),
    };
    let at = bookshelf::domain::clock::rfc3339_from_epoch_millis(started);
    let mut refused = Vec::new();
    let mut books = Vec::with_capacity(lines.len());
    for (offset, line) in lines.iter().enumerate() {
        let number = first_line + offset as u64;
        if line.trim().is_empty() {
            continue;
        }
        progress.add("read", 1);
        match parse_line(line) {
            Ok(fields) => {
                let mut book = Book::create(fields, at.clone());
                book.id = derived_id(import_id, started, number);
                books.push(book);
            }
            Err(reason) => {
                progress.add("refused", 1);
                refused.push((number, reason));
            }
        }
    }
    let mut stored = 0;
    for batch in books.chunks(IMPORT_BATCH) {
        let outcome = store.import_batch(batch, &by).await?;
        progress.add("written", outcome.written);
        progress.add("existing", outcome.existing);
        stored += outcome.written + outcome.existing;
    }
    store.mark_import_chunk(import_id, chunk, stored).await?;
    Ok(refused)
}

/// One line as `POST /books` would take its body, or why not.
fn parse_line(line: &str) -> Result<bookshelf::domain::BookFields, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|error| format!("not JSON: {error}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| "not a JSON object".to_owned())?;
    parse_create(object).map_err(|errors| {
        errors
            .iter()
            .map(|error| format!("{}: {}", error.field, error.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The id of the book on line `line` of the import `import_id` begun at
/// `started` (epoch ms): a UUIDv7 whose time is the import's start and whose
/// random bits are a hash of the import and the line, so every run of the
/// import gives that line the same id.
pub fn derived_id(import_id: &str, started: i64, line: u64) -> BookId {
    let digest = Sha256::new()
        .chain_update(import_id.as_bytes())
        .chain_update(line.to_be_bytes())
        .finalize();
    let mut bytes = [0_u8; 16];
    let millis = u64::try_from(started).unwrap_or_default().to_be_bytes();
    bytes[..6].copy_from_slice(&millis[2..]);
    bytes[6..].copy_from_slice(&digest[..10]);
    bytes[6] = (bytes[6] & 0x0F) | 0x70;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let uuid = uuid::Uuid::from_bytes(bytes);
    BookId::parse(&uuid.hyphenated().to_string()).unwrap_or_else(BookId::generate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_v7_and_distinct() {
        let id = derived_id("abc", 1_767_225_600_000, 7);
        assert_eq!(id, derived_id("abc", 1_767_225_600_000, 7));
        assert_ne!(id, derived_id("abc", 1_767_225_600_000, 8));
        assert_ne!(id, derived_id("abd", 1_767_225_600_000, 7));
        let uuid = uuid::Uuid::parse_str(id.as_str()).unwrap();
        assert_eq!(uuid.get_version_num(), 7);
        assert!(id.as_str().starts_with("019b7"), "{id}");
    }

    #[test]
    fn lines_pass_the_api_rules() {
        assert!(parse_line(r#"{"title": "Dune", "author": "Frank Herbert"}"#).is_ok());
        assert_eq!(
            parse_line(r#"{"title": " ", "author": "A", "extra": 1}"#).unwrap_err(),
            "extra: is not a field of a book; title: must not be empty or blank (nothing visible)"
        );
        assert!(parse_line("[1]").unwrap_err().contains("not a JSON object"));
        assert!(parse_line("{").unwrap_err().starts_with("not JSON"));
    }
}
