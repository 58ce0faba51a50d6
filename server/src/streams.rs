//! The notifier that wakes agents' event streams when something was written for them: in this process, and on
//! PostgreSQL across every server sharing the database (`LISTEN`/`NOTIFY`).

use sqlx::postgres::{PgListener, PgPool};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast, mpsc};

/// Wakes the open event streams of a user when something was written for them, on this server and, on PostgreSQL,
/// on every server sharing the database.
///
/// On SQLite the wake-up stays in this process (a SQLite file has one server). On PostgreSQL each notice also goes
/// out as a `NOTIFY` right after the writing transaction committed, and each server `LISTEN`s on the database's
/// channel and wakes its own streams: a softphone connected to server A sees at once a call that server B stored.
/// The same channel wakes the other servers' sync workers when work is queued. Streams still poll the database
/// (`Config::stream_poll`), so a notice whose `NOTIFY` never came (the listener's connection dropped and is being
/// reconnected, the writer died between its commit and its `NOTIFY`) arrives within the poll interval.
#[derive(Debug, Clone)]
pub struct StreamNotifier {
    sender: broadcast::Sender<i64>,
    /// Woken when another server queued sync work.
    sync_work: Arc<Notify>,
    /// On PostgreSQL: the queue of notices for the other servers.
    remote: Option<mpsc::UnboundedSender<Notice>>,
}

/// What one server tells the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Notice {
    /// A notice was written for this user.
    Stream(i64),
    /// Sync work was queued.
    SyncWork,
}

/// The id a stream wakes on when every stream must look (the listener was deaf for a while). Any id wakes every
/// stream; this one names nobody.
const EVERYONE: i64 = 0;

impl StreamNotifier {
    /// A notifier for one server alone (SQLite).
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender, sync_work: Arc::new(Notify::new()), remote: None }
    }

    /// A notifier shared with every server on this PostgreSQL database: it sends its notices with `NOTIFY` and
    /// listens for theirs, reconnecting its listener whenever the connection drops.
    pub async fn across_servers(pool: PgPool) -> anyhow::Result<Self> {
        // Channels are per database, not per schema: servers on other schemas of the database use another one.
        let schema: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(&pool).await?;
        let channel = channel_name(&schema);
        // Each server skips its own notices, which woke its streams already.
        let origin = format!("{:016x}", rand::random::<u64>());
        let (queue, outgoing) = mpsc::unbounded_channel();
        let notifier = Self { remote: Some(queue), ..Self::new() };
        // Listening before the server serves, so no notice sent after it started is missed.
        let listener = subscribe(&pool, &channel).await;
        if let Err(error) = &listener {
            tracing::warn!(%error, "cannot listen for other servers' notices yet; streams poll meanwhile");
        }
        tokio::spawn(send_notices(pool.clone(), channel.clone(), origin.clone(), outgoing));
        tokio::spawn(listen(pool, channel, origin, notifier.clone(), listener.ok()));
        Ok(notifier)
    }

    /// Tells the user's open streams, here and on the other servers, to look for new notices.
    pub fn notify(&self, user_id: i64) {
        // No stream open is fine: the notice is in the database for when one connects.
        let _ = self.sender.send(user_id);
        self.tell_others(Notice::Stream(user_id));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.sender.subscribe()
    }

    /// Whether a wake-up received from [`Self::subscribe`] concerns `user_id`'s streams: one for that user, or the
    /// one that tells every stream to look.
    pub fn wakes(woken: i64, user_id: i64) -> bool {
        woken == user_id || woken == EVERYONE
    }

    /// Tells the other servers' sync workers that work was queued (this server's own worker is woken directly).
    pub fn notify_sync_work(&self) {
        self.tell_others(Notice::SyncWork);
    }

    /// Resolves when another server queued sync work.
    pub async fn sync_work_elsewhere(&self) {
        self.sync_work.notified().await;
    }

    fn tell_others(&self, notice: Notice) {
        if let Some(remote) = &self.remote {
            // The sender task lives as long as the runtime; after it, nobody is left to tell.
            let _ = remote.send(notice);
        }
    }

    /// Wakes this server's streams and worker for what another server said.
    fn deliver(&self, notice: Notice) {
        match notice {
            Notice::Stream(user_id) => {
                let _ = self.sender.send(user_id);
            }
            Notice::SyncWork => self.sync_work.notify_one(),
        }
    }
}

impl Default for StreamNotifier {
    fn default() -> Self {
        Self::new()
    }
}

/// The channel of the servers using `schema`: PostgreSQL's identifiers hold 63 bytes.
fn channel_name(schema: &str) -> String {
    let mut channel = format!("callpop:{schema}");
    while channel.len() > 63 {
        channel.pop();
    }
    channel
}

/// `<origin> <user id>` or `<origin> sync`.
fn payload(origin: &str, notice: Notice) -> String {
    match notice {
        Notice::Stream(user_id) => format!("{origin} {user_id}"),
        Notice::SyncWork => format!("{origin} sync"),
    }
}

/// Another server's notice, or `None` for this server's own and for anything unreadable.
fn parse_payload(own_origin: &str, payload: &str) -> Option<Notice> {
    let (origin, what) = payload.split_once(' ')?;
    if origin == own_origin {
        return None;
    }
    match what {
        "sync" => Some(Notice::SyncWork),
        user_id => user_id.parse().ok().map(Notice::Stream),
    }
}

/// Sends the queued notices, each batch in one statement, until the notifier is gone.
async fn send_notices(pool: PgPool, channel: String, origin: String, mut queue: mpsc::UnboundedReceiver<Notice>) {
    while let Some(first) = queue.recv().await {
        let mut batch = BTreeSet::from([first]);
        while let Ok(next) = queue.try_recv() {
            batch.insert(next);
        }
        let payloads: Vec<String> = batch.into_iter().map(|notice| payload(&origin, notice)).collect();
        let sent = sqlx::query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload")
            .bind(&channel)
            .bind(&payloads)
            .execute(&pool)
            .await;
        if let Err(error) = sent {
            // The other servers' streams find the notices by polling.
            tracing::warn!(%error, "could not tell the other servers about new notices");
        }
    }
}

/// Listens for the other servers' notices for as long as the process runs. When the connection drops it connects
/// again (waiting longer after each failure, up to 30 s); meanwhile streams poll. After each (re)connection every
/// stream and the worker look once, for what was missed while nobody listened.
async fn listen(pool: PgPool, channel: String, origin: String, notifier: StreamNotifier, first: Option<PgListener>) {
    let mut listener = first;
    let mut pause = RECONNECT_FIRST;
    loop {
        let subscribed = match listener.take() {
            Some(listener) => Ok(listener),
            None => subscribe(&pool, &channel).await,
        };
        match subscribed {
            Ok(mut listener) => {
                pause = RECONNECT_FIRST;
                notifier.deliver(Notice::Stream(EVERYONE));
                notifier.deliver(Notice::SyncWork);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            if let Some(notice) = parse_payload(&origin, notification.payload()) {
                                notifier.deliver(notice);
                            }
                        }
                        // The connection dropped and the listener connected again at once: look for what was missed.
                        Ok(None) => {
                            tracing::warn!("the listener for other servers' notices reconnected");
                            notifier.deliver(Notice::Stream(EVERYONE));
                            notifier.deliver(Notice::SyncWork);
                        }
                        Err(error) => {
                            tracing::warn!(%error, "lost the listener for other servers' notices; streams poll meanwhile");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?pause, "cannot listen for other servers' notices; streams poll meanwhile");
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(RECONNECT_MAX);
    }
}

/// A listener on `channel`, on a connection of its own from the pool.
async fn subscribe(pool: &PgPool, channel: &str) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

const RECONNECT_FIRST: Duration = Duration::from_millis(250);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_their_server_and_a_server_ignores_its_own() {
        let sent = payload("a1", Notice::Stream(42));
        assert_eq!(parse_payload("b2", &sent), Some(Notice::Stream(42)));
        assert_eq!(parse_payload("a1", &sent), None);
        assert_eq!(parse_payload("b2", &payload("a1", Notice::SyncWork)), Some(Notice::SyncWork));
        assert_eq!(parse_payload("b2", "a1 forty-two"), None);
        assert_eq!(parse_payload("b2", "garbage"), None);
    }

    #[test]
    fn channel_names_fit_postgresql_identifiers() {
        assert_eq!(channel_name("public"), "callpop:public");
        assert_eq!(channel_name(&"s".repeat(100)).len(), 63);
    }
}
