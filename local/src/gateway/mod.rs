//! API Gateway, locally: an HTTP API (payload format 2.0) on 127.0.0.1 whose routes invoke
//! the template's functions.

pub mod event;
pub mod ids;
pub mod limits;
pub mod path;
pub mod response;
pub mod routes;
mod server;

pub use server::{FUNCTIONS_PATH, Gateway, LiveGateway, Target, serve};
