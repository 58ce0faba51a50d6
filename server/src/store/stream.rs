//! The agents' event streams: which calls changed for an agent since a given event id, which are live now and which
//! they answered that ended lately (after-call work); for the server's stream watchman, the notices of everyone
//! since an id, and which of the open streams' sessions last.

use super::calls::CALL_COLUMNS;
use super::{SqlStore, on_db};
use crate::model::Call;
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
pub trait StreamStore {
    /// The agent's stream notices after `after_id`, oldest first, as `(event id, call row id)`.
    async fn agent_events_after(&self, user_id: i64, after_id: i64, limit: i64) -> sqlx::Result<Vec<(i64, i64)>>;
    /// The newest notice id of the agent's stream (0 when there is none).
    async fn latest_agent_event_id(&self, user_id: i64) -> sqlx::Result<i64>;
    /// The agent's calls that are still ringing or in progress and started after `since`, each with the id of its
    /// newest notice, oldest first: what a softphone that just (re)loaded must show.
    async fn live_calls_for_agent(&self, user_id: i64, since: DateTime<Utc>) -> sqlx::Result<Vec<(i64, Call)>>;
    /// The calls the agent answered that ended after `since`, each with the id of its newest notice, oldest first:
    /// those still in the agent's after-call work come back to a softphone that just (re)loaded.
    async fn answered_calls_ended_since(&self, user_id: i64, since: DateTime<Utc>) -> sqlx::Result<Vec<(i64, Call)>>;
    /// Every user's stream notices after `after_id`, oldest first, as `(event id, user id)`.
    async fn all_agent_events_after(&self, after_id: i64, limit: i64) -> sqlx::Result<Vec<(i64, i64)>>;
    /// The newest notice id of all streams (0 when there is none).
    async fn latest_agent_event_id_of_all(&self) -> sqlx::Result<i64>;
    /// Which of these sessions (by token hash) are still valid at `now`.
    async fn valid_sessions(&self, token_hashes: &[String], now: DateTime<Utc>) -> sqlx::Result<Vec<String>>;
}

/// How many sessions one `valid_sessions` statement asks about (SQLite allows 32,766 parameters).
const SESSIONS_PER_STATEMENT: usize = 500;

#[derive(sqlx::FromRow)]
struct LiveCallRow {
    latest_event_id: i64,
    #[sqlx(flatten)]
    call: super::calls::CallRow,
}

impl SqlStore {
    /// The agent's calls that meet `condition` (on `calls`, with the agent as `$1` and `since` as `$2`), each with
    /// the id of its newest notice, oldest first.
    async fn agent_calls_where(
        &self,
        user_id: i64,
        condition: &'static str,
        since: DateTime<Utc>,
    ) -> sqlx::Result<Vec<(i64, Call)>> {
        let sql = format!(
            "SELECT latest.latest_event_id, {CALL_COLUMNS} FROM calls
             JOIN (SELECT call_row_id, MAX(id) AS latest_event_id FROM agent_events WHERE user_id = $1 GROUP BY call_row_id)
                  AS latest ON latest.call_row_id = calls.id
             WHERE calls.agent_user_id = $1 AND {condition}
             ORDER BY latest.latest_event_id"
        );
        let rows: Vec<LiveCallRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(since).fetch_all(pool).await?
        });
        rows.into_iter().map(|row| Ok((row.latest_event_id, row.call.try_into()?))).collect()
    }
}

#[async_trait::async_trait]
impl StreamStore for SqlStore {
    async fn agent_events_after(&self, user_id: i64, after_id: i64, limit: i64) -> sqlx::Result<Vec<(i64, i64)>> {
        on_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, call_row_id FROM agent_events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(user_id)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await
        })
    }

    async fn latest_agent_event_id(&self, user_id: i64) -> sqlx::Result<i64> {
        let latest: Option<i64> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM agent_events WHERE user_id = $1").bind(user_id).fetch_one(pool).await?
        });
        Ok(latest.unwrap_or(0))
    }

    async fn live_calls_for_agent(&self, user_id: i64, since: DateTime<Utc>) -> sqlx::Result<Vec<(i64, Call)>> {
        self.agent_calls_where(user_id, "calls.state <> 'completed' AND calls.started_at > $2", since).await
    }

    async fn answered_calls_ended_since(&self, user_id: i64, since: DateTime<Utc>) -> sqlx::Result<Vec<(i64, Call)>> {
        let condition = "calls.state = 'completed' AND calls.answered_at IS NOT NULL AND calls.ended_at > $2";
        self.agent_calls_where(user_id, condition, since).await
    }

    async fn all_agent_events_after(&self, after_id: i64, limit: i64) -> sqlx::Result<Vec<(i64, i64)>> {
        on_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, user_id FROM agent_events WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await
        })
    }

    async fn latest_agent_event_id_of_all(&self) -> sqlx::Result<i64> {
        let latest: Option<i64> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM agent_events").fetch_one(pool).await?
        });
        Ok(latest.unwrap_or(0))
    }

    async fn valid_sessions(&self, token_hashes: &[String], now: DateTime<Utc>) -> sqlx::Result<Vec<String>> {
        let mut valid = Vec::new();
        for chunk in token_hashes.chunks(SESSIONS_PER_STATEMENT) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|index| format!("${}", index + 2)).collect();
            let sql = format!(
                "SELECT token_hash FROM sessions WHERE expires_at > $1 AND token_hash IN ({})",
                placeholders.join(", ")
            );
            let found: Vec<String> = on_db!(self.db(), pool => {
                let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(now);
                for hash in chunk {
                    query = query.bind(hash);
                }
                query.fetch_all(pool).await?
            });
            valid.extend(found);
        }
        Ok(valid)
    }
}
