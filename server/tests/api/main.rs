//! callpop-server's API tests: one binary, each test spawning the real application on port 0 against SQLite and
//! against PostgreSQL (each PostgreSQL test in its own schema). See `helpers.rs`.

mod helpers;

mod accounts;
mod bad_input;
mod call_center;
mod call_log;
mod console;
mod dial;
mod operations;
mod org;
mod salesforce_panel;
mod settings;
mod sync_admin;
mod sync_events;
mod sync_failures;
mod sync_identity;
mod sync_legacy;
mod sync_sessions;
mod sync_triggers;
mod texts;
