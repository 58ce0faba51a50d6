//! The notifier that wakes agents' event streams when something was written for them.

use tokio::sync::broadcast;

/// Wakes the open event streams of a user when something was written for them.
///
/// This only shortens the wait: streams also poll the database, so a notice written by another server process
/// (several servers sharing PostgreSQL) arrives within the poll interval.
#[derive(Debug, Clone)]
pub struct StreamNotifier {
    sender: broadcast::Sender<i64>,
}

impl StreamNotifier {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    /// Tells the user's open streams to look for new notices.
    pub fn notify(&self, user_id: i64) {
        // No stream open is fine: the notice is in the database for when one connects.
        let _ = self.sender.send(user_id);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.sender.subscribe()
    }
}

impl Default for StreamNotifier {
    fn default() -> Self {
        Self::new()
    }
}
