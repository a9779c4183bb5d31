//! Event source mappings from DynamoDB (Local) streams to functions: poll each shard, build
//! Lambda's DynamoDB event, apply `FilterCriteria`, honour `BatchSize` and the retry rules.

pub mod delivery;
pub mod filter;
pub mod get_records;
mod poller;
pub mod record;

pub use poller::{Mapping, StreamError, start};
