//! Event source mappings from DynamoDB (Local) streams to functions: poll each shard, build
//! Lambda's DynamoDB event, apply `FilterCriteria`, honour `BatchSize` and the retry rules,
//! and write what is given up on to the S3 on-failure destination's folder.

pub mod delivery;
pub mod failure;
pub mod filter;
pub mod get_records;
mod poller;
pub mod record;

pub use poller::{Mapping, StreamError, start};
