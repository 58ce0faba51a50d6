//! callpop-sandbox: a local Salesforce org for tests, benchmarks and the demo.
//!
//! It serves, on its own origin (as a real org is on its own domain): a Lightning Experience page that frames the
//! softphone in its utility bar and speaks the Open CTI `postMessage` protocol as Salesforce's parent window does;
//! our own `sforce.opencti` library for the softphone to load, written from the documented protocol; and a control
//! API (`/__control/…`) through which tests seed records, read the org's state and its log of Open CTI calls.
//! No real org is reachable from here: fidelity to Salesforce's documented behaviour is the point.

pub mod classic;
pub mod control;
pub mod org;
pub mod pages;
pub mod seed;

use anyhow::Context;
use chrono::Utc;
use org::Records;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;

/// The Open CTI API version the org's libraries speak (and put in every message as `apiVersion`).
pub const OPEN_CTI_API_VERSION: &str = "62.0";

/// How to start the org.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The softphone's URL (the call center's `reqAdapterUrl`), if known at start.
    pub adapter_url: Option<String>,
    /// Whether to start with the demo records (`seed`).
    pub seed: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 0)), adapter_url: None, seed: true }
    }
}

/// One Open CTI call the org's page received from the softphone.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OpenCtiLogEntry {
    /// `lightning` or `classic`.
    pub ui: String,
    pub method: String,
    pub args: Value,
}

/// Everything the org holds.
#[derive(Debug)]
pub struct OrgState {
    /// The org's own origin, e.g. `http://127.0.0.1:8081`.
    pub origin: String,
    pub records: Records,
    pub adapter_url: Option<String>,
    pub opencti_log: Vec<OpenCtiLogEntry>,
}

/// A shared handle on the org's state.
#[derive(Debug, Clone)]
pub struct Org(Arc<Mutex<OrgState>>);

impl Org {
    /// Locks the org's state. A panic while it was held cannot leave it half-changed in a way tests care about,
    /// so a poisoned lock is taken over rather than propagated.
    pub fn lock(&self) -> MutexGuard<'_, OrgState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running org.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    org: Org,
    server: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Binds the org's port and starts serving in the background.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let mut records = Records::default();
        if config.seed {
            seed::seed(&mut records, Utc::now());
        }
        let org = Org(Arc::new(Mutex::new(OrgState {
            origin: base_url.clone(),
            records,
            adapter_url: config.adapter_url,
            opencti_log: Vec::new(),
        })));
        let router = pages::router().merge(classic::router()).merge(control::router()).with_state(org.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the local org stopped serving");
            }
        });
        Ok(Self { base_url, org, server })
    }

    /// The org's origin, e.g. `http://127.0.0.1:8081`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn org(&self) -> &Org {
        &self.org
    }

    /// Sets the softphone's URL, as an admin does when importing the call center definition.
    pub fn set_adapter_url(&self, adapter_url: &str) {
        self.org.lock().adapter_url = Some(adapter_url.to_owned());
    }

    /// The Open CTI calls received so far.
    pub fn opencti_log(&self) -> Vec<OpenCtiLogEntry> {
        self.org.lock().opencti_log.clone()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.abort();
    }
}
