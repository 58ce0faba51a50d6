//! The server's records: accounts, users and calls as the handlers and the sync engine use them.
//! The store turns rows into these; nothing here talks to the database.

use callpop_core::account::{Plan, Role};
use callpop_core::call::{CallState, Direction};
use callpop_core::options::IntegrationOptions;
use chrono::{DateTime, Utc};

/// A customer account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    /// The id shown outside the server (the call center definition's custom section, support).
    pub public_id: String,
    pub name: String,
    pub plan: Plan,
    /// The ISO 3166 region used to read numbers written without a country code (`US` when unset).
    pub default_region: String,
    /// Where this account reaches the server from Salesforce, e.g. `https://callpop.example.com`.
    pub public_base_url: String,
    pub options: IntegrationOptions,
}

/// A person who signs in: an agent, a manager or an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub salesforce_user_id: Option<String>,
}

/// A signed-in user with their account.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    pub account: Account,
}

/// A call as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: i64,
    pub account_id: i64,
    /// The telephony side's id.
    pub call_id: String,
    pub direction: Direction,
    pub state: CallState,
    pub caller_e164: String,
    pub caller_name: Option<String>,
    pub caller_city: Option<String>,
    pub caller_region: Option<String>,
    pub caller_country: Option<String>,
    pub tracking_number: String,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub agent_user_id: Option<i64>,
    /// The agent as the telephony side named them, kept even when no user matches.
    pub agent_ref: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<i64>,
    pub disposition: Option<String>,
    pub recording_url: Option<String>,
    pub keywords: Vec<String>,
    pub tags: Vec<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// Legacy mode: the record the sync engine chose for this caller.
    pub salesforce_record_id: Option<String>,
    pub salesforce_record_type: Option<String>,
    pub popped_at: Option<DateTime<Utc>>,
    pub popped_by_user_id: Option<i64>,
}

/// A call event as the telephony side reported it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCallEvent {
    pub call_id: String,
    pub state: CallState,
    pub direction: Direction,
    pub caller_e164: String,
    pub caller_name: Option<String>,
    pub caller_city: Option<String>,
    pub caller_region: Option<String>,
    pub caller_country: Option<String>,
    pub tracking_number: String,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub agent_ref: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub duration_secs: Option<i64>,
    pub disposition: Option<String>,
    pub recording_url: Option<String>,
    pub keywords: Vec<String>,
    pub tags: Vec<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// The body as received, kept with the event for the audit trail.
    pub raw: serde_json::Value,
}

/// What storing a call event did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCallEvent {
    pub call: Call,
    /// True when this event had been stored before (a telephony retry): nothing new was written.
    pub duplicate: bool,
}

/// The outcome of an agent's softphone asking to pop a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopClaimOutcome {
    Claimed,
    AlreadyPopped,
    NotFound,
}

/// An activity append from a softphone, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    pub call_id: String,
    pub record_id: String,
    pub record_type: String,
    pub chosen_by: String,
}

/// What storing an activity append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedActivity {
    pub activity_id: i64,
    pub duplicate: bool,
}
