//! The Salesforce sync engine: drains the outbox into each account's org, exactly once, in order per call.
//!
//! A worker claims due items (`SyncStore::claim_outbox`), processes each with the account's org link, and records
//! every step in the audit trail (`SalesforceAuditStore`), which is what the Salesforce panel shows. What to write is
//! decided by `callpop-core` (legacy mode's record choice, Lead and Task fields, trigger evaluation); this module
//! only talks to Salesforce and the store.
//!
//! Failures follow `behaviour.md`: transient errors (5xx, `UNABLE_TO_LOCK_ROW`, timeouts) retry with exponential
//! backoff; `INVALID_SESSION_ID` refreshes the token once and replays; `REQUEST_LIMIT_EXCEEDED` pauses the
//! account's sync; validation, required-field, picklist and duplicate-rule errors park the item with Salesforce's own
//! message and fields in the sync log, where an admin retries it once the org or the mapping is fixed.
//!
//! Exactly once, one identity per call: every write is keyed by the call and safe to replay. A call's one Task is
//! upserted by `Call_Id__c = <call id>` (or, in an org without the field, looked up by `CallObject` before a write);
//! a Lead callpop creates is upserted by `Callpop_Id__c = <call id>`, and created only after a search (and, for a
//! replay or a number that called before, an exact query by the number callpop wrote) found none, never while an
//! earlier call's write for that number is in doubt; "already a campaign member" counts as success.

mod actions;
mod appends;
mod batch;
pub mod facts;
mod legacy;
pub mod link;
pub mod preflight;
mod subject;
mod texts;
#[cfg(test)]
mod tidy;
mod triggers;
mod unlogged;
pub mod voice;
mod voice_calls;
mod wrap_up;

use crate::config::{Config, SyncTiming};
use crate::model::Account;
use crate::salesforce::hosts::CredentialHosts;
use crate::salesforce::{RetryClass, SalesforceClient, SalesforceError, TokenCipher};
use crate::store::Store;
use crate::store::salesforce_audit::{
    SalesforceError as AuditError, SalesforceStep, StepOutcome, SyncStep, SyncSubject,
};
use crate::store::sync::{ItemError, OutboxItem, OutboxJob};
use crate::streams::StreamNotifier;
use batch::{Answer, Batch};
use callpop_core::options::IntegrationOptions;
use chrono::{DateTime, Utc};
use link::{OAuthApp, OrgLink, credential_hosts};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// An account's id and a caller's number (E.164).
type AccountNumber = (i64, String);

/// The engine: one per process. Handlers hold it to link orgs and to wake it when they queue work.
pub struct SyncEngine {
    store: Arc<dyn Store>,
    cipher: TokenCipher,
    /// Follows no redirects: a Salesforce answer cannot forward a credential to another host.
    http: reqwest::Client,
    oauth: Option<OAuthApp>,
    /// Where credentials may go: checked before the login URL, `instance_url` or identity URL gets one.
    hosts: CredentialHosts,
    timing: SyncTiming,
    /// The open link to each account's org: its REST client and its single-flight refresh lock.
    links: Mutex<HashMap<i64, Arc<OrgLink>>>,
    /// Each account's refresh lock: one token refresh at a time per account, across rebuilt links.
    refreshes: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// Campaign ids by (account, name), and when they were looked up.
    campaigns: Mutex<HashMap<(i64, String), (String, Instant)>>,
    /// Recent phone searches by (account, number): a caller who calls again soon costs no search. Forgotten for the
    /// account whenever callpop creates a record there.
    searches: Mutex<HashMap<AccountNumber, (Vec<callpop_core::legacy::Candidate>, Instant)>>,
    wake: Notify,
    /// Tells agents' softphones that legacy mode named their call's record.
    streams: StreamNotifier,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SyncEngine").field("timing", &self.timing).finish_non_exhaustive()
    }
}

/// Why an item stopped before it was done, and what becomes of it.
#[derive(Debug)]
pub(crate) enum Halt {
    /// Wait and try again: a transient error (with it), or nothing to do yet (the agent has not picked a record,
    /// the org is not linked, a trigger's delay).
    Defer { until: DateTime<Utc>, error: Option<ItemError> },
    /// Wait until `until` for the call's later events, whose changes then go in the same write; the first of them
    /// to arrive ends the wait (`SyncStore::release_holds`).
    Hold { until: DateTime<Utc> },
    /// The access token was refused: refresh it once and run the item again. Carries the refused (sealed) token.
    Refresh { refused: String },
    /// A person must act: park the item (or fail it) with Salesforce's error.
    Park { status: &'static str, error: ItemError },
    /// The store failed: leave the item leased; it is claimed again when the lease runs out.
    Store(anyhow::Error),
}

impl From<sqlx::Error> for Halt {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

pub(crate) type Flow<T = ()> = Result<T, Halt>;

/// Salesforce's error, as the audit trail and the sync log keep it.
fn item_error(error: &SalesforceError) -> ItemError {
    match error.errors().first() {
        Some(first) => {
            ItemError { code: first.code.clone(), message: first.message.clone(), fields: first.fields.clone() }
        }
        None => ItemError { code: error.code().to_owned(), message: error.to_string(), fields: Vec::new() },
    }
}

/// The work on one item: the account, its options and org, and the audit it writes.
pub(crate) struct ItemContext<'a> {
    engine: &'a SyncEngine,
    item: &'a OutboxItem,
    account: Account,
    options: IntegrationOptions,
    link: Arc<OrgLink>,
    /// The round's batch: phone searches and composite writes go out together with other items'.
    batch: &'a Batch,
    subject: SyncSubject,
    now: DateTime<Utc>,
}

impl ItemContext<'_> {
    /// A stored E.164 number as the account writes numbers in Salesforce (its option 2, as this item reads it, and
    /// its home region).
    pub(crate) fn number_as_written(&self, stored_e164: &str) -> String {
        crate::phone::display_e164_for(stored_e164, self.options.local_number_format, &self.account.default_region)
    }

    fn store(&self) -> &dyn Store {
        self.engine.store.as_ref()
    }

    fn client(&self) -> &SalesforceClient {
        &self.link.client
    }

    /// Whether this is a replay of an item that may already have reached Salesforce.
    fn is_retry(&self) -> bool {
        self.item.failed_before
    }

    /// Records a step in the audit trail.
    async fn audit(&self, entry: AuditEntry) -> Flow {
        let step = SalesforceStep {
            subject: self.subject,
            outbox_id: Some(self.item.id),
            step: entry.step,
            object: entry.object,
            record_id: entry.record_id,
            fields: entry.fields,
            outcome: entry.outcome,
            error: entry.error.map(|error| AuditError {
                code: error.code,
                message: error.message,
                fields: error.fields,
            }),
            api_requests: entry.api_requests,
            detail: entry.detail,
        };
        self.store().record_salesforce_step(self.account.id, &step, Utc::now()).await?;
        Ok(())
    }

    /// Runs one Salesforce request and turns a failure into the `Halt` its class calls for, after auditing it as
    /// `step` (with the one request it cost).
    async fn call<T>(
        &self,
        step: AuditEntry,
        request: impl std::future::Future<Output = Result<T, SalesforceError>>,
    ) -> Flow<T> {
        let result = request.await;
        self.answered(step, (result, 1)).await.map(|(value, _)| value)
    }

    /// Takes a batched request's answer: the value and the requests charged to this item, or the `Halt` its failure
    /// calls for (audited as `step`).
    async fn answered<T>(&self, step: AuditEntry, (result, charged): Answer<T>) -> Flow<(T, u32)> {
        self.engine.note_api_usage(self.account.id, self.client()).await;
        metrics::counter!("callpop_salesforce_requests_total").increment(u64::from(charged));
        match result {
            Ok(value) => Ok((value, charged)),
            Err(error) => Err(self.fail(step.with_requests(charged), &error).await?),
        }
    }

    /// Audits a failed step and says what becomes of the item.
    async fn fail(&self, step: AuditEntry, error: &SalesforceError) -> Flow<Halt> {
        let details = item_error(error);
        let (outcome, halt) = match error.retry_class() {
            RetryClass::Transient => (
                StepOutcome::Retrying,
                Halt::Defer { until: self.engine.backoff(self.item.attempts), error: Some(details.clone()) },
            ),
            // A session Salesforce will not take for the REST API (the user's profile lacks "API Enabled", or
            // the token is not the web-server flow's): refreshing cannot help, linking again (as another user) can.
            _ if error.needs_relink() => {
                self.store().set_connection_status(self.account.id, "needs_relink", Some(&details.message)).await?;
                let until = self.now + chrono::Duration::from_std(self.engine.timing.unlinked_wait).unwrap_or_default();
                (StepOutcome::Retrying, Halt::Defer { until, error: Some(details.clone()) })
            }
            RetryClass::Limit => {
                let until = self.now + chrono::Duration::from_std(self.engine.timing.limit_pause).unwrap_or_default();
                self.store().pause_connection(self.account.id, until).await?;
                (StepOutcome::Retrying, Halt::Defer { until, error: Some(details.clone()) })
            }
            RetryClass::Session => {
                (StepOutcome::Retrying, Halt::Refresh { refused: self.link.sealed_access_token.clone() })
            }
            RetryClass::Park => (StepOutcome::Parked, Halt::Park { status: "parked", error: details.clone() }),
        };
        self.audit(AuditEntry { outcome, error: Some(details), ..step }).await?;
        Ok(halt)
    }
}

/// One audit entry being built.
#[derive(Debug, Clone)]
pub(crate) struct AuditEntry {
    step: SyncStep,
    object: Option<String>,
    record_id: Option<String>,
    fields: Map<String, Value>,
    outcome: StepOutcome,
    error: Option<ItemError>,
    api_requests: u32,
    detail: Option<String>,
}

impl AuditEntry {
    fn new(step: SyncStep) -> Self {
        Self {
            step,
            object: None,
            record_id: None,
            fields: Map::new(),
            outcome: StepOutcome::Ok,
            error: None,
            api_requests: 0,
            detail: None,
        }
    }

    fn object(mut self, object: &str) -> Self {
        self.object = Some(object.to_owned());
        self
    }

    fn record(mut self, record_id: &str) -> Self {
        self.record_id = Some(record_id.to_owned());
        self
    }

    fn fields(mut self, fields: &Map<String, Value>) -> Self {
        self.fields = fields.clone();
        self
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    fn with_requests(mut self, requests: u32) -> Self {
        self.api_requests = requests;
        self
    }

    fn outcome(mut self, outcome: StepOutcome, error: Option<ItemError>) -> Self {
        self.outcome = outcome;
        self.error = error;
        self
    }
}

impl SyncEngine {
    /// The engine for a server with this configuration. `public_url` is where Salesforce sends admins back.
    pub fn new(
        store: Arc<dyn Store>,
        config: &Config,
        public_url: &str,
        streams: StreamNotifier,
    ) -> anyhow::Result<Self> {
        let key = config.token_key.as_ref().map(secrecy::ExposeSecret::expose_secret).ok_or_else(|| {
            anyhow::anyhow!("set CALLPOP_TOKEN_KEY (or --token-key) to 32 random bytes in base64: `callpop generate-token-key` prints one")
        })?;
        let cipher = TokenCipher::from_base64_key(key).map_err(|error| anyhow::anyhow!("the token key: {error}"))?;
        let http = reqwest::Client::builder()
            .timeout(config.sync_timing.request_timeout)
            .connect_timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let oauth = OAuthApp::from_config(config, public_url);
        Ok(Self {
            store,
            cipher,
            http,
            oauth,
            hosts: credential_hosts(config),
            timing: config.sync_timing.clone(),
            links: Mutex::new(HashMap::new()),
            refreshes: Mutex::new(HashMap::new()),
            campaigns: Mutex::new(HashMap::new()),
            searches: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            streams,
        })
    }

    /// What a recent search for this number found, while it is fresh.
    fn remembered_search(&self, account_id: i64, e164: &str) -> Option<Vec<callpop_core::legacy::Candidate>> {
        let searches = self.searches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (candidates, at) = searches.get(&(account_id, e164.to_owned()))?;
        (at.elapsed() < self.timing.number_cache_ttl).then(|| candidates.clone())
    }

    fn remember_search(&self, account_id: i64, e164: &str, candidates: &[callpop_core::legacy::Candidate]) {
        let mut searches = self.searches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        searches.retain(|_, (_, at)| at.elapsed() < self.timing.number_cache_ttl);
        searches.insert((account_id, e164.to_owned()), (candidates.to_vec(), Instant::now()));
    }

    fn forget_searches(&self, account_id: i64) {
        let mut searches = self.searches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        searches.retain(|(account, _), _| *account != account_id);
    }

    /// Wakes the worker, and the other servers' on PostgreSQL: new work was queued.
    pub fn wake(&self) {
        self.wake.notify_one();
        self.streams.notify_sync_work();
    }

    /// Runs the worker until the process ends.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match engine.work_once().await {
                    Ok(0) => {
                        let woken = async {
                            tokio::select! {
                                () = engine.wake.notified() => {}
                                () = engine.streams.sync_work_elsewhere() => {}
                            }
                        };
                        let _ = tokio::time::timeout(engine.timing.poll, woken).await;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(error = %format!("{error:#}"), "the sync worker could not claim work");
                        tokio::time::sleep(engine.timing.poll).await;
                    }
                }
            }
        })
    }

    /// Claims and processes the due items (up to 20); returns how many it processed.
    ///
    /// Items go in rounds in which no caller's number appears twice for an account (two calls from one new caller
    /// must not both create a Lead); within a round, each account's items run together and share a [`Batch`].
    pub async fn work_once(&self) -> anyhow::Result<usize> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.timing.lease).unwrap_or_default();
        // A held item that a later event of its call now waits behind is due at once: the event is not kept waiting.
        self.store.release_holds(now).await?;
        let items = self.store.claim_outbox(now, lease_until, 20).await?;
        let count = items.len();
        if count == 0 {
            return Ok(0);
        }
        let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
        let work = async {
            for round in self.rounds(items).await? {
                let mut by_account: std::collections::BTreeMap<i64, Vec<OutboxItem>> =
                    std::collections::BTreeMap::new();
                for item in round {
                    by_account.entry(item.account_id).or_default().push(item);
                }
                futures_util::future::join_all(by_account.into_values().map(|items| self.process_together(items)))
                    .await;
            }
            Ok::<_, anyhow::Error>(())
        };
        // The leases are short and renewed while the work runs: a worker that dies stops renewing them.
        let renew = async {
            loop {
                tokio::time::sleep(self.timing.lease / 3).await;
                let until = Utc::now() + chrono::Duration::from_std(self.timing.lease).unwrap_or_default();
                if let Err(error) = self.store.renew_leases(&ids, until).await {
                    tracing::warn!(%error, "could not renew the sync worker's leases");
                }
            }
        };
        tokio::select! {
            done = work => done?,
            () = renew => {}
        }
        Ok(count)
    }

    /// Splits claimed items into rounds with each (account, number) at most once per round, keeping their order.
    async fn rounds(&self, items: Vec<OutboxItem>) -> sqlx::Result<Vec<Vec<OutboxItem>>> {
        let call_rows: Vec<i64> = items.iter().filter_map(|item| item.call_row_id).collect();
        let numbers: HashMap<i64, String> = self
            .store
            .calls_by_row_ids(&call_rows)
            .await?
            .into_iter()
            .map(|call| (call.id, call.caller_e164))
            .collect();
        let mut rounds: Vec<(Vec<OutboxItem>, Vec<AccountNumber>)> = Vec::new();
        for item in items {
            // Texts and unknown calls have no number here: keyed by their own id, they never wait for a round.
            let number = item
                .call_row_id
                .and_then(|row| numbers.get(&row).cloned())
                .unwrap_or_else(|| format!("item {}", item.id));
            let key = (item.account_id, number);
            match rounds.iter_mut().find(|(_, keys)| !keys.contains(&key)) {
                Some((round, keys)) => {
                    round.push(item);
                    keys.push(key);
                }
                None => rounds.push((vec![item], vec![key])),
            }
        }
        Ok(rounds.into_iter().map(|(round, _)| round).collect())
    }

    /// Processes one account's items of a round concurrently, their Salesforce requests batched.
    async fn process_together(&self, items: Vec<OutboxItem>) {
        let batch = Batch::new(items.len());
        futures_util::future::join_all(items.iter().map(|item| self.process(item, &batch))).await;
    }

    /// The delay before the `attempt`th retry: the base doubled per attempt, capped, with up to 20% jitter.
    fn backoff(&self, attempt: i64) -> DateTime<Utc> {
        let exponent = u32::try_from(attempt.clamp(1, 16) - 1).unwrap_or(0);
        let delay = self.timing.retry_base.saturating_mul(2_u32.saturating_pow(exponent)).min(self.timing.retry_max);
        let jitter = delay.mul_f64(rand::random::<f64>() * 0.2);
        Utc::now() + chrono::Duration::from_std(delay + jitter).unwrap_or_default()
    }

    async fn note_api_usage(&self, account_id: i64, client: &SalesforceClient) {
        if let Some(usage) = client.api_usage() {
            let (used, max) =
                (i64::try_from(usage.used).unwrap_or(i64::MAX), i64::try_from(usage.max).unwrap_or(i64::MAX));
            if let Err(error) = self.store.record_api_usage(account_id, used, max).await {
                tracing::warn!(%error, "could not keep the org's API usage");
            }
        }
    }

    /// Processes one item and records what became of it.
    async fn process(&self, item: &OutboxItem, batch: &Batch) {
        let outcome = self.run_with_refresh(item, batch).await;
        // The batch sends what the other items wait for once none of them waits for this one.
        batch.finish().await;
        let (outcome_name, recorded) = match outcome {
            Ok(()) => ("done", self.store.complete_outbox_item(item.id, Utc::now()).await),
            Err(Halt::Defer { until, error }) => (
                if error.is_some() { "retrying" } else { "waiting" },
                self.store.defer_outbox_item(item.id, until, error.as_ref(), Utc::now()).await,
            ),
            Err(Halt::Park { status, error }) => {
                (status, self.store.park_outbox_item(item.id, status, &error, Utc::now()).await)
            }
            Err(Halt::Hold { until }) => match item.call_row_id {
                Some(call_row_id) => {
                    ("held", self.store.hold_outbox_item(item.id, call_row_id, until, Utc::now()).await)
                }
                None => ("waiting", self.store.defer_outbox_item(item.id, until, None, Utc::now()).await),
            },
            Err(Halt::Refresh { .. }) => ("retrying", Ok(())), // Unreachable: `run_with_refresh` turns it into a Defer.
            Err(Halt::Store(error)) => {
                tracing::error!(item = item.id, error = %format!("{error:#}"), "the store failed while syncing; the item will be claimed again");
                ("store_failed", Ok(()))
            }
        };
        metrics::counter!("callpop_sync_items_total", "kind" => item.kind.clone(), "outcome" => outcome_name)
            .increment(1);
        if let Err(error) = recorded {
            tracing::error!(item = item.id, %error, "could not record what became of an outbox item");
        }
    }

    /// Runs an item's flow; when Salesforce refused the token, refreshes it once and runs the flow again.
    async fn run_with_refresh(&self, item: &OutboxItem, batch: &Batch) -> Flow {
        let now = Utc::now();
        match self.run_item(item, batch, now).await {
            Err(Halt::Refresh { refused }) => {
                self.refresh_link(item.account_id, &refused).await?;
                // One refresh, then one replay; a second refusal waits for the admin to link the org again.
                self.run_item(item, batch, Utc::now()).await.map_err(|halt| match halt {
                    Halt::Refresh { .. } => Halt::Defer {
                        until: now + chrono::Duration::from_std(self.timing.unlinked_wait).unwrap_or_default(),
                        error: Some(ItemError {
                            code: crate::salesforce::error::INVALID_SESSION_ID.to_owned(),
                            message: "Salesforce refused the refreshed token too".to_owned(),
                            fields: Vec::new(),
                        }),
                    },
                    other => other,
                })
            }
            other => other,
        }
    }

    /// Runs an item's flow with a fresh context.
    async fn run_item(&self, item: &OutboxItem, batch: &Batch, now: DateTime<Utc>) -> Flow {
        let Some(account) = self.store.account(item.account_id).await? else { return Ok(()) };
        if !account.plan.includes_salesforce() {
            return Ok(()); // Nothing of a Basic account goes to Salesforce.
        }
        let options = self.store.integration_options(account.id).await?.unwrap_or(account.options);
        let Some(link) = self.link_for(account.id).await? else {
            // Not linked (or the link needs the admin): keep the item until the org is linked again.
            let until = now + chrono::Duration::from_std(self.timing.unlinked_wait).unwrap_or_default();
            return Err(Halt::Defer { until, error: None });
        };
        let subject = match (item.call_row_id, item.text_row_id) {
            (_, Some(text_row_id)) => SyncSubject::Text(text_row_id),
            (Some(call_row_id), None) => SyncSubject::Call(call_row_id),
            (None, None) => return Ok(()),
        };
        let context = ItemContext { engine: self, item, account, options, link, batch, subject, now };
        // Boxed as `Send` here, where the lifetimes are concrete: rustc cannot prove it for the unboxed flows
        // through the worker's `tokio::spawn` (rust-lang/rust#102211).
        let flow: std::pin::Pin<Box<dyn std::future::Future<Output = Flow> + Send + '_>> = match item.job() {
            Some(OutboxJob::CallEvent { kind, .. }) if context.options.legacy_mode => {
                Box::pin(legacy::call_event(&context, kind))
            }
            Some(OutboxJob::CallEvent { kind, late, .. }) => Box::pin(triggers::call_event(&context, kind, late)),
            Some(OutboxJob::ActivityAppend { activity_id }) => {
                Box::pin(appends::activity_append(&context, activity_id))
            }
            Some(OutboxJob::TextEvent { .. }) if context.options.legacy_mode => Box::pin(texts::text_event(&context)),
            Some(OutboxJob::TextEvent { .. }) => Box::pin(triggers::text_event(&context)),
            Some(OutboxJob::AgentWrapUp { .. }) => Box::pin(wrap_up::agent_wrap_up(&context)),
            Some(OutboxJob::VoiceCall { kind, .. }) => Box::pin(voice_calls::voice_call_event(&context, kind)),
            None => {
                let error = ItemError {
                    code: "UNKNOWN_ITEM".to_owned(),
                    message: format!("no sync for {} items with this payload", item.kind),
                    fields: Vec::new(),
                };
                return Err(Halt::Park { status: "failed", error });
            }
        };
        flow.await
    }
}
