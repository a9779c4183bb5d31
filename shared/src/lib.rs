//! Everything the Bookshelf functions share, in layers. Each layer knows the
//! layers above it in this list and nothing below it:
//!
//! 1. [`domain`]: what a book is, which input makes a valid one, what a history
//!    entry records, and the clock's format. It knows nothing of HTTP or DynamoDB.
//! 2. [`store`]: DynamoDB items, keys, conditional writes, page positions, and
//!    the one place SDK errors are classified into domain outcomes. It knows the
//!    domain, not HTTP.
//! 3. [`http`]: the HTTP conventions every route follows — JSON bodies, ETags and
//!    preconditions, signed cursors (from the store's page positions), the
//!    tutorial's representation, and [`ApiError`], the one error type that
//!    crosses the wire as `application/problem+json`. It knows both layers above.
//! 4. [`app`]: wiring only — configuration and the DynamoDB client, built once
//!    per cold start, and the serve loops every function runs through.
//!
//! A function crate (`functions/<route>`) is a handler over these: HTTP in,
//! HTTP out, a few lines per route.

pub mod app;
pub mod domain;
pub mod http;
pub mod store;

pub use app::{App, Config};
pub use domain::{Book, BookId};
pub use http::ApiError;
