//! The Salesforce REST client: the only place in callpop that knows Salesforce's HTTP API.
//!
//! Building blocks for the sync engine, each usable and tested on its own:
//! - [`oauth`]: linking an org (web-server flow with PKCE and state, code exchange, refresh, revoke);
//! - [`cipher`]: tokens encrypted at rest ([`TokenCipher`]);
//! - [`client`]: the REST requests ([`SalesforceClient`]): search, sObject create/get/update/delete, upsert by
//!   external id, queries with paging, composite requests, collections; each counted, with the org's API usage;
//! - [`error`]: every failure shape parsed, and classified into a [`RetryClass`];
//! - [`limits`]: the `Sforce-Limit-Info` header;
//! - [`hosts`]: which hosts may receive credentials (login, instance and identity URLs are checked first);
//! - [`escape`]: SOSL and SOQL escaping; [`search`]: the phone search; [`composite`]: `@{ref}` requests;
//!   [`record`]: records and save results;
//! - [`telephony`]: Salesforce Voice's Telephony Integration REST API ([`TelephonyClient`]): VoiceCalls created and
//!   updated as the telephony vendor, each request signed with a fresh JWT.
//!
//! What it must not do: retry, wait, refresh on its own, or decide which record a call belongs to. Those are the
//! sync engine's (retries, refresh) and `callpop_core::legacy`'s and `callpop_core::triggers`' (decisions).

pub mod cipher;
pub mod client;
pub mod composite;
pub mod error;
pub mod escape;
pub mod hosts;
pub mod limits;
pub mod oauth;
pub mod record;
pub mod search;
pub mod soql;
pub mod telephony;

#[cfg(test)]
mod wire_tests;

pub use cipher::TokenCipher;
pub use client::{API_VERSION, SalesforceClient, Session};
pub use error::{RetryClass, SalesforceError};
pub use telephony::TelephonyClient;
