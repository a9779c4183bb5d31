//! The shelf: the `byTitle` index's partitions. Every book sits on one of N
//! shard keys, chosen from its id, so the catalogue's writes spread over N
//! partitions of the index instead of one (a partition takes about 1,000
//! writes a second; an index that cannot keep up throttles the table).
//! Listing merges the shards' Queries back into one order (`super::list`).
//!
//! Shard 0 is `books`, the key every book had before sharding, and shard `s`
//! is `books#s`: the keys of N shards are the first N of the keys of any
//! larger count. Raising N (a deploy) keeps every stored book on a key the
//! new count reads, so listings stay whole; `bookshelf-admin migrate` then
//! moves books to their new shards to even the load out.

use crate::domain::BookId;
use sha2::{Digest, Sha256};

/// The `byTitle` partition key every book had before sharding: shard 0.
const FIRST_SHARD: &str = "books";

/// How many shard keys the shelf spreads books over (the stack's
/// `ShelfShards` parameter, the functions' `SHELF_SHARDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShelfShards(u32);

/// A shard count outside 1 to [`ShelfShards::MAX`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the shelf's shard count must be a whole number from 1 to {max}, got {0:?}", max = ShelfShards::MAX)]
pub struct InvalidShardCount(pub String);

impl ShelfShards {
    /// The most shards a stack may have: a page reads every shard at least
    /// once, so N bounds a page's Query requests from below.
    pub const MAX: u32 = 64;
    /// One shard: the whole shelf on one partition key (`books`).
    pub const ONE: Self = Self(1);

    /// `count` shards, if within 1 to [`Self::MAX`].
    pub fn new(count: u32) -> Result<Self, InvalidShardCount> {
        if (1..=Self::MAX).contains(&count) {
            Ok(Self(count))
        } else {
            Err(InvalidShardCount(count.to_string()))
        }
    }

    /// Reads a count as written in the environment (`SHELF_SHARDS=4`).
    pub fn parse(raw: &str) -> Result<Self, InvalidShardCount> {
        raw.trim()
            .parse::<u32>()
            .ok()
            .and_then(|count| Self::new(count).ok())
            .ok_or_else(|| InvalidShardCount(raw.to_owned()))
    }

    /// The count.
    pub fn count(self) -> u32 {
        self.0
    }

    /// The shard key of the book `id`: a hash of the id (uniform, and stable
    /// across releases and machines) modulo the count.
    pub fn key_of(self, id: &BookId) -> String {
        let digest = Sha256::digest(id.as_str().as_bytes());
        let hash = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        shard_key(hash % self.0)
    }

    /// Every shard key, in shard order.
    pub fn keys(self) -> impl Iterator<Item = String> {
        (0..self.0).map(shard_key)
    }
}

/// The partition key of shard `shard`.
fn shard_key(shard: u32) -> String {
    if shard == 0 {
        FIRST_SHARD.to_owned()
    } else {
        format!("{FIRST_SHARD}#{shard}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_checked() {
        assert_eq!(ShelfShards::parse("4").map(ShelfShards::count), Ok(4));
        assert_eq!(ShelfShards::parse(" 1 ").map(ShelfShards::count), Ok(1));
        for bad in ["0", "65", "-1", "four", "", "1.5"] {
            assert!(ShelfShards::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_shard_is_the_shelf_before_sharding() {
        let id = BookId::generate();
        assert_eq!(ShelfShards::ONE.key_of(&id), "books");
        assert_eq!(ShelfShards::ONE.keys().collect::<Vec<_>>(), ["books"]);
    }

    #[test]
    fn a_larger_count_reads_every_key_of_a_smaller_one() {
        let four: Vec<String> = ShelfShards::new(4).unwrap().keys().collect();
        let sixteen: Vec<String> = ShelfShards::new(16).unwrap().keys().collect();
        assert_eq!(four, ["books", "books#1", "books#2", "books#3"]);
        assert!(four.iter().all(|key| sixteen.contains(key)));
    }

    #[test]
    fn books_spread_evenly_and_stay_put() {
        let shards = ShelfShards::new(8).unwrap();
        let mut counts = std::collections::HashMap::new();
        for _ in 0..8_000 {
            let id = BookId::generate();
            assert_eq!(shards.key_of(&id), shards.key_of(&id));
            *counts.entry(shards.key_of(&id)).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 8);
        // 1,000 expected per shard; a fair hash stays well within ±20 %.
        assert!(
            counts.values().all(|&n| (800..1200).contains(&n)),
            "{counts:?}"
        );
    }
}
