//! What gets logged, and where: the account's logging settings (which call types write a Task, the `WhatId` rule;
//! `logging_settings`, one row per account, none meaning the defaults) and each user's Salesforce user, the owner
//! of the Tasks of the calls they answer. Every change is audited in `settings_changes`, with the other settings.

use super::settings::record_change;
use super::{SqlStore, in_write_tx, on_db};
use crate::model::User;
use callpop_core::call_logging::{LoggingPolicy, LoggingSettings, WhatIdRule};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
pub trait LoggingStore {
    /// The account's logging settings; the defaults (every call logged, no `WhatId`) when it never set them. The
    /// sync engine reads them for each call, so a change applies to the next call event synced.
    async fn logging_settings(&self, account_id: i64) -> sqlx::Result<LoggingSettings>;

    /// Replaces the account's logging settings and records one change row per setting whose value differs, in one
    /// transaction. Returns the names of the settings that changed.
    async fn update_logging_settings(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        settings: &LoggingSettings,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<&'static str>>;

    /// Sets (or clears) the Salesforce user of the account's user `user_id`, with its change row, in one
    /// transaction; `None` when the account has no such user.
    async fn set_salesforce_user(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        user_id: i64,
        salesforce_user_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<User>>;

    /// The Salesforce user of callpop's user `user_id`, when one is set: the owner of the Tasks of their calls.
    async fn salesforce_user_of(&self, user_id: i64) -> sqlx::Result<Option<String>>;
}

#[derive(sqlx::FromRow)]
struct LoggingRow {
    log_answered: bool,
    log_missed: bool,
    log_voicemail: bool,
    log_abandoned: bool,
    log_outbound_not_answered: bool,
    what_id_rule: String,
}

impl From<LoggingRow> for LoggingSettings {
    fn from(row: LoggingRow) -> Self {
        Self {
            log: LoggingPolicy {
                answered: row.log_answered,
                missed: row.log_missed,
                voicemail: row.log_voicemail,
                abandoned: row.log_abandoned,
                outbound_not_answered: row.log_outbound_not_answered,
            },
            what_id: what_id_rule_from_name(&row.what_id_rule),
        }
    }
}

/// The stored name of a `WhatId` rule.
fn what_id_rule_name(rule: WhatIdRule) -> &'static str {
    match rule {
        WhatIdRule::None => "none",
        WhatIdRule::OpenCase => "open_case",
        WhatIdRule::OpenOpportunity => "open_opportunity",
    }
}

/// The inverse of `what_id_rule_name`; a name this version does not know reads as no rule.
fn what_id_rule_from_name(name: &str) -> WhatIdRule {
    [WhatIdRule::OpenCase, WhatIdRule::OpenOpportunity]
        .into_iter()
        .find(|rule| what_id_rule_name(*rule) == name)
        .unwrap_or(WhatIdRule::None)
}

/// Each setting by its audited name, with its value as JSON.
fn audited_values(settings: &LoggingSettings) -> [(&'static str, serde_json::Value); 6] {
    let log = settings.log;
    [
        ("logging.answered", log.answered.into()),
        ("logging.missed", log.missed.into()),
        ("logging.voicemail", log.voicemail.into()),
        ("logging.abandoned", log.abandoned.into()),
        ("logging.outbound_not_answered", log.outbound_not_answered.into()),
        ("logging.what_id", what_id_rule_name(settings.what_id).into()),
    ]
}

const SELECT_LOGGING_SQL: &str = "SELECT log_answered, log_missed, log_voicemail, log_abandoned, \
    log_outbound_not_answered, what_id_rule FROM logging_settings WHERE account_id = $1";

/// Reads the account's logging settings through `$executor`, a pool or `&mut *tx` (a macro: its type is the
/// backend's); the defaults when the account never set them.
macro_rules! read_logging_settings {
    ($executor:expr, $account_id:expr) => {{
        let row: Option<LoggingRow> =
            sqlx::query_as(SELECT_LOGGING_SQL).bind($account_id).fetch_optional($executor).await?;
        row.map(LoggingSettings::from).unwrap_or_default()
    }};
}

#[async_trait::async_trait]
impl LoggingStore for SqlStore {
    async fn logging_settings(&self, account_id: i64) -> sqlx::Result<LoggingSettings> {
        Ok(on_db!(self.db(), pool => read_logging_settings!(pool, account_id)))
    }

    async fn update_logging_settings(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        settings: &LoggingSettings,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<&'static str>> {
        let settings = *settings;
        in_write_tx!(self.db(), tx => {
            let before = read_logging_settings!(&mut *tx, account_id);
            let mut changed = Vec::new();
            for ((setting, old), (_, new)) in audited_values(&before).into_iter().zip(audited_values(&settings)) {
                if old != new {
                    record_change!(tx, account_id, changed_by_user_id, setting, old, new, now);
                    changed.push(setting);
                }
            }
            let log = settings.log;
            sqlx::query(
                "INSERT INTO logging_settings (account_id, log_answered, log_missed, log_voicemail, log_abandoned,
                    log_outbound_not_answered, what_id_rule, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (account_id) DO UPDATE SET log_answered = excluded.log_answered,
                    log_missed = excluded.log_missed, log_voicemail = excluded.log_voicemail,
                    log_abandoned = excluded.log_abandoned,
                    log_outbound_not_answered = excluded.log_outbound_not_answered,
                    what_id_rule = excluded.what_id_rule, updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(log.answered)
            .bind(log.missed)
            .bind(log.voicemail)
            .bind(log.abandoned)
            .bind(log.outbound_not_answered)
            .bind(what_id_rule_name(settings.what_id))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(changed)
        })
    }

    async fn set_salesforce_user(
        &self,
        account_id: i64,
        changed_by_user_id: i64,
        user_id: i64,
        salesforce_user_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<User>> {
        let salesforce_user_id = salesforce_user_id.map(str::to_owned);
        let found = in_write_tx!(self.db(), tx => {
            let before: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT email, salesforce_user_id FROM users WHERE id = $1 AND account_id = $2",
            )
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            match before {
                None => Ok::<bool, sqlx::Error>(false),
                Some((email, old)) => {
                    if old != salesforce_user_id {
                        sqlx::query("UPDATE users SET salesforce_user_id = $1 WHERE id = $2")
                            .bind(&salesforce_user_id)
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?;
                        let setting = format!("salesforce_user.{email}");
                        let new = salesforce_user_id.clone();
                        record_change!(tx, account_id, changed_by_user_id, setting, old, new, now);
                    }
                    Ok(true)
                }
            }
        })?;
        if !found {
            return Ok(None);
        }
        self.user_by_id(user_id).await
    }

    async fn salesforce_user_of(&self, user_id: i64) -> sqlx::Result<Option<String>> {
        let found: Option<Option<String>> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT salesforce_user_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.flatten())
    }
}
