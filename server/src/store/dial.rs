//! Click-to-dial requests and the softphone's memory of which record agents pick for a number.
//!
//! An agent's softphone asks for an outbound call; the request waits here until the telephony side collects it
//! (`GET /api/v1/dial-requests`) and posts the call's events naming it. The request keeps the record the agent
//! dialled from, so the call's activity goes there.

use super::{SqlStore, in_write_tx, on_db, select_in_chunks};
use crate::model::User;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A dial request as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DialRequest {
    pub id: i64,
    pub account_id: i64,
    pub user_id: i64,
    /// The agent's email: the telephony side routes the call to them.
    pub agent_email: String,
    pub number_e164: String,
    pub record_id: Option<String>,
    pub record_type: Option<String>,
    /// `pending` until the telephony side places the call, then `placed`.
    pub status: String,
    pub requested_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait DialStore {
    /// Files a dial request for the agent, optionally naming the record they dialled from.
    async fn create_dial_request(
        &self,
        user: &User,
        number_e164: &str,
        record: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<DialRequest>;
    /// The account's requests that no call has taken yet, oldest first.
    async fn pending_dial_requests(&self, account_id: i64, limit: i64) -> sqlx::Result<Vec<DialRequest>>;
    /// One of the account's requests, whatever its status.
    async fn dial_request(&self, account_id: i64, request_id: i64) -> sqlx::Result<Option<DialRequest>>;
    /// Records that a call placed the request. Repeating it for the same call changes nothing.
    async fn mark_dial_request_placed(&self, request_id: i64, call_row_id: i64, now: DateTime<Utc>)
    -> sqlx::Result<()>;
    /// The record an agent of the account last picked in the multi-match dialog for calls from each of these
    /// numbers, for the numbers that have one.
    async fn remembered_records(
        &self,
        account_id: i64,
        callers_e164: &[String],
    ) -> sqlx::Result<HashMap<String, String>>;
}

const DIAL_COLUMNS: &str = "dial_requests.id, dial_requests.account_id, dial_requests.user_id, users.email AS agent_email, \
    dial_requests.number_e164, dial_requests.record_id, dial_requests.record_type, dial_requests.status, \
    dial_requests.requested_at";

#[async_trait::async_trait]
impl DialStore for SqlStore {
    async fn create_dial_request(
        &self,
        user: &User,
        number_e164: &str,
        record: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<DialRequest> {
        let select = format!(
            "SELECT {DIAL_COLUMNS} FROM dial_requests JOIN users ON users.id = dial_requests.user_id WHERE dial_requests.id = $1"
        );
        in_write_tx!(self.db(), tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO dial_requests (account_id, user_id, number_e164, record_id, record_type, status, requested_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
            )
            .bind(user.account_id)
            .bind(user.id)
            .bind(number_e164)
            .bind(record.map(|(id, _)| id))
            .bind(record.map(|(_, object)| object))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query_as(sqlx::AssertSqlSafe(select)).bind(id).fetch_one(&mut *tx).await
        })
    }

    async fn pending_dial_requests(&self, account_id: i64, limit: i64) -> sqlx::Result<Vec<DialRequest>> {
        let sql = format!(
            "SELECT {DIAL_COLUMNS} FROM dial_requests JOIN users ON users.id = dial_requests.user_id
             WHERE dial_requests.account_id = $1 AND dial_requests.status = 'pending' ORDER BY dial_requests.id LIMIT $2"
        );
        on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(limit).fetch_all(pool).await
        })
    }

    async fn dial_request(&self, account_id: i64, request_id: i64) -> sqlx::Result<Option<DialRequest>> {
        let sql = format!(
            "SELECT {DIAL_COLUMNS} FROM dial_requests JOIN users ON users.id = dial_requests.user_id
             WHERE dial_requests.account_id = $1 AND dial_requests.id = $2"
        );
        on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(request_id).fetch_optional(pool).await
        })
    }

    async fn mark_dial_request_placed(
        &self,
        request_id: i64,
        call_row_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                "UPDATE dial_requests SET status = 'placed', call_row_id = $2, placed_at = COALESCE(placed_at, $3)
                 WHERE id = $1 AND (call_row_id IS NULL OR call_row_id = $2)",
            )
            .bind(request_id)
            .bind(call_row_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    async fn remembered_records(
        &self,
        account_id: i64,
        callers_e164: &[String],
    ) -> sqlx::Result<HashMap<String, String>> {
        let sql = "SELECT calls.caller_e164, activities.id, activities.record_id
                   FROM activities JOIN calls ON calls.id = activities.call_row_id
                   WHERE calls.caller_e164 IN ({list}) AND calls.account_id = ${next}
                     AND activities.chosen_by = 'agent_choice'";
        let rows = select_in_chunks!(self.db(), (String, i64, String), sql, callers_e164, account_id);
        // The latest pick per number.
        let mut latest: HashMap<String, (i64, String)> = HashMap::new();
        for (number, id, record) in rows {
            if latest.get(&number).is_none_or(|(best, _)| id > *best) {
                latest.insert(number, (id, record));
            }
        }
        Ok(latest.into_iter().map(|(number, (_, record))| (number, record)).collect())
    }
}
