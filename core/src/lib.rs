//! callpop-core: the decisions callpop makes, as plain functions and state machines with no I/O.
//!
//! This crate decides what the softphone pops, what it appends, which record legacy mode writes to (`legacy`) and
//! which trigger fires (`triggers`). It never touches a socket, a database, the DOM or a clock: the boundary crates
//! (`callpop-server`, `callpop-adapter`) feed it inputs, including the time, and carry out what it returns.
//! It compiles for native and wasm32 and ships inside the Wasm adapter, so it must stay small: phone formatting
//! and region names live in the server.

pub mod account;
pub mod adapter;
pub mod agent_status;
pub mod call;
pub mod call_logging;
pub mod control;
pub mod history;
pub mod legacy;
pub mod open_cti;
pub mod options;
pub mod record;
pub mod salesforce_hosts;
pub mod screen_pop;
pub mod sign_in;
pub mod triggers;
pub mod voice;
pub mod wire;
pub mod wrap_up;
pub mod write_plan;
