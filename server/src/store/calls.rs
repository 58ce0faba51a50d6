//! Calls, their events, pop claims and activity appends.
//!
//! Each write happens in one transaction together with what it causes: the agent's stream notice and the sync
//! engine's outbox item. A telephony retry of the same event, or a softphone's repeated append, changes nothing.

use super::accounts::corrupt;
use super::sync::{OutboxJob, OutboxSubject, enqueue, insert_outbox_item, insert_voice_call_item};
use super::{SqlStore, in_group_tx, in_write_tx, on_db};
use crate::model::{
    Call, CallEventOutcome, NewActivity, NewCallEvent, PopClaimOutcome, RecordedActivity, RecordedCallEvent,
    SyncStatus, User,
};
use callpop_core::call::{CallState, Direction, contradiction};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use std::sync::LazyLock;

#[async_trait::async_trait]
pub trait CallStore {
    /// Stores a call event durably, with the agent's stream notice and the outbox item it causes.
    async fn record_call_event(
        &self,
        account_id: i64,
        agent: Option<&User>,
        event: &NewCallEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<CallEventOutcome>;
    async fn call_by_call_id(&self, account_id: i64, call_id: &str) -> sqlx::Result<Option<Call>>;
    /// Names the Salesforce record chosen for a call (legacy mode) and tells the agent's softphones, which pop it
    /// when the agent answers.
    async fn set_call_record(
        &self,
        call_row_id: i64,
        record_id: &str,
        record_type: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    async fn calls_by_row_ids(&self, row_ids: &[i64]) -> sqlx::Result<Vec<Call>>;
    /// Lets the first of an agent's softphones pop a call assigned to them.
    async fn claim_pop(&self, user: &User, call_id: &str, now: DateTime<Utc>) -> sqlx::Result<PopClaimOutcome>;
    /// Stores an activity append and queues it for the sync engine; `None` when the user cannot see the call.
    async fn append_activity(
        &self,
        user: &User,
        activity: &NewActivity,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<RecordedActivity>>;
}

pub(crate) const CALL_COLUMNS: &str = "id, account_id, call_id, direction, state, caller_e164, caller_name, caller_city, \
    caller_region, caller_country, tracking_number, tracking_source, campaign, agent_user_id, agent_ref, started_at, \
    answered_at, ended_at, duration_secs, disposition, recording_url, keywords, tags, custom_fields, \
    salesforce_record_id, salesforce_record_type, popped_at, popped_by_user_id, sync_status";

#[derive(sqlx::FromRow)]
pub(crate) struct CallRow {
    id: i64,
    account_id: i64,
    call_id: String,
    direction: String,
    state: String,
    caller_e164: String,
    caller_name: Option<String>,
    caller_city: Option<String>,
    caller_region: Option<String>,
    caller_country: Option<String>,
    tracking_number: String,
    tracking_source: Option<String>,
    campaign: Option<String>,
    agent_user_id: Option<i64>,
    agent_ref: Option<String>,
    started_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    duration_secs: Option<i64>,
    disposition: Option<String>,
    recording_url: Option<String>,
    keywords: Json<Vec<String>>,
    tags: Json<Vec<String>>,
    custom_fields: Json<serde_json::Map<String, serde_json::Value>>,
    salesforce_record_id: Option<String>,
    salesforce_record_type: Option<String>,
    popped_at: Option<DateTime<Utc>>,
    popped_by_user_id: Option<i64>,
    sync_status: String,
}

impl TryFrom<CallRow> for Call {
    type Error = sqlx::Error;
    fn try_from(row: CallRow) -> Result<Self, Self::Error> {
        let direction =
            direction_from_name(&row.direction).ok_or_else(|| corrupt("calls.direction", &row.direction))?;
        let state = CallState::parse(&row.state).ok_or_else(|| corrupt("calls.state", &row.state))?;
        let sync_status =
            SyncStatus::parse(&row.sync_status).ok_or_else(|| corrupt("calls.sync_status", &row.sync_status))?;
        Ok(Call {
            id: row.id,
            account_id: row.account_id,
            call_id: row.call_id,
            direction,
            state,
            caller_e164: row.caller_e164,
            caller_name: row.caller_name,
            caller_city: row.caller_city,
            caller_region: row.caller_region,
            caller_country: row.caller_country,
            tracking_number: row.tracking_number,
            tracking_source: row.tracking_source,
            campaign: row.campaign,
            agent_user_id: row.agent_user_id,
            agent_ref: row.agent_ref,
            started_at: row.started_at,
            answered_at: row.answered_at,
            ended_at: row.ended_at,
            duration_secs: row.duration_secs,
            disposition: row.disposition,
            recording_url: row.recording_url,
            keywords: row.keywords.0,
            tags: row.tags.0,
            custom_fields: row.custom_fields.0,
            salesforce_record_id: row.salesforce_record_id,
            salesforce_record_type: row.salesforce_record_type,
            popped_at: row.popped_at,
            popped_by_user_id: row.popped_by_user_id,
            sync_status,
        })
    }
}

pub(crate) fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// The inverse of `direction_name`.
pub(crate) fn direction_from_name(name: &str) -> Option<Direction> {
    [Direction::Inbound, Direction::Outbound].into_iter().find(|direction| direction_name(*direction) == name)
}

/// The columns a later event may fill in or advance; the state only moves forward (events can arrive out of order).
/// The call started when it rang: a `ringing` that arrives after `answered` moves `started_at` back to its time.
static MERGE_EVENT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE calls SET
        state = CASE WHEN $2 = 'completed' OR (state = 'ringing' AND $2 = 'answered') THEN $2 ELSE state END,
        started_at = CASE WHEN $2 = 'ringing' OR ($2 = 'answered' AND $11 < started_at) THEN $11 ELSE started_at END,
        caller_name = COALESCE(caller_name, $3),
        caller_city = COALESCE(caller_city, $4),
        caller_region = COALESCE(caller_region, $5),
        caller_country = COALESCE(caller_country, $6),
        tracking_source = COALESCE(tracking_source, $7),
        campaign = COALESCE(campaign, $8),
        agent_user_id = COALESCE($9, agent_user_id),
        agent_ref = COALESCE($10, agent_ref),
        answered_at = CASE WHEN $2 = 'answered' THEN COALESCE(answered_at, $11) ELSE answered_at END,
        ended_at = CASE WHEN $2 = 'completed' THEN $11 ELSE ended_at END,
        duration_secs = COALESCE($12, duration_secs),
        disposition = COALESCE($13, disposition),
        recording_url = COALESCE($14, recording_url),
        sync_status = 'pending',
        updated_at = $15
    WHERE id = $1 RETURNING {CALL_COLUMNS}"
    )
});

/// Merges what a repeated event brings and the call lacks; changes (and returns) no row when it brings nothing new.
static MERGE_LATE_DATA_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE calls SET
        recording_url = COALESCE(recording_url, $2),
        disposition = COALESCE(disposition, $3),
        duration_secs = COALESCE(duration_secs, $4),
        sync_status = 'pending',
        updated_at = $5
    WHERE id = $1 AND ((recording_url IS NULL AND $2 IS NOT NULL) OR (disposition IS NULL AND $3 IS NOT NULL)
        OR (duration_secs IS NULL AND $4 IS NOT NULL))
    RETURNING {CALL_COLUMNS}"
    )
});

/// One call by its row id.
static SELECT_CALL_BY_ROW_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"));

#[async_trait::async_trait]
impl CallStore for SqlStore {
    async fn record_call_event(
        &self,
        account_id: i64,
        agent: Option<&User>,
        event: &NewCallEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<CallEventOutcome> {
        let agent_user_id = agent.map(|user| user.id);
        let event = event.clone();
        in_group_tx!(self.db(), tx => {
            // The call's row, inserted by its first event. A later event (or a racing first one, which waits for the
            // other's commit on PostgreSQL) finds it, and the same statement returns what the event must agree
            // with: the no-op update exists for its RETURNING.
            let (call_row_id, caller_e164, direction): (i64, String, String) = sqlx::query_as(
                "INSERT INTO calls (account_id, call_id, direction, state, caller_e164, tracking_number,
                    started_at, keywords, tags, custom_fields, updated_at)
                 VALUES ($1, $2, $3, 'ringing', $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (account_id, call_id) DO UPDATE SET call_id = excluded.call_id
                 RETURNING id, caller_e164, direction",
            )
            .bind(account_id)
            .bind(&event.call_id)
            .bind(direction_name(event.direction))
            .bind(&event.caller_e164)
            .bind(&event.tracking_number)
            .bind(event.occurred_at)
            .bind(Json(&event.keywords))
            .bind(Json(&event.tags))
            .bind(Json(&event.custom_fields))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let known_direction = direction_from_name(&direction).ok_or_else(|| corrupt("calls.direction", &direction))?;
            // Checked after the statement that waited for any racing first event, so of two events that disagree
            // exactly one is kept. The refused event wrote nothing (the update above changes no value).
            if let Some(contradiction) = contradiction(&caller_e164, known_direction, &event.caller_e164, event.direction) {
                return Ok(CallEventOutcome::Contradicts(contradiction));
            }
            let inserted_event: Option<i64> = sqlx::query_scalar(
                "INSERT INTO call_events (call_row_id, kind, occurred_at, received_at, payload)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_row_id, kind) DO NOTHING RETURNING id",
            )
            .bind(call_row_id)
            .bind(event.state.as_str())
            .bind(event.occurred_at)
            .bind(now)
            .bind(Json(&event.raw))
            .fetch_optional(&mut *tx)
            .await?;
            let (row, duplicate) = match inserted_event {
                Some(event_id) => {
                    let row: CallRow = sqlx::query_as(MERGE_EVENT_SQL.as_str())
                        .bind(call_row_id)
                        .bind(event.state.as_str())
                        .bind(&event.caller_name)
                        .bind(&event.caller_city)
                        .bind(&event.caller_region)
                        .bind(&event.caller_country)
                        .bind(&event.tracking_source)
                        .bind(&event.campaign)
                        .bind(agent_user_id)
                        .bind(&event.agent_ref)
                        .bind(event.occurred_at)
                        .bind(event.duration_secs)
                        .bind(&event.disposition)
                        .bind(&event.recording_url)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                    if let Some(user_id) = row.agent_user_id {
                        sqlx::query("INSERT INTO agent_events (user_id, call_row_id, reason, created_at) VALUES ($1, $2, $3, $4)")
                            .bind(user_id)
                            .bind(call_row_id)
                            .bind(event.state.as_str())
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let job = OutboxJob::CallEvent { call_event_id: event_id, kind: event.state, late: false };
                    // The event's own statement set the call's sync status.
                    insert_outbox_item!(tx, account_id, OutboxSubject::Call(call_row_id), job, now);
                    let voice = OutboxJob::VoiceCall { kind: event.state, late: false };
                    insert_voice_call_item!(tx, account_id, call_row_id, voice, now);
                    (row, false)
                }
                // A repeat of an event kind the call has: a telephony retry changes nothing, but a repeat that
                // brings what the call lacks (the recording link sent after the call ended, a late disposition or
                // duration) is merged and synced like a new event.
                None => {
                    let merged: Option<CallRow> = sqlx::query_as(MERGE_LATE_DATA_SQL.as_str())
                        .bind(call_row_id)
                        .bind(&event.recording_url)
                        .bind(&event.disposition)
                        .bind(event.duration_secs)
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match merged {
                        Some(row) => {
                            let event_id: i64 =
                                sqlx::query_scalar("SELECT id FROM call_events WHERE call_row_id = $1 AND kind = $2")
                                    .bind(call_row_id)
                                    .bind(event.state.as_str())
                                    .fetch_one(&mut *tx)
                                    .await?;
                            // `late`: the event was synced before; only what it added is new (no trigger fires twice).
                            let job = OutboxJob::CallEvent { call_event_id: event_id, kind: event.state, late: true };
                            // The merge's statement set the call's sync status.
                            insert_outbox_item!(tx, account_id, OutboxSubject::Call(call_row_id), job, now);
                            let voice = OutboxJob::VoiceCall { kind: event.state, late: true };
                            insert_voice_call_item!(tx, account_id, call_row_id, voice, now);
                            (row, false)
                        }
                        None => {
                            let row: CallRow = sqlx::query_as(SELECT_CALL_BY_ROW_SQL.as_str())
                                .bind(call_row_id)
                                .fetch_one(&mut *tx)
                                .await?;
                            (row, true)
                        }
                    }
                }
            };
            Ok(CallEventOutcome::Recorded(Box::new(RecordedCallEvent { call: row.try_into()?, duplicate })))
        })
    }

    async fn set_call_record(
        &self,
        call_row_id: i64,
        record_id: &str,
        record_type: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            let agent: Option<Option<i64>> = sqlx::query_scalar(
                "UPDATE calls SET salesforce_record_id = $2, salesforce_record_type = $3, updated_at = $4
                 WHERE id = $1 RETURNING agent_user_id",
            )
            .bind(call_row_id)
            .bind(record_id)
            .bind(record_type)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(Some(user_id)) = agent {
                sqlx::query("INSERT INTO agent_events (user_id, call_row_id, reason, created_at) VALUES ($1, $2, 'record', $3)")
                    .bind(user_id)
                    .bind(call_row_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }

    async fn call_by_call_id(&self, account_id: i64, call_id: &str) -> sqlx::Result<Option<Call>> {
        let sql = format!("SELECT {CALL_COLUMNS} FROM calls WHERE account_id = $1 AND call_id = $2");
        let row: Option<CallRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(call_id).fetch_optional(pool).await?
        });
        row.map(Call::try_from).transpose()
    }

    async fn calls_by_row_ids(&self, row_ids: &[i64]) -> sqlx::Result<Vec<Call>> {
        let mut calls = Vec::with_capacity(row_ids.len());
        let sql = format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1");
        for row_id in row_ids {
            let row: Option<CallRow> = on_db!(self.db(), pool => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(row_id).fetch_optional(pool).await?
            });
            if let Some(row) = row {
                calls.push(row.try_into()?);
            }
        }
        Ok(calls)
    }

    async fn claim_pop(&self, user: &User, call_id: &str, now: DateTime<Utc>) -> sqlx::Result<PopClaimOutcome> {
        in_write_tx!(self.db(), tx => {
            let claimed: Option<i64> = sqlx::query_scalar(
                "UPDATE calls SET popped_at = $1, popped_by_user_id = $2, updated_at = $1
                 WHERE account_id = $3 AND call_id = $4 AND agent_user_id = $2 AND popped_at IS NULL RETURNING id",
            )
            .bind(now)
            .bind(user.id)
            .bind(user.account_id)
            .bind(call_id)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match claimed {
                Some(call_row_id) => {
                    // The agent's other softphones hear that this call is handled.
                    sqlx::query("INSERT INTO agent_events (user_id, call_row_id, reason, created_at) VALUES ($1, $2, 'popped', $3)")
                        .bind(user.id)
                        .bind(call_row_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    PopClaimOutcome::Claimed
                }
                None => {
                    let assigned: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM calls WHERE account_id = $1 AND call_id = $2 AND agent_user_id = $3",
                    )
                    .bind(user.account_id)
                    .bind(call_id)
                    .bind(user.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if assigned.is_some() { PopClaimOutcome::AlreadyPopped } else { PopClaimOutcome::NotFound }
                }
            };
            Ok(outcome)
        })
    }

    async fn append_activity(
        &self,
        user: &User,
        activity: &NewActivity,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<RecordedActivity>> {
        let sees_all = user.role.sees_all_calls();
        let (user_id, account_id, activity) = (user.id, user.account_id, activity.clone());
        in_group_tx!(self.db(), tx => {
            let call: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, state FROM calls WHERE account_id = $1 AND call_id = $2 AND ($3 OR agent_user_id = $4)",
            )
            .bind(account_id)
            .bind(&activity.call_id)
            .bind(sees_all)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((call_row_id, call_state)) = call else { return Ok(None) };
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO activities (call_row_id, record_id, record_type, chosen_by, user_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_row_id, record_id) DO NOTHING RETURNING id",
            )
            .bind(call_row_id)
            .bind(&activity.record_id)
            .bind(&activity.record_type)
            .bind(&activity.chosen_by)
            .bind(user_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let recorded = match inserted {
                Some(activity_id) => {
                    let job = OutboxJob::ActivityAppend { activity_id };
                    enqueue!(tx, account_id, OutboxSubject::Call(call_row_id), job, now);
                    // Under Salesforce Voice, the call's VoiceCall is linked again to the record the agent chose,
                    // once the append's Task is written (the VoiceCall item waits for the Task side). An agent who
                    // appends has taken the call, even before the telephony side reports the answer.
                    let state = CallState::parse(&call_state).ok_or_else(|| corrupt("calls.state", &call_state))?;
                    let kind = if state == CallState::Completed { state } else { CallState::Answered };
                    let voice = OutboxJob::VoiceCall { kind, late: true };
                    insert_voice_call_item!(tx, account_id, call_row_id, voice, now);
                    RecordedActivity { activity_id, duplicate: false }
                }
                None => {
                    let activity_id = sqlx::query_scalar("SELECT id FROM activities WHERE call_row_id = $1 AND record_id = $2")
                        .bind(call_row_id)
                        .bind(&activity.record_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    RecordedActivity { activity_id, duplicate: true }
                }
            };
            Ok(Some(recorded))
        })
    }
}
