//! After a call: the account's disposition list and after-call work, each agent's chosen status, and the agent's
//! notes and disposition per call.
//!
//! The agent's saves are stored with their outbox item (`agent_wrap_up`) in one transaction, so the Task gets them
//! exactly once through the sync engine; a save that changes nothing stores nothing and queues nothing. The
//! effective status is not stored: `callpop_core::wrap_up::effective_status` computes it from `StatusFacts`.

use super::sync::{OutboxJob, OutboxSubject, enqueue, insert_voice_call_item};
use super::{SqlStore, in_write_tx, on_db, select_in_chunks};
use crate::model::User;
use callpop_core::call::CallState;
use callpop_core::wire::WrapUpSettings;
use callpop_core::wrap_up::{AgentStatus, DEFAULT_WRAP_UP_SECS};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use std::sync::LazyLock;

/// What an agent's effective status is computed from, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusFacts {
    /// The status the agent chose and when; `None` when they never chose one.
    pub chosen: Option<(AgentStatus, DateTime<Utc>)>,
    pub done_at: Option<DateTime<Utc>>,
    /// Whether a call the agent answered (since `live_since`) is still live.
    pub on_call: bool,
    /// When the latest call the agent answered ended.
    pub last_call_ended_at: Option<DateTime<Utc>>,
}

/// The agent's notes and disposition for a call, with who wrote them and when.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWrapUp {
    pub call_row_id: i64,
    pub call_id: String,
    pub notes: String,
    pub disposition: Option<String>,
    /// The writer's email.
    pub written_by: String,
    pub written_at: DateTime<Utc>,
}

/// A save of the agent's notes and disposition.
#[derive(Debug, Clone, PartialEq)]
pub struct WrapUpSave {
    pub call_id: String,
    pub notes: String,
    pub disposition: Option<String>,
    /// The agent clicked Done, at this time: after-call work ends.
    pub done_at: Option<DateTime<Utc>>,
}

#[async_trait::async_trait]
pub trait WrapUpStore {
    /// The account's wrap-up settings (no dispositions and `DEFAULT_WRAP_UP_SECS` until an administrator sets them).
    async fn wrap_up_settings(&self, account_id: i64) -> sqlx::Result<WrapUpSettings>;
    /// Replaces the account's wrap-up settings (already validated).
    async fn put_wrap_up_settings(
        &self,
        account_id: i64,
        user_id: i64,
        settings: &WrapUpSettings,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    /// Stores the agent's choice of status, made `at`.
    async fn set_agent_status(&self, user_id: i64, status: AgentStatus, at: DateTime<Utc>) -> sqlx::Result<()>;
    /// What the user's effective status is computed from; answered calls older than `live_since` that never
    /// ended do not keep them busy.
    async fn status_facts(&self, user_id: i64, live_since: DateTime<Utc>) -> sqlx::Result<StatusFacts>;
    /// Saves the agent's notes and disposition for one of their calls, and queues them for the call's Task when
    /// they changed; `None` when the agent has no such call.
    async fn save_call_wrap_up(
        &self,
        user: &User,
        save: &WrapUpSave,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<StoredWrapUp>>;
    /// The agent's notes and disposition for a call row, if any were saved.
    async fn call_wrap_up(&self, call_row_id: i64) -> sqlx::Result<Option<StoredWrapUp>>;
    /// The saved notes and dispositions of these call rows, in a few reads rather than one per call (a softphone
    /// that connects is sent all of its agent's calls at once, thousands for some).
    async fn call_wrap_ups(&self, call_row_ids: &[i64]) -> sqlx::Result<Vec<StoredWrapUp>>;
}

#[derive(sqlx::FromRow)]
struct WrapUpRow {
    call_row_id: i64,
    call_id: String,
    notes: String,
    disposition: Option<String>,
    written_by: String,
    written_at: DateTime<Utc>,
}

impl From<WrapUpRow> for StoredWrapUp {
    fn from(row: WrapUpRow) -> Self {
        Self {
            call_row_id: row.call_row_id,
            call_id: row.call_id,
            notes: row.notes,
            disposition: row.disposition,
            written_by: row.written_by,
            written_at: row.written_at,
        }
    }
}

/// The agent's notes and disposition with the call's id and the writer's email; a `WHERE` follows.
const WRAP_UP_COLUMNS: &str = "SELECT call_wrap_ups.call_row_id, calls.call_id, call_wrap_ups.notes,
        call_wrap_ups.disposition, users.email AS written_by, call_wrap_ups.written_at
     FROM call_wrap_ups JOIN calls ON calls.id = call_wrap_ups.call_row_id
     JOIN users ON users.id = call_wrap_ups.user_id";

/// One call's saved notes and disposition.
static WRAP_UP_BY_CALL_SQL: LazyLock<String> =
    LazyLock::new(|| format!("{WRAP_UP_COLUMNS} WHERE call_wrap_ups.call_row_id = $1"));

/// Records that the agent clicked Done (their chosen status stays; an agent who never chose one is available).
macro_rules! mark_done {
    ($tx:ident, $user_id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO agent_statuses (user_id, status, chosen_at, done_at) VALUES ($1, 'available', $2, $2)
             ON CONFLICT (user_id) DO UPDATE SET done_at = excluded.done_at",
        )
        .bind($user_id)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

#[async_trait::async_trait]
impl WrapUpStore for SqlStore {
    async fn wrap_up_settings(&self, account_id: i64) -> sqlx::Result<WrapUpSettings> {
        let row: Option<(Json<Vec<String>>, i64)> = on_db!(self.db(), pool => {
            sqlx::query_as("SELECT dispositions, wrap_up_secs FROM wrap_up_settings WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(match row {
            Some((Json(dispositions), secs)) => {
                WrapUpSettings { dispositions, wrap_up_secs: u32::try_from(secs).unwrap_or(DEFAULT_WRAP_UP_SECS) }
            }
            None => WrapUpSettings { dispositions: Vec::new(), wrap_up_secs: DEFAULT_WRAP_UP_SECS },
        })
    }

    async fn put_wrap_up_settings(
        &self,
        account_id: i64,
        user_id: i64,
        settings: &WrapUpSettings,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            sqlx::query(
                "INSERT INTO wrap_up_settings (account_id, dispositions, wrap_up_secs, updated_by_user_id, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (account_id) DO UPDATE SET dispositions = excluded.dispositions,
                    wrap_up_secs = excluded.wrap_up_secs, updated_by_user_id = excluded.updated_by_user_id,
                    updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(Json(&settings.dispositions))
            .bind(i64::from(settings.wrap_up_secs))
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map(|_| ())
        })
    }

    async fn set_agent_status(&self, user_id: i64, status: AgentStatus, at: DateTime<Utc>) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            sqlx::query(
                "INSERT INTO agent_statuses (user_id, status, chosen_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, chosen_at = excluded.chosen_at",
            )
            .bind(user_id)
            .bind(status.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map(|_| ())
        })
    }

    async fn status_facts(&self, user_id: i64, live_since: DateTime<Utc>) -> sqlx::Result<StatusFacts> {
        on_db!(self.db(), pool => {
            let chosen: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> =
                sqlx::query_as("SELECT status, chosen_at, done_at FROM agent_statuses WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(pool)
                    .await?;
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM calls WHERE agent_user_id = $1 AND answered_at IS NOT NULL
                   AND state <> 'completed' AND answered_at >= $2",
            )
            .bind(user_id)
            .bind(live_since)
            .fetch_one(pool)
            .await?;
            let last_call_ended_at: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT ended_at FROM calls WHERE agent_user_id = $1 AND answered_at IS NOT NULL
                   AND ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?
            .flatten();
            let done_at = chosen.as_ref().and_then(|(_, _, done_at)| *done_at);
            let chosen = chosen.and_then(|(status, at, _)| AgentStatus::parse(&status).map(|status| (status, at)));
            Ok(StatusFacts { chosen, done_at, on_call: live > 0, last_call_ended_at })
        })
    }

    async fn save_call_wrap_up(
        &self,
        user: &User,
        save: &WrapUpSave,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<StoredWrapUp>> {
        let (user_id, account_id) = (user.id, user.account_id);
        let saved = in_write_tx!(self.db(), tx => async {
            let call_row_id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM calls WHERE account_id = $1 AND call_id = $2 AND agent_user_id = $3",
            )
            .bind(account_id)
            .bind(&save.call_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(call_row_id) = call_row_id else { return Ok::<_, sqlx::Error>(None) };
            let before: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT notes, disposition FROM call_wrap_ups WHERE call_row_id = $1")
                    .bind(call_row_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let unchanged = before.as_ref().is_some_and(|(notes, disposition)| {
                *notes == save.notes && *disposition == save.disposition
            });
            let nothing = before.is_none() && save.notes.is_empty() && save.disposition.is_none();
            if !unchanged && !nothing {
                sqlx::query(
                    "INSERT INTO call_wrap_ups (call_row_id, notes, disposition, user_id, written_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (call_row_id) DO UPDATE SET notes = excluded.notes,
                        disposition = excluded.disposition, user_id = excluded.user_id,
                        written_at = excluded.written_at",
                )
                .bind(call_row_id)
                .bind(&save.notes)
                .bind(save.disposition.as_deref())
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                enqueue!(tx, account_id, OutboxSubject::Call(call_row_id), OutboxJob::AgentWrapUp { user_id }, now);
                // An ended call's VoiceCall carries the disposition too: a new one is sent again. A live call's
                // VoiceCall gets it with the call's end.
                let disposition_before = before.as_ref().and_then(|(_, disposition)| disposition.as_ref());
                if disposition_before != save.disposition.as_ref() {
                    let ended: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM call_events WHERE call_row_id = $1 AND kind = 'completed')",
                    )
                    .bind(call_row_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if ended {
                        let voice = OutboxJob::VoiceCall { kind: CallState::Completed, late: true };
                        insert_voice_call_item!(tx, account_id, call_row_id, voice, now);
                    }
                }
            }
            if let Some(done_at) = save.done_at {
                mark_done!(tx, user_id, done_at);
            }
            Ok(Some(call_row_id))
        }
        .await)?;
        match saved {
            Some(call_row_id) => self.call_wrap_up(call_row_id).await.map(|stored| {
                // A save of nothing on a call without notes: what the agent sees is empty, written by nobody yet.
                stored.or_else(|| {
                    Some(StoredWrapUp {
                        call_row_id,
                        call_id: save.call_id.clone(),
                        notes: String::new(),
                        disposition: None,
                        written_by: user.email.clone(),
                        written_at: now,
                    })
                })
            }),
            None => Ok(None),
        }
    }

    async fn call_wrap_up(&self, call_row_id: i64) -> sqlx::Result<Option<StoredWrapUp>> {
        let row: Option<WrapUpRow> = on_db!(self.db(), pool => {
            sqlx::query_as(WRAP_UP_BY_CALL_SQL.as_str()).bind(call_row_id).fetch_optional(pool).await?
        });
        Ok(row.map(StoredWrapUp::from))
    }

    async fn call_wrap_ups(&self, call_row_ids: &[i64]) -> sqlx::Result<Vec<StoredWrapUp>> {
        let sql = format!("{WRAP_UP_COLUMNS} WHERE call_wrap_ups.call_row_id IN ({{list}})");
        let rows = select_in_chunks!(self.db(), WrapUpRow, sql, call_row_ids);
        Ok(rows.into_iter().map(StoredWrapUp::from).collect())
    }
}
