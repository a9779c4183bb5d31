//! Test support for the whole workspace, in one dev-only crate: real events,
//! fresh DynamoDB Local tables shaped by `template.yaml`, handler calls, the
//! local runner for end-to-end tests, and one response type with the
//! assertion every problem answer meets.
//!
//! It depends on the product (`bookshelf`) and on the local runner
//! (`bookshelf-local`), never the reverse: function crates and the end-to-end
//! tests take it as a dev-dependency, so no deployed binary links it.
//!
//! Needs `DYNAMODB_ENDPOINT`: run the tests with `make test`, which starts a
//! DynamoDB Local for them (`bookshelf-local with-dynamodb -- …`).

pub mod event;
pub mod handler;
pub mod local_api;
pub mod response;
pub mod table;

pub use event::{ApiEvent, book_image, stream_event, stream_record};
pub use handler::{
    TEST_CURSOR_SECRET, app, app_with_shelf, call, seed, stored_count, template_shelf_shards,
    test_writer,
};
pub use local_api::{LocalApi, LocalApiOptions, build_dir};
pub use response::{Response, assert_problem};
pub use table::{TestTable, endpoint};
