//! The end-to-end harness: the whole product on loopback, driven through real headless Chromium.
//!
//! `Stack::start` runs the local org and the callpop server in-process, each on its own free port, seeds the demo
//! account, and points the org's call center at the server's softphone. The org is opened at `localhost` and
//! callpop at `127.0.0.1`: two sites, as a Salesforce org and callpop's server are, so the softphone's frame is a
//! third-party frame and the browser's third-party rules apply to it as in production. `Browser::start` runs
//! ChromeDriver and Chromium with the flags that work on this machine kind and with third-party cookies blocked
//! (the default of Incognito windows and of many managed browsers; `Browser::start_in` picks another world), and
//! kills them (their whole process group) when dropped, even when a test panics. Entering the softphone's frame
//! fails if the frame and the page around it are ever same-site.

pub mod demo;

use anyhow::{Context, bail};
use callpop_core::account::{Plan, Role};
use callpop_core::open_cti::Ui;
use callpop_core::options::IntegrationOptions;
use callpop_core::record::RecordId;
use callpop_sandbox::oauth::ConnectedApp;
use callpop_sandbox::settings::Approval;
use callpop_sandbox::{OpenCtiLogEntry, Sandbox, SandboxConfig};
use callpop_server::provision;
pub use callpop_server::provision::DEMO_AGENT_EMAIL;
/// Every demo user's password.
pub use callpop_server::provision::DEMO_PASSWORD;
use callpop_server::store::Store;
use callpop_server::store::salesforce_audit::{SalesforceStep, StepOutcome, SyncStep, SyncSubject};
use callpop_server::sync::link::callback_url;
use callpop_server::{Application, Config};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Map, Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The demo account's administrator (the password is `DEMO_PASSWORD`, like every demo user).
pub const ADMIN_EMAIL: &str = "admin@demo.callpop.test";

/// The connected app the harness registers in the local org and configures the server with.
pub const CONNECTED_APP_ID: &str = "3MVG9callpop.e2e.connected.app";
const CONNECTED_APP_SECRET: &str = "callpop-e2e-consumer-secret";

/// The host the local org's pages are opened at. callpop's server is on `127.0.0.1`: another site.
pub const ORG_HOST: &str = "localhost";

/// The site of an origin, as browsers draw their third-party line: the scheme and the registrable domain. Loopback
/// hosts and IP addresses are their own site; for names, the last two labels stand in for the registrable domain
/// (the public suffix list is not needed for the hosts these tests use).
pub fn site_of(origin: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(origin).with_context(|| format!("{origin} is not an origin"))?;
    let host = url.host_str().context("an origin without a host")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let registrable = if bare.parse::<std::net::IpAddr>().is_ok() || bare == "localhost" {
        host.to_owned()
    } else {
        let labels: Vec<&str> = host.split('.').collect();
        labels[labels.len().saturating_sub(2)..].join(".")
    };
    Ok(format!("{}://{registrable}", url.scheme()))
}

/// Fails unless the org's page and the softphone are on different sites, as Salesforce and callpop always are.
pub fn ensure_cross_site(org_origin: &str, softphone_origin: &str) -> anyhow::Result<()> {
    let (org_site, softphone_site) = (site_of(org_origin)?, site_of(softphone_origin)?);
    anyhow::ensure!(
        org_site != softphone_site,
        "the org ({org_origin}) and the softphone ({softphone_origin}) are the same site, {org_site}: production never is"
    );
    Ok(())
}

/// How long a test waits for something a person would see happen "at once".
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The org, the server and the demo account, running.
#[derive(Debug)]
pub struct Stack {
    pub org: Sandbox,
    /// The server as browsers reach it: through `network`, which a test can cut.
    pub server_url: String,
    pub api_key: String,
    /// The link between browsers and the server.
    pub network: NetworkSwitch,
    /// The server's store, for what only the server itself can do (naming a call's record as legacy mode does).
    pub store: Arc<dyn Store>,
    /// The demo account's row id.
    pub account_id: i64,
    http: reqwest::Client,
    _database_dir: tempfile::TempDir,
}

/// A TCP relay in front of the server that a test can cut and restore, as a network partition would: while cut,
/// open connections are dropped and new ones are closed at once.
#[derive(Debug)]
pub struct NetworkSwitch {
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    relays: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl NetworkSwitch {
    /// Relays `listener` (bound beforehand, so the server can be told its public address) to `target`.
    fn start(listener: tokio::net::TcpListener, target: std::net::SocketAddr) -> Self {
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let relays = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (accept_up, accept_relays) = (up.clone(), relays.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accept_up.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // Dropping the connection closes it: the browser sees a network error.
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                accept_relays.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(relay);
            }
        });
        Self { up, relays }
    }

    /// Cuts the network between browsers and the server.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for relay in self.relays.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
            relay.abort();
        }
    }

    /// Restores it.
    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Stack {
    pub async fn start() -> anyhow::Result<Self> {
        let org = Sandbox::start(SandboxConfig { host: Some(ORG_HOST.to_owned()), ..SandboxConfig::default() }).await?;
        let database_dir = tempfile::tempdir()?;
        // Browsers reach the server through the switch, so that is its public URL (where Salesforce's OAuth sends
        // the admin back).
        let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server_url = format!("http://{}", relay.local_addr()?);
        let mut config = Config::for_tests(format!("sqlite://{}", database_dir.path().join("callpop.db").display()));
        // The org's Lightning origin over HTTPS hosts the Salesforce Voice connector, which it may frame too.
        config.extra_org_origins = vec![org.base_url().to_owned(), org.voice_url().to_owned()];
        // Another build of the softphone, where one is named as the server's command line would (a measurement of
        // two builds side by side, PERFORMANCE.md).
        if let Some(static_dir) = std::env::var_os("CALLPOP_STATIC_DIR") {
            config.static_dir = static_dir.into();
        }
        config.public_url = Some(server_url.clone());
        // The server can link the demo account to the local org through the console, as to a real org.
        config.salesforce_client_id = Some(CONNECTED_APP_ID.to_owned());
        config.salesforce_client_secret = Some(CONNECTED_APP_SECRET.into());
        config.salesforce_login_url = org.base_url().to_owned();
        org.register_connected_app(ConnectedApp {
            client_id: CONNECTED_APP_ID.to_owned(),
            client_secret: CONNECTED_APP_SECRET.to_owned(),
            redirect_uris: vec![callback_url(&server_url)],
            ..ConnectedApp::default_app()
        });
        ensure_cross_site(org.base_url(), &server_url)?;
        let app = Application::build(config).await?;
        let network = NetworkSwitch::start(relay, app.local_addr());
        let store = app.store();
        let credentials = provision::seed_demo(store.as_ref(), &server_url).await?;
        let account = store.account_by_public_id(&credentials.account_public_id).await?.context("the demo account")?;
        tokio::spawn(app.run_until_stopped());
        org.set_adapter_url(&format!("{server_url}/softphone/"));
        org.set_connector_url(&format!("{server_url}/connector/"));
        let http = reqwest::Client::new();
        Ok(Self {
            org,
            server_url,
            api_key: credentials.api_key,
            network,
            store,
            account_id: account.id,
            http,
            _database_dir: database_dir,
        })
    }

    /// Sets the account's integration options through the settings API, as the demo administrator.
    pub async fn set_options(&self, options: &IntegrationOptions) -> anyhow::Result<()> {
        let token = self.token_for(ADMIN_EMAIL).await?;
        let url = format!("{}/api/v1/settings/salesforce", self.server_url);
        self.http.put(url).bearer_auth(token).json(options).send().await?.error_for_status()?;
        Ok(())
    }

    /// Names the Salesforce record for a call, as the sync engine's legacy mode does.
    pub async fn name_record(&self, call_id: &str, record_id: &str) -> anyhow::Result<()> {
        let call = self.store.call_by_call_id(self.account_id, call_id).await?.context("no such call")?;
        let object = RecordId::parse(record_id)?.object().api_name();
        self.store.set_call_record(call.id, record_id, object, chrono::Utc::now()).await?;
        Ok(())
    }

    /// The activity appends the server holds for a call, as `(record id, how it was chosen)`.
    pub async fn appends(&self, call_id: &str) -> anyhow::Result<Vec<(String, String)>> {
        let call = self.store.call_by_call_id(self.account_id, call_id).await?.context("no such call")?;
        let appends = self.store.activities_for_call(call.id).await?;
        Ok(appends.into_iter().map(|append| (append.record_id, append.chosen_by)).collect())
    }

    /// Waits until the server holds activity appends for a call, and returns them as `appends` does.
    pub async fn appended(&self, call_id: &str) -> anyhow::Result<Vec<(String, String)>> {
        eventually("the append", || async { Ok(Some(self.appends(call_id).await?).filter(|a| !a.is_empty())) }).await
    }

    /// How many `screenPop` calls the org's page received.
    pub async fn screen_pop_count(&self) -> anyhow::Result<usize> {
        Ok(self.opencti_log().await?.iter().filter(|entry| entry.method == "screenPop").count())
    }

    /// The id of the org's one `object` record with this last name (a seeded one: "Lovelace" is Ada's Contact).
    pub async fn record_named(&self, object: &str, last_name: &str) -> anyhow::Result<String> {
        let records = self.org_records_where(object, "LastName", last_name).await?;
        anyhow::ensure!(records.len() == 1, "expected one {object} {last_name}, found {}", records.len());
        records[0]["Id"].as_str().map(str::to_owned).context("a record without an id")
    }

    /// Signs the demo agent in through the API and returns their bearer token.
    pub async fn agent_token(&self) -> anyhow::Result<String> {
        self.token_for(DEMO_AGENT_EMAIL).await
    }

    /// Signs a demo user in through the API and returns their bearer token.
    pub async fn token_for(&self, email: &str) -> anyhow::Result<String> {
        sign_in(&self.http, &self.server_url, email).await
    }

    /// Sends an activity append as the agent and returns the server's answer (`{activity_id, duplicate}`).
    pub async fn append_as_agent(&self, append: &Value) -> anyhow::Result<Value> {
        let token = self.agent_token().await?;
        let url = format!("{}/api/v1/activities", self.server_url);
        let response = self.http.post(url).bearer_auth(token).json(append).send().await?;
        Ok(response.error_for_status()?.json().await?)
    }

    /// Creates a record in the org through its control API and returns its id.
    pub async fn create_org_record(&self, object: &str, fields: Value) -> anyhow::Result<String> {
        let url = format!("{}/__control/objects/{object}/records", self.org.base_url());
        let created: Value = self.http.post(url).json(&fields).send().await?.error_for_status()?.json().await?;
        created["id"].as_str().map(str::to_owned).context("no id in the org's answer")
    }

    /// The org's Lightning home page.
    pub fn lightning_url(&self) -> String {
        format!("{}/lightning/page/home", self.org.base_url())
    }

    /// The org's Salesforce Voice page, on its Lightning origin over HTTPS.
    pub fn voice_url(&self) -> String {
        format!("{}/lightning/voice", self.org.voice_url())
    }

    /// The org's page for a UI: the Lightning app, or the Classic Service Console.
    pub fn page_url(&self, ui: Ui) -> String {
        match ui {
            Ui::Lightning => self.lightning_url(),
            Ui::Classic => format!("{}/console", self.org.base_url()),
        }
    }

    /// Posts a call event as the telephony side would, for the demo agent.
    pub async fn post_call_event(&self, call_id: &str, kind: &str, caller: &str) -> anyhow::Result<()> {
        let body = json!({
            "call_id": call_id, "kind": kind, "direction": "inbound", "caller_number": caller,
            "tracking_number": "+14155550100", "agent": DEMO_AGENT_EMAIL, "tracking_source": "Google Ads",
            "campaign": "Spring Promo", "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        let response = self
            .http
            .post(format!("{}/api/v1/call-events", self.server_url))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await?;
        if response.status().as_u16() != 202 {
            bail!("posting {kind} for {call_id}: {} {}", response.status(), response.text().await.unwrap_or_default());
        }
        Ok(())
    }

    /// The click-to-dial requests waiting for the telephony side (`GET /api/v1/dial-requests`).
    pub async fn pending_dials(&self) -> anyhow::Result<Vec<Value>> {
        let url = format!("{}/api/v1/dial-requests", self.server_url);
        Ok(self.http.get(url).bearer_auth(&self.api_key).send().await?.error_for_status()?.json().await?)
    }

    /// Places a dial request as the telephony side does: the outbound call's `ringing` event naming the request.
    pub async fn place_dial(&self, request: &Value, call_id: &str) -> anyhow::Result<()> {
        let body = json!({
            "call_id": call_id, "kind": "ringing", "direction": "outbound", "caller_number": request["number"],
            "tracking_number": "+14155550100", "agent": request["agent"], "dial_request_id": request["id"],
            "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        let url = format!("{}/api/v1/call-events", self.server_url);
        self.http.post(url).bearer_auth(&self.api_key).json(&body).send().await?.error_for_status()?;
        Ok(())
    }

    /// The Open CTI calls the org's page received, as its control API reports them.
    pub async fn opencti_log(&self) -> anyhow::Result<Vec<OpenCtiLogEntry>> {
        let url = format!("{}/__control/opencti-log", self.org.base_url());
        Ok(self.http.get(url).send().await?.json().await?)
    }

    /// A record of the org, by id, as its control API reports it.
    pub async fn org_record(&self, id: &str) -> anyhow::Result<Value> {
        let url = format!("{}/__control/records/{id}", self.org.base_url());
        Ok(self.http.get(url).send().await?.error_for_status()?.json().await?)
    }

    /// The ids of the org's records of `object` whose field `field` equals `value`.
    pub async fn org_records_where(&self, object: &str, field: &str, value: &str) -> anyhow::Result<Vec<Value>> {
        let url = format!("{}/__control/records?object={object}", self.org.base_url());
        let records: Vec<Value> = self.http.get(url).send().await?.json().await?;
        Ok(records.into_iter().filter(|record| record[field] == value).collect())
    }
}

/// Signs a demo user in through the API of the server at `server_url` and returns their bearer token.
pub async fn sign_in(http: &reqwest::Client, server_url: &str, email: &str) -> anyhow::Result<String> {
    let body = json!({ "email": email, "password": DEMO_PASSWORD });
    let response = http.post(format!("{server_url}/api/v1/sessions")).json(&body).send().await?;
    let login: Value = response.error_for_status()?.json().await?;
    login["token"].as_str().map(str::to_owned).context("no token in the sign-in answer")
}

/// The Lead and the Task `Stack::record_sync` names.
pub const SYNCED_LEAD_ID: &str = "00Q000000000001AAA";
pub const SYNCED_TASK_ID: &str = "00T000000000002AAA";

impl Stack {
    /// A page of the admin console on this server, e.g. `console_url("calls?call=CA-1")`.
    pub fn console_url(&self, page: &str) -> String {
        format!("{}/console/{page}", self.server_url)
    }

    /// Posts a call event with the full set of fields the call log shows, assigned to `agent`.
    pub async fn post_logged_call(&self, call_id: &str, caller: &str, agent: &str, source: &str) -> anyhow::Result<()> {
        let body = json!({
            "call_id": call_id, "kind": "ringing", "direction": "inbound", "caller_number": caller,
            "caller_name": "Ada Lovelace", "caller_city": "San Francisco", "caller_region": "CA", "caller_country": "US",
            "tracking_number": "+14155550100", "agent": agent, "tracking_source": source, "campaign": "Spring Promo",
            "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        self.post_telephony("call-events", &body).await
    }

    /// Posts a text message event, assigned to `agent`.
    pub async fn post_text(&self, message_id: &str, from: &str, agent: &str, body: &str) -> anyhow::Result<()> {
        let event = json!({
            "message_id": message_id, "direction": "inbound", "from_number": from, "to_number": "+14155550100",
            "body": body, "agent": agent, "tracking_source": "Google Ads", "campaign": "Spring Promo",
            "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        self.post_telephony("text-events", &event).await
    }

    /// Posts a telephony event (`route` is `call-events` or `text-events`) with the account's API key and expects it
    /// stored (202).
    pub async fn post_telephony(&self, route: &str, body: &Value) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/{route}", self.server_url);
        let response = self.http.post(url).bearer_auth(&self.api_key).json(body).send().await?;
        if response.status().as_u16() != 202 {
            bail!("posting to {route}: {} {}", response.status(), response.text().await.unwrap_or_default());
        }
        Ok(())
    }

    /// Records what a legacy-mode sync of the call would, through the sync engine's contract with the store: a
    /// search, a new Lead, the Task appended, and a campaign membership parked on Salesforce's picklist error.
    pub async fn record_sync(&self, call_id: &str) -> anyhow::Result<()> {
        let subject = self.sync_subject(call_id).await?;
        let fields = |value: Value| value.as_object().cloned().unwrap_or_default();
        let lead = json!({ "LastName": "Lovelace", "Company": "[not provided]", "Phone": "+14155552671",
            "LeadSource": "Google Ads" });
        let task = json!({ "CallObject": call_id, "TaskSubtype": "Call", "CallType": "Inbound",
            "Subject": "Inbound call from +14155552671" });
        let steps = [
            SalesforceStep::accepted(subject, SyncStep::Search, "Lead,Contact", None, Map::new())
                .with_detail("+14155552671: no match"),
            SalesforceStep::accepted(subject, SyncStep::Create, "Lead", Some(SYNCED_LEAD_ID), fields(lead)),
            SalesforceStep::accepted(subject, SyncStep::Append, "Task", Some(SYNCED_TASK_ID), fields(task)),
            SalesforceStep::accepted(
                subject,
                SyncStep::Campaign,
                "CampaignMember",
                None,
                fields(json!({ "Status": "Responded" })),
            )
            .failed_with(
                StepOutcome::Parked,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "Status: bad value for restricted picklist field: Responded",
                &["Status"],
            )
            .with_detail("Spring Promo"),
        ];
        self.record_steps(&steps).await
    }

    /// The audit trail's name for a call of the demo account.
    pub async fn sync_subject(&self, call_id: &str) -> anyhow::Result<SyncSubject> {
        let call = self.store.call_by_call_id(self.account_id, call_id).await?.context("no such call")?;
        Ok(SyncSubject::Call(call.id))
    }

    /// Records sync steps for the demo account, in order, as the sync engine does.
    pub async fn record_steps(&self, steps: &[SalesforceStep]) -> anyhow::Result<()> {
        for step in steps {
            self.store.record_salesforce_step(self.account_id, step, chrono::Utc::now()).await?;
        }
        Ok(())
    }

    /// Links the demo account to the local org as its administrator would, through the OAuth web-server flow (the
    /// org approves at once, where a person would click Allow), and waits until the server reports it connected.
    pub async fn link_org(&self) -> anyhow::Result<()> {
        let token = self.token_for(ADMIN_EMAIL).await?;
        let url = format!("{}/api/v1/salesforce/connection", self.server_url);
        let started: Value =
            self.http.post(&url).bearer_auth(&token).json(&json!({})).send().await?.error_for_status()?.json().await?;
        let authorize_url = started["authorize_url"].as_str().context("no authorize URL")?;
        self.org.update_settings(|settings| settings.approval = Approval::Immediate);
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let to_callback = browser.get(authorize_url).send().await?;
        self.org.update_settings(|settings| settings.approval = Approval::Page);
        let callback = to_callback
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .context("no redirect from the org")?;
        let to_console = browser.get(callback).send().await?;
        let back = to_console.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default();
        if !back.ends_with("linked=1") {
            bail!("linking failed: {back}");
        }
        let connection: Value =
            self.http.get(&url).bearer_auth(&token).send().await?.error_for_status()?.json().await?;
        if connection["status"] != "connected" {
            bail!("the server does not report the org connected: {connection}");
        }
        Ok(())
    }

    /// Moves the demo account to Salesforce Voice (`host`: `salesforce_voice` or `both`) as its administrator would
    /// after linking the org: the settings, a key pair, its certificate imported into the org's contact center
    /// `callpop_center`, and the `voice-app` package's disposition field on VoiceCall.
    pub async fn use_salesforce_voice(&self, host: &str) -> anyhow::Result<()> {
        let admin = self.token_for(ADMIN_EMAIL).await?;
        let settings = format!("{}/api/v1/settings/voice", self.server_url);
        let voice = json!({
            "host": host, "contact_center_api_name": "callpop_center",
            "telephony_base_url": format!("{}/telephony/v1", self.org.base_url()),
        });
        self.http.put(&settings).bearer_auth(&admin).json(&voice).send().await?.error_for_status()?;
        self.http.post(format!("{settings}/key-pair")).bearer_auth(&admin).send().await?.error_for_status()?;
        let certificate = self
            .http
            .get(format!("{settings}/certificate"))
            .bearer_auth(&admin)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        self.org.set_contact_center("callpop_center", &certificate)?;
        let field = json!({"name": callpop_core::voice::DISPOSITION_FIELD, "type": "string", "length": 255});
        self.org.add_custom_field("VoiceCall", serde_json::from_value(field)?)?;
        Ok(())
    }

    /// Sets the account's dispositions and after-call work (`PUT /api/v1/settings/wrap-up`) as its administrator.
    pub async fn set_wrap_up(&self, dispositions: &[&str], wrap_up_secs: u32) -> anyhow::Result<()> {
        let admin = self.token_for(ADMIN_EMAIL).await?;
        let url = format!("{}/api/v1/settings/wrap-up", self.server_url);
        let body = json!({"dispositions": dispositions, "wrap_up_secs": wrap_up_secs});
        self.http.put(url).bearer_auth(admin).json(&body).send().await?.error_for_status()?;
        Ok(())
    }

    /// A JSON resource of the API (`/api/v1/…`) as the demo administrator reads it.
    pub async fn admin_get(&self, path: &str) -> anyhow::Result<Value> {
        let token = self.token_for(ADMIN_EMAIL).await?;
        let url = format!("{}{path}", self.server_url);
        Ok(self.http.get(url).bearer_auth(token).send().await?.error_for_status()?.json().await?)
    }

    /// The sync log's items (`GET /api/v1/sync-log`) as the demo administrator sees them.
    pub async fn sync_log(&self) -> anyhow::Result<Vec<Value>> {
        let log = self.admin_get("/api/v1/sync-log").await?;
        Ok(log["items"].as_array().cloned().unwrap_or_default())
    }

    /// Creates a trigger through the API as the demo administrator and returns its id.
    pub async fn create_trigger(&self, rule: &Value) -> anyhow::Result<i64> {
        let token = self.token_for(ADMIN_EMAIL).await?;
        let url = format!("{}/api/v1/triggers", self.server_url);
        let created: Value =
            self.http.post(url).bearer_auth(token).json(rule).send().await?.error_for_status()?.json().await?;
        created["id"].as_i64().context("no id in the server's answer")
    }

    /// The demo account's triggers' names, in order, and whether each is enabled, as the API lists them.
    pub async fn triggers(&self) -> anyhow::Result<Vec<(String, bool)>> {
        let list = self.admin_get("/api/v1/triggers").await?;
        Ok(list["triggers"]
            .as_array()
            .map(|triggers| {
                triggers
                    .iter()
                    .map(|trigger| {
                        let rule = &trigger["rule"];
                        (
                            rule["name"].as_str().unwrap_or_default().to_owned(),
                            rule["enabled"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Creates another account on `plan` with an administrator `email` (password `DEMO_PASSWORD`).
    pub async fn create_account(&self, name: &str, plan: Plan, email: &str) -> anyhow::Result<()> {
        let store = self.store.as_ref();
        let account = provision::create_account(store, name, plan, "US", &self.server_url).await?;
        provision::create_user(store, account.id, email, "Sam Owner", Role::Administrator, DEMO_PASSWORD, None).await?;
        Ok(())
    }
}

/// What the browser keeps for a third-party frame: the cookie settings a test runs Chromium with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdParty {
    /// Third-party cookies blocked (Incognito's default, and many managed browsers'): a frame keeps partitioned
    /// cookies and partitioned storage only. Every test's world unless it says otherwise.
    Blocked,
    /// Third-party cookies allowed (Chromium's setting "Allow third-party cookies").
    Allowed,
    /// Cookies blocked altogether ("Don't allow sites to save data"): a frame keeps nothing, and its
    /// `localStorage` and `sessionStorage` throw `SecurityError`.
    NothingKept,
}

impl ThirdParty {
    /// Chromium's preferences for this world (`profile.cookie_controls_mode`: 0 allows third-party cookies, 1
    /// blocks them).
    fn prefs(self) -> Value {
        match self {
            Self::Blocked => json!({ "profile.cookie_controls_mode": 1 }),
            Self::Allowed => json!({ "profile.cookie_controls_mode": 0 }),
            Self::NothingKept => {
                json!({ "profile.cookie_controls_mode": 1, "profile.default_content_setting_values.cookies": 2 })
            }
        }
    }
}

/// ChromeDriver and a headless Chromium session, cleaned up on drop.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Where Chromium saves downloads, without asking.
    pub downloads: std::path::PathBuf,
}

/// The Chromium flags that work as root on this machine kind without reaching the network (toolchain.md §4). The
/// last two open the local org's Salesforce Voice page as Salesforce serves Lightning: at a `*.lightning.force.com`
/// name (mapped to loopback), over HTTPS with the org's self-signed certificate.
const CHROMIUM_FLAGS: [&str; 12] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--host-resolver-rules=MAP *.force.com 127.0.0.1",
    "--ignore-certificate-errors",
];

impl Browser {
    /// Chromium with third-party cookies blocked.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_in(ThirdParty::Blocked).await
    }

    /// Chromium in the given third-party world.
    pub async fn start_in(third_party: ThirdParty) -> anyhow::Result<Self> {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .with_context(|| {
                    format!("starting {chromedriver}: install chromium-driver, or run `cargo xtask test`")
                })?
        };
        let profile = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| (*flag).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads)?;
        let mut prefs = json!({ "download.default_directory": downloads, "download.prompt_for_download": false });
        if let (Some(prefs), Value::Object(world)) = (prefs.as_object_mut(), third_party.prefs()) {
            prefs.extend(world);
        }
        let capabilities = json!({ "goog:chromeOptions": { "args": args, "prefs": prefs } });
        let capabilities = capabilities.as_object().cloned().unwrap_or_default();
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) if started.elapsed() > Duration::from_secs(15) => {
                    bail!("ChromeDriver did not start: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Ok(Self { client, driver, _profile: profile, downloads })
    }

    /// Waits for an element, failing with the selector when it does not appear.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Enters the softphone's iframe, opening the Phone utility (Lightning) or footer item (Classic console)
    /// first, as an agent would.
    pub async fn enter_softphone(&self) -> anyhow::Result<()> {
        self.client.enter_parent_frame().await.ok();
        // The softphone may open its own panel at any moment (a call in progress resumed after a reload asks to be
        // shown), so a click decided on a closed panel can close the panel it just opened: look again until open.
        eventually("the softphone's panel open", || async {
            if self.client.find(Locator::Css("#softphone-panel.open")).await.is_ok() {
                return Ok(Some(()));
            }
            let phone = self.wait_for("#utility-phone, #footer-phone").await?;
            if phone.attr("aria-expanded").await?.as_deref() != Some("true") {
                phone.click().await?;
            }
            Ok(None)
        })
        .await?;
        let frame = self.wait_for("iframe#softphone").await?;
        frame.enter_frame().await?;
        self.wait_for("#app[data-ready='1']").await?;
        let origins = self.eval("return [location.origin, location.ancestorOrigins[0]];").await?;
        let (softphone, org) = (origins[0].as_str().unwrap_or_default(), origins[1].as_str().unwrap_or_default());
        ensure_cross_site(org, softphone)
    }

    /// Minimizes the softphone (from the org's page), as an agent does to reach what it covers.
    pub async fn minimize_softphone(&self) -> anyhow::Result<()> {
        let phone = self.wait_for("#utility-phone, #footer-phone").await?;
        if phone.attr("aria-expanded").await?.as_deref() == Some("true") {
            phone.click().await?;
        }
        Ok(())
    }

    /// Reloads the whole org page (as an agent pressing F5 does) and enters its new softphone.
    pub async fn reload_page(&self) -> anyhow::Result<()> {
        self.leave_softphone().await?;
        self.client.refresh().await?;
        self.enter_softphone().await
    }

    /// Reloads the softphone's frame alone, from inside it (as Salesforce re-creating its utility, or the agent's
    /// "Reload frame"), and enters the new one once it is up. The page around it stays as it was.
    pub async fn reload_softphone(&self) -> anyhow::Result<()> {
        // The old document is marked, so that its own `data-ready` is not mistaken for the new one's.
        self.eval("document.documentElement.dataset.reloading = '1'; location.reload(); return true;").await?;
        self.leave_softphone().await?;
        self.enter_softphone().await?;
        self.wait_for("html:not([data-reloading]) #app[data-ready='1']").await?;
        Ok(())
    }

    /// Opens `url` in a new tab of this browser (the same profile, so the same partitioned cookie and storage as
    /// the other tabs of that site) and switches to it. Returns the tab it left, to come back with `switch_tab`.
    pub async fn open_tab(&self, url: &str) -> anyhow::Result<fantoccini::wd::WindowHandle> {
        let left = self.client.window().await?;
        let tab = self.client.new_window(true).await?;
        self.client.switch_to_window(tab.handle).await?;
        self.client.goto(url).await?;
        Ok(left)
    }

    /// Opens the org's page `url` in a second tab, whose softphone the first tab's sign-in (its partitioned cookie)
    /// signs in, and waits for its stream. The browser is then inside the second tab's softphone. Returns the first
    /// tab and the second.
    pub async fn open_signed_in_tab(
        &self,
        url: &str,
    ) -> anyhow::Result<(fantoccini::wd::WindowHandle, fantoccini::wd::WindowHandle)> {
        let first = self.open_tab(url).await?;
        let second = self.client.window().await?;
        self.enter_softphone().await?;
        self.wait_for("#connection[data-connection='live']").await?;
        Ok((first, second))
    }

    /// Switches to another tab of this browser and enters its softphone.
    pub async fn softphone_of_tab(&self, tab: &fantoccini::wd::WindowHandle) -> anyhow::Result<()> {
        self.switch_tab(tab).await?;
        self.enter_softphone().await
    }

    /// Switches to another tab of this browser, on its org page (outside the softphone).
    pub async fn switch_tab(&self, tab: &fantoccini::wd::WindowHandle) -> anyhow::Result<()> {
        self.client.switch_to_window(tab.clone()).await?;
        Ok(())
    }

    /// Back to the org's page from the softphone.
    pub async fn leave_softphone(&self) -> anyhow::Result<()> {
        self.client.enter_parent_frame().await?;
        Ok(())
    }

    /// Signs the demo agent in, inside the softphone, and waits for the stream to be live.
    pub async fn sign_in_agent(&self) -> anyhow::Result<()> {
        self.enter_softphone().await?;
        self.wait_for("#signin-email").await?.send_keys(DEMO_AGENT_EMAIL).await?;
        self.wait_for("#signin-password").await?.send_keys(DEMO_PASSWORD).await?;
        self.wait_for("#signin-form button[type=submit]").await?.click().await?;
        self.wait_for("#connection[data-connection='live']").await?;
        Ok(())
    }

    /// Clicks what `css` finds once it is there, finding it again when the page redrew it between the find and the
    /// click (a softphone card drawn again for the call's next update), as a person simply clicks the new one.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        loop {
            match self.wait_for(css).await?.click().await {
                Err(error) if error.is_stale_element_reference() && started.elapsed() < PATIENCE => continue,
                clicked => return Ok(clicked?),
            }
        }
    }

    /// On the org's Salesforce Voice page: signs the demo agent in inside the connector's frame, waits for its
    /// stream to be live, and comes back to the page.
    pub async fn sign_in_connector(&self) -> anyhow::Result<()> {
        self.wait_for("iframe#connector").await?.enter_frame().await?;
        self.wait_for("#signin-email").await?.send_keys(DEMO_AGENT_EMAIL).await?;
        self.wait_for("#signin-password").await?.send_keys(DEMO_PASSWORD).await?;
        self.wait_for("#signin-form button[type=submit]").await?.click().await?;
        self.wait_for("#connector[data-state='live']").await?;
        self.leave_softphone().await
    }

    /// Completes the org's new-Lead form (Lightning modal or Classic page), checking it was pre-filled with the
    /// caller's `number`, and saves it.
    pub async fn save_new_lead_form(&self, number: &str, last_name: &str, company: &str) -> anyhow::Result<()> {
        let form = self.wait_for("form[data-form-object='Lead']").await?;
        let phone = form.find(Locator::Css("input[name='Phone']")).await?.prop("value").await?;
        anyhow::ensure!(phone.as_deref() == Some(number), "the form is pre-filled with {number}, not {phone:?}");
        form.find(Locator::Css("input[name='LastName']")).await?.send_keys(last_name).await?;
        form.find(Locator::Css("input[name='Company']")).await?.send_keys(company).await?;
        form.find(Locator::Css("button[name='save']")).await?.click().await?;
        Ok(())
    }

    /// Evaluates JavaScript in the current frame and returns its value.
    pub async fn eval(&self, script: &str) -> anyhow::Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }
    /// Signs in to the admin console as a demo user (password `DEMO_PASSWORD`) and waits for the overview.
    pub async fn sign_in_console(&self, stack: &Stack, email: &str) -> anyhow::Result<()> {
        self.client.goto(&stack.console_url("sign-in")).await?;
        self.wait_for("#main[data-ready='1'] #sign-in-form").await?;
        self.wait_for("#sign-in-email").await?.send_keys(email).await?;
        self.wait_for("#sign-in-password").await?.send_keys(DEMO_PASSWORD).await?;
        self.wait_for("#sign-in-form button[type=submit]").await?.click().await?;
        self.wait_for("#main[data-ready='1'][data-page='overview']").await?;
        Ok(())
    }

    /// Opens a console page (`"calls?source=Bing"`) and waits until it is drawn; returns its `<main>`.
    pub async fn open_console(&self, stack: &Stack, page: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client.goto(&stack.console_url(page)).await?;
        self.console_ready().await
    }

    /// Waits until the console page in the browser is drawn (after a link or a form took it to a new page).
    pub async fn console_ready(&self) -> anyhow::Result<fantoccini::elements::Element> {
        self.wait_for("#main[data-ready='1']").await
    }

    /// Clicks what `css` matches (a link, or a button that leaves the page) and waits for the console page it leads
    /// to. The page being left is marked first, so that its own `data-ready` is not mistaken for the new one's.
    pub async fn click_to_page(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.eval("document.documentElement.dataset.left = '1'; return true;").await?;
        self.wait_for(css).await?.click().await?;
        self.wait_for("html:not([data-left]) #main[data-ready='1']").await
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Whether an element matching `css` is on the page.
    pub async fn has(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The form controls on the page that have no accessible name (no label, `aria-label` or `aria-labelledby`),
    /// by id or tag.
    pub async fn unlabelled_controls(&self) -> anyhow::Result<Vec<String>> {
        let script = "return [...document.querySelectorAll('input, select, textarea, button')]
            .filter((control) => control.type !== 'hidden')
            .filter((control) => !(control.labels && control.labels.length) && !control.getAttribute('aria-label')
                && !control.getAttribute('aria-labelledby') && !(control.tagName === 'BUTTON' && control.textContent.trim()))
            .map((control) => control.id || control.tagName);";
        Ok(serde_json::from_value(self.eval(script).await?)?)
    }

    /// The texts on the page whose colour contrasts with their background by less than WCAG AA's 4.5:1, each as
    /// `tag.class: ratio "text"`.
    pub async fn low_contrast_text(&self) -> anyhow::Result<Vec<String>> {
        let script = r#"
            const parse = (colour) => {
              const parts = (colour.match(/rgba?\(([^)]+)\)/) || [])[1];
              if (!parts) return null;
              const [r, g, b, a = 1] = parts.split(',').map(Number);
              return { r, g, b, a };
            };
            const luminance = ({ r, g, b }) => {
              const channel = (value) => {
                const v = value / 255;
                return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
              };
              return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
            };
            const background = (node) => {
              for (let at = node; at; at = at.parentElement) {
                const colour = parse(getComputedStyle(at).backgroundColor);
                if (colour && colour.a > 0.5) return colour;
              }
              return { r: 255, g: 255, b: 255, a: 1 };
            };
            const low = [];
            for (const node of document.querySelectorAll('body *')) {
              const hasText = [...node.childNodes].some((child) => child.nodeType === 3 && child.textContent.trim());
              if (!hasText || node.getClientRects().length === 0) continue;
              const style = getComputedStyle(node);
              if (style.visibility === 'hidden') continue;
              const [first, second] = [luminance(parse(style.color)), luminance(background(node))];
              const ratio = (Math.max(first, second) + 0.05) / (Math.min(first, second) + 0.05);
              if (ratio < 4.5) {
                low.push(`${node.tagName.toLowerCase()}.${node.className}: ${ratio.toFixed(2)} "${node.textContent.trim().slice(0, 40)}"`);
              }
            }
            return low;"#;
        Ok(serde_json::from_value(self.eval(script).await?)?)
    }

    /// Sets the page's viewport (not the window) to `width` × `height`, as a laptop screen shows it.
    pub async fn set_viewport(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        let inner = self.eval("return [window.innerWidth, window.innerHeight];").await?;
        let (inner_width, inner_height) = (inner[0].as_u64().unwrap_or(0), inner[1].as_u64().unwrap_or(0));
        let grow = |wanted: u32, got: u64| wanted + (u64::from(wanted).saturating_sub(got)) as u32;
        self.client.set_window_size(grow(width, inner_width), grow(height, inner_height)).await?;
        Ok(())
    }

    /// On the org's Lightning home, sizes the softphone's frame `width` × `height` (the utility panel grows around
    /// it), as Salesforce sizes it from the call center's settings.
    pub async fn size_softphone(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.wait_for("[data-page='home']").await?;
        let resize = format!(
            "const panel = document.getElementById('softphone-panel'); panel.style.width = 'auto'; panel.style.height = 'auto';
             const frame = document.getElementById('softphone'); frame.style.flex = 'none';
             frame.style.width = '{width}px'; frame.style.height = '{height}px'; return true;"
        );
        self.eval(&resize).await?;
        Ok(())
    }

    /// Where `css`'s first element is in the frame the browser is in, and whether a click at its middle reaches it
    /// (nothing covers it): none when nothing matches.
    pub async fn placement(&self, css: &str) -> anyhow::Result<Option<Placement>> {
        let script = "const element = document.querySelector(arguments[0]);
            if (!element) return null;
            const rect = element.getBoundingClientRect();
            const hit = document.elementFromPoint((rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2);
            return { top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right,
                     viewport_width: window.innerWidth, viewport_height: window.innerHeight,
                     clickable: !!hit && element.contains(hit) };";
        let placed = self.client.execute(script, vec![Value::from(css)]).await?;
        if placed.is_null() {
            return Ok(None);
        }
        let number = |name: &str| placed[name].as_f64().with_context(|| format!("`{name}` in {placed}"));
        Ok(Some(Placement {
            top: number("top")?,
            bottom: number("bottom")?,
            left: number("left")?,
            right: number("right")?,
            viewport_width: number("viewport_width")?,
            viewport_height: number("viewport_height")?,
            clickable: placed["clickable"].as_bool().unwrap_or(false),
        }))
    }

    /// Waits for Chromium to finish downloading `file_name` and returns its content.
    pub async fn downloaded(&self, file_name: &str) -> anyhow::Result<String> {
        let path = self.downloads.join(file_name);
        eventually(&format!("the download of {file_name}"), || async {
            Ok(std::fs::read_to_string(&path).ok().filter(|content| !content.is_empty()))
        })
        .await
    }
}

/// An element's box in its frame's viewport, in CSS pixels (`Browser::placement`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub top: f64,
    pub bottom: f64,
    pub left: f64,
    pub right: f64,
    pub viewport_width: f64,
    pub viewport_height: f64,
    /// A click at the element's middle reaches it.
    pub clickable: bool,
}

impl Placement {
    /// Whole within the viewport, as it stands: seen without scrolling.
    pub fn on_screen(&self) -> bool {
        self.top >= 0.0 && self.left >= 0.0 && self.bottom <= self.viewport_height && self.right <= self.viewport_width
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // ChromeDriver runs in its own process group with every Chromium it started: end them all.
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.driver.id())]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The org and the server running, the org's page for `ui` open in Chromium, and the demo agent signed in to the
/// softphone (the browser is inside the softphone's frame).
pub async fn start_signed_in(ui: Ui) -> anyhow::Result<(Stack, Browser)> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.page_url(ui)).await?;
    browser.sign_in_agent().await?;
    Ok((stack, browser))
}

/// The org and the server running, and Chromium signed in to the admin console as the demo user `email`, on the
/// overview.
pub async fn start_console(email: &str) -> anyhow::Result<(Stack, Browser)> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.sign_in_console(&stack, email).await?;
    Ok((stack, browser))
}

/// Two tests of one scenario, one per UI: `per_ui!(scenario: lightning_test, classic_test);` where `scenario` is an
/// `async fn(Ui) -> anyhow::Result<()>`.
#[macro_export]
macro_rules! per_ui {
    ($scenario:ident: $lightning:ident, $classic:ident) => {
        #[tokio::test]
        async fn $lightning() -> anyhow::Result<()> {
            $scenario(callpop_core::open_cti::Ui::Lightning).await
        }

        #[tokio::test]
        async fn $classic() -> anyhow::Result<()> {
            $scenario(callpop_core::open_cti::Ui::Classic).await
        }
    };
}

/// Polls `check` until it yields `Some`, for state that changes shortly after an action (the org's log, records).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if started.elapsed() > PATIENCE {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::ensure_cross_site;

    #[test]
    fn two_ports_of_one_host_are_one_site_and_the_harness_refuses_them() {
        assert!(ensure_cross_site("http://127.0.0.1:8081", "http://127.0.0.1:8080").is_err());
        assert!(ensure_cross_site("https://acme.my.example.com", "https://callpop.example.com").is_err());
        assert!(ensure_cross_site("http://localhost:8081", "http://127.0.0.1:8080").is_ok());
        assert!(ensure_cross_site("https://acme.lightning.force.com", "https://callpop.example").is_ok());
    }
}
