//! Storage: one set of traits, two real backends (SQLite by default, PostgreSQL to scale), picked by the URL.
//!
//! The SQL is written once. It uses `$1`-style parameters and standard SQL that SQLite and PostgreSQL both run, and
//! `on_db!` expands each query once per backend so each runs on its own native pool and column types (timestamptz and
//! jsonb on PostgreSQL). Each backend has its own migrations under `migrations/<backend>/`. The traits exist because
//! there are two real backends, not for mocks; the API tests run the same suite against both.

pub mod accounts;
pub mod call_commands;
mod call_log;
mod calls;
pub mod connections;
pub mod dial;
pub mod group_commit;
pub mod history;
pub mod logging;
pub mod salesforce_audit;
mod settings;
mod stream;
pub mod sync;
pub mod sync_log;
mod texts;
pub mod voice;
pub mod wrap_up;

pub use accounts::AccountStore;
pub use call_commands::CallCommandStore;
pub use call_log::{CallLogStore, LogCounts, LogFilter, LogQuery, PageFrom};
pub use calls::CallStore;
pub use connections::ConnectionStore;
pub use dial::DialStore;
pub use history::HistoryStore;
pub use logging::LoggingStore;
pub use salesforce_audit::SalesforceAuditStore;
pub use settings::SettingsStore;
pub use stream::StreamStore;
pub use sync::SyncStore;
pub use sync_log::SyncLogStore;
pub use texts::TextStore;
pub use voice::VoiceStore;
pub use wrap_up::WrapUpStore;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Everything the server stores. `Arc<dyn Store>` is what handlers and workers hold.
pub trait Store:
    AccountStore
    + CallStore
    + CallLogStore
    + TextStore
    + SettingsStore
    + SalesforceAuditStore
    + StreamStore
    + DialStore
    + HistoryStore
    + SyncStore
    + SyncLogStore
    + ConnectionStore
    + OperationsStore
    + LoggingStore
    + CallCommandStore
    + WrapUpStore
    + VoiceStore
    + Send
    + Sync
    + std::fmt::Debug
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// What operations watch: whether the database answers, and how much work waits for the sync engine.
#[async_trait::async_trait]
pub trait OperationsStore {
    /// Checks that the database answers (readiness).
    async fn ping(&self) -> sqlx::Result<()>;
    /// Outbox items the sync engine has not finished: every status but `done`.
    async fn outbox_depth(&self) -> sqlx::Result<i64>;
}

#[async_trait::async_trait]
impl OperationsStore for SqlStore {
    async fn ping(&self) -> sqlx::Result<()> {
        on_db!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    async fn outbox_depth(&self) -> sqlx::Result<i64> {
        on_db!(&self.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status <> 'done'").fetch_one(pool).await
        })
    }
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// The SQLite database: a pool for reads and occasional writes, and the group-commit writer that ingestion's
/// writes share (`in_group_tx!`).
#[derive(Debug, Clone)]
pub struct SqliteDb {
    pub pool: SqlitePool,
    pub writer: group_commit::GroupWriter,
}

/// Runs `$body` with `$pool` bound to the concrete pool, once per backend.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.pool;
                $body
            }
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// How many values one `IN (…)` list binds: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub(crate) const VALUES_PER_IN_LIST: usize = 500;

/// Reads rows of type `$row` for many keys at once: runs `$sql`, whose `{list}` becomes the numbered placeholders
/// of one chunk of `$keys` (at most `VALUES_PER_IN_LIST`), once per chunk, binding the chunk's keys and then
/// `$extra` (written `${next}` in `$sql`: the placeholder after the list). Only numbered placeholders are formatted
/// into the SQL; every value is bound. The reads that replace one query per call at an agent's stream start.
macro_rules! select_in_chunks {
    ($db:expr, $row:ty, $sql:expr, $keys:expr $(, $extra:expr)?) => {{
        let mut rows: Vec<$row> = Vec::new();
        for chunk in $keys.chunks($crate::store::VALUES_PER_IN_LIST) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|index| format!("${index}")).collect();
            let sql = $sql.replace("{list}", &placeholders.join(", ")).replace("{next}", &(chunk.len() + 1).to_string());
            let found: Vec<$row> = $crate::store::on_db!($db, pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for key in chunk {
                    query = query.bind(key);
                }
                $(query = query.bind($extra);)?
                query.fetch_all(pool).await?
            });
            rows.extend(found);
        }
        rows
    }};
}

/// Runs `$body` inside a write transaction `$tx`, committed when `$body` returns `Ok`.
///
/// SQLite transactions take the process's write lock (shared with the group-commit writer) and start with
/// `BEGIN IMMEDIATE`, so a writer takes the database's lock up front instead of failing with `SQLITE_BUSY` when a
/// read transaction tries to upgrade.
macro_rules! in_write_tx {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                let _turn = sqlite.writer.lock().lock().await;
                #[allow(unused_mut)]
                let mut $tx = sqlite.pool.begin_with("BEGIN IMMEDIATE").await?;
                let result = $body;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
            $crate::store::Db::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                let result = $body;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
        }
    };
}

/// Runs `$body` as an ingestion write, `$tx` bound to the connection it writes through, and returns its result
/// once it is committed. The body's captured values must be owned: on SQLite it runs on the group-commit writer's
/// task (`group_commit`), in one savepoint of a transaction shared with the other writes waiting at the same time;
/// on PostgreSQL, whose commits already share their WAL flush, it runs in its own transaction.
macro_rules! in_group_tx {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => sqlite.writer.run(move |$tx| Box::pin(async move { $body })).await,
            $crate::store::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let result: sqlx::Result<_> = async { $body }.await;
                if result.is_ok() {
                    $tx.commit().await?;
                }
                result
            }
        }
    };
}

pub(crate) use {in_group_tx, in_write_tx, on_db, select_in_chunks};

/// The SQL store over either backend.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    /// Connects to `database_url` (`sqlite://path?mode=rwc`, `postgres://…`) and applies the migrations.
    ///
    /// A PostgreSQL URL may carry `?search_path=<schema>`: the tests use it to give each test its own schema.
    pub async fn connect(database_url: &str) -> anyhow::Result<Self> {
        let db = if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            let (url, search_path) = split_search_path(database_url);
            let mut options = PgConnectOptions::from_str(&url).context("reading the PostgreSQL URL")?;
            if let Some(schema) = search_path {
                options = options.options([("search_path", schema)]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .context("connecting to PostgreSQL")?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await.context("migrating the PostgreSQL database")?;
            Db::Postgres(pool)
        } else if database_url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(database_url)
                .context("reading the SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options.clone())
                .await
                .context("opening the SQLite database")?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await.context("migrating the SQLite database")?;
            let writer = group_commit::GroupWriter::start(&options).await.context("opening the SQLite writer")?;
            Db::Sqlite(SqliteDb { pool, writer })
        } else {
            bail!("the database URL must start with sqlite: or postgres://, not {database_url:?}");
        };
        Ok(Self { db })
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}

impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// Takes `search_path=<schema>` out of a PostgreSQL URL's query string.
fn split_search_path(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
    let mut schema = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("search_path=") {
            Some(value) => {
                schema = Some(value.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (url, schema)
}

#[cfg(test)]
mod tests {
    use super::split_search_path;

    #[test]
    fn the_search_path_is_taken_out_of_the_url() {
        assert_eq!(
            split_search_path("postgres://u@h/db?search_path=t1&sslmode=disable"),
            ("postgres://u@h/db?sslmode=disable".to_owned(), Some("t1".to_owned()))
        );
        assert_eq!(split_search_path("postgres://u@h/db"), ("postgres://u@h/db".to_owned(), None));
    }
}
