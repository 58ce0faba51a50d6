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
    pub sync_status: SyncStatus,
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

/// What the store did with a call event: stored it (or found it stored before), or refused it because it contradicts
/// the call its id names (checked inside the writing transaction, so two racing events cannot both pass).
#[derive(Debug, Clone, PartialEq)]
pub enum CallEventOutcome {
    Recorded(Box<RecordedCallEvent>),
    Contradicts(callpop_core::call::Contradiction),
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

/// Where a call's or text's Salesforce sync stands, as the call log and the Salesforce panel show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Something was stored that the sync engine has not written yet.
    Pending,
    /// The sync engine's last step succeeded.
    Synced,
    /// The last step failed in a way that is retried (5xx, lock, timeout, request limit).
    Retrying,
    /// The last step failed in a way that needs a person (validation, required field, picklist, duplicate rule).
    Parked,
    /// The last step failed for good.
    Failed,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 5] =
        [SyncStatus::Pending, SyncStatus::Synced, SyncStatus::Retrying, SyncStatus::Parked, SyncStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Synced => "synced",
            Self::Retrying => "retrying",
            Self::Parked => "parked",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// One stored event of a call, for the call log's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCallEvent {
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// An activity append as stored, for the Salesforce panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredActivity {
    pub record_id: String,
    pub record_type: String,
    pub chosen_by: String,
    pub user_email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A text message (SMS) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub id: i64,
    pub account_id: i64,
    /// The telephony side's id for the message.
    pub message_id: String,
    pub direction: Direction,
    pub from_e164: String,
    pub to_e164: String,
    pub body: String,
    pub agent_user_id: Option<i64>,
    pub agent_ref: Option<String>,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub sync_status: SyncStatus,
}

/// A text event as the telephony side reported it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTextEvent {
    pub message_id: String,
    pub direction: Direction,
    pub from_e164: String,
    pub to_e164: String,
    pub body: String,
    pub agent_ref: Option<String>,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The body as received, kept with the text for the audit trail.
    pub raw: serde_json::Value,
}

/// What storing a text event did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedText {
    pub text: Text,
    /// True when this message had been stored before (a telephony retry): nothing new was written.
    pub duplicate: bool,
}

/// One change to one integration option.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsChange {
    pub setting: String,
    pub old_value: serde_json::Value,
    pub new_value: serde_json::Value,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// An API key as an administrator sees it: never the secret, which was shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    pub id: i64,
    pub label: String,
    /// The key's first characters, to recognise it (`cpk_AbC123`).
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
