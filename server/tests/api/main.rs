//! callpop-server's API tests: one binary, each test spawning the real application on port 0 against SQLite and
//! against PostgreSQL (each PostgreSQL test in its own schema). See `helpers.rs`.

mod database_proxy;
mod helpers;

mod accounts;
mod agent_history;
mod bad_input;
mod call_center;
mod call_commands;
mod call_log;
mod console;
mod console_search;
mod dial;
mod errors;
mod event_sanity;
mod logging_policy;
mod operations;
mod org;
mod salesforce_hosts;
mod salesforce_panel;
mod settings;
mod sign_in_guard;
mod softphone;
mod sync_admin;
mod sync_dates;
mod sync_events;
mod sync_failures;
mod sync_identity;
mod sync_legacy;
mod sync_requests;
mod sync_sessions;
mod sync_triggers;
mod sync_unlogged;
mod texts;
mod two_servers;
mod voice;
mod wrap_up;
