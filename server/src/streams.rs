//! The notifier that wakes agents' event streams when something was written for them: in this process, and on
//! PostgreSQL across every server sharing the database (`LISTEN`/`NOTIFY`); and the watchman, one task per server
//! that looks in the database for what no wake-up announced.

use crate::store::Store;
use chrono::Utc;
use sqlx::postgres::{PgListener, PgPool};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};

/// Wakes the open event streams of a user when something was written for them, on this server and, on PostgreSQL,
/// on every server sharing the database.
///
/// On SQLite the wake-up stays in this process (a SQLite file has one server). On PostgreSQL each notice also goes
/// out as a `NOTIFY` right after the writing transaction committed, and each server `LISTEN`s on the database's
/// channel and wakes its own streams: a softphone connected to server A sees at once a call that server B stored.
/// The same channel wakes the other servers' sync workers when work is queued.
///
/// Streams do not poll: an open stream queries the database only when its user is woken. What no wake-up announced
/// (a `NOTIFY` lost while the listener reconnected, a writer that died between its commit and its `NOTIFY`, a
/// session that expired) is found by the server's one watchman ([`StreamNotifier::watch`]): every
/// `Config::stream_poll` it reads the notices written since it last looked, for everyone, in one query, and wakes
/// the users among them who have a stream open here; every `SESSION_SWEEP_ROUNDS` rounds it asks, in one query per
/// 500 sessions, which open streams' sessions ended, and wakes their users, whose streams then end.
///
/// A wake-up reaches only the woken user's streams: each user with a stream open here has one `watch` channel,
/// which all their streams (tabs) share, so an event costs nothing for the other streams of the server.
#[derive(Debug, Clone)]
pub struct StreamNotifier {
    /// This server's open streams and their users' wake-up channels.
    open: Arc<Mutex<OpenStreams>>,
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

impl StreamNotifier {
    /// A notifier for one server alone (SQLite).
    pub fn new() -> Self {
        Self { open: Arc::default(), sync_work: Arc::new(Notify::new()), remote: None }
    }

    /// Registers an open stream of `user_id`'s session (by its token hash) until the returned guard is dropped; the
    /// guard's [`OpenStream::woken`] resolves at the user's next wake-up.
    pub fn open_stream(&self, user_id: i64, session_hash: &str) -> OpenStream {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.next_key += 1;
        let key = open.next_key;
        open.streams.insert(key, OpenEntry { user_id, session_hash: session_hash.to_owned(), read_through: 0 });
        let (sender, streams) = open.users.entry(user_id).or_insert_with(|| (watch::Sender::new(0), 0));
        *streams += 1;
        let wake = sender.subscribe();
        OpenStream { key, user_id, wake, open: Arc::clone(&self.open) }
    }

    /// Wakes `user_id`'s streams open on this server, if any.
    fn wake_here(&self, user_id: i64) {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((sender, _)) = open.users.get(&user_id) {
            sender.send_modify(|wake_ups| *wake_ups = wake_ups.wrapping_add(1));
        }
    }

    /// The users with a stream open on this server, each with the notice id all their streams have read through.
    fn open_users(&self) -> HashMap<i64, i64> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let mut users: HashMap<i64, i64> = HashMap::new();
        for entry in open.streams.values() {
            let read = users.entry(entry.user_id).or_insert(entry.read_through);
            *read = (*read).min(entry.read_through);
        }
        users
    }

    /// The sessions of this server's open streams, each with its user.
    fn open_sessions(&self) -> HashMap<String, i64> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.streams.values().map(|entry| (entry.session_hash.clone(), entry.user_id)).collect()
    }

    /// Starts this server's watchman: see the type's documentation. It runs as long as the runtime.
    pub fn watch(&self, store: Arc<dyn Store>, every: Duration) {
        tokio::spawn(watchman(self.clone(), store, every));
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
            tracing::warn!(%error, "cannot listen for other servers' notices yet; the watchman finds their notices meanwhile");
        }
        tokio::spawn(send_notices(pool.clone(), channel.clone(), origin.clone(), outgoing));
        tokio::spawn(listen(pool, channel, origin, notifier.clone(), listener.ok()));
        Ok(notifier)
    }

    /// Tells the user's open streams, here and on the other servers, to look for new notices.
    pub fn notify(&self, user_id: i64) {
        // No stream open is fine: the notice is in the database for when one connects.
        self.wake_here(user_id);
        self.tell_others(Notice::Stream(user_id));
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
            Notice::Stream(user_id) => self.wake_here(user_id),
            Notice::SyncWork => self.sync_work.notify_one(),
        }
    }
}

/// This server's open streams, by a key of their own: each one's user and session token hash; and each user's
/// wake-up channel with the number of their streams open.
#[derive(Debug, Default)]
struct OpenStreams {
    next_key: u64,
    streams: HashMap<u64, OpenEntry>,
    users: HashMap<i64, (watch::Sender<u64>, usize)>,
}

/// One open stream as the watchman sees it.
#[derive(Debug)]
struct OpenEntry {
    user_id: i64,
    session_hash: String,
    /// The notice id the stream has read through: the watchman does not wake it again for those.
    read_through: i64,
}

/// An open stream, registered with its notifier until dropped.
#[derive(Debug)]
pub struct OpenStream {
    key: u64,
    user_id: i64,
    wake: watch::Receiver<u64>,
    open: Arc<Mutex<OpenStreams>>,
}

impl OpenStream {
    /// Records that the stream has read the user's notices through `event_id`, so the watchman wakes it only for
    /// later ones (a notice whose wake-up already reached it costs no second look).
    pub fn read_through(&self, event_id: i64) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = open.streams.get_mut(&self.key) {
            entry.read_through = entry.read_through.max(event_id);
        }
    }

    /// Resolves at the user's next wake-up (at once when one came since the last call).
    pub async fn woken(&mut self) {
        // The sender lives in the registry as long as this stream is registered.
        let _ = self.wake.changed().await;
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.streams.remove(&self.key);
        if let Some((_, streams)) = open.users.get_mut(&self.user_id) {
            *streams -= 1;
            if *streams == 0 {
                open.users.remove(&self.user_id);
            }
        }
    }
}

/// How many of the watchman's rounds pass between two checks of the open streams' sessions (30 s at the default
/// 2 s round): a session ended here or on another server wakes its streams at once; this is for a wake-up that was
/// lost and for sessions that expired.
const SESSION_SWEEP_ROUNDS: u32 = 15;

/// The most notices the watchman reads in one query; it reads again at once when there were as many.
const WATCH_BATCH: i64 = 10_000;

/// The watchman's loop (see [`StreamNotifier`]): it starts from the newest notice when the server starts, since a
/// stream that opens reads what it needs itself.
async fn watchman(notifier: StreamNotifier, store: Arc<dyn Store>, every: Duration) {
    let mut seen = loop {
        match store.latest_agent_event_id_of_all().await {
            Ok(latest) => break latest,
            Err(error) => tracing::warn!(%error, "the stream watchman cannot read the notices yet"),
        }
        tokio::time::sleep(every).await;
    };
    let mut round: u32 = 0;
    loop {
        tokio::time::sleep(every).await;
        round = round.wrapping_add(1);
        loop {
            let notices = match store.all_agent_events_after(seen, WATCH_BATCH).await {
                Ok(notices) => notices,
                Err(error) => {
                    tracing::warn!(%error, "the stream watchman could not read the notices");
                    break;
                }
            };
            // A user whose streams have all read a notice already (its wake-up reached them) is not woken for it.
            let open = notifier.open_users();
            let woken: BTreeSet<i64> = notices
                .iter()
                .filter(|(id, user_id)| open.get(user_id).is_some_and(|read_through| read_through < id))
                .map(|(_, user_id)| *user_id)
                .collect();
            for user_id in woken {
                notifier.wake_here(user_id);
            }
            let complete = notices.len() < usize::try_from(WATCH_BATCH).unwrap_or(usize::MAX);
            if let Some((last, _)) = notices.last() {
                seen = *last;
            }
            if complete {
                break;
            }
        }
        if round.is_multiple_of(SESSION_SWEEP_ROUNDS) {
            let sessions = notifier.open_sessions();
            let hashes: Vec<String> = sessions.keys().cloned().collect();
            match store.valid_sessions(&hashes, Utc::now()).await {
                Ok(valid) => {
                    let valid: HashSet<String> = valid.into_iter().collect();
                    let ended: BTreeSet<i64> = sessions
                        .into_iter()
                        .filter(|(hash, _)| !valid.contains(hash))
                        .map(|(_, user_id)| user_id)
                        .collect();
                    for user_id in ended {
                        notifier.wake_here(user_id);
                    }
                }
                Err(error) => tracing::warn!(%error, "the stream watchman could not check the open streams' sessions"),
            }
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
            // The other servers' watchmen find the notices in the database.
            tracing::warn!(%error, "could not tell the other servers about new notices");
        }
    }
}

/// Listens for the other servers' notices for as long as the process runs. When the connection drops it connects
/// again (waiting longer after each failure, up to 30 s); meanwhile the watchman finds the streams' notices. After
/// each (re)connection the sync worker looks once, for what was missed while nobody listened.
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
                // What was missed while nobody listened: the watchman finds the streams' notices in the database;
                // the worker looks once.
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
                            notifier.deliver(Notice::SyncWork);
                        }
                        Err(error) => {
                            tracing::warn!(%error, "lost the listener for other servers' notices; the watchman finds their notices meanwhile");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?pause, "cannot listen for other servers' notices; the watchman finds their notices meanwhile");
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

/// How long a notice may stay invisible after a higher one was read. On PostgreSQL a notice's id comes from a
/// sequence when its transaction inserts it, and transactions commit in any order: a stream can read notice 11
/// while notice 10's transaction has not committed yet. A stream keeps reading from below what it sent for this
/// long, so notice 10 still reaches it when it commits.
pub const LATE_COMMIT_WINDOW: Duration = Duration::from_secs(30);

/// The notices one stream sent, so that it reads the ones that commit late without sending any twice.
///
/// Every id at or below the floor was sent, or will never be (its transaction would have committed within
/// [`LATE_COMMIT_WINDOW`]). Above the floor, the ids sent in the last window are remembered: the stream reads
/// every notice above the floor and sends those it has not sent.
#[derive(Debug)]
pub struct SentNotices {
    floor: i64,
    sent: std::collections::BTreeMap<i64, std::time::Instant>,
}

impl SentNotices {
    /// A stream that resumes after `cursor` (its `Last-Event-ID`, or the newest notice when it opened).
    pub fn after(cursor: i64) -> Self {
        Self { floor: cursor, sent: std::collections::BTreeMap::new() }
    }

    /// The id to read after. Notices sent more than a window ago raise the floor to themselves.
    pub fn floor(&mut self, now: std::time::Instant) -> i64 {
        while let Some(entry) = self.sent.first_entry() {
            if now.duration_since(*entry.get()) < LATE_COMMIT_WINDOW {
                break;
            }
            self.floor = self.floor.max(*entry.key());
            entry.remove();
        }
        self.floor
    }

    /// How many notices above the floor were sent: a read above the floor returns them again.
    pub fn already_sent(&self) -> usize {
        self.sent.len()
    }

    /// Whether notice `id` is new to this stream; it counts as sent from now on.
    pub fn take(&mut self, id: i64, now: std::time::Instant) -> bool {
        if id <= self.floor || self.sent.contains_key(&id) {
            return false;
        }
        self.sent.insert(id, now);
        true
    }

    /// The highest notice sent (or the floor): what the stream has read through for the watchman.
    pub fn highest(&self) -> i64 {
        self.sent.last_key_value().map_or(self.floor, |(id, _)| *id).max(self.floor)
    }
}

#[cfg(test)]
mod sent_notices_tests {
    use super::{LATE_COMMIT_WINDOW, SentNotices};
    use std::time::{Duration, Instant};

    #[test]
    fn a_notice_that_commits_after_a_higher_one_is_still_read_and_none_is_sent_twice() {
        let start = Instant::now();
        let mut sent = SentNotices::after(9);
        // Notice 11 committed first; 10's transaction is still open.
        assert_eq!(sent.floor(start), 9);
        assert!(sent.take(11, start));
        assert_eq!(sent.highest(), 11);
        // 10 commits: the next read still starts after 9, finds 10 and 11, and sends 10 only.
        let later = start + Duration::from_secs(1);
        assert_eq!(sent.floor(later), 9);
        assert!(sent.take(10, later));
        assert!(!sent.take(11, later));
        assert_eq!(sent.already_sent(), 2);
    }

    #[test]
    fn the_floor_rises_past_notices_sent_a_window_ago() {
        let start = Instant::now();
        let mut sent = SentNotices::after(0);
        assert!(sent.take(5, start));
        assert!(sent.take(8, start + Duration::from_secs(20)));
        assert_eq!(sent.floor(start + LATE_COMMIT_WINDOW), 5, "5 was sent a window ago; 8 was not");
        assert_eq!(sent.already_sent(), 1);
        assert!(!sent.take(4, start + LATE_COMMIT_WINDOW), "below the floor: too late to be sent");
        assert_eq!(sent.floor(start + LATE_COMMIT_WINDOW * 2), 8);
        assert_eq!(sent.highest(), 8);
    }
}

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

    #[tokio::test]
    async fn a_wake_up_reaches_every_stream_of_its_user_and_no_other() {
        let notifier = StreamNotifier::new();
        let mut first_tab = notifier.open_stream(7, "session-a");
        let mut second_tab = notifier.open_stream(7, "session-b");
        let mut colleague = notifier.open_stream(8, "session-c");

        notifier.notify(7);

        // Both tabs of user 7 are woken, even though neither was waiting when the wake-up came.
        tokio::time::timeout(Duration::from_secs(1), first_tab.woken()).await.expect("the first tab is woken");
        tokio::time::timeout(Duration::from_secs(1), second_tab.woken()).await.expect("the second tab is woken");
        assert!(tokio::time::timeout(Duration::from_millis(50), colleague.woken()).await.is_err(), "user 8 sleeps");
    }

    #[test]
    fn a_closed_stream_leaves_nothing_registered() {
        let notifier = StreamNotifier::new();
        let tab = notifier.open_stream(7, "session-a");
        let other = notifier.open_stream(7, "session-b");
        assert_eq!(notifier.open_users(), HashMap::from([(7, 0)]));
        tab.read_through(12);
        assert_eq!(notifier.open_users(), HashMap::from([(7, 0)]), "the other tab has read nothing yet");
        other.read_through(15);
        assert_eq!(notifier.open_users(), HashMap::from([(7, 12)]));
        assert_eq!(notifier.open_sessions().len(), 2);
        drop(tab);
        assert_eq!(notifier.open_sessions(), HashMap::from([("session-b".to_owned(), 7)]));
        drop(other);
        assert!(notifier.open_users().is_empty() && notifier.open_sessions().is_empty());
    }

    #[test]
    fn channel_names_fit_postgresql_identifiers() {
        assert_eq!(channel_name("public"), "callpop:public");
        assert_eq!(channel_name(&"s".repeat(100)).len(), 63);
    }
}
