//! The JSON messages the server and the softphone exchange: the agent's event stream, pop claims, activity appends,
//! login, and the softphone's configuration. The one message set both sides compile against.

use crate::call::{CallState, Direction};
pub use crate::control::{CommandRequest, ControlState};
use crate::options::IntegrationOptions;
use serde::{Deserialize, Serialize};

/// The hand-written schemas of `ActivityAppend` and `DialRequest`, whose rules cross fields.
#[cfg(feature = "openapi")]
mod openapi;

/// A call as the agent's event stream reports it. Sent on every change; the newest one for a call id wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallUpdate {
    pub call_id: String,
    pub state: CallState,
    pub direction: Direction,
    /// The caller's number formatted per the account's options; the softphone shows it and searches with it.
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    /// When the call started, RFC 3339.
    pub started_at: String,
    /// True once one of this agent's softphones popped the call: the others show it as handled and do not pop.
    #[serde(default)]
    pub popped: bool,
    /// Who popped it, when that was another agent (a call handed over after they answered it): their name. `None`
    /// while nobody popped it, and when one of this agent's own softphones did (another tab).
    #[serde(default)]
    pub popped_by_other_agent: Option<String>,
    /// Legacy mode: the record the server chose for this caller, which the softphone pops.
    #[serde(default)]
    pub record: Option<RecordRef>,
    /// The record an agent of this account picked for this number the last time several matched; the dialog
    /// offers it first, marked as such.
    #[serde(default)]
    pub remembered_record: Option<String>,
    /// The account's integration options when this update was sent, so a change applies to the next call.
    pub options: IntegrationOptions,
    /// The call's controls as the telephony side confirmed them (held, muted, transferred), and the command
    /// waiting for it (`control.rs`).
    #[serde(default)]
    pub control: ControlState,
    /// The notes and disposition the server holds for the call, sent with the calls a softphone gets when it
    /// (re)loads (the first events of a fresh stream), so that a card drawn anew shows what the agent wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_wrap_up: Option<SavedWrapUp>,
    /// The call ended and is still in the agent's after-call work (`wrap_up::after_call_work_covers`): sent with
    /// the calls a softphone gets when it (re)loads, so the ended call's card comes back until the agent clicks
    /// Done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_call_work: bool,
}

/// The agent's notes and disposition for a call, as the server holds them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedWrapUp {
    pub notes: String,
    pub disposition: Option<String>,
}

/// A record named by id and object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRef {
    pub id: String,
    pub object: String,
    /// callpop created this record for the call (a new caller's Lead, in legacy mode): Lightning opens it in its
    /// Edit form, as Lightning opens every new Lead.
    #[serde(default)]
    pub created: bool,
}

/// How the record that gets a call's activity was chosen; shown in the call's Salesforce panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChoiceReason {
    /// The softphone's search found exactly one record.
    SingleMatch,
    /// The agent picked the record in the multi-match dialog.
    AgentChoice,
    /// The agent saved a new record from the pre-filled form, or the softphone created it (Classic auto-create).
    NewRecord,
    /// The agent dialled from this record.
    ClickToDial,
}

impl ChoiceReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleMatch => "single_match",
            Self::AgentChoice => "agent_choice",
            Self::NewRecord => "new_record",
            Self::ClickToDial => "click_to_dial",
        }
    }
}

/// `POST /api/v1/activities`: append this call's activity to a record the softphone chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityAppend {
    pub call_id: String,
    pub record_id: String,
    pub record_type: String,
    pub chosen_by: ChoiceReason,
}

/// `POST /api/v1/agent/dial`: the agent clicked a number in Salesforce (click-to-dial). The server asks the
/// telephony side to place the call and appends its activity to the record the agent dialled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialRequest {
    /// The number to call; read in the account's region when it has no country code.
    pub number: String,
    #[serde(default)]
    pub record_id: Option<String>,
    #[serde(default)]
    pub record_type: Option<String>,
}

/// The answer to a dial request: its id. The telephony side places the call and reports it naming this id; the
/// outbound call then arrives on the agent's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DialResponse {
    pub dial_request_id: i64,
}

/// The answer to `POST /api/v1/agent/calls/{call_id}/pop`: whether this softphone may pop the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PopClaim {
    pub claimed: bool,
}

/// `POST /api/v1/sessions`: an agent or admin signs in. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Also keep the session in a partitioned, HttpOnly cookie (the softphone, whose frame may have no storage).
    #[serde(default)]
    pub session_cookie: bool,
}

/// The answer to a sign-in: a bearer token for `Authorization: Bearer …`, and who signed in. `Debug` never shows
/// the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub email: String,
    pub role: String,
    pub account_name: String,
}

/// `GET /api/v1/me`: the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub account_name: String,
}

/// `POST /api/v1/agent/stream-tickets`: a short-lived ticket that authorises one event-stream connection
/// (`EventSource` cannot send an `Authorization` header, and a long-lived token does not belong in a URL). `Debug`
/// never shows the ticket.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_in_secs: u32,
}

/// Credentials print as `[REDACTED]`: a `?request` in a log line or a panic message must not leak them. (The
/// `secrecy` crate does this for the server's own secrets; these messages are plain strings because they cross
/// the wire to and from the Wasm softphone, which does not carry that crate.)
const REDACTED: &str = "[REDACTED]";

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &REDACTED)
            .field("session_cookie", &self.session_cookie)
            .finish()
    }
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LoginResponse")
            .field("token", &REDACTED)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("account_name", &self.account_name)
            .finish()
    }
}

impl std::fmt::Debug for StreamTicket {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StreamTicket")
            .field("ticket", &REDACTED)
            .field("expires_in_secs", &self.expires_in_secs)
            .finish()
    }
}

/// `GET /api/v1/softphone/config`: what the softphone needs before anyone signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SoftphoneConfig {
    /// The Open CTI API version whose libraries the softphone loads, e.g. `62.0`.
    pub api_version: String,
    /// Origins besides Salesforce's own domains that may frame the softphone and serve its Open CTI library
    /// (the local org in the demo and the tests). Empty in production.
    pub extra_org_origins: Vec<String>,
}

/// Every 4xx and 5xx answer of the API: a stable code, a sentence for people, and the field at fault if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET/PUT /api/v1/settings/wrap-up` (administrators), `GET /api/v1/agent/wrap-up-settings` (agents): the
/// account's disposition list and its after-call work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrapUpSettings {
    /// The dispositions agents pick from, in the administrator's order: each 1 to 255 characters, unique ignoring
    /// case, at most 100.
    pub dispositions: Vec<String>,
    /// How long after-call work lasts after an answered call ends, in seconds (0 to 3600; 0: none).
    #[cfg_attr(feature = "openapi", schema(maximum = 3600))]
    pub wrap_up_secs: u32,
}

/// `PUT /api/v1/agent/calls/{call_id}/wrap-up`: the agent's notes and disposition for a call, and whether they are
/// done with it (which ends after-call work).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallWrapUp {
    /// At most 32 KB of UTF-8.
    #[serde(default)]
    pub notes: String,
    /// One of the account's dispositions, or none.
    #[serde(default)]
    pub disposition: Option<String>,
    #[serde(default)]
    pub done: bool,
}

/// What the server holds of a call's wrap-up, and the agent's status after saving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallWrapUpSaved {
    pub call_id: String,
    pub notes: String,
    pub disposition: Option<String>,
    /// Who wrote them last (their email) and when, RFC 3339.
    pub written_by: String,
    pub written_at: String,
    pub status: AgentStatusView,
}

/// `PUT /api/v1/agent/status`: the status the agent chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetAgentStatus {
    pub status: crate::agent_status::AgentStatus,
}

/// An agent's status: the effective one (what the telephony side reads), the one they chose, and, in after-call
/// work, when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStatusView {
    pub status: crate::agent_status::AgentStatus,
    pub chosen: crate::agent_status::AgentStatus,
    /// When the chosen status was set, RFC 3339; `None` for an agent who never chose one (available).
    pub chosen_at: Option<String>,
    /// The end of after-call work, RFC 3339, and the seconds left of it when the server answered.
    pub after_call_work_until: Option<String>,
    pub after_call_work_remaining_secs: Option<u32>,
}

/// One agent in `GET /api/v1/agent-statuses` (the telephony side, by API key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStatusEntry {
    /// The agent as the telephony side names them in call events (`agent`): their email.
    pub agent: String,
    pub display_name: String,
    /// The effective status.
    pub status: crate::agent_status::AgentStatus,
    /// In after-call work: when it ends, RFC 3339.
    pub after_call_work_until: Option<String>,
}

/// `GET /api/v1/agent-statuses`: every user of the account with their effective status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStatuses {
    pub agents: Vec<AgentStatusEntry>,
}

/// Whether a Recent entry is a call or a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HistoryKind {
    Call,
    Text,
}

impl HistoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Text => "text",
        }
    }
}

/// `GET /api/v1/agent/history`: one of the agent's recent calls or texts, newest first (`history` decides what
/// the softphone shows for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub kind: HistoryKind,
    /// The call's id, or the text's message id.
    pub id: String,
    pub direction: Direction,
    /// The other party's number, formatted per the account's options.
    pub number: String,
    /// The same number in E.164, which a call back dials.
    pub number_e164: String,
    /// The caller's name, when caller ID gave one.
    pub name: Option<String>,
    /// When the call started or the text was sent, RFC 3339.
    pub at: String,
    /// A call's state; `None` for a text.
    pub state: Option<CallState>,
    /// Whether anyone answered the call (always false for a text).
    pub answered: bool,
    /// The record the call or text was logged to, when one is known.
    pub record: Option<RecordRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_credential() {
        let login = LoginRequest {
            email: "agent@acme.test".to_owned(),
            password: "hunter2-SECRET".to_owned(),
            session_cookie: true,
        };
        let session = LoginResponse {
            token: "cps_SECRET".to_owned(),
            email: "agent@acme.test".to_owned(),
            role: "call_agent".to_owned(),
            account_name: "Acme".to_owned(),
        };
        let ticket = StreamTicket { ticket: "cpt_SECRET".to_owned(), expires_in_secs: 60 };
        for shown in [format!("{login:?}"), format!("{session:?}"), format!("{ticket:?}")] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("[REDACTED]"), "{shown}");
        }
        assert!(format!("{login:?}").contains("agent@acme.test"), "the rest stays readable");
    }
}
