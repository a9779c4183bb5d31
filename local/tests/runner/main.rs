//! The local runner's own tests, in one test binary: the API Gateway events it
//! builds, its Lambda emulation with a real process, and the tables it creates.

mod gateway_events;
mod lambda;
mod tables;
