//! The call log: the account's calls, newest first, with their events and the activity appends they received.

use super::calls::{CALL_COLUMNS, CallRow};
use super::{SqlStore, bind_log_query, on_db};
use crate::model::{Call, LogQuery, StoredActivity, StoredCallEvent};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
pub trait CallLogStore {
    /// The calls `query` selects, newest first.
    async fn list_calls(&self, query: &LogQuery) -> sqlx::Result<Vec<Call>>;
    /// The call's events in the order they happened.
    async fn call_events(&self, call_row_id: i64) -> sqlx::Result<Vec<StoredCallEvent>>;
    /// The activity appends the softphones sent for the call, oldest first.
    async fn activities_for_call(&self, call_row_id: i64) -> sqlx::Result<Vec<StoredActivity>>;
}

#[derive(sqlx::FromRow)]
struct CallEventRow {
    kind: String,
    occurred_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    record_id: String,
    record_type: String,
    chosen_by: String,
    user_email: Option<String>,
    created_at: DateTime<Utc>,
}

#[async_trait::async_trait]
impl CallLogStore for SqlStore {
    async fn list_calls(&self, query: &LogQuery) -> sqlx::Result<Vec<Call>> {
        let sql = super::log_query_sql("calls", CALL_COLUMNS, "started_at");
        let rows: Vec<CallRow> = on_db!(self.db(), pool => {
            bind_log_query!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), query).fetch_all(pool).await?
        });
        rows.into_iter().map(Call::try_from).collect()
    }

    async fn call_events(&self, call_row_id: i64) -> sqlx::Result<Vec<StoredCallEvent>> {
        let rows: Vec<CallEventRow> = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT kind, occurred_at, received_at FROM call_events WHERE call_row_id = $1 ORDER BY occurred_at, id",
            )
            .bind(call_row_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| StoredCallEvent { kind: row.kind, occurred_at: row.occurred_at, received_at: row.received_at })
            .collect())
    }

    async fn activities_for_call(&self, call_row_id: i64) -> sqlx::Result<Vec<StoredActivity>> {
        let rows: Vec<ActivityRow> = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT activities.record_id, activities.record_type, activities.chosen_by, users.email AS user_email,
                        activities.created_at
                 FROM activities LEFT JOIN users ON users.id = activities.user_id
                 WHERE activities.call_row_id = $1 ORDER BY activities.id",
            )
            .bind(call_row_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| StoredActivity {
                record_id: row.record_id,
                record_type: row.record_type,
                chosen_by: row.chosen_by,
                user_email: row.user_email,
                created_at: row.created_at,
            })
            .collect())
    }
}
