//! Everything the Bookshelf functions share, in three layers:
//!
//! - [`book`]: the domain — what a book is and which input makes a valid one.
//!   It knows nothing of HTTP or DynamoDB.
//! - [`store`]: DynamoDB items, conditional writes and the classification of SDK
//!   errors into domain outcomes.
//! - [`http`]: the HTTP conventions every route follows — JSON bodies, ETags and
//!   preconditions, list cursors, and [`ApiError`], the one error type that crosses
//!   the wire as `application/problem+json`.
//!
//! [`app`] wires them together for a Lambda function: configuration is read and the
//! DynamoDB client built once per cold start, then every event borrows them.

pub mod app;
pub mod book;
pub mod clock;
pub mod event_check;
pub mod history;
pub mod http;
pub mod store;
pub mod tutorial;

pub use app::{App, Config};
pub use book::{Book, BookId};
pub use http::ApiError;

#[cfg(feature = "testing")]
pub mod testing;
