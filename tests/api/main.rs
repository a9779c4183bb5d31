//! Every end-to-end test of Bookshelf, in one test binary (one link of the AWS
//! SDK instead of one per file): the real function binaries behind the local
//! runner, over HTTP and the Lambda Runtime API, against DynamoDB Local.
//!
//! One module per feature; each test starts what it needs through
//! `bookshelf_testing` (`LocalApi::start` for the whole stack) with tables of
//! its own, so tests never share state. Run with `make test`.

mod auth;
mod bad_events;
mod books_api;
mod contract;
mod failures;
mod faults;
mod history;
mod invoke;
mod load;
mod observability;
mod runner;
mod scaling;
mod streams;
mod tls;
mod tutorial;
mod watch;
