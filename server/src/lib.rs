//! callpop-server: receives the telephony side's call events, streams them to agents' softphones, stores activity
//! appends, and (through its sync engine) writes call activity into Salesforce.
//!
//! This is the only crate that knows HTTP (axum), SQL (sqlx), the Salesforce REST API and phone-number formatting.
//! The decisions it makes (what to pop, which record, which trigger) are `callpop-core`'s.

pub mod app;
pub mod auth;
pub mod call_center;
pub mod calls;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod local_org;
pub mod metrics;
pub mod model;
pub mod phone;
pub mod provision;
pub mod region;
pub mod routes;
pub mod salesforce;
pub mod salesforce_panel;
pub mod secrets;
pub mod simulate;
#[cfg(test)]
mod source_files;
pub mod state;
pub mod store;
pub mod streams;
pub mod sync;
pub mod time_zone;
pub mod validate;
pub mod views;

pub use app::Application;
pub use config::Config;
