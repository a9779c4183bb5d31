//! Bookshelf's Docker-free local runner: reads `template.yaml` and serves it on one machine,
//! with API Gateway (HTTP API, payload 2.0), the Lambda Runtime API for the real function
//! binaries, DynamoDB Local and its streams.
//!
//! `bookshelf-local serve` runs everything (`make dev`); `bookshelf-local with-dynamodb --
//! <command>` runs a command (the test suite) next to a throwaway DynamoDB Local;
//! `bookshelf-local replay-failures` invokes a stream function again with the records it gave
//! up on.
pub mod auth;
pub mod cli;
pub mod client;
pub mod dynamodb_local;
pub mod gateway;
pub mod invoke;
pub mod lambda;
pub mod metrics;
pub mod one_off;
pub mod process;
pub mod replay;
pub mod serve;
pub mod streams;
pub mod tables;
pub mod template;
pub mod tls;
pub mod with_dynamodb;
pub mod workspace;
