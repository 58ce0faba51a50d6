//! What the sync engine reads and writes besides the audit trail: the outbox (claiming, finishing, parking,
//! retrying), the sync log admins read, and the Salesforce records and Tasks it remembers per call and text.
//!
//! # Claiming
//!
//! A worker claims the due items in id order and leases each for a while; an item whose lease ran out (the worker
//! died) is claimed again. An item waits while an earlier unfinished item of the same call or text exists, so a
//! call's events reach Salesforce in order: an `answered` update never precedes the Task that `ringing` creates.
//! A parked item blocks the later ones of its call until an admin retries it, except the agent's activity appends:
//! the record the agent chose (a Lead they saved after Salesforce refused callpop's) gets the call's Task at once. Items of an account whose sync is
//! paused (`REQUEST_LIMIT_EXCEEDED`) wait too. On PostgreSQL the claim takes `FOR UPDATE SKIP LOCKED`, so several
//! servers share the work without claiming an item twice; SQLite's writer lock serialises claims by itself.

use super::{Db, SqlStore, in_write_tx, on_db};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

/// An outbox item a worker holds.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub account_id: i64,
    /// `call_event`, `activity_append`, `text_event`, `agent_wrap_up` or `voice_call` (`OutboxJob`'s tag).
    pub kind: String,
    pub call_row_id: Option<i64>,
    pub text_row_id: Option<i64>,
    pub payload: Json<serde_json::Value>,
    /// Including this one.
    pub attempts: i64,
    /// When the event that caused it was stored (trigger delays count from here).
    pub created_at: DateTime<Utc>,
    /// Whether an earlier attempt failed (or was abandoned when its lease ran out): what it sent may have reached
    /// Salesforce. Waiting (for the agent's pick, the org's link, a delay) does not count.
    pub failed_before: bool,
}

/// What an outbox item asks the sync engine to do.
///
/// Its serde form is the item's two columns: the tag is the stored `kind` (`call_event`, `activity_append`,
/// `text_event`, `agent_wrap_up`, `voice_call`) and the content is the `payload`. `enqueue!` writes both from a job and
/// `OutboxItem::job` reads them back through the same definition, so an item's kind and payload cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum OutboxJob {
    /// A call event (`kind`, stored as `call_events` row `call_event_id`); `late` when it repeats a synced event
    /// with data the call lacked (a recording link).
    CallEvent {
        call_event_id: i64,
        kind: callpop_core::call::CallState,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        late: bool,
    },
    /// The softphone appended the call's activity to a record.
    ActivityAppend { activity_id: i64 },
    /// A text message (its `texts` row).
    TextEvent { text_row_id: i64 },
    /// The agent saved notes or a disposition for the call (`user_id` wrote them): they go on the call's Task.
    AgentWrapUp { user_id: i64 },
    /// A call event's part for Salesforce Voice: the call's VoiceCall, for an account whose host uses Salesforce
    /// Voice. Queued beside the event's `CallEvent` item, in a lane of its own (see `CLAIM_FREE_SQL`), and again
    /// (`Completed`, `late`) when the agent changes an ended call's disposition.
    VoiceCall {
        kind: callpop_core::call::CallState,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        late: bool,
    },
}

impl OutboxJob {
    /// The job's stored `kind` and `payload`.
    pub(crate) fn stored_form(self) -> sqlx::Result<(String, serde_json::Value)> {
        /// The job's serde form, split into its columns.
        #[derive(Deserialize)]
        struct Columns {
            kind: String,
            payload: serde_json::Value,
        }
        let encode = |error: serde_json::Error| sqlx::Error::Encode(Box::new(error));
        let columns: Columns = serde_json::to_value(self).and_then(serde_json::from_value).map_err(encode)?;
        Ok((columns.kind, columns.payload))
    }
}

/// What an outbox item is about: a call or a text, by row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutboxSubject {
    Call(i64),
    Text(i64),
}

impl OutboxSubject {
    /// The item's `call_row_id` and `text_row_id` columns.
    pub(crate) fn row_ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Call(call_row_id) => (Some(call_row_id), None),
            Self::Text(text_row_id) => (None, Some(text_row_id)),
        }
    }
}

/// Queues an outbox item in the transaction `$tx` that stores what caused it (a macro: the transaction's type is
/// the backend's): `$job` (an `OutboxJob`) for `$subject` (an `OutboxSubject`) of account `$account_id`, due at
/// `$now`. A call's sync status becomes `pending` with it: Salesforce has not seen everything the call has.
macro_rules! enqueue {
    ($tx:ident, $account_id:expr, $subject:expr, $job:expr, $now:expr) => {{
        let subject: $crate::store::sync::OutboxSubject = $subject;
        $crate::store::sync::insert_outbox_item!($tx, $account_id, subject, $job, $now);
        if let $crate::store::sync::OutboxSubject::Call(call_row_id) = subject {
            sqlx::query("UPDATE calls SET sync_status = 'pending' WHERE id = $1")
                .bind(call_row_id)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// `enqueue!` without the call's sync status: for the call event's own statements, which set it already (one
/// statement fewer on the ingestion path).
macro_rules! insert_outbox_item {
    ($tx:ident, $account_id:expr, $subject:expr, $job:expr, $now:expr) => {{
        let (kind, payload) = $crate::store::sync::OutboxJob::stored_form($job)?;
        let (call_row_id, text_row_id) = $crate::store::sync::OutboxSubject::row_ids($subject);
        let now: chrono::DateTime<chrono::Utc> = $now;
        sqlx::query(
            "INSERT INTO outbox (account_id, kind, call_row_id, text_row_id, payload, status, next_attempt_at,
                created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $6)",
        )
        .bind($account_id)
        .bind(kind)
        .bind(call_row_id)
        .bind(text_row_id)
        .bind(sqlx::types::Json(payload))
        .bind(now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Queues a call event's `OutboxJob::VoiceCall` item in `$tx`, in the same statement as the check that the account's
/// host uses Salesforce Voice (`voice_settings.host`): an Open CTI account's event costs no extra row, and an
/// account that moves to Salesforce Voice gets the items of the events that come after the move.
macro_rules! insert_voice_call_item {
    ($tx:ident, $account_id:expr, $call_row_id:expr, $job:expr, $now:expr) => {{
        let (kind, payload) = $crate::store::sync::OutboxJob::stored_form($job)?;
        let now: chrono::DateTime<chrono::Utc> = $now;
        sqlx::query(
            "INSERT INTO outbox (account_id, kind, call_row_id, payload, status, next_attempt_at, created_at,
                updated_at)
             SELECT $1, $2, $3, $4, 'pending', $5, $5, $5 FROM voice_settings
             WHERE voice_settings.account_id = $1 AND voice_settings.host IN ('salesforce_voice', 'both')",
        )
        .bind($account_id)
        .bind(kind)
        .bind($call_row_id)
        .bind(sqlx::types::Json(payload))
        .bind(now)
        .execute(&mut *$tx)
        .await?;
    }};
}

pub(crate) use enqueue;
pub(crate) use insert_outbox_item;
pub(crate) use insert_voice_call_item;

impl OutboxItem {
    /// The item's job; `None` for a kind or payload this server does not know (parked as `UNKNOWN_ITEM`).
    pub fn job(&self) -> Option<OutboxJob> {
        serde_json::from_value(serde_json::json!({ "kind": &self.kind, "payload": &self.payload.0 })).ok()
    }
}

/// Salesforce's own error as the sync log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    pub code: String,
    pub message: String,
    pub fields: Vec<String>,
}

/// An item the sync log lists: one that needs an admin (parked, failed) or is being retried.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SyncLogItem {
    pub id: i64,
    /// `call_event`, `activity_append` or `text_event`.
    pub kind: String,
    /// The call's or text's id as the telephony side named it.
    pub subject: String,
    /// `call` or `text`.
    pub subject_kind: String,
    /// `retrying`, `parked` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub error: Option<ItemError>,
    pub next_attempt_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The caller (a text's other party), in E.164 as stored; the sync log's route shows it as the account writes
    /// numbers.
    pub caller_number: Option<String>,
    /// The caller's name: the call's, or for a text that of the account's latest call from the same number.
    pub caller_name: Option<String>,
    /// The Salesforce record the call or text went to, once callpop knows it.
    pub record_id: Option<String>,
    /// Why and by whom the item was dismissed, while it is.
    pub dismissal: Option<Dismissal>,
}

/// An administrator's dismissal of a parked or failed item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Dismissal {
    /// The administrator's email.
    pub by: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// The sync log's columns and joins, ahead of a `WHERE` on `outbox`.
pub(crate) const SYNC_LOG_SELECT: &str = "SELECT outbox.id, outbox.kind, calls.call_id, texts.message_id,
        outbox.status, outbox.attempts, outbox.last_error, outbox.last_error_code, outbox.last_error_fields,
        outbox.next_attempt_at, outbox.updated_at,
        COALESCE(calls.caller_e164, CASE WHEN texts.direction = 'outbound' THEN texts.to_e164 ELSE texts.from_e164 END)
            AS caller_number,
        COALESCE(calls.caller_name, (SELECT known.caller_name FROM calls known
            WHERE known.account_id = outbox.account_id AND known.caller_name IS NOT NULL
              AND known.caller_e164 = CASE WHEN texts.direction = 'outbound' THEN texts.to_e164 ELSE texts.from_e164 END
            ORDER BY known.started_at DESC, known.id DESC LIMIT 1)) AS caller_name,
        COALESCE(calls.salesforce_record_id, texts.salesforce_record_id) AS record_id,
        dismissal.reason AS dismissed_reason, dismissal.dismissed_at, dismisser.email AS dismissed_by
     FROM outbox LEFT JOIN calls ON calls.id = outbox.call_row_id LEFT JOIN texts ON texts.id = outbox.text_row_id
        LEFT JOIN sync_log_dismissals dismissal ON dismissal.id = outbox.dismissal_id
        LEFT JOIN users dismisser ON dismisser.id = dismissal.user_id";

#[derive(sqlx::FromRow)]
pub(crate) struct SyncLogRow {
    id: i64,
    kind: String,
    call_id: Option<String>,
    message_id: Option<String>,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    last_error_code: Option<String>,
    last_error_fields: Option<Json<Vec<String>>>,
    next_attempt_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    caller_number: Option<String>,
    caller_name: Option<String>,
    record_id: Option<String>,
    dismissed_reason: Option<String>,
    dismissed_at: Option<DateTime<Utc>>,
    dismissed_by: Option<String>,
}

impl From<SyncLogRow> for SyncLogItem {
    fn from(row: SyncLogRow) -> Self {
        let error = row.last_error.map(|message| ItemError {
            code: row.last_error_code.unwrap_or_default(),
            message,
            fields: row.last_error_fields.map(|fields| fields.0).unwrap_or_default(),
        });
        let (subject, subject_kind) = match (row.call_id, row.message_id) {
            (Some(call_id), _) => (call_id, "call"),
            (None, message_id) => (message_id.unwrap_or_default(), "text"),
        };
        Self {
            id: row.id,
            kind: row.kind,
            subject,
            subject_kind: subject_kind.to_owned(),
            status: row.status,
            attempts: row.attempts,
            error,
            next_attempt_at: row.next_attempt_at,
            updated_at: row.updated_at,
            caller_number: row.caller_number,
            caller_name: row.caller_name,
            record_id: row.record_id,
            dismissal: match (row.dismissed_reason, row.dismissed_at) {
                (Some(reason), Some(at)) => Some(Dismissal { by: row.dismissed_by.unwrap_or_default(), at, reason }),
                _ => None,
            },
        }
    }
}

/// The statuses the sync log lists.
pub const SYNC_LOG_STATUSES: [&str; 3] = ["retrying", "parked", "failed"];

#[async_trait::async_trait]
pub trait SyncStore {
    /// Claims up to `limit` due items, leasing them until `lease_until`.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<OutboxItem>>;
    /// Extends the lease of items this worker is still working on, so a lease can be short: a worker killed
    /// mid-item stops renewing, and its items are claimed again soon.
    async fn renew_leases(&self, ids: &[i64], lease_until: DateTime<Utc>) -> sqlx::Result<()>;
    /// The item is done: Salesforce has everything it carried (or there was nothing to send). A dismissal ends.
    async fn complete_outbox_item(&self, id: i64, now: DateTime<Utc>) -> sqlx::Result<()>;
    /// Puts the item back to wait until `until`: `retrying` with the error when it failed, `pending` otherwise.
    async fn defer_outbox_item(
        &self,
        id: i64,
        until: DateTime<Utc>,
        error: Option<&ItemError>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    /// Parks (or fails) the item with Salesforce's error; it waits for an admin's retry. A dismissal given for another
    /// error ends (`sync_log.rs`).
    async fn park_outbox_item(&self, id: i64, status: &str, error: &ItemError, now: DateTime<Utc>) -> sqlx::Result<()>;
    /// Several items done at once (later events folded into an earlier item's write).
    async fn complete_outbox_items(&self, ids: &[i64], now: DateTime<Utc>) -> sqlx::Result<()>;
    /// The unfinished items after `after_id` of the same call (pending and not yet claimed), oldest first.
    async fn pending_items_of_call(&self, call_row_id: i64, after_id: i64) -> sqlx::Result<Vec<OutboxItem>>;
    /// The account's items in `statuses` (all of `SYNC_LOG_STATUSES` when empty), newest first.
    async fn sync_log(&self, account_id: i64, statuses: &[&str], limit: i64) -> sqlx::Result<Vec<SyncLogItem>>;
    /// Sends a parked, failed or retrying item again now, ending its dismissal; false when the account has no such
    /// item.
    async fn retry_outbox_item(&self, account_id: i64, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool>;
    /// Sends again every parked or failed item of the account with this error code (all when `None`), except the
    /// dismissed ones: an administrator chose to leave those alone, and retries them one at a time.
    async fn retry_outbox_items(
        &self,
        account_id: i64,
        error_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64>;
    /// Sends the call's parked items again now (its Task was written since: they update it); returns how many.
    async fn retry_parked_items_of_call(&self, call_row_id: i64, now: DateTime<Utc>) -> sqlx::Result<u64>;
    /// Makes the account's waiting items due now (after the org is linked, or a pause ends), including items parked
    /// because Salesforce refused the link's session.
    async fn wake_account_outbox(&self, account_id: i64, now: DateTime<Utc>) -> sqlx::Result<()>;
    /// Whether an earlier item of another call from this number is being worked on or retried: it may have sent a
    /// Lead whose outcome is not known yet, so a create for the number must wait for it (creates for one number are
    /// serialized per account, across servers).
    async fn number_in_doubt(&self, account_id: i64, caller_e164: &str, item_id: i64) -> sqlx::Result<bool>;
    /// Whether the account has another call from this number: a Lead callpop created for it may not be searchable
    /// yet, so a create is checked by an exact query first.
    async fn number_called_before(&self, account_id: i64, caller_e164: &str, call_row_id: i64) -> sqlx::Result<bool>;
    /// Remembers the Task callpop logged for a call, and the record it is on.
    async fn set_call_task(&self, call_row_id: i64, task_id: &str, record_id: &str) -> sqlx::Result<()>;
    /// The Task callpop logged for a call and its record, if any.
    async fn call_task(&self, call_row_id: i64) -> sqlx::Result<Option<(String, String)>>;
    /// Keeps the id of the call's VoiceCall.
    async fn set_call_voice_call(&self, call_row_id: i64, voice_call_id: &str) -> sqlx::Result<()>;
    /// The id of the call's VoiceCall, once created.
    async fn call_voice_call(&self, call_row_id: i64) -> sqlx::Result<Option<String>>;
    /// Whether the call's Task side (every item but its VoiceCall's) has a write in flight at `now`: an item being
    /// worked on, retrying, or due. An item held for the call's later events, waiting for a trigger's delay or for
    /// the org's link, and parked and failed items (which wait for a person) do not count.
    async fn call_task_side_busy(&self, call_row_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool>;
    /// Remembers the record a trigger's find_or_create settled on for a call.
    async fn set_call_trigger_record(&self, call_row_id: i64, record_id: &str) -> sqlx::Result<()>;
    /// The record a trigger settled on for a call, if any.
    async fn call_trigger_record(&self, call_row_id: i64) -> sqlx::Result<Option<String>>;
    /// Remembers the record and Task a text went to.
    async fn set_text_sync(&self, text_row_id: i64, record_id: &str, task_id: Option<&str>) -> sqlx::Result<()>;
    /// The record a text was logged on (or a trigger settled on for it).
    async fn text_record(&self, text_row_id: i64) -> sqlx::Result<Option<String>>;
    /// The record an agent picked in the dialog for this call, if they did.
    async fn agent_choice_for_call(&self, call_row_id: i64) -> sqlx::Result<Option<String>>;
    /// An activity append by id: `(call_row_id, record_id, record_type, chosen_by)`.
    async fn activity(&self, activity_id: i64) -> sqlx::Result<Option<(i64, String, String, String)>>;
    /// A text by row id.
    async fn text_by_row_id(&self, text_row_id: i64) -> sqlx::Result<Option<crate::model::Text>>;
    /// Salesforce requests per call or text the engine worked on since `since`, from the audit trail.
    async fn requests_per_logged_call(&self, account_id: i64, since: DateTime<Utc>) -> sqlx::Result<Option<f64>>;
    /// Holds a call's item back until `until` (pending, unleased): its write waits for the call's later events,
    /// and `release_holds` makes it due at once when one arrives.
    async fn hold_outbox_item(
        &self,
        id: i64,
        call_row_id: i64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    /// Ends the holds a later item of the same call now waits behind (their items become due at `now`), and forgets
    /// the holds that ran out; returns how many items it made due.
    async fn release_holds(&self, now: DateTime<Utc>) -> sqlx::Result<u64>;
}

const CLAIM_SQL: &str =
    "UPDATE outbox SET status = 'processing', lease_until = $2, attempts = attempts + 1, updated_at = $1,
        last_error_code = CASE WHEN status = 'processing' THEN COALESCE(last_error_code, 'LEASE_EXPIRED')
                               ELSE last_error_code END
    WHERE id IN (
        SELECT id FROM (
            SELECT candidate.id FROM outbox AS candidate
            WHERE candidate.status IN ('pending', 'retrying') AND candidate.next_attempt_at <= $1 AND {free}
            ORDER BY candidate.next_attempt_at, candidate.id LIMIT $3 {lock}
        ) AS due
        UNION ALL
        SELECT id FROM (
            SELECT candidate.id FROM outbox AS candidate
            WHERE candidate.status = 'processing' AND candidate.lease_until <= $1 AND {free}
            ORDER BY candidate.lease_until, candidate.id LIMIT $3 {lock}
        ) AS expired
    )
    RETURNING id, account_id, kind, call_row_id, text_row_id, payload, attempts, created_at,
        last_error_code IS NOT NULL AS failed_before";

/// What makes a candidate free to claim: its account is not paused, and no earlier item of its call or text, in its
/// lane, is unfinished. A call has two lanes: its VoiceCall's items (`voice_call`) and the rest (its Task, Lead,
/// Campaign, appends and notes). A VoiceCall refused by the org never holds up the Task, nor the other way round;
/// the VoiceCall's last item waits for the Task side by itself (`sync/voice_calls.rs`). An activity append or the
/// agent's notes do not wait behind an item that was parked or failed, nor
/// behind a later event of the call that itself waits behind one (a call whose Lead the org refused, answered in the
/// softphone: the `answered` event waits for the administrator, the agent's append to the Lead they saved does not).
const CLAIM_FREE_SQL: &str = "NOT EXISTS (SELECT 1 FROM salesforce_connections AS connection
                  WHERE connection.account_id = candidate.account_id AND connection.paused_until > $1)
          AND NOT EXISTS (SELECT 1 FROM outbox AS earlier
                  WHERE earlier.id < candidate.id AND earlier.status <> 'done'
                    AND (earlier.kind = 'voice_call') = (candidate.kind = 'voice_call')
                    AND NOT (candidate.kind IN ('activity_append', 'agent_wrap_up')
                      AND (earlier.status IN ('parked', 'failed')
                        OR EXISTS (SELECT 1 FROM outbox AS stuck
                            WHERE stuck.id < earlier.id AND stuck.call_row_id = earlier.call_row_id
                              AND stuck.status IN ('parked', 'failed'))))
                    AND ((candidate.call_row_id IS NOT NULL AND earlier.call_row_id = candidate.call_row_id)
                      OR (candidate.text_row_id IS NOT NULL AND earlier.text_row_id = candidate.text_row_id)))";

#[async_trait::async_trait]
impl SyncStore for SqlStore {
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<OutboxItem>> {
        let lock = match self.db() {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sql = CLAIM_SQL.replace("{free}", CLAIM_FREE_SQL).replace("{lock}", lock);
        let mut items: Vec<OutboxItem> = in_write_tx!(self.db(), tx => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(lease_until).bind(limit).fetch_all(&mut *tx).await
        })?;
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    async fn renew_leases(&self, ids: &[i64], lease_until: DateTime<Utc>) -> sqlx::Result<()> {
        for id in ids {
            on_db!(self.db(), pool => {
                sqlx::query("UPDATE outbox SET lease_until = $2 WHERE id = $1 AND status = 'processing'")
                    .bind(id)
                    .bind(lease_until)
                    .execute(pool)
                    .await
                    .map(|_| ())
            })?;
        }
        Ok(())
    }

    async fn complete_outbox_item(&self, id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        self.complete_outbox_items(&[id], now).await
    }

    async fn complete_outbox_items(&self, ids: &[i64], now: DateTime<Utc>) -> sqlx::Result<()> {
        for id in ids {
            on_db!(self.db(), pool => {
                sqlx::query(
                    "UPDATE outbox SET status = 'done', lease_until = NULL, last_error = NULL, last_error_code = NULL,
                         last_error_fields = NULL, dismissal_id = NULL, updated_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
            })?;
        }
        Ok(())
    }

    async fn defer_outbox_item(
        &self,
        id: i64,
        until: DateTime<Utc>,
        error: Option<&ItemError>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let status = if error.is_some() { "retrying" } else { "pending" };
        on_db!(self.db(), pool => {
            sqlx::query(
                // Waiting without an error keeps an earlier failure's: it still tells the next attempt to be careful.
                "UPDATE outbox SET status = $2, next_attempt_at = $3, lease_until = NULL,
                     last_error = COALESCE($4, last_error), last_error_code = COALESCE($5, last_error_code),
                     last_error_fields = COALESCE($6, last_error_fields), updated_at = $7 WHERE id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(until)
            .bind(error.map(|error| error.message.as_str()))
            .bind(error.map(|error| error.code.as_str()))
            .bind(error.map(|error| Json(error.fields.clone())))
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    async fn park_outbox_item(&self, id: i64, status: &str, error: &ItemError, now: DateTime<Utc>) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                // A dismissal lasts only while the item fails as it did when it was dismissed (`sync_log.rs`).
                "UPDATE outbox SET status = $2, lease_until = NULL, last_error = $3, last_error_code = $4,
                     last_error_fields = $5, updated_at = $6,
                     dismissal_id = (SELECT dismissal.id FROM sync_log_dismissals AS dismissal
                         WHERE dismissal.id = outbox.dismissal_id AND dismissal.error_code = $4
                           AND dismissal.error_message = $3)
                 WHERE id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(&error.message)
            .bind(&error.code)
            .bind(Json(error.fields.clone()))
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    async fn pending_items_of_call(&self, call_row_id: i64, after_id: i64) -> sqlx::Result<Vec<OutboxItem>> {
        on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT id, account_id, kind, call_row_id, text_row_id, payload, attempts, created_at,
                        last_error_code IS NOT NULL AS failed_before FROM outbox
                 WHERE call_row_id = $1 AND id > $2 AND status = 'pending' ORDER BY id",
            )
            .bind(call_row_id)
            .bind(after_id)
            .fetch_all(pool)
            .await
        })
    }

    async fn sync_log(&self, account_id: i64, statuses: &[&str], limit: i64) -> sqlx::Result<Vec<SyncLogItem>> {
        let wanted: Vec<&str> = if statuses.is_empty() { SYNC_LOG_STATUSES.to_vec() } else { statuses.to_vec() };
        let rows: Vec<SyncLogRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SYNC_LOG_SELECT} WHERE outbox.account_id = $1 AND outbox.status IN ($2, $3, $4)
                 ORDER BY outbox.id DESC LIMIT $5"
            )))
            .bind(account_id)
            .bind(wanted.first().copied().unwrap_or("parked"))
            .bind(wanted.get(1).or(wanted.first()).copied().unwrap_or("parked"))
            .bind(wanted.get(2).or(wanted.first()).copied().unwrap_or("parked"))
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(SyncLogItem::from).collect())
    }

    async fn retry_outbox_item(&self, account_id: i64, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let changed = on_db!(self.db(), pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $3, updated_at = $3, dismissal_id = NULL
                 WHERE id = $1 AND account_id = $2 AND status IN ('retrying', 'parked', 'failed')",
            )
            .bind(id)
            .bind(account_id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    async fn retry_outbox_items(
        &self,
        account_id: i64,
        error_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        Ok(on_db!(self.db(), pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $2, updated_at = $2
                 WHERE account_id = $1 AND status IN ('parked', 'failed') AND ($3 IS NULL OR last_error_code = $3)
                   AND dismissal_id IS NULL",
            )
            .bind(account_id)
            .bind(now)
            .bind(error_code)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    async fn retry_parked_items_of_call(&self, call_row_id: i64, now: DateTime<Utc>) -> sqlx::Result<u64> {
        on_db!(self.db(), pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'retrying', next_attempt_at = $2, updated_at = $2
                 WHERE call_row_id = $1 AND status = 'parked'",
            )
            .bind(call_row_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
    }

    async fn wake_account_outbox(&self, account_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                // Items parked by a session Salesforce refused (before such sessions waited for a relink) go too.
                "UPDATE outbox SET next_attempt_at = $2,
                     status = CASE WHEN status = 'parked' THEN 'retrying' ELSE status END
                 WHERE account_id = $1 AND (status IN ('pending', 'retrying')
                     OR (status = 'parked' AND last_error_code IN ('INVALID_SESSION_ID', 'OAUTH_ERROR')))",
            )
            .bind(account_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    async fn number_in_doubt(&self, account_id: i64, caller_e164: &str, item_id: i64) -> sqlx::Result<bool> {
        on_db!(self.db(), pool => {
            sqlx::query_scalar::<_, i64>(
                "SELECT outbox.id FROM outbox JOIN calls ON calls.id = outbox.call_row_id
                 WHERE outbox.account_id = $1 AND calls.caller_e164 = $2 AND outbox.id < $3
                   AND outbox.call_row_id <> (SELECT call_row_id FROM outbox WHERE id = $3)
                   AND outbox.status IN ('processing', 'retrying') LIMIT 1",
            )
            .bind(account_id)
            .bind(caller_e164)
            .bind(item_id)
            .fetch_optional(pool)
            .await
            .map(|found| found.is_some())
        })
    }

    async fn number_called_before(&self, account_id: i64, caller_e164: &str, call_row_id: i64) -> sqlx::Result<bool> {
        on_db!(self.db(), pool => {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM calls WHERE account_id = $1 AND caller_e164 = $2 AND id <> $3 LIMIT 1",
            )
            .bind(account_id)
            .bind(caller_e164)
            .bind(call_row_id)
            .fetch_optional(pool)
            .await
            .map(|found| found.is_some())
        })
    }

    async fn set_call_task(&self, call_row_id: i64, task_id: &str, record_id: &str) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE calls SET salesforce_task_id = $2, salesforce_task_record_id = $3 WHERE id = $1")
                .bind(call_row_id)
                .bind(task_id)
                .bind(record_id)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn call_task(&self, call_row_id: i64) -> sqlx::Result<Option<(String, String)>> {
        let task: Option<(Option<String>, Option<String>)> = on_db!(self.db(), pool => {
            sqlx::query_as("SELECT salesforce_task_id, salesforce_task_record_id FROM calls WHERE id = $1")
                .bind(call_row_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(match task {
            Some((Some(task), Some(record))) => Some((task, record)),
            _ => None,
        })
    }

    async fn set_call_voice_call(&self, call_row_id: i64, voice_call_id: &str) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE calls SET voice_call_id = $2 WHERE id = $1")
                .bind(call_row_id)
                .bind(voice_call_id)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn call_voice_call(&self, call_row_id: i64) -> sqlx::Result<Option<String>> {
        let id: Option<Option<String>> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT voice_call_id FROM calls WHERE id = $1")
                .bind(call_row_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(id.flatten())
    }

    async fn call_task_side_busy(&self, call_row_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        on_db!(self.db(), pool => {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE call_row_id = $1 AND kind <> 'voice_call'
                     AND (status IN ('retrying', 'processing') OR (status = 'pending' AND next_attempt_at <= $2)))",
            )
            .bind(call_row_id)
            .bind(now)
            .fetch_one(pool)
            .await
        })
    }

    async fn set_call_trigger_record(&self, call_row_id: i64, record_id: &str) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE calls SET trigger_record_id = $2 WHERE id = $1")
                .bind(call_row_id)
                .bind(record_id)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn call_trigger_record(&self, call_row_id: i64) -> sqlx::Result<Option<String>> {
        let record: Option<Option<String>> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT trigger_record_id FROM calls WHERE id = $1").bind(call_row_id).fetch_optional(pool).await?
        });
        Ok(record.flatten())
    }

    async fn set_text_sync(&self, text_row_id: i64, record_id: &str, task_id: Option<&str>) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                "UPDATE texts SET salesforce_record_id = $2, salesforce_task_id = COALESCE($3, salesforce_task_id)
                 WHERE id = $1",
            )
                .bind(text_row_id)
                .bind(record_id)
                .bind(task_id)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn text_record(&self, text_row_id: i64) -> sqlx::Result<Option<String>> {
        let record: Option<Option<String>> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT salesforce_record_id FROM texts WHERE id = $1").bind(text_row_id).fetch_optional(pool).await?
        });
        Ok(record.flatten())
    }

    async fn agent_choice_for_call(&self, call_row_id: i64) -> sqlx::Result<Option<String>> {
        on_db!(self.db(), pool => {
            sqlx::query_scalar(
                "SELECT record_id FROM activities WHERE call_row_id = $1 AND chosen_by = 'agent_choice' ORDER BY id DESC LIMIT 1",
            )
            .bind(call_row_id)
            .fetch_optional(pool)
            .await
        })
    }

    async fn activity(&self, activity_id: i64) -> sqlx::Result<Option<(i64, String, String, String)>> {
        on_db!(self.db(), pool => {
            sqlx::query_as("SELECT call_row_id, record_id, record_type, chosen_by FROM activities WHERE id = $1")
                .bind(activity_id)
                .fetch_optional(pool)
                .await
        })
    }

    async fn text_by_row_id(&self, text_row_id: i64) -> sqlx::Result<Option<crate::model::Text>> {
        let account_and_message: Option<(i64, String)> = on_db!(self.db(), pool => {
            sqlx::query_as("SELECT account_id, message_id FROM texts WHERE id = $1").bind(text_row_id).fetch_optional(pool).await?
        });
        match account_and_message {
            Some((account_id, message_id)) => super::TextStore::text_by_message_id(self, account_id, &message_id).await,
            None => Ok(None),
        }
    }

    async fn requests_per_logged_call(&self, account_id: i64, since: DateTime<Utc>) -> sqlx::Result<Option<f64>> {
        let (requests, subjects): (Option<i64>, i64) = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT CAST(SUM(api_requests) AS BIGINT), COUNT(DISTINCT COALESCE(call_row_id, -text_row_id))
                 FROM salesforce_audit WHERE account_id = $1 AND occurred_at >= $2",
            )
            .bind(account_id)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        #[allow(clippy::cast_precision_loss)] // Counts far below 2^52.
        Ok(requests.filter(|_| subjects > 0).map(|requests| requests as f64 / subjects as f64))
    }

    async fn hold_outbox_item(
        &self,
        id: i64,
        call_row_id: i64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $2, lease_until = NULL, updated_at = $3
                 WHERE id = $1",
            )
            .bind(id)
            .bind(until)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO outbox_holds (outbox_id, call_row_id, until) VALUES ($1, $2, $3)
                 ON CONFLICT (outbox_id) DO UPDATE SET until = excluded.until",
            )
            .bind(id)
            .bind(call_row_id)
            .bind(until)
            .execute(&mut *tx)
            .await
            .map(|_| ())
        })
    }

    async fn release_holds(&self, now: DateTime<Utc>) -> sqlx::Result<u64> {
        // Read first: most rounds find nothing to end, and a read takes no write lock (SQLite has one writer).
        let ended: Vec<(i64, bool)> = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT outbox_id, waited_for FROM (
                     SELECT hold.outbox_id, hold.until,
                            EXISTS (SELECT 1 FROM outbox AS later
                                    WHERE later.call_row_id = hold.call_row_id AND later.id > hold.outbox_id
                                      AND later.status <> 'done') AS waited_for
                     FROM outbox_holds AS hold
                 ) AS holds WHERE waited_for OR until <= $1",
            )
            .bind(now)
            .fetch_all(pool)
            .await?
        });
        if ended.is_empty() {
            return Ok(0);
        }
        in_write_tx!(self.db(), tx => {
            let mut released = 0;
            for (outbox_id, waited_for) in &ended {
                sqlx::query("DELETE FROM outbox_holds WHERE outbox_id = $1").bind(outbox_id).execute(&mut *tx).await?;
                if *waited_for {
                    released += sqlx::query(
                        "UPDATE outbox SET next_attempt_at = $2
                         WHERE id = $1 AND status = 'pending' AND next_attempt_at > $2",
                    )
                    .bind(outbox_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
            }
            Ok::<u64, sqlx::Error>(released)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{OutboxItem, OutboxJob};
    use callpop_core::call::CallState;
    use serde_json::{Value, json};
    use sqlx::types::Json;

    fn stored(kind: &str, payload: Value) -> OutboxItem {
        OutboxItem {
            id: 1,
            account_id: 1,
            kind: kind.to_owned(),
            call_row_id: Some(1),
            text_row_id: None,
            payload: Json(payload),
            attempts: 1,
            created_at: chrono::Utc::now(),
            failed_before: false,
        }
    }

    #[test]
    fn jobs_are_stored_as_the_rows_written_before_them_and_read_back() {
        // The kinds and payloads items were written with before `OutboxJob` wrote them.
        let rows = [
            (
                OutboxJob::CallEvent { call_event_id: 7, kind: CallState::Answered, late: false },
                "call_event",
                json!({ "call_event_id": 7, "kind": "answered" }),
            ),
            (
                OutboxJob::CallEvent { call_event_id: 8, kind: CallState::Completed, late: true },
                "call_event",
                json!({ "call_event_id": 8, "kind": "completed", "late": true }),
            ),
            (OutboxJob::ActivityAppend { activity_id: 3 }, "activity_append", json!({ "activity_id": 3 })),
            (OutboxJob::TextEvent { text_row_id: 4 }, "text_event", json!({ "text_row_id": 4 })),
            (OutboxJob::AgentWrapUp { user_id: 5 }, "agent_wrap_up", json!({ "user_id": 5 })),
        ];
        for (job, kind, payload) in rows {
            assert_eq!(job.stored_form().unwrap(), (kind.to_owned(), payload.clone()), "{job:?}");
            assert_eq!(stored(kind, payload).job(), Some(job));
        }
    }

    #[test]
    fn an_unknown_kind_or_payload_is_no_job() {
        assert_eq!(stored("fax_event", json!({})).job(), None);
        assert_eq!(stored("call_event", json!({ "call_event_id": 1, "kind": "dialing" })).job(), None);
        assert_eq!(stored("activity_append", json!({})).job(), None);
    }
}
