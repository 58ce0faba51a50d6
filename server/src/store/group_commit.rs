//! Group commit for SQLite: the writes that wait together share one transaction and one fsync.
//!
//! SQLite has one writer at a time, and in WAL mode with `synchronous = FULL` each commit is an fsync: a server that
//! commits each call event alone spends most of its time waiting for the disk, one event after the other. Here one
//! task owns a dedicated connection. Requests queue for it; it takes every request waiting (up to [`MAX_BATCH`]),
//! runs each in its own savepoint inside one `BEGIN IMMEDIATE` transaction, commits once, and only then answers
//! them. Durability is unchanged: no caller hears `Ok` before its write is committed. Isolation per request is
//! kept: a request whose body fails is rolled back to its savepoint alone, and the others commit; a commit that
//! fails is reported to every request of the batch, none of which is then stored.
//!
//! SQLite's own API has no group commit and sqlx offers none, hence this module. The other writers of the process
//! (`in_write_tx!`) take the same [`WriteLock`] before they begin, so they queue in order with the batches instead
//! of sleeping in SQLite's busy handler.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor};
use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Mutex, mpsc, oneshot};

/// The most requests one transaction carries: enough to amortise the fsync, few enough that a batch's latency
/// stays within a few milliseconds.
pub const MAX_BATCH: usize = 256;

/// The process-wide turn to write to the SQLite database.
pub type WriteLock = Arc<Mutex<()>>;

/// What a request's body produced, its type erased so that requests of every kind share one queue.
type Produced = Box<dyn Any + Send>;

/// One request's body, run on the writer's connection inside the batch's transaction.
type Body = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, sqlx::Result<Produced>> + Send>;

/// A queued request: its body, and where its outcome goes once the batch is committed (or not).
struct Work {
    body: Body,
    answer_to: oneshot::Sender<sqlx::Result<Produced>>,
}

/// The handle to the group-commit writer. Cloning it shares the same writer.
#[derive(Debug, Clone)]
pub struct GroupWriter {
    queue: mpsc::UnboundedSender<Work>,
    lock: WriteLock,
    batches: Arc<AtomicU64>,
}

impl GroupWriter {
    /// Opens the writer's own connection with `options` and starts the writer task.
    pub async fn start(options: &SqliteConnectOptions) -> sqlx::Result<Self> {
        let connection = SqliteConnection::connect_with(options).await?;
        let lock = WriteLock::default();
        let batches = Arc::new(AtomicU64::new(0));
        let (queue, requests) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(connection, requests, Arc::clone(&lock), Arc::clone(&batches)));
        Ok(Self { queue, lock, batches })
    }

    /// How many transactions the writer has ended (committed or not) since it started.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// The lock every other writer of this database takes before it begins.
    pub fn lock(&self) -> &WriteLock {
        &self.lock
    }

    /// Runs `body` in the next batch; returns its result once the batch is committed.
    ///
    /// An `Err` from `body` rolls back what it wrote and is returned as it is; a failed commit is returned as an
    /// error even when `body` succeeded, because nothing of it was stored.
    pub async fn run<T, F>(&self, body: F) -> sqlx::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, sqlx::Result<T>> + Send + 'static,
    {
        let (answer_to, answer) = oneshot::channel();
        let body: Body = Box::new(move |connection| {
            Box::pin(async move { body(connection).await.map(|produced| Box::new(produced) as Produced) })
        });
        self.queue.send(Work { body, answer_to }).map_err(|_| sqlx::Error::PoolClosed)?;
        let produced = answer.await.map_err(|_| sqlx::Error::PoolClosed)??;
        Ok(*produced.downcast::<T>().expect("a request's answer has the type its body produced"))
    }
}

fn not_committed(error: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(format!("the write was not committed: {error}")))
}

/// The writer task: one batch per turn of the write lock, until every handle is dropped.
async fn write_batches(
    mut connection: SqliteConnection,
    mut requests: mpsc::UnboundedReceiver<Work>,
    lock: WriteLock,
    batches: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let turn = lock.lock().await;
        // What arrived while the lock was busy joins this batch.
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(work) => batch.push(work),
                Err(_) => break,
            }
        }
        let size = batch.len();
        commit_batch(&mut connection, batch.drain(..)).await;
        drop(turn);
        batches.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("callpop_sqlite_write_batches_total").increment(1);
        metrics::counter!("callpop_sqlite_batched_writes_total").increment(size as u64);
    }
}

/// Runs one batch in one transaction and answers each request after the commit.
async fn commit_batch(connection: &mut SqliteConnection, batch: impl Iterator<Item = Work>) {
    if let Err(error) = connection.execute("BEGIN IMMEDIATE").await {
        let error = error.to_string();
        for work in batch {
            let _ = work.answer_to.send(Err(not_committed(&error)));
        }
        return;
    }
    // The requests whose bodies succeeded, waiting for the commit: (where the answer goes, what the body produced).
    let mut succeeded = Vec::with_capacity(MAX_BATCH);
    for Work { body, answer_to } in batch {
        if let Err(error) = connection.execute("SAVEPOINT request").await {
            let _ = answer_to.send(Err(error));
            continue;
        }
        let outcome = AssertUnwindSafe(body(&mut *connection))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(sqlx::Error::Io(std::io::Error::other("the write panicked and was rolled back"))));
        let end = if outcome.is_ok() { "RELEASE request" } else { "ROLLBACK TO request; RELEASE request" };
        match (connection.execute(end).await, outcome) {
            (Ok(_), Ok(produced)) => succeeded.push((answer_to, produced)),
            (Ok(_), Err(error)) | (Err(error), _) => {
                // The caller may have gone (its request was cancelled): nothing waits for this answer then.
                let _ = answer_to.send(Err(error));
            }
        }
    }
    match connection.execute("COMMIT").await {
        Ok(_) => {
            for (answer_to, produced) in succeeded {
                let _ = answer_to.send(Ok(produced));
            }
        }
        Err(error) => {
            tracing::error!(%error, requests = succeeded.len(), "a group commit failed; none of its writes is stored");
            let _ = connection.execute("ROLLBACK").await;
            let error = error.to_string();
            for (answer_to, _) in succeeded {
                let _ = answer_to.send(Err(not_committed(&error)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    async fn writer_on(directory: &tempfile::TempDir) -> (GroupWriter, sqlx::SqlitePool) {
        let url = format!("sqlite://{}", directory.path().join("group.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .expect("a SQLite URL")
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options.clone()).await.expect("a pool");
        sqlx::raw_sql(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER NOT NULL UNIQUE,
                 parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .execute(&pool)
        .await
        .expect("the tables");
        (GroupWriter::start(&options).await.expect("the writer"), pool)
    }

    fn insert(
        n: i64,
        parent: Option<i64>,
    ) -> impl for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, sqlx::Result<i64>> {
        move |connection| {
            Box::pin(async move {
                sqlx::query("INSERT INTO item (n, parent_id) VALUES ($1, $2)")
                    .bind(n)
                    .bind(parent)
                    .execute(&mut *connection)
                    .await?;
                if n % 7 == 0 {
                    // A second statement fails after the first succeeded: the whole request must be undone.
                    sqlx::query("INSERT INTO item (n) VALUES ($1)").bind(n).execute(&mut *connection).await?;
                }
                Ok(n)
            })
        }
    }

    #[tokio::test]
    async fn requests_waiting_together_commit_together_and_a_failing_one_is_rolled_back_alone() {
        let directory = tempfile::tempdir().expect("a directory");
        let (writer, pool) = writer_on(&directory).await;
        // The lock held while the requests queue makes them wait together, as concurrent requests do under load.
        let turn = writer.lock().lock().await;
        let requests: Vec<_> = (1..=50)
            .map(|n| {
                tokio::spawn({
                    let writer = writer.clone();
                    async move { writer.run(insert(n, None)).await }
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let batches_before = writer.batches();
        drop(turn);
        let mut failed = Vec::new();
        for (n, request) in (1..=50).zip(requests) {
            match request.await.expect("the request task") {
                Ok(stored) => assert_eq!(stored, n),
                Err(_) => failed.push(n),
            }
        }
        assert_eq!(failed, vec![7, 14, 21, 28, 35, 42, 49], "exactly the requests whose second insert failed");
        let stored: Vec<i64> =
            sqlx::query_scalar("SELECT n FROM item ORDER BY n").fetch_all(&pool).await.expect("the rows");
        let expected: Vec<i64> = (1..=50).filter(|n| n % 7 != 0).collect();
        assert_eq!(stored, expected, "every successful request stored once, no failed one stored at all");
        assert!(
            writer.batches() - batches_before <= 2,
            "50 requests that waited together took one commit (two at most, if the first arrived alone)"
        );
    }

    #[tokio::test]
    async fn a_failed_commit_is_reported_to_every_request_of_the_batch_and_stores_none_of_them() {
        let directory = tempfile::tempdir().expect("a directory");
        let (writer, pool) = writer_on(&directory).await;
        let turn = writer.lock().lock().await;
        // The second request points at a parent that does not exist: a deferred foreign key fails the commit.
        let good = tokio::spawn({
            let writer = writer.clone();
            async move { writer.run(insert(1, None)).await }
        });
        let dangling = tokio::spawn({
            let writer = writer.clone();
            async move { writer.run(insert(2, Some(99))).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(turn);
        let good = good.await.expect("the task");
        let dangling = dangling.await.expect("the task");
        assert!(good.is_err() && dangling.is_err(), "both were told the commit failed: {good:?} {dangling:?}");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM item").fetch_one(&pool).await.expect("a count");
        assert_eq!(count, 0);
        // The writer goes on after a failed commit.
        assert_eq!(writer.run(insert(3, None)).await.expect("a later write"), 3);
    }
}
