//! The account's integration options, read in one place by everyone who acts on them, and their change history.
//!
//! Nothing caches the options: the softphone's stream reads them each time it sends a call, and the sync engine
//! reads them for each outbox item, so a change takes effect for the next call without a restart.

use super::{SqlStore, in_write_tx, on_db};
use crate::model::SettingsChange;
use callpop_core::options::IntegrationOptions;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

/// Records one settings change row in `$tx`: `$setting` of account `$account_id` went from `$old` to `$new` (each
/// stored as JSON), by user `$user_id` at `$now` (a macro: the transaction's type is the backend's).
macro_rules! record_change {
    ($tx:ident, $account_id:expr, $user_id:expr, $setting:expr, $old:expr, $new:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO settings_changes (account_id, user_id, setting, old_value, new_value, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($account_id)
        .bind($user_id)
        .bind($setting)
        .bind(sqlx::types::Json($old))
        .bind(sqlx::types::Json($new))
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

pub(crate) use record_change;

#[async_trait::async_trait]
pub trait SettingsStore {
    /// The account's integration options as they are now; `None` when there is no such account.
    ///
    /// This is the one place options are read from: the softphone's stream and the sync engine both call it (or
    /// read the account, which carries the same value) for every call, and keep no copy.
    async fn integration_options(&self, account_id: i64) -> sqlx::Result<Option<IntegrationOptions>>;

    /// Replaces the account's options with `options` and records one change row per option whose value differs,
    /// all in one transaction. Returns the changes (empty when nothing differed, and then nothing is written).
    async fn update_integration_options(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        options: &IntegrationOptions,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<SettingsChange>>;

    /// The account's settings changes, newest first.
    async fn settings_changes(&self, account_id: i64, limit: i64) -> sqlx::Result<Vec<SettingsChange>>;
}

#[derive(sqlx::FromRow)]
struct SettingsChangeRow {
    setting: String,
    old_value: Json<serde_json::Value>,
    new_value: Json<serde_json::Value>,
    changed_by: String,
    changed_at: DateTime<Utc>,
}

#[async_trait::async_trait]
impl SettingsStore for SqlStore {
    async fn integration_options(&self, account_id: i64) -> sqlx::Result<Option<IntegrationOptions>> {
        let options: Option<Json<IntegrationOptions>> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT options FROM accounts WHERE id = $1").bind(account_id).fetch_optional(pool).await?
        });
        Ok(options.map(|options| options.0))
    }

    async fn update_integration_options(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        options: &IntegrationOptions,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<SettingsChange>> {
        let changed_by: String = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(changed_by_user_id).fetch_one(pool).await?
        });
        in_write_tx!(self.db(), tx => {
            // PostgreSQL locks the row for the read-compare-write; SQLite's BEGIN IMMEDIATE already holds the lock.
            let lock_clause = if matches!(self.db(), super::Db::Postgres(_)) { " FOR UPDATE" } else { "" };
            let sql = format!("SELECT options FROM accounts WHERE id = $1{lock_clause}");
            let Json(before): Json<IntegrationOptions> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_one(&mut *tx).await?;
            let changes = before.changes_to(options);
            if !changes.is_empty() {
                sqlx::query("UPDATE accounts SET options = $1 WHERE id = $2")
                    .bind(Json(options))
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut recorded = Vec::with_capacity(changes.len());
            for (setting, old_value, new_value) in changes {
                record_change!(tx, account_id, changed_by_user_id, setting, old_value, new_value, now);
                recorded.push(SettingsChange {
                    setting: setting.to_owned(),
                    old_value: old_value.into(),
                    new_value: new_value.into(),
                    changed_by: changed_by.clone(),
                    changed_at: now,
                });
            }
            Ok(recorded)
        })
    }

    async fn settings_changes(&self, account_id: i64, limit: i64) -> sqlx::Result<Vec<SettingsChange>> {
        let rows: Vec<SettingsChangeRow> = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT settings_changes.setting, settings_changes.old_value, settings_changes.new_value,
                        users.email AS changed_by, settings_changes.changed_at
                 FROM settings_changes JOIN users ON users.id = settings_changes.user_id
                 WHERE settings_changes.account_id = $1 ORDER BY settings_changes.id DESC LIMIT $2",
            )
            .bind(account_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| SettingsChange {
                setting: row.setting,
                old_value: row.old_value.0,
                new_value: row.new_value.0,
                changed_by: row.changed_by,
                changed_at: row.changed_at,
            })
            .collect())
    }
}
