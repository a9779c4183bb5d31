//! The local runner's own tests, in one test binary: the API Gateway events it
//! builds (and the sample events in `events/`, by the same rules), its Lambda
//! emulation with a real process, and the tables it creates.

mod gateway_events;
mod lambda;
mod sample_events;
mod tables;
