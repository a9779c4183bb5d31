//! The write capacity, computed (DynamoDB Local does not throttle): from the
//! partition keys a catalogue's books have on every index, the share of a
//! stream of creates each partition key takes, the busiest one's writes per
//! second at a given rate, and the rate at which it reaches a partition's
//! 1,000 write units a second.

use crate::catalogue::Generated;
use bookshelf::BookId;
use bookshelf::store::ShelfShards;
use std::collections::HashMap;

/// Write units a second one partition takes.
pub const PARTITION_WCU: f64 = 1_000.0;

/// One index's busiest partition key under creates like the catalogue.
#[derive(Debug, Clone)]
pub struct Busiest {
    /// The index.
    pub index: &'static str,
    /// Its busiest partition key.
    pub key: String,
    /// The share of creates that write to that key.
    pub share: f64,
}

impl Busiest {
    /// Write units a second on that key at `creates` a second (book items are
    /// under 1 KB: one unit a write).
    pub fn wcu_at(&self, creates: f64) -> f64 {
        creates * self.share
    }

    /// The create rate at which that key reaches a partition's limit.
    pub fn ceiling(&self) -> f64 {
        PARTITION_WCU / self.share
    }
}

/// Every index's busiest key, for `books` with `ids`, on a shelf of `shelf` shards.
pub fn busiest(books: &[Generated], ids: &[BookId], shelf: ShelfShards) -> Vec<Busiest> {
    let total = books.len() as f64;
    let mut counts: [HashMap<String, u64>; 4] = Default::default();
    for (book, id) in books.iter().zip(ids) {
        *counts[0].entry(shelf.key_of(id)).or_default() += 1;
        *counts[1].entry(book.author.clone()).or_default() += 1;
        if let Some(genre) = &book.genre {
            *counts[2].entry(genre.clone()).or_default() += 1;
            *counts[3]
                .entry(format!("{} / {genre}", book.author))
                .or_default() += 1;
        }
    }
    let names = ["byTitle", "byAuthor", "byGenre", "byAuthorGenre"];
    names
        .iter()
        .zip(counts)
        .filter_map(|(index, counts)| {
            let (key, count) = counts
                .into_iter()
                .max_by_key(|(key, count)| (*count, key.clone()))?;
            Some(Busiest {
                index,
                key,
                share: count as f64 / total,
            })
        })
        .collect()
}
