//! What handlers can reach: the store, the configuration, and the notifier that wakes agents' event streams.

use crate::config::Config;
use crate::store::Store;
use crate::streams::StreamNotifier;
use crate::sync::SyncEngine;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub streams: StreamNotifier,
    /// The Salesforce sync engine: handlers wake it when they queue work, and link orgs through it.
    pub sync: Arc<SyncEngine>,
    /// This server's public base URL (the OAuth callback's and the console's).
    pub public_url: String,
}
