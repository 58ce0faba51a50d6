//! The Salesforce org each account is linked to, with the integration user's tokens (stored sealed: this store
//! never sees a token in clear), and the OAuth authorizations in progress. Also the account's triggers.

use super::{SqlStore, in_write_tx, on_db};
use callpop_core::triggers::Trigger;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

/// An account's link to its org. The tokens are sealed with the server's token key (`salesforce::TokenCipher`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredConnection {
    pub account_id: i64,
    pub login_url: String,
    pub instance_url: String,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub connected_at: DateTime<Utc>,
    pub connected_by_user_id: Option<i64>,
    /// `connected`, or `needs_relink` after Salesforce refused a refresh.
    pub status: String,
    pub paused_until: Option<DateTime<Utc>>,
    pub api_used: Option<i64>,
    pub api_max: Option<i64>,
    pub last_error: Option<String>,
    /// The org's default time zone (`Organization.TimeZoneSidKey`); `None` when unknown.
    pub time_zone: Option<String>,
}

/// An OAuth authorization an admin started and Salesforce has not yet sent back.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkState {
    pub account_id: i64,
    pub user_id: i64,
    pub login_url: String,
    /// Sealed.
    pub pkce_verifier: String,
}

/// A trigger as stored: its id, its place in the account's order, and the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTrigger {
    pub id: i64,
    pub position: i64,
    pub rule: Trigger,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TriggerRow {
    id: i64,
    position: i64,
    rule: Json<Trigger>,
    updated_at: DateTime<Utc>,
}

impl From<TriggerRow> for StoredTrigger {
    fn from(row: TriggerRow) -> Self {
        Self { id: row.id, position: row.position, rule: row.rule.0, updated_at: row.updated_at }
    }
}

#[async_trait::async_trait]
pub trait ConnectionStore {
    /// Links the account to an org, replacing any earlier link.
    async fn save_connection(&self, connection: &StoredConnection) -> sqlx::Result<()>;
    async fn connection(&self, account_id: i64) -> sqlx::Result<Option<StoredConnection>>;
    /// Replaces the tokens after a refresh (the refresh token only when Salesforce rotated it).
    /// Keeps a refreshed access token, the rotated refresh token (if Salesforce rotated it) and the instance URL
    /// the refresh answered with (an org can move to another instance).
    async fn update_connection_tokens(
        &self,
        account_id: i64,
        access_token: &str,
        refresh_token: Option<&str>,
        instance_url: &str,
    ) -> sqlx::Result<()>;
    /// Marks the link broken (`needs_relink`) with the reason, or healthy again.
    async fn set_connection_status(&self, account_id: i64, status: &str, last_error: Option<&str>) -> sqlx::Result<()>;
    /// Keeps the org's default time zone as Salesforce last answered it (`None`: unknown).
    async fn set_connection_time_zone(&self, account_id: i64, time_zone: Option<&str>) -> sqlx::Result<()>;
    /// Pauses the account's sync until `until` (REQUEST_LIMIT_EXCEEDED).
    async fn pause_connection(&self, account_id: i64, until: DateTime<Utc>) -> sqlx::Result<()>;
    /// Keeps the org's latest `Sforce-Limit-Info` usage.
    async fn record_api_usage(&self, account_id: i64, used: i64, max: i64) -> sqlx::Result<()>;
    /// Unlinks the account's org; true when there was a link.
    async fn delete_connection(&self, account_id: i64) -> sqlx::Result<bool>;
    async fn create_link_state(
        &self,
        state_hash: &str,
        state: &LinkState,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    /// Uses up an authorization's state: the first use before it expires gets it, any later one nothing.
    async fn take_link_state(&self, state_hash: &str, now: DateTime<Utc>) -> sqlx::Result<Option<LinkState>>;
    /// The account's triggers in order.
    async fn triggers(&self, account_id: i64) -> sqlx::Result<Vec<StoredTrigger>>;
    /// Adds a trigger after the others.
    async fn create_trigger(&self, account_id: i64, rule: &Trigger, now: DateTime<Utc>) -> sqlx::Result<StoredTrigger>;
    /// Replaces a trigger's rule; `None` when the account has no such trigger.
    async fn update_trigger(
        &self,
        account_id: i64,
        id: i64,
        rule: &Trigger,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<StoredTrigger>>;
    async fn delete_trigger(&self, account_id: i64, id: i64) -> sqlx::Result<bool>;
    /// Puts the account's triggers in this order. `ids` must be exactly the account's trigger ids.
    async fn reorder_triggers(&self, account_id: i64, ids: &[i64], now: DateTime<Utc>) -> sqlx::Result<bool>;
}

const CONNECTION_COLUMNS: &str = "account_id, login_url, instance_url, org_id, user_id, username, access_token, \
    refresh_token, connected_at, connected_by_user_id, status, paused_until, api_used, api_max, last_error, time_zone";

#[async_trait::async_trait]
impl ConnectionStore for SqlStore {
    async fn save_connection(&self, connection: &StoredConnection) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            sqlx::query("DELETE FROM salesforce_connections WHERE account_id = $1")
                .bind(connection.account_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO salesforce_connections (account_id, login_url, instance_url, org_id, user_id, username,
                     access_token, refresh_token, connected_at, connected_by_user_id, status, paused_until, api_used,
                     api_max, last_error, time_zone)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(connection.account_id)
            .bind(&connection.login_url)
            .bind(&connection.instance_url)
            .bind(&connection.org_id)
            .bind(&connection.user_id)
            .bind(&connection.username)
            .bind(&connection.access_token)
            .bind(&connection.refresh_token)
            .bind(connection.connected_at)
            .bind(connection.connected_by_user_id)
            .bind(&connection.status)
            .bind(connection.paused_until)
            .bind(connection.api_used)
            .bind(connection.api_max)
            .bind(&connection.last_error)
            .bind(&connection.time_zone)
            .execute(&mut *tx)
            .await
            .map(|_| ())
        })
    }

    async fn connection(&self, account_id: i64) -> sqlx::Result<Option<StoredConnection>> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM salesforce_connections WHERE account_id = $1");
        on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_optional(pool).await
        })
    }

    async fn update_connection_tokens(
        &self,
        account_id: i64,
        access_token: &str,
        refresh_token: Option<&str>,
        instance_url: &str,
    ) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                "UPDATE salesforce_connections SET access_token = $2, refresh_token = COALESCE($3, refresh_token),
                     instance_url = $4, status = 'connected', last_error = NULL WHERE account_id = $1",
            )
            .bind(account_id)
            .bind(access_token)
            .bind(refresh_token)
            .bind(instance_url)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    async fn set_connection_status(&self, account_id: i64, status: &str, last_error: Option<&str>) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE salesforce_connections SET status = $2, last_error = $3 WHERE account_id = $1")
                .bind(account_id)
                .bind(status)
                .bind(last_error)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn set_connection_time_zone(&self, account_id: i64, time_zone: Option<&str>) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE salesforce_connections SET time_zone = $2 WHERE account_id = $1")
                .bind(account_id)
                .bind(time_zone)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn pause_connection(&self, account_id: i64, until: DateTime<Utc>) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE salesforce_connections SET paused_until = $2 WHERE account_id = $1")
                .bind(account_id)
                .bind(until)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn record_api_usage(&self, account_id: i64, used: i64, max: i64) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("UPDATE salesforce_connections SET api_used = $2, api_max = $3 WHERE account_id = $1")
                .bind(account_id)
                .bind(used)
                .bind(max)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn delete_connection(&self, account_id: i64) -> sqlx::Result<bool> {
        Ok(on_db!(self.db(), pool => {
            sqlx::query("DELETE FROM salesforce_connections WHERE account_id = $1")
                .bind(account_id)
                .execute(pool)
                .await?
                .rows_affected()
        }) == 1)
    }

    async fn create_link_state(
        &self,
        state_hash: &str,
        state: &LinkState,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                "INSERT INTO salesforce_link_states (state_hash, account_id, user_id, login_url, pkce_verifier, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(state_hash)
            .bind(state.account_id)
            .bind(state.user_id)
            .bind(&state.login_url)
            .bind(&state.pkce_verifier)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ())
        })
    }

    async fn take_link_state(&self, state_hash: &str, now: DateTime<Utc>) -> sqlx::Result<Option<LinkState>> {
        in_write_tx!(self.db(), tx => {
            sqlx::query("DELETE FROM salesforce_link_states WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
            sqlx::query_as(
                "DELETE FROM salesforce_link_states WHERE state_hash = $1
                 RETURNING account_id, user_id, login_url, pkce_verifier",
            )
            .bind(state_hash)
            .fetch_optional(&mut *tx)
            .await
        })
    }

    async fn triggers(&self, account_id: i64) -> sqlx::Result<Vec<StoredTrigger>> {
        let rows: Vec<TriggerRow> = on_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, position, rule, updated_at FROM triggers WHERE account_id = $1 ORDER BY position, id")
                .bind(account_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(StoredTrigger::from).collect())
    }

    async fn create_trigger(&self, account_id: i64, rule: &Trigger, now: DateTime<Utc>) -> sqlx::Result<StoredTrigger> {
        let row: TriggerRow = in_write_tx!(self.db(), tx => {
            sqlx::query_as(
                "INSERT INTO triggers (account_id, position, rule, created_at, updated_at)
                 VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM triggers WHERE account_id = $1), $2, $3, $3)
                 RETURNING id, position, rule, updated_at",
            )
            .bind(account_id)
            .bind(Json(rule))
            .bind(now)
            .fetch_one(&mut *tx)
            .await
        })?;
        Ok(row.into())
    }

    async fn update_trigger(
        &self,
        account_id: i64,
        id: i64,
        rule: &Trigger,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<StoredTrigger>> {
        let row: Option<TriggerRow> = on_db!(self.db(), pool => {
            sqlx::query_as(
                "UPDATE triggers SET rule = $3, updated_at = $4 WHERE id = $1 AND account_id = $2
                 RETURNING id, position, rule, updated_at",
            )
            .bind(id)
            .bind(account_id)
            .bind(Json(rule))
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(StoredTrigger::from))
    }

    async fn delete_trigger(&self, account_id: i64, id: i64) -> sqlx::Result<bool> {
        Ok(on_db!(self.db(), pool => {
            sqlx::query("DELETE FROM triggers WHERE id = $1 AND account_id = $2")
                .bind(id)
                .bind(account_id)
                .execute(pool)
                .await?
                .rows_affected()
        }) == 1)
    }

    async fn reorder_triggers(&self, account_id: i64, ids: &[i64], now: DateTime<Utc>) -> sqlx::Result<bool> {
        in_write_tx!(self.db(), tx => {
            let mut existing: Vec<i64> = sqlx::query_scalar("SELECT id FROM triggers WHERE account_id = $1")
                .bind(account_id)
                .fetch_all(&mut *tx)
                .await?;
            existing.sort_unstable();
            let mut wanted = ids.to_vec();
            wanted.sort_unstable();
            if existing != wanted {
                return Ok(false);
            }
            for (position, id) in (1_i64..).zip(ids) {
                sqlx::query("UPDATE triggers SET position = $3, updated_at = $4 WHERE id = $1 AND account_id = $2")
                    .bind(id)
                    .bind(account_id)
                    .bind(position)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(true)
        })
    }
}
