//! The Salesforce audit trail: what the sync engine sent to Salesforce for each call and text, step by step.
//! It is the data behind the Salesforce panel (`GET /api/v1/calls/{id}/salesforce`).
//!
//! # The contract with the sync engine
//!
//! For every step it takes for a call or a text, the sync engine calls [`SalesforceAuditStore::record_salesforce_step`]
//! once, after the step, in the order the steps happened:
//!
//! - a **search** for the caller's record (`object` the searched objects, e.g. `Lead,Contact`; `record_id` none;
//!   `detail` the search string and how many matched);
//! - the **match** it settled on (`object` and `record_id` of the chosen record; `detail` the rule that chose it:
//!   `single match`, `agent choice`, `trigger "VIP callers"`, `most recently modified`);
//! - a **create** or **update** of a record (`fields` exactly the fields written, as sent);
//! - the **append** of the call's Task (`object` `Task`, `record_id` the Task id, `fields` as sent): the panel shows
//!   the newest successful Task id as the call's Task;
//! - the **campaign** membership (`object` `CampaignMember`, `detail` the Campaign's name).
//!
//! A failed step is recorded too, with `outcome` saying what happens next (`retrying`, `parked`, `failed`) and
//! `error` holding Salesforce's own `errorCode`, `message` and `fields`, untouched: the panel shows them to the admin.
//! `api_requests` is the number of REST requests the step used (retries of the same step included).
//!
//! Each call moves the call's or text's sync status to the step's outcome (`ok` → `synced`, `retrying`, `parked`,
//! `failed`) in the same transaction as the audit row. A new call event or activity append moves it back to
//! `pending`. So the status is "what the last thing that happened says", and the audit rows say why.
//!
//! The subject is named by its row id, as the outbox item carries it (`outbox.call_row_id` or `outbox.text_row_id`),
//! together with the account id; a subject of another account is refused (`sqlx::Error::RowNotFound`) and nothing is
//! written. Entries are never changed or deleted.
//!
//! The sync engine reads integration options with `SettingsStore::integration_options`, once per outbox item.

use super::{SqlStore, in_write_tx, on_db, select_in_chunks};
use crate::model::SyncStatus;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

/// What an audit entry is about: a call or a text, by row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncSubject {
    /// `calls.id`, as `outbox.call_row_id` carries it.
    Call(i64),
    /// `texts.id`, as `outbox.text_row_id` carries it.
    Text(i64),
}

/// The kind of step the sync engine took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStep {
    /// Searched Salesforce for the caller's record.
    Search,
    /// Settled on the record that gets the activity.
    Match,
    /// Created a record (a Lead, usually).
    Create,
    /// Updated a record (or the call's Task, through the call's life).
    Update,
    /// Appended the call's or text's Task to the record.
    Append,
    /// Added the record to the call's Campaign.
    Campaign,
}

/// How the step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Salesforce accepted it.
    Ok,
    /// It failed and will be retried (5xx, `UNABLE_TO_LOCK_ROW`, timeout, `REQUEST_LIMIT_EXCEEDED`).
    Retrying,
    /// It failed in a way a person must fix (validation, required field, picklist, duplicate rule).
    Parked,
    /// It failed for good.
    Failed,
}

impl SyncStep {
    pub const ALL: [SyncStep; 6] =
        [Self::Search, Self::Match, Self::Create, Self::Update, Self::Append, Self::Campaign];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Search => "search",
            Self::Match => "match",
            Self::Create => "create",
            Self::Update => "update",
            Self::Append => "append",
            Self::Campaign => "campaign",
        }
    }
}

impl StepOutcome {
    pub const ALL: [StepOutcome; 4] = [Self::Ok, Self::Retrying, Self::Parked, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Retrying => "retrying",
            Self::Parked => "parked",
            Self::Failed => "failed",
        }
    }

    /// The call's or text's sync status after a step that ended this way.
    pub fn sync_status(self) -> SyncStatus {
        match self {
            Self::Ok => SyncStatus::Synced,
            Self::Retrying => SyncStatus::Retrying,
            Self::Parked => SyncStatus::Parked,
            Self::Failed => SyncStatus::Failed,
        }
    }
}

/// Salesforce's own error, as its REST API returned it (`errorCode`, `message`, `fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SalesforceError {
    pub code: String,
    pub message: String,
    pub fields: Vec<String>,
}

/// One step, as the sync engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct SalesforceStep {
    pub subject: SyncSubject,
    /// The outbox item the step worked on, when there is one.
    pub outbox_id: Option<i64>,
    pub step: SyncStep,
    /// The Salesforce object: `Lead`, `Contact`, `Task`, `CampaignMember`, … (for a search, those searched).
    pub object: Option<String>,
    /// The record's id, when the step names or produced one.
    pub record_id: Option<String>,
    /// The fields written, by API name, exactly as sent. Empty for reads.
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub outcome: StepOutcome,
    /// Salesforce's error when the step failed.
    pub error: Option<SalesforceError>,
    /// How many REST requests the step used.
    pub api_requests: u32,
    /// A sentence for the panel: the rule that chose a record, the search string, the Campaign's name.
    pub detail: Option<String>,
}

impl SalesforceStep {
    /// A step Salesforce accepted in one request, with no detail: what most steps are.
    pub fn accepted(
        subject: SyncSubject,
        step: SyncStep,
        object: &str,
        record_id: Option<&str>,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        Self {
            subject,
            outbox_id: None,
            step,
            object: Some(object.to_owned()),
            record_id: record_id.map(str::to_owned),
            fields,
            outcome: StepOutcome::Ok,
            error: None,
            api_requests: 1,
            detail: None,
        }
    }

    /// The same step, failed with Salesforce's own error, and `outcome` saying what happens next.
    pub fn failed_with(self, outcome: StepOutcome, code: &str, message: &str, fields: &[&str]) -> Self {
        let error = SalesforceError {
            code: code.to_owned(),
            message: message.to_owned(),
            fields: fields.iter().map(|field| (*field).to_owned()).collect(),
        };
        Self { outcome, error: Some(error), ..self }
    }

    /// The same step with a sentence for the panel (the rule that chose a record, the search, the Campaign).
    pub fn with_detail(self, detail: &str) -> Self {
        Self { detail: Some(detail.to_owned()), ..self }
    }
}

/// One stored audit entry, as the panel reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub step: SyncStep,
    pub object: Option<String>,
    pub record_id: Option<String>,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub outcome: StepOutcome,
    pub error: Option<SalesforceError>,
    pub api_requests: i64,
    pub detail: Option<String>,
}

#[async_trait::async_trait]
pub trait SalesforceAuditStore {
    /// Appends one step to the subject's audit trail and sets its sync status from the step's outcome, in one
    /// transaction. Returns the entry's id. See the module documentation for what to record when.
    ///
    /// Fails with `sqlx::Error::RowNotFound`, writing nothing, when the subject is not the account's.
    async fn record_salesforce_step(
        &self,
        account_id: i64,
        step: &SalesforceStep,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64>;

    /// The subject's audit trail, oldest first.
    async fn salesforce_audit(&self, subject: SyncSubject) -> sqlx::Result<Vec<AuditEntry>>;
    /// The records callpop created for these calls (audited `create` steps that succeeded), as (call, record).
    async fn records_created_for_calls(&self, call_row_ids: &[i64]) -> sqlx::Result<Vec<(i64, String)>>;
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    occurred_at: DateTime<Utc>,
    step: String,
    object: Option<String>,
    record_id: Option<String>,
    fields: Json<serde_json::Map<String, serde_json::Value>>,
    outcome: String,
    error_code: Option<String>,
    error_message: Option<String>,
    error_fields: Json<Vec<String>>,
    api_requests: i64,
    detail: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = sqlx::Error;
    fn try_from(row: AuditRow) -> Result<Self, Self::Error> {
        use super::accounts::corrupt;
        let step = SyncStep::ALL
            .into_iter()
            .find(|step| step.as_str() == row.step)
            .ok_or_else(|| corrupt("salesforce_audit.step", &row.step))?;
        let outcome = StepOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == row.outcome)
            .ok_or_else(|| corrupt("salesforce_audit.outcome", &row.outcome))?;
        let error = match (row.error_code, row.error_message) {
            (None, None) => None,
            (code, message) => Some(SalesforceError {
                code: code.unwrap_or_default(),
                message: message.unwrap_or_default(),
                fields: row.error_fields.0,
            }),
        };
        Ok(AuditEntry {
            id: row.id,
            occurred_at: row.occurred_at,
            step,
            object: row.object,
            record_id: row.record_id,
            fields: row.fields.0,
            outcome,
            error,
            api_requests: row.api_requests,
            detail: row.detail,
        })
    }
}

/// The subject's table and the audit column that points at it.
fn subject_columns(subject: SyncSubject) -> (&'static str, &'static str, i64) {
    match subject {
        SyncSubject::Call(row_id) => ("calls", "call_row_id", row_id),
        SyncSubject::Text(row_id) => ("texts", "text_row_id", row_id),
    }
}

#[async_trait::async_trait]
impl SalesforceAuditStore for SqlStore {
    async fn record_salesforce_step(
        &self,
        account_id: i64,
        step: &SalesforceStep,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        let (table, column, row_id) = subject_columns(step.subject);
        let update_status = format!("UPDATE {table} SET sync_status = $1 WHERE id = $2 AND account_id = $3");
        let insert_entry = format!(
            "INSERT INTO salesforce_audit (account_id, {column}, outbox_id, occurred_at, step, object, record_id,
                fields, outcome, error_code, error_message, error_fields, api_requests, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id"
        );
        let error = step.error.as_ref();
        in_write_tx!(self.db(), tx => {
            let updated = sqlx::query(sqlx::AssertSqlSafe(update_status))
                .bind(step.outcome.sync_status().as_str())
                .bind(row_id)
                .bind(account_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 0 {
                return Err(sqlx::Error::RowNotFound);
            }
            sqlx::query_scalar(sqlx::AssertSqlSafe(insert_entry))
                .bind(account_id)
                .bind(row_id)
                .bind(step.outbox_id)
                .bind(now)
                .bind(step.step.as_str())
                .bind(&step.object)
                .bind(&step.record_id)
                .bind(Json(&step.fields))
                .bind(step.outcome.as_str())
                .bind(error.map(|error| error.code.as_str()))
                .bind(error.map(|error| error.message.as_str()))
                .bind(Json(error.map(|error| error.fields.as_slice()).unwrap_or_default()))
                .bind(i64::from(step.api_requests))
                .bind(&step.detail)
                .fetch_one(&mut *tx)
                .await
        })
    }

    async fn records_created_for_calls(&self, call_row_ids: &[i64]) -> sqlx::Result<Vec<(i64, String)>> {
        let sql = "SELECT call_row_id, record_id FROM salesforce_audit
                   WHERE call_row_id IN ({list}) AND step = 'create' AND outcome = 'ok' AND record_id IS NOT NULL";
        Ok(select_in_chunks!(self.db(), (i64, String), sql, call_row_ids))
    }

    async fn salesforce_audit(&self, subject: SyncSubject) -> sqlx::Result<Vec<AuditEntry>> {
        let (_, column, row_id) = subject_columns(subject);
        let sql = format!(
            "SELECT id, occurred_at, step, object, record_id, fields, outcome, error_code, error_message, error_fields,
                    api_requests, detail
             FROM salesforce_audit WHERE {column} = $1 ORDER BY id"
        );
        let rows: Vec<AuditRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(row_id).fetch_all(pool).await?
        });
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
