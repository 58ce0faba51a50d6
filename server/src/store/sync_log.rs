//! The sync log's pages and dismissals: the items that need an administrator, a keyset page at a time (by item id,
//! newest first) with their counts, and an administrator's dismissal of a parked or failed item.
//!
//! A dismissal is a row of `sync_log_dismissals` (who, when, why, and the error it was given for), never changed or
//! deleted: the audit. The item points at its current dismissal (`outbox.dismissal_id`) while it lasts. Dismissed
//! items leave the default view and are listed by the `dismissed` view; "retry all" leaves them alone.
//!
//! A dismissal covers the failure it was given for, and ends:
//! - when an administrator retries the item (`SyncStore::retry_outbox_item` clears it);
//! - when the sync engine's own retry (the call's parked items are sent again once the agent appends the call to a
//!   record, or once the org is linked again) ends in a *different* error (another code or message): the item is
//!   listed again, with that error, for the administrator to look at (`SyncStore::park_outbox_item`);
//! - when the item is written (`SyncStore::complete_outbox_item`): it leaves the log.
//!
//! While the engine retries a dismissed item it stays in the `dismissed` view (status `retrying`), and a retry that
//! ends in the same error leaves it dismissed: nothing new for the administrator.

use super::call_log::{LogCounts, PageFrom};
use super::sync::{SYNC_LOG_SELECT, SyncLogItem, SyncLogRow};
use super::{SqlStore, in_write_tx, on_db};
use chrono::{DateTime, Utc};

/// Which sync-log items a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncLogSearch {
    pub account_id: i64,
    /// The statuses listed: some of `SYNC_LOG_STATUSES`, all three when empty.
    pub statuses: Vec<&'static str>,
    /// The dismissed items instead of the others.
    pub dismissed: bool,
    pub page: PageFrom,
    pub limit: i64,
}

/// What a dismissal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dismissed {
    Done,
    /// The account has no such item in the sync log.
    NotFound,
    /// The item is being retried (or done): only a parked or failed one can be dismissed.
    NotParkedOrFailed,
    AlreadyDismissed,
}

/// The conditions on `$1`–`$5`: account, three statuses, dismissed or not.
const FILTER: &str = "outbox.account_id = $1 AND outbox.status IN ($2, $3, $4)
    AND (CASE WHEN outbox.dismissal_id IS NULL THEN 0 ELSE 1 END) = $5";

#[async_trait::async_trait]
pub trait SyncLogStore {
    /// One page of the sync log, newest first.
    async fn sync_log_page(&self, search: &SyncLogSearch) -> sqlx::Result<Vec<SyncLogItem>>;
    /// How many items the search lists, and how many are newer than item `first` and older than item `last`.
    async fn count_sync_log(
        &self,
        search: &SyncLogSearch,
        first: Option<i64>,
        last: Option<i64>,
    ) -> sqlx::Result<LogCounts>;
    /// Dismisses a parked or failed item of the account, recording who, when and why.
    async fn dismiss_outbox_item(
        &self,
        account_id: i64,
        id: i64,
        user_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Dismissed>;
}

/// Binds a `SyncLogSearch` to `$1`–`$5` of `FILTER`.
macro_rules! bind_search {
    ($statement:expr, $search:expr, $statuses:expr) => {
        $statement
            .bind($search.account_id)
            .bind($statuses[0])
            .bind($statuses[1])
            .bind($statuses[2])
            .bind(i32::from($search.dismissed))
    };
}

/// The three statuses bound to `$2`–`$4` (one repeated when fewer are wanted).
fn three_statuses(search: &SyncLogSearch) -> [&'static str; 3] {
    let wanted = if search.statuses.is_empty() { &super::sync::SYNC_LOG_STATUSES[..] } else { &search.statuses[..] };
    [0, 1, 2].map(|index| wanted.get(index).or(wanted.first()).copied().unwrap_or("parked"))
}

#[async_trait::async_trait]
impl SyncLogStore for SqlStore {
    async fn sync_log_page(&self, search: &SyncLogSearch) -> sqlx::Result<Vec<SyncLogItem>> {
        let (cursor, newer) = match search.page {
            PageFrom::Newest => (None, false),
            PageFrom::OlderThan(id) => (Some(id), false),
            PageFrom::NewerThan(id) => (Some(id), true),
        };
        let (op, order) = if newer { (">", "ASC") } else { ("<", "DESC") };
        let sql = format!(
            "{SYNC_LOG_SELECT} WHERE {FILTER} AND ($6 IS NULL OR outbox.id {op} $6) ORDER BY outbox.id {order} LIMIT $7"
        );
        let statuses = three_statuses(search);
        let mut rows: Vec<SyncLogRow> = on_db!(self.db(), pool => {
            bind_search!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), search, statuses)
                .bind(cursor)
                .bind(search.limit)
                .fetch_all(pool)
                .await?
        });
        if newer {
            rows.reverse();
        }
        Ok(rows.into_iter().map(SyncLogItem::from).collect())
    }

    async fn count_sync_log(
        &self,
        search: &SyncLogSearch,
        first: Option<i64>,
        last: Option<i64>,
    ) -> sqlx::Result<LogCounts> {
        let sql = format!(
            "SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN outbox.id > $6 THEN 1 ELSE 0 END), 0) AS newer,
                    COALESCE(SUM(CASE WHEN outbox.id < $7 THEN 1 ELSE 0 END), 0) AS older
             FROM outbox WHERE {FILTER}"
        );
        let statuses = three_statuses(search);
        Ok(on_db!(self.db(), pool => {
            bind_search!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), search, statuses)
                .bind(first)
                .bind(last)
                .fetch_one(pool)
                .await?
        }))
    }

    async fn dismiss_outbox_item(
        &self,
        account_id: i64,
        id: i64,
        user_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Dismissed> {
        in_write_tx!(self.db(), tx => {
            // An update that changes nothing locks the row on PostgreSQL (SQLite's transaction holds the database's
            // write lock already), so the sync engine cannot move the item between this check and the dismissal.
            let found: Option<(String, Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
                "UPDATE outbox SET dismissal_id = dismissal_id WHERE id = $1 AND account_id = $2
                 RETURNING status, dismissal_id, last_error_code, last_error",
            )
            .bind(id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            match found {
                None => Ok(Dismissed::NotFound),
                Some((_, Some(_), _, _)) => Ok(Dismissed::AlreadyDismissed),
                Some((status, None, _, _)) if status != "parked" && status != "failed" => {
                    Ok(Dismissed::NotParkedOrFailed)
                }
                Some((_, None, error_code, error_message)) => {
                    let dismissal_id: i64 = sqlx::query_scalar(
                        "INSERT INTO sync_log_dismissals
                            (account_id, outbox_id, user_id, reason, dismissed_at, error_code, error_message)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(account_id)
                    .bind(id)
                    .bind(user_id)
                    .bind(reason)
                    .bind(now)
                    .bind(error_code)
                    .bind(error_message)
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE outbox SET dismissal_id = $2 WHERE id = $1")
                        .bind(id)
                        .bind(dismissal_id)
                        .execute(&mut *tx)
                        .await?;
                    Ok(Dismissed::Done)
                }
            }
        })
    }
}
