//! `bookshelf-admin`: what an operator runs against a books table, deployed or
//! local, outside any request.
//!
//! - [`migrate`]: brings every book's stored index keys up to date after the
//!   way they are derived changed (the title sort key, the shelf's shards).
//! - [`import`]: loads books from JSON Lines, batched and idempotent.
//! - [`progress`]: the running counts each command reports while it works.
//!
//! It stands beside the product crate (`bookshelf`) and uses its store, so a
//! migration writes exactly the keys the functions write; nothing deployed
//! depends on it.

pub mod connect;
pub mod import;
pub mod migrate;
pub mod progress;
