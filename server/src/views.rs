//! The JSON the call log, text log, settings and API-key routes answer with. Built from the model by hand, so
//! what a response shows (and hides: the Salesforce panel under Limit Data Access) is decided here, visibly.

use crate::model::{Account, ApiKeyInfo, Call, SettingsChange, StoredCallEvent, SyncStatus, Text, User};
use crate::phone;
use crate::salesforce_panel::SalesforcePanel;
use callpop_core::account::{AdminTask, may, may_see_salesforce_panel};
use callpop_core::call::{CallState, Direction};
use callpop_core::wire::Me;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/v1/me`: the signed-in user (the softphone reads the `Me` part), their account's plan, and what they may
/// see and do, so that the admin console offers only what the server will allow. The server still checks every
/// request; these flags only decide what the console lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub me: Me,
    /// `basic`, `sales_engage`, `enterprise` or `connect`.
    pub plan: String,
    /// The plan's name as the price list writes it (`Sales Engage`).
    pub plan_name: String,
    /// Whether the plan includes the Salesforce integration.
    pub salesforce_included: bool,
    /// Whether the user sees every call and text of the account (call managers and above), not only their own.
    pub sees_all_calls: bool,
    /// Whether the user sees the Salesforce panel of the calls and texts they can see (plan and Limit Data Access).
    pub sees_salesforce_panel: bool,
    /// The set-up tasks the user's role may do: `read_integration_options`, `change_integration_options`,
    /// `read_settings_history`, `manage_api_keys`, `download_call_center_definition`.
    pub may: Vec<String>,
}

impl MeView {
    pub fn new(user: &User, account: &Account) -> Self {
        let role = user.role;
        let me = Me {
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: role.as_str().to_owned(),
            account_name: account.name.clone(),
        };
        let salesforce_included = account.plan.includes_salesforce();
        Self {
            me,
            plan: account.plan.as_str().to_owned(),
            plan_name: account.plan.display_name().to_owned(),
            salesforce_included,
            sees_all_calls: role.sees_all_calls(),
            sees_salesforce_panel: salesforce_included
                && may_see_salesforce_panel(role, account.options.limit_data_access),
            may: AdminTask::ALL
                .into_iter()
                .filter(|task| may(role, *task))
                .map(|task| admin_task_name(task).to_owned())
                .collect(),
        }
    }
}

/// A set-up task's name in `MeView::may`.
fn admin_task_name(task: AdminTask) -> &'static str {
    match task {
        AdminTask::ReadIntegrationOptions => "read_integration_options",
        AdminTask::ChangeIntegrationOptions => "change_integration_options",
        AdminTask::ReadSettingsHistory => "read_settings_history",
        AdminTask::ManageApiKeys => "manage_api_keys",
        AdminTask::DownloadCallCenterDefinition => "download_call_center_definition",
        AdminTask::ManageSalesforceLink => "manage_salesforce_link",
        AdminTask::ManageTriggers => "manage_triggers",
        AdminTask::ManageSyncLog => "manage_sync_log",
        AdminTask::ManageUserSessions => "manage_user_sessions",
        AdminTask::ManageSalesforceVoice => "manage_salesforce_voice",
    }
}

/// The agent a call or text was assigned to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    pub email: String,
    pub display_name: String,
}

impl AgentView {
    /// The agent among `users` with this id, if any.
    pub fn find(users: &[User], user_id: Option<i64>) -> Option<Self> {
        let user = users.iter().find(|user| Some(user.id) == user_id)?;
        Some(Self { email: user.email.clone(), display_name: user.display_name.clone() })
    }
}

/// A call in the call log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub call_id: String,
    pub direction: Direction,
    pub state: CallState,
    /// The caller's number as the account writes it in Salesforce: E.164, or with local number format the national
    /// format for the account's own country and the international one for others (`caller_e164` is for dialling).
    pub caller_number: String,
    pub caller_e164: String,
    pub caller_name: Option<String>,
    pub caller_city: Option<String>,
    pub caller_region: Option<String>,
    pub caller_country: Option<String>,
    pub tracking_number: String,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub agent: Option<AgentView>,
    /// The agent as the telephony side named them, even when no user matches.
    pub agent_ref: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<i64>,
    pub disposition: Option<String>,
    pub recording_url: Option<String>,
    pub keywords: Vec<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// The Salesforce sync status; absent for those who may not see the Salesforce panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<SyncStatus>,
}

impl CallView {
    pub fn new(call: &Call, account: &Account, users: &[User], shows_salesforce: bool) -> Self {
        Self {
            call_id: call.call_id.clone(),
            direction: call.direction,
            state: call.state,
            caller_number: phone::as_account_writes(&call.caller_e164, account),
            caller_e164: call.caller_e164.clone(),
            caller_name: call.caller_name.clone(),
            caller_city: call.caller_city.clone(),
            caller_region: call.caller_region.clone(),
            caller_country: call.caller_country.clone(),
            tracking_number: call.tracking_number.clone(),
            tracking_source: call.tracking_source.clone(),
            campaign: call.campaign.clone(),
            agent: AgentView::find(users, call.agent_user_id),
            agent_ref: call.agent_ref.clone(),
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: call.ended_at,
            duration_secs: call.duration_secs,
            disposition: call.disposition.clone(),
            recording_url: call.recording_url.clone(),
            keywords: call.keywords.clone(),
            tags: call.tags.clone(),
            custom_fields: call.custom_fields.clone(),
            sync_status: shows_salesforce.then_some(call.sync_status),
        }
    }
}

/// One event of a call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallEventView {
    /// `ringing`, `answered` or `completed`.
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

impl From<StoredCallEvent> for CallEventView {
    fn from(event: StoredCallEvent) -> Self {
        Self { kind: event.kind, occurred_at: event.occurred_at, received_at: event.received_at }
    }
}

/// `GET /api/v1/calls/{call_id}`: the call, its events, and its Salesforce panel for those who may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallDetailView {
    #[serde(flatten)]
    pub call: CallView,
    pub events: Vec<CallEventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salesforce: Option<SalesforcePanel>,
    /// The org's address for links to records (`{org_url}/{record id}`), with the Salesforce panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_url: Option<String>,
}

/// A page of the call log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallPage {
    pub calls: Vec<CallView>,
    #[serde(flatten)]
    pub page: PageInfo,
}

/// A text in the text log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextView {
    pub message_id: String,
    pub direction: Direction,
    pub from_number: String,
    pub to_number: String,
    pub body: String,
    pub agent: Option<AgentView>,
    pub agent_ref: Option<String>,
    pub tracking_source: Option<String>,
    pub campaign: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The Salesforce sync status; absent for those who may not see the Salesforce panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<SyncStatus>,
}

impl TextView {
    pub fn new(text: &Text, account: &Account, users: &[User], shows_salesforce: bool) -> Self {
        Self {
            message_id: text.message_id.clone(),
            direction: text.direction,
            from_number: phone::as_account_writes(&text.from_e164, account),
            to_number: phone::as_account_writes(&text.to_e164, account),
            body: text.body.clone(),
            agent: AgentView::find(users, text.agent_user_id),
            agent_ref: text.agent_ref.clone(),
            tracking_source: text.tracking_source.clone(),
            campaign: text.campaign.clone(),
            occurred_at: text.occurred_at,
            received_at: text.received_at,
            sync_status: shows_salesforce.then_some(text.sync_status),
        }
    }
}

/// `GET /api/v1/texts/{message_id}`: the text and its Salesforce panel for those who may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextDetailView {
    #[serde(flatten)]
    pub text: TextView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salesforce: Option<SalesforcePanel>,
    /// The org's address for links to records (`{org_url}/{record id}`), with the Salesforce panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_url: Option<String>,
}

/// A page of the text log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextPage {
    pub texts: Vec<TextView>,
    #[serde(flatten)]
    pub page: PageInfo,
}

/// One recorded change of one integration option.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingsChangeView {
    pub setting: String,
    /// The setting's value before and after: an integration option or a call type's logging is on or off, the
    /// `logging.what_id` rule a name, an agent's `salesforce_user.<email>` a Salesforce user id or null.
    pub old_value: serde_json::Value,
    pub new_value: serde_json::Value,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

impl From<SettingsChange> for SettingsChangeView {
    fn from(change: SettingsChange) -> Self {
        Self {
            setting: change.setting,
            old_value: change.old_value,
            new_value: change.new_value,
            changed_by: change.changed_by,
            changed_at: change.changed_at,
        }
    }
}

/// `GET /api/v1/settings/salesforce/changes`: newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingsChangesView {
    pub changes: Vec<SettingsChangeView>,
}

/// An API key as administrators see it: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub label: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyInfo> for ApiKeyView {
    fn from(key: ApiKeyInfo) -> Self {
        Self {
            id: key.id,
            label: key.label,
            prefix: key.prefix,
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// `GET /api/v1/api-keys`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKeyView>,
}

/// `POST /api/v1/api-keys`: the new key, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: i64,
    pub label: String,
    /// The secret. callpop keeps only its hash: copy it now.
    pub api_key: String,
}

/// The answer to a telephony event (call or text): stored, and whether it had been stored before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AcceptedEvent {
    /// The call's or text's id.
    pub id: String,
    /// True when this event had been stored before: nothing new was written.
    pub duplicate: bool,
    /// Whether `agent` named one of the account's users.
    pub agent_known: bool,
}

/// Where a page of a log stands in its search: counts and the cursors either way.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageInfo {
    /// How many items the search matches (the pages together).
    pub total: i64,
    /// How many matching items come before this page (are newer): the page shows items `offset + 1` onwards.
    pub offset: i64,
    /// Pass as `after` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `before` for the previous (newer) page; absent on the first page.
    pub prev_cursor: Option<String>,
}
