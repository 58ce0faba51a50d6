//! The call log: the account's calls, newest first, with their events and the activity appends they received; and
//! what the call log and the text log share in SQL: their search filters, keyset pages in both directions, counts.
//!
//! A page is found by a row id (a keyset cursor), not an offset: the rows older (or newer) than that row in (time,
//! id) order. New calls arrive at the top of the log, so a page reached by a cursor keeps showing the same rows
//! while they arrive, where an offset would shift by one for every new call. The counts (how many match, how many are
//! newer and older than the page) are one statement, so they agree with each other.

use super::calls::{CALL_COLUMNS, CallRow};
use super::{Db, SqlStore, on_db};
use crate::model::{Call, StoredActivity, StoredCallEvent, SyncStatus};
use chrono::{DateTime, Utc};

/// Which calls or texts a search selects. Every `None` is "any".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogFilter {
    pub account_id: i64,
    /// Only those assigned to this user (a call agent's own, or the `agent` filter).
    pub agent_user_id: Option<i64>,
    /// Started (calls) or sent (texts) at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Started or sent before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only this tracking source, exactly.
    pub source: Option<String>,
    /// The searched number in E.164, when it reads as a valid number in the account's region.
    pub number_e164: Option<String>,
    /// The searched number's digits, matched as the end of the stored E.164 (`5550100` finds `+14155550100`).
    pub number_digits: Option<String>,
    /// Lower-case text the caller's name contains (ASCII letters compare without case).
    pub name: Option<String>,
    pub sync_status: Option<SyncStatus>,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFrom {
    /// The newest rows.
    Newest,
    /// The rows older than this row id: the next page.
    OlderThan(i64),
    /// The rows newer than this row id: the previous page.
    NewerThan(i64),
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub filter: LogFilter,
    pub page: PageFrom,
    pub limit: i64,
}

/// How many rows a search matches, and how many of them lie before (newer) and after (older) a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct LogCounts {
    pub total: i64,
    pub newer: i64,
    pub older: i64,
}

/// A table the logs search: its columns, its time column, and how a number and a name match one of its rows.
pub(crate) struct LogTable {
    pub table: &'static str,
    pub columns: &'static str,
    pub time: &'static str,
    /// A condition on `$6` (the E.164, may be NULL) and `$7` (`%` and the digits).
    pub number: &'static str,
    /// A condition on `$8` (`%`, the escaped lower-case name, `%`).
    pub name: &'static str,
}

const CALLS_LOG: LogTable = LogTable {
    table: "calls",
    columns: CALL_COLUMNS,
    time: "started_at",
    number: "caller_e164 = $6 OR caller_e164 LIKE $7",
    name: r"LOWER(caller_name) LIKE $8 ESCAPE '\'",
};

impl LogTable {
    /// The search's conditions, on parameters `$1` to `$9` (`bind_filter!`).
    fn filter_sql(&self) -> String {
        let LogTable { time, number, name, .. } = self;
        format!(
            "account_id = $1
             AND ($2 IS NULL OR agent_user_id = $2)
             AND ($3 IS NULL OR {time} >= $3)
             AND ($4 IS NULL OR {time} < $4)
             AND ($5 IS NULL OR tracking_source = $5)
             AND ($7 IS NULL OR {number})
             AND ($8 IS NULL OR {name})
             AND ($9 IS NULL OR sync_status = $9)"
        )
    }

    /// The position of row `$param` in the log's (time, id) order, compared with `op`.
    fn beside(&self, op: &str, param: &str) -> String {
        let LogTable { table, time, .. } = self;
        format!("({time}, id) {op} (SELECT {time}, id FROM {table} WHERE id = {param} AND account_id = $1)")
    }

    /// One page: the filter and the cursor `$10` (NULL for the newest), limited by `$11`.
    fn page_sql(&self, newer: bool) -> String {
        let (op, order) = if newer { (">", "ASC") } else { ("<", "DESC") };
        format!(
            "SELECT {columns} FROM {table} WHERE {filter} AND ($10 IS NULL OR {beside})
             ORDER BY {time} {order}, id {order} LIMIT $11",
            columns = self.columns,
            table = self.table,
            filter = self.filter_sql(),
            beside = self.beside(op, "$10"),
            time = self.time,
        )
    }

    /// The counts around a page whose first row is `$10` and last row `$11`.
    fn counts_sql(&self) -> String {
        format!(
            "SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN {newer} THEN 1 ELSE 0 END), 0) AS newer,
                    COALESCE(SUM(CASE WHEN {older} THEN 1 ELSE 0 END), 0) AS older
             FROM {table} WHERE {filter}",
            newer = self.beside(">", "$10"),
            older = self.beside("<", "$11"),
            table = self.table,
            filter = self.filter_sql(),
        )
    }
}

/// Binds a `LogFilter` to `$1`–`$9` of a statement built from `LogTable::filter_sql`.
macro_rules! bind_filter {
    ($statement:expr, $filter:expr) => {
        $statement
            .bind($filter.account_id)
            .bind($filter.agent_user_id)
            .bind($filter.from)
            .bind($filter.to)
            .bind($filter.source.as_deref())
            .bind($filter.number_e164.as_deref())
            .bind($filter.number_digits.as_ref().map(|digits| format!("%{digits}")))
            .bind($filter.name.as_ref().map(|name| format!("%{}%", escape_like(name))))
            .bind($filter.sync_status.map(SyncStatus::as_str))
    };
}

/// `text` as a LIKE pattern's literal part, with `\` as the escape character.
fn escape_like(text: &str) -> String {
    text.replace('\\', r"\\").replace('%', r"\%").replace('_', r"\_")
}

/// The rows of one page of `table`, newest first.
pub(crate) async fn page_rows<R>(db: &Db, table: &LogTable, query: &LogQuery) -> sqlx::Result<Vec<R>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let (cursor, newer) = match query.page {
        PageFrom::Newest => (None, false),
        PageFrom::OlderThan(row_id) => (Some(row_id), false),
        PageFrom::NewerThan(row_id) => (Some(row_id), true),
    };
    let sql = table.page_sql(newer);
    let mut rows: Vec<R> = on_db!(db, pool => {
        bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), query.filter)
            .bind(cursor)
            .bind(query.limit)
            .fetch_all(pool)
            .await?
    });
    if newer {
        rows.reverse();
    }
    Ok(rows)
}

/// The counts of `filter` around the page from row `first` to row `last` (both `None` for an empty page).
pub(crate) async fn page_counts(
    db: &Db,
    table: &LogTable,
    filter: &LogFilter,
    first: Option<i64>,
    last: Option<i64>,
) -> sqlx::Result<LogCounts> {
    let sql = table.counts_sql();
    Ok(on_db!(db, pool => {
        bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).bind(first).bind(last).fetch_one(pool).await?
    }))
}

#[async_trait::async_trait]
pub trait CallLogStore {
    /// The calls of one page of a search, newest first.
    async fn list_calls(&self, query: &LogQuery) -> sqlx::Result<Vec<Call>>;
    /// How many calls the search matches, and how many are newer than row `first` and older than row `last`.
    async fn count_calls(&self, filter: &LogFilter, first: Option<i64>, last: Option<i64>) -> sqlx::Result<LogCounts>;
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
        let rows: Vec<CallRow> = page_rows(self.db(), &CALLS_LOG, query).await?;
        rows.into_iter().map(Call::try_from).collect()
    }

    async fn count_calls(&self, filter: &LogFilter, first: Option<i64>, last: Option<i64>) -> sqlx::Result<LogCounts> {
        page_counts(self.db(), &CALLS_LOG, filter, first, last).await
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
