//! callpop-sandbox: a local Salesforce org for tests, benchmarks and the demo.
//!
//! It serves, on its own origin (as a real org is on its own domain):
//! - a Lightning Experience page that frames the softphone in its utility bar and speaks the Open CTI
//!   `postMessage` protocol as Salesforce's parent window does, and our own `sforce.opencti` library (`pages`);
//! - OAuth 2.0 (`oauth`) and the REST data API (`rest`): sObjects, upsert, SOQL (`soql`), SOSL (`sosl`),
//!   composite and collections (`composite`), describe, limits, with Salesforce's validation, duplicate rules and
//!   error bodies (`dml`, `rules`, `errors`);
//! - Salesforce Voice's Telephony Integration REST API under `/telephony/v1`, which writes `VoiceCall` records with
//!   RS256 JWTs checked against each contact center's certificate (`telephony`);
//! - Salesforce Voice's page, which hosts the telephony vendor's connector as Omni-Channel does, on a second,
//!   HTTPS listener at a `*.lightning.force.com` name (`voice_page`);
//! - failure injection and a request journal (`faults`);
//! - a control API (`/__control/…`, `control`) through which tests seed, configure and inspect the org.
//!
//! No real org is reachable from here: fidelity to Salesforce's documented behaviour (shared reference
//! `salesforce-api.md`) is the point. In-process tests use the typed API on [`Sandbox`].

pub mod classic;
pub mod composite;
pub mod control;
pub mod dml;
pub mod errors;
pub mod faults;
mod geo_data;
pub mod oauth;
pub mod org;
pub mod pages;
pub mod rest;
pub mod rules;
pub mod schema;
pub mod seed;
pub mod settings;
pub mod soql;
pub mod sosl;
pub mod telephony;
pub mod voice_page;

use anyhow::Context;
use chrono::Utc;
use faults::{Fault, FaultPlane, JournalEntry};
use oauth::{AuthState, ConnectedApp, TokenResponse};
use org::{Record, Records};
use rules::{DuplicateRule, ValidationRule};
use schema::{CustomField, Schema, SchemaError};
use serde_json::Value;
use settings::{ApiUsage, OrgSettings};
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
    /// The host name in the org's own URLs (its origin), e.g. `localhost` while callpop is on `127.0.0.1`: a
    /// different site, as Salesforce's org is from callpop's server. `None` names the listening address.
    pub host: Option<String>,
    /// The softphone's URL (the call center's `reqAdapterUrl`), if known at start.
    pub adapter_url: Option<String>,
    /// Whether to start with the demo records (`seed`).
    pub seed: bool,
    /// Whether the org has callpop's external-id fields: the Task's `Call_Id__c` (`schema::TASK_CALL_ID_FIELD`) and
    /// the Lead's `Callpop_Id__c` (`schema::LEAD_CALLPOP_ID_FIELD`). An org without them is supported: the sync
    /// engine then looks for `CallObject` and queries by phone before creating.
    pub task_call_id_field: bool,
    /// The demo's telephony endpoint (`<callpop>/demo`): when set, the org's pages show a "Simulate a call" control
    /// that asks it to ring the softphone. Only `cargo xtask demo` sets it.
    pub demo_telephony: Option<String>,
    /// Where the HTTPS listener of the Salesforce Voice page listens (`voice_page`); port 0 picks a free one.
    pub voice_listen: SocketAddr,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            host: None,
            adapter_url: None,
            voice_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: true,
            task_call_id_field: true,
            demo_telephony: None,
        }
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
    /// The Salesforce Voice connector's URL (the contact center's connector URL), framed by the Voice page.
    pub connector_url: Option<String>,
    /// See `SandboxConfig::demo_telephony`.
    pub demo_telephony: Option<String>,
    pub opencti_log: Vec<OpenCtiLogEntry>,
    pub schema: Schema,
    pub settings: OrgSettings,
    pub validation_rules: Vec<ValidationRule>,
    pub duplicate_rules: Vec<DuplicateRule>,
    pub usage: ApiUsage,
    pub auth: AuthState,
    pub faults: FaultPlane,
    /// Contact centers and their certificates, for the Telephony Integration REST API.
    pub telephony: telephony::TelephonyState,
}

/// Why the org refused a configuration change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("there is no object {0}")]
    UnknownObject(String),
    #[error("{0}")]
    BadRule(String),
    #[error("{0}")]
    BadContactCenter(String),
}

impl OrgState {
    fn new(origin: String, adapter_url: Option<String>, config: &SandboxConfig) -> Self {
        let mut state = Self {
            origin,
            records: Records::default(),
            adapter_url,
            connector_url: None,
            demo_telephony: config.demo_telephony.clone(),
            opencti_log: Vec::new(),
            schema: Schema::standard(),
            settings: OrgSettings::default(),
            validation_rules: Vec::new(),
            duplicate_rules: Vec::new(),
            usage: ApiUsage::default(),
            auth: AuthState::default(),
            faults: FaultPlane::default(),
            telephony: telephony::TelephonyState::default(),
        };
        state.reset(config.seed, config.task_call_id_field);
        state
    }

    /// Puts the org's data and configuration back to a fresh org's: records (seeded or empty), schema, rules,
    /// settings, API usage, faults and contact centers. Connected apps, tokens, the journal and the Open CTI log stay.
    pub fn reset(&mut self, seed: bool, task_call_id_field: bool) {
        self.records = Records::default();
        if seed {
            seed::seed(&mut self.records, Utc::now());
        }
        self.schema = Schema::standard();
        if task_call_id_field {
            self.schema.add_custom_field("Task", CustomField::task_call_id()).expect("a fresh Task has no Call_Id__c");
            self.schema
                .add_custom_field("Lead", CustomField::lead_callpop_id())
                .expect("a fresh Lead has no Callpop_Id__c");
        }
        self.settings = OrgSettings::default();
        self.validation_rules.clear();
        self.duplicate_rules.clear();
        self.usage = ApiUsage::default();
        self.faults.clear_rules();
        self.telephony = telephony::TelephonyState::default();
    }

    /// Replaces the settings, turning the schema's State and Country code fields on or off to match.
    pub fn apply_settings(&mut self, settings: OrgSettings) {
        self.schema.set_state_country_picklists(settings.state_country_picklists);
        self.settings = settings;
    }

    pub fn add_custom_field(&mut self, object: &str, field: CustomField) -> Result<(), ConfigError> {
        Ok(self.schema.add_custom_field(object, field)?)
    }

    /// Deletes a custom field and its values.
    pub fn remove_custom_field(&mut self, object: &str, field: &str) -> Result<(), ConfigError> {
        let removed = self.schema.remove_custom_field(object, field)?;
        let object = self.schema.object(object).map(|object| object.name.clone()).unwrap_or_default();
        self.records.drop_field(&object, &removed);
        Ok(())
    }

    fn known_object(&self, object: &str) -> Result<String, ConfigError> {
        self.schema
            .object(object)
            .map(|object| object.name.clone())
            .ok_or_else(|| ConfigError::UnknownObject(object.to_owned()))
    }

    /// Adds a validation rule, replacing one of the same name.
    pub fn add_validation_rule(&mut self, mut rule: ValidationRule) -> Result<(), ConfigError> {
        rule.condition.check().map_err(ConfigError::BadRule)?;
        rule.object = self.known_object(&rule.object)?;
        self.validation_rules.retain(|known| known.name != rule.name);
        self.validation_rules.push(rule);
        Ok(())
    }

    /// Removes the validation rule `name`; true when there was one.
    pub fn remove_validation_rule(&mut self, name: &str) -> bool {
        remove_named(&mut self.validation_rules, name, |rule| &rule.name)
    }

    /// Removes the duplicate rule `name`; true when there was one.
    pub fn remove_duplicate_rule(&mut self, name: &str) -> bool {
        remove_named(&mut self.duplicate_rules, name, |rule| &rule.name)
    }

    /// Adds a duplicate rule, replacing one of the same name.
    pub fn add_duplicate_rule(&mut self, mut rule: DuplicateRule) -> Result<(), ConfigError> {
        rule.object = self.known_object(&rule.object)?;
        for compared in &mut rule.compare_with {
            *compared = self.known_object(compared)?;
        }
        self.duplicate_rules.retain(|known| known.name != rule.name);
        self.duplicate_rules.push(rule);
        Ok(())
    }
}

/// Removes the items called `name`; true when there was one.
fn remove_named<T>(items: &mut Vec<T>, name: &str, name_of: impl Fn(&T) -> &String) -> bool {
    let before = items.len();
    items.retain(|item| name_of(item) != name);
    items.len() != before
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
    voice_url: String,
    org: Org,
    server: tokio::task::JoinHandle<()>,
    voice_server: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Binds the org's port and starts serving in the background.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr()?;
        let base_url = match &config.host {
            Some(host) => format!("http://{host}:{}", address.port()),
            None => format!("http://{address}"),
        };
        let org = Org(Arc::new(Mutex::new(OrgState::new(base_url.clone(), config.adapter_url.clone(), &config))));
        let api = oauth::router()
            .merge(rest::router())
            .merge(telephony::router())
            .layer(axum::middleware::from_fn_with_state(org.clone(), faults::intercept));
        let router = pages::router()
            .merge(classic::router())
            .merge(voice_page::router())
            .merge(control::router())
            .merge(api)
            .with_state(org.clone());
        let voice_listener =
            TcpListener::bind(config.voice_listen).await.with_context(|| format!("binding {}", config.voice_listen))?;
        let voice_url = format!("https://{}:{}", voice_page::VOICE_HOST, voice_listener.local_addr()?.port());
        let voice_server = voice_page::serve_https(voice_listener, router.clone())?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the local org stopped serving");
            }
        });
        Ok(Self { base_url, voice_url, org, server, voice_server })
    }

    /// The org's Lightning origin over HTTPS, e.g. `https://callpop-dev.lightning.force.com:8443`, where the
    /// Salesforce Voice page is (`/lightning/voice`). Browsers must map the name to loopback (`voice_page`).
    pub fn voice_url(&self) -> &str {
        &self.voice_url
    }

    /// Sets the Salesforce Voice connector's URL, as an admin does in the contact center's settings.
    pub fn set_connector_url(&self, connector_url: &str) {
        self.org.lock().connector_url = Some(connector_url.to_owned());
    }

    /// The org's origin, e.g. `http://127.0.0.1:8081`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn org(&self) -> &Org {
        &self.org
    }

    /// Imports (or replaces) a Salesforce Voice contact center with the vendor's PEM X.509 certificate, as the
    /// customer's imported contact-center definition holds it (`reqTelephonyIntegrationCertificate`).
    pub fn set_contact_center(&self, api_name: &str, certificate_pem: &str) -> Result<(), ConfigError> {
        let definition = telephony::ContactCenterDefinition { certificate: certificate_pem.to_owned(), name: None };
        self.org.lock().set_contact_center(api_name, definition)
    }

    /// The org's id (`00D…`, 18 characters): the `iss` of Telephony Integration REST API tokens.
    pub fn org_id(&self) -> String {
        self.org.lock().auth.org_id.as_str().to_owned()
    }

    /// Sets the softphone's URL, as an admin does when importing the call center definition.
    pub fn set_adapter_url(&self, adapter_url: &str) {
        self.org.lock().adapter_url = Some(adapter_url.to_owned());
    }

    /// The Open CTI calls received so far.
    pub fn opencti_log(&self) -> Vec<OpenCtiLogEntry> {
        self.org.lock().opencti_log.clone()
    }

    /// Adds a failure-injection rule; returns its id (for `remove_fault`).
    pub fn inject(&self, fault: Fault) -> u64 {
        self.org.lock().faults.add(fault)
    }

    pub fn remove_fault(&self, id: u64) -> bool {
        self.org.lock().faults.remove(id)
    }

    pub fn clear_faults(&self) {
        self.org.lock().faults.clear_rules();
    }

    /// Every request to `/services/…`, `/id/…` and `/telephony/…` so far, oldest first.
    pub fn requests(&self) -> Vec<JournalEntry> {
        self.org.lock().faults.journal().to_vec()
    }

    /// How many journaled requests had this method (any when `None`) and a path matching `path_pattern`, where
    /// `*` matches within one path segment and `**` across segments: `request_count(Some("POST"),
    /// "/services/data/*/composite")`.
    pub fn request_count(&self, method: Option<&str>, path_pattern: &str) -> usize {
        self.org.lock().faults.count(method, path_pattern)
    }

    pub fn clear_requests(&self) {
        self.org.lock().faults.clear_journal();
    }

    /// Tokens for the integration user through the default connected app, as if its web server flow had run.
    pub fn issue_token(&self) -> TokenResponse {
        self.issue_token_for(oauth::DEFAULT_CLIENT_ID).expect("the default connected app is always registered")
    }

    /// Tokens for the integration user through a registered app; `None` for an unknown `client_id`.
    pub fn issue_token_for(&self, client_id: &str) -> Option<TokenResponse> {
        self.org.lock().issue_tokens(client_id, Utc::now())
    }

    pub fn register_connected_app(&self, app: ConnectedApp) {
        self.org.lock().auth.register(app);
    }

    /// Expires every access token now; refresh tokens keep working. Returns how many were live.
    pub fn expire_all_tokens(&self) -> usize {
        self.org.lock().auth.expire_all_access_tokens()
    }

    pub fn api_usage(&self) -> ApiUsage {
        self.org.lock().usage
    }

    /// Sets the daily API usage: at `used >= max` every data call gets 403 `REQUEST_LIMIT_EXCEEDED`.
    pub fn set_api_usage(&self, used: u64, max: u64) {
        self.org.lock().usage = ApiUsage { used, max };
    }

    pub fn settings(&self) -> OrgSettings {
        self.org.lock().settings.clone()
    }

    /// Changes settings: `sandbox.update_settings(|settings| settings.access_token_ttl_secs = Some(1))`.
    pub fn update_settings(&self, change: impl FnOnce(&mut OrgSettings)) {
        let mut state = self.org.lock();
        let mut settings = state.settings.clone();
        change(&mut settings);
        state.apply_settings(settings);
    }

    pub fn add_validation_rule(&self, rule: ValidationRule) -> Result<(), ConfigError> {
        self.org.lock().add_validation_rule(rule)
    }

    pub fn add_duplicate_rule(&self, rule: DuplicateRule) -> Result<(), ConfigError> {
        self.org.lock().add_duplicate_rule(rule)
    }

    pub fn remove_validation_rule(&self, name: &str) -> bool {
        self.org.lock().remove_validation_rule(name)
    }

    pub fn remove_duplicate_rule(&self, name: &str) -> bool {
        self.org.lock().remove_duplicate_rule(name)
    }

    pub fn add_custom_field(&self, object: &str, field: CustomField) -> Result<(), ConfigError> {
        self.org.lock().add_custom_field(object, field)
    }

    pub fn remove_custom_field(&self, object: &str, field: &str) -> Result<(), ConfigError> {
        self.org.lock().remove_custom_field(object, field)
    }

    /// Adds or removes the Task's `Call_Id__c` external-id field (no-op when it is already so).
    pub fn set_task_call_id_field(&self, present: bool) {
        self.set_custom_field("Task", CustomField::task_call_id(), present);
    }

    /// Adds or removes the Lead's `Callpop_Id__c` external-id field (no-op when it is already so).
    pub fn set_lead_callpop_id_field(&self, present: bool) {
        self.set_custom_field("Lead", CustomField::lead_callpop_id(), present);
    }

    fn set_custom_field(&self, object: &str, field: CustomField, present: bool) {
        let mut state = self.org.lock();
        let has = state.schema.object(object).and_then(|known| known.field(&field.name)).is_some();
        match (has, present) {
            (false, true) => state.add_custom_field(object, field).expect("the object exists"),
            (true, false) => state.remove_custom_field(object, &field.name).expect("the field exists"),
            _ => {}
        }
    }

    /// The live records of `object`, oldest first.
    pub fn records(&self, object: &str) -> Vec<Record> {
        self.org.lock().records.of(object).cloned().collect()
    }

    /// A live record by id (15 or 18 characters).
    pub fn record(&self, id: &str) -> Option<Record> {
        let id = callpop_core::record::RecordId::parse(id).ok()?;
        self.org.lock().records.get(&id).cloned()
    }

    /// Whether the record `id` is in the recycle bin.
    pub fn is_deleted(&self, id: &str) -> bool {
        let Ok(id) = callpop_core::record::RecordId::parse(id) else { return false };
        self.org.lock().records.deleted(&id).is_some()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.abort();
        self.voice_server.abort();
    }
}
