//! `bookshelf-admin migrate`: every book's index keys brought up to date by
//! the store's own derivation (`BookStore::rekey_books`), over a parallel
//! Scan of the table.
//!
//! Run it after deploying functions that derive keys a new way (they write
//! new keys from then on); until it ends, books not yet migrated keep their
//! old keys. It is safe to run while the API serves, to interrupt, and to run
//! again: a book already up to date is only read.

use crate::progress::Progress;
use bookshelf::store::{BookStore, StoreError};
use std::sync::Arc;

/// The counters a migration reports.
pub const COUNTERS: &[&str] = &["examined", "rekeyed", "raced"];

/// Migrates every book of `store`'s table with `segments` Scan segments
/// working at once, counting in `progress` (see [`COUNTERS`]).
///
/// # Errors
/// The first [`StoreError`] any segment met (the other segments stop too).
pub async fn migrate(
    store: &BookStore,
    segments: i32,
    progress: &Arc<Progress>,
) -> Result<(), StoreError> {
    let mut workers = tokio::task::JoinSet::new();
    for segment in 0..segments {
        let store = store.clone();
        let progress = Arc::clone(progress);
        workers.spawn(async move {
            let mut start = None;
            loop {
                let page = store.rekey_books(segment, segments, start).await?;
                progress.add("examined", page.examined);
                progress.add("rekeyed", page.rekeyed);
                progress.add("raced", page.raced);
                match page.next {
                    Some(next) => start = Some(next),
                    None => return Ok::<(), StoreError>(()),
                }
            }
        });
    }
    while let Some(finished) = workers.join_next().await {
        match finished {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(error),
            Err(panicked) => return Err(StoreError::Internal(panicked.to_string())),
        }
    }
    Ok(())
}
