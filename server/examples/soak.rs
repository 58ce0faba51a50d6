//! The soak run behind `cargo xtask soak`: the release `callpop` server and the local org (`callpop-org`) as separate
//! processes, pushed through four scenarios, each counted from the org's own records. See RELIABILITY.md.
//!
//! - **kill**: a burst of calls with repeat callers; the server is killed with SIGKILL halfway through the burst and
//!   started again. The telephony side retries what was not accepted, as real ones do.
//! - **faults**: the same burst while the org fails one request in five: lost answers (commit, then the connection
//!   drops), writes that commit after callpop gave up, 503s, HTML 500s, lock errors, token-endpoint 5xx and HTML
//!   errors (access tokens expire every few seconds so that refreshes happen), with the search index 3 s behind.
//! - **order**: each call's ringing, answered and completed events sent at the same time in a shuffled order, one
//!   of them twice.
//! - **two servers**: two servers on one PostgreSQL database behind a "load balancer" (the telephony side
//!   alternates between them and moves to the other when one does not answer); one is killed halfway through.
//!
//! For each it prints calls, Tasks, Leads, lost (a call with no Task), duplicated (a second Task for a call or a
//! second Lead for a caller), unfinished (an outbox item not done, or a Task without the call's final state) and the
//! recovery time, and exits 1 when any lost, duplicated or unfinished count is not 0.
//!
//! `soak --bin-dir <dir with callpop and callpop-org> [--postgres <url>] [--calls N] [--only kill,faults,order,two]`

use anyhow::{Context, bail, ensure};
use callpop_core::account::{Plan, Role};
use callpop_core::options::IntegrationOptions;
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_server::local_org::{self, ConnectedApp};
use callpop_server::store::{OperationsStore, SqlStore, SyncStore};
use callpop_server::{Application, Config, provision};
use clap::Parser;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const APP: ConnectedApp<'static> = ConnectedApp { client_id: "3MVG9callpop.soak", client_secret: "soak-secret" };
/// The telephony side's concurrency: events in flight at once.
const CONCURRENCY: usize = 16;
/// How long the outbox may take to drain after the last disturbance before the run counts what is left: long for
/// the faults (a caller's calls are written one after another, and each may need several attempts 5 s apart),
/// short for the rest. At most about 9 minutes in all, bursts included, when nothing drains.
const DRAIN_LIMIT: Duration = Duration::from_secs(75);
const FAULTS_DRAIN_LIMIT: Duration = Duration::from_secs(270);
/// callpop's timeout on Salesforce requests in this run, and the delay of the writes that commit after it.
const SALESFORCE_TIMEOUT_SECS: u64 = 5;
const SLOW_COMMIT_MS: u64 = 6_000;
/// The servers' longest wait between two retries in this run (production: 10 minutes), so the faults drain in time.
const RETRY_MAX_SECS: u64 = 5;

/// The soak run's driver: the release server and local org as processes, killed, faulted and fed out of order.
#[derive(Parser)]
struct Args {
    /// The directory holding the release `callpop` and `callpop-org` binaries.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// The PostgreSQL URL the two-server scenario needs.
    #[arg(long)]
    postgres: Option<String>,
    /// Calls per scenario.
    #[arg(long, default_value_t = 1_000)]
    calls: usize,
    /// Only these scenarios (kill, faults, order, two), separated by commas.
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let wanted = |name: &str| args.only.as_ref().is_none_or(|only| only.iter().any(|one| one == name));
    let started = Instant::now();
    let mut rows = Vec::new();
    if wanted("kill") {
        rows.push(kill_mid_burst(&args).await.context("the kill scenario")?);
    }
    if wanted("faults") {
        rows.push(faults(&args).await.context("the faults scenario")?);
    }
    if wanted("order") {
        rows.push(out_of_order(&args).await.context("the order scenario")?);
    }
    if wanted("two") {
        match &args.postgres {
            Some(url) => rows.push(two_servers(&args, url).await.context("the two-server scenario")?),
            None => bail!("the two-server scenario needs PostgreSQL: pass --postgres <url>"),
        }
    }
    print_table(&rows);
    println!("soak run: {:.0} s in all", started.elapsed().as_secs_f64());
    if rows.iter().any(|row| row.lost + row.duplicated + row.unfinished > 0) {
        std::process::exit(1);
    }
    Ok(())
}

/// One scenario's figures.
struct Row {
    scenario: &'static str,
    calls: usize,
    tasks: usize,
    leads: usize,
    lost: usize,
    duplicated: usize,
    unfinished: usize,
    recovery: Duration,
    note: String,
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| scenario | calls | Tasks | Leads | lost | duplicated | unfinished | recovery time | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} s | {} |",
            row.scenario,
            row.calls,
            row.tasks,
            row.leads,
            row.lost,
            row.duplicated,
            row.unfinished,
            row.recovery.as_secs_f64(),
            row.note
        );
    }
}

/// A call of the burst: its id, its caller, and the duration its `completed` event reports.
#[derive(Debug, Clone)]
struct PlannedCall {
    id: String,
    number: String,
    duration: u32,
}

/// `calls` calls from `calls * 2 / 5` callers (so most call more than once), repeat calls close together.
fn plan(prefix: &str, calls: usize) -> Vec<PlannedCall> {
    let callers = (calls * 2 / 5).max(1);
    (0..calls)
        .map(|index| PlannedCall {
            id: format!("{prefix}-{index:05}"),
            // 415-555-01xx is reserved for fiction; four digits after a 2xx exchange stay valid US numbers.
            number: format!("+1415{}{:04}", 200 + (index % callers) / 10_000, (index % callers) % 10_000),
            duration: 30 + u32::try_from(index % 600).unwrap_or(0),
        })
        .collect()
}

/// The local org, as its own process.
struct Org {
    _process: Running,
    base: String,
    http: reqwest::Client,
}

impl Org {
    async fn start(bin_dir: &Path, logs: &Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = std::fs::File::create(logs.join("org.log"))?;
        let process = Running::spawn(
            Command::new(bin_dir.join("callpop-org"))
                .args(["--port", &port.to_string(), "--host", "127.0.0.1", "--empty"])
                .stdout(Stdio::null())
                .stderr(log),
        )?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        wait_until_ok(&http, &format!("{base}/__control/settings")).await?;
        Ok(Self { _process: process, base, http })
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self.http.request(method, format!("{}/__control/{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?.error_for_status()?;
        let text = response.text().await?;
        Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? })
    }

    async fn records(&self, object: &str) -> anyhow::Result<Vec<Value>> {
        let records = self.control(reqwest::Method::GET, &format!("records?object={object}"), None).await?;
        Ok(records.as_array().cloned().unwrap_or_default())
    }

    async fn inject(&self, fault: &Fault) -> anyhow::Result<()> {
        self.control(reqwest::Method::POST, "faults", Some(serde_json::to_value(fault)?)).await.map(|_| ())
    }
}

/// A child process, killed (SIGKILL) when dropped.
struct Running(Child);

impl Running {
    fn spawn(command: &mut Command) -> anyhow::Result<Self> {
        Ok(Self(command.spawn().with_context(|| format!("starting {command:?}"))?))
    }

    /// `kill -9`.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

async fn wait_until_ok(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if http.get(url).send().await.is_ok_and(|response| response.status().is_success()) {
            return Ok(());
        }
        ensure!(started.elapsed() < Duration::from_secs(60), "{url} did not answer within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One scenario's world: the org, the database, the account linked to the org, and the servers' settings.
struct World {
    org: Org,
    database_url: String,
    token_key: String,
    api_key: String,
    agent: String,
    account_id: i64,
    logs: PathBuf,
    bin_dir: PathBuf,
    _directory: tempfile::TempDir,
}

impl World {
    /// A fresh org and database (`database_url`, or a SQLite file), an account linked to the org as the demo links
    /// one (OAuth through the org's control API), with legacy mode on and no multi-match dialog. `base` is the
    /// public URL of the first server, whose callback the org sends the link to.
    async fn new(args: &Args, name: &str, database_url: Option<String>, base: &str) -> anyhow::Result<Self> {
        let directory = tempfile::tempdir()?;
        let logs = std::env::temp_dir().join(format!("callpop-soak-{name}"));
        std::fs::create_dir_all(&logs)?;
        let org = Org::start(&args.bin_dir, &logs).await?;
        let database_url = database_url
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", directory.path().join("callpop.db").display()));
        let token_key = callpop_server::salesforce::TokenCipher::generate_key();
        let mut config = Config::for_tests(database_url.clone());
        config.token_key = Some(token_key.clone().into());
        config.public_url = Some(base.to_owned());
        config.no_sync = true;
        configure_org(&mut config, &org.base);
        let setup = Application::build(config).await?;
        let store = setup.store();
        let account = provision::create_account(store.as_ref(), "Soak", Plan::Enterprise, "US", base).await?;
        let api_key = provision::create_api_key(store.as_ref(), account.id, "soak").await?;
        let agent = "agent@soak.callpop.test";
        let password = "soak-password-not-secret";
        provision::create_user(store.as_ref(), account.id, agent, "Agent", Role::CallAgent, password, None).await?;
        let admin_email = "admin@soak.callpop.test";
        let admin = provision::create_user(
            store.as_ref(),
            account.id,
            admin_email,
            "Admin",
            Role::Administrator,
            password,
            None,
        )
        .await?;
        let options =
            IntegrationOptions { legacy_mode: true, multi_match_dialog: false, ..IntegrationOptions::default() };
        store.update_integration_options(account.id, admin.id, &options, chrono::Utc::now()).await?;
        local_org::link(&setup.sync(), &org.base, base, &APP, account.id, admin.id).await?;
        drop(setup);
        Ok(Self {
            org,
            database_url,
            token_key,
            api_key,
            agent: agent.to_owned(),
            account_id: account.id,
            logs,
            bin_dir: args.bin_dir.clone(),
            _directory: directory,
        })
    }

    /// Starts `callpop serve` on `port` (production timing, but a 5 s Salesforce timeout and retries at most 5 s apart)
    /// and waits until it is ready.
    async fn serve(&self, port: u16, name: &str) -> anyhow::Result<Running> {
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.logs.join(format!("{name}.log")))?;
        let server = Running::spawn(
            Command::new(self.bin_dir.join("callpop"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base])
                .args(["--database-url", &self.database_url, "--allow-org-origin", &self.org.base])
                .args(["--salesforce-login-url", &self.org.base, "--salesforce-client-id", APP.client_id])
                .args(["--salesforce-timeout-secs", &SALESFORCE_TIMEOUT_SECS.to_string()])
                .args(["--sync-retry-max-secs", &RETRY_MAX_SECS.to_string()])
                .env("CALLPOP_SALESFORCE_CLIENT_SECRET", APP.client_secret)
                .env("CALLPOP_TOKEN_KEY", &self.token_key)
                .env("RUST_LOG", "callpop_server=warn")
                .stdout(Stdio::null())
                .stderr(log),
        )?;
        wait_until_ok(&self.org.http, &format!("{base}/readyz")).await?;
        Ok(server)
    }

    fn telephony(&self, servers: Vec<String>) -> Telephony {
        Telephony {
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default(),
            api_key: self.api_key.clone(),
            agent: self.agent.clone(),
            servers,
            accepted: Arc::new(AtomicUsize::new(0)),
            retried: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Waits until the outbox is empty and every call's Task shows its final state (or the drain limit passes), then
    /// counts. `since` is when the recovery started.
    async fn drain_and_count(
        &self,
        scenario: &'static str,
        calls: &[PlannedCall],
        since: Instant,
        limit: Duration,
        note: String,
    ) -> anyhow::Result<Row> {
        let store = SqlStore::connect(&self.database_url).await?;
        let mut recovery = None;
        while since.elapsed() < limit {
            if store.outbox_depth().await? == 0 {
                let row = self.count(scenario, calls, 0, Duration::ZERO, String::new()).await?;
                if row.unfinished == 0 {
                    recovery = Some(since.elapsed());
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let left = usize::try_from(store.outbox_depth().await?).unwrap_or(0);
        if left > 0 {
            // What is left, as the admin's sync log shows it, for the run's reader.
            let mut items = store.sync_log(self.account_id, &["pending", "processing", "retrying"], 20).await?;
            items.extend(store.sync_log(self.account_id, &["parked", "failed"], 20).await?);
            for item in items {
                let code = item.error.map(|error| format!("{} {}", error.code, error.message)).unwrap_or_default();
                eprintln!(
                    "  left: {} {} after {} attempts, next at {}: {code}",
                    item.subject, item.status, item.attempts, item.next_attempt_at
                );
            }
        }
        let recovery = recovery.unwrap_or_else(|| since.elapsed());
        self.count(scenario, calls, left, recovery, note).await
    }

    /// Counts from the org's records: one Task per call (`CallObject`) in its final state, one Lead per caller.
    async fn count(
        &self,
        scenario: &'static str,
        calls: &[PlannedCall],
        outbox_left: usize,
        recovery: Duration,
        note: String,
    ) -> anyhow::Result<Row> {
        let tasks = self.org.records("Task").await?;
        let leads = self.org.records("Lead").await?;
        let mut tasks_of: HashMap<&str, Vec<&Value>> = HashMap::new();
        for task in &tasks {
            if let Some(call) = task["CallObject"].as_str() {
                tasks_of.entry(call).or_default().push(task);
            }
        }
        let mut leads_of: HashMap<String, usize> = HashMap::new();
        for lead in &leads {
            *leads_of.entry(digits(lead["Phone"].as_str().unwrap_or_default())).or_default() += 1;
        }
        let (mut lost, mut duplicated, mut unfinished) = (0, 0, outbox_left);
        for call in calls {
            match tasks_of.get(call.id.as_str()).map(Vec::as_slice).unwrap_or_default() {
                [] => lost += 1,
                [task] => unfinished += usize::from(!is_final(task, call)),
                more => duplicated += more.len() - 1,
            }
        }
        let mut numbers: Vec<&str> = calls.iter().map(|call| call.number.as_str()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        for number in &numbers {
            duplicated += leads_of.get(&digits(number)).copied().unwrap_or(0).saturating_sub(1);
        }
        Ok(Row {
            scenario,
            calls: calls.len(),
            tasks: tasks.len(),
            leads: leads.len(),
            lost,
            duplicated,
            unfinished,
            recovery,
            note,
        })
    }
}

/// The last ten digits: the org keeps the number in the format callpop wrote.
fn digits(number: &str) -> String {
    let all: String = number.chars().filter(char::is_ascii_digit).collect();
    all[all.len().saturating_sub(10)..].to_owned()
}

/// Whether the Task shows the call's end: `Completed`, with the duration the `completed` event reported.
fn is_final(task: &Value, call: &PlannedCall) -> bool {
    task["Status"] == "Completed" && task["CallDurationInSeconds"].as_u64() == Some(u64::from(call.duration))
}

fn configure_org(config: &mut Config, org: &str) {
    config.salesforce_client_id = Some(APP.client_id.to_owned());
    config.salesforce_client_secret = Some(APP.client_secret.into());
    config.salesforce_login_url = org.to_owned();
    config.extra_org_origins = vec![org.to_owned()];
}

/// The telephony side: posts events, and retries each until a server accepts it (202), moving to the next server
/// when one does not answer, as a telephony platform behind a load balancer does.
#[derive(Clone)]
struct Telephony {
    http: reqwest::Client,
    api_key: String,
    agent: String,
    servers: Vec<String>,
    accepted: Arc<AtomicUsize>,
    retried: Arc<AtomicUsize>,
}

impl Telephony {
    fn body(&self, call: &PlannedCall, kind: &str) -> Value {
        let mut body = json!({
            "call_id": call.id, "kind": kind, "direction": "inbound", "caller_number": call.number,
            "tracking_number": "+14155550100", "agent": self.agent, "tracking_source": "Soak",
            "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        if kind == "completed" {
            body["duration_secs"] = json!(call.duration);
            body["disposition"] = json!("Talked");
        }
        body
    }

    /// Posts one event until it is accepted; `first` picks the server tried first.
    async fn send(&self, body: &Value, first: usize) -> anyhow::Result<()> {
        let started = Instant::now();
        for attempt in 0.. {
            let base = &self.servers[(first + attempt) % self.servers.len()];
            let sent =
                self.http.post(format!("{base}/api/v1/call-events")).bearer_auth(&self.api_key).json(body).send().await;
            match sent {
                Ok(response) if response.status() == reqwest::StatusCode::ACCEPTED => {
                    self.accepted.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Ok(response) if response.status().is_client_error() => {
                    bail!("an event was refused: {} {}", response.status(), response.text().await.unwrap_or_default())
                }
                _ => {
                    self.retried.fetch_add(1, Ordering::Relaxed);
                    ensure!(started.elapsed() < Duration::from_secs(120), "no server accepted an event for 120 s");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// What a burst with a kill halfway did: its events, and the posts the telephony side had to send again.
    fn kill_note(&self, calls: usize) -> String {
        let retried = self.retried.load(Ordering::Relaxed);
        format!("SIGKILL after {calls} of {} events; {retried} posts retried", calls * 2)
    }

    /// Each call's ringing then completed, `CONCURRENCY` calls at a time.
    async fn burst(&self, calls: &[PlannedCall]) -> anyhow::Result<()> {
        let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(calls.iter().enumerate())
            .map(|(index, call)| async move {
                self.send(&self.body(call, "ringing"), index).await?;
                self.send(&self.body(call, "completed"), index).await
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect()
    }
}

/// Waits until the telephony side has had `threshold` events accepted.
async fn when_accepted(telephony: &Telephony, threshold: usize) {
    while telephony.accepted.load(Ordering::Relaxed) < threshold {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The burst, with `victim` killed (SIGKILL) once half of its events were accepted; `then` runs after the kill,
/// while the telephony side keeps retrying. Returns when the kill happened and what `then` returned.
async fn burst_killing<T>(
    telephony: &Telephony,
    calls: &[PlannedCall],
    mut victim: Running,
    then: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(Instant, T)> {
    let kill = async {
        when_accepted(telephony, calls.len()).await;
        victim.kill();
        let killed = Instant::now();
        anyhow::Ok((killed, then.await?))
    };
    let (sent, killed) = tokio::join!(telephony.burst(calls), kill);
    sent?;
    killed
}

/// A scenario's world with one server on SQLite, its calls and its telephony side.
struct OneServer {
    world: World,
    server: Running,
    port: u16,
    calls: Vec<PlannedCall>,
    telephony: Telephony,
}

impl OneServer {
    async fn start(args: &Args, name: &str, prefix: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let world = World::new(args, name, None, &base).await?;
        let server = world.serve(port, "server").await?;
        let telephony = world.telephony(vec![base]);
        Ok(Self { world, server, port, calls: plan(prefix, args.calls), telephony })
    }
}

async fn kill_mid_burst(args: &Args) -> anyhow::Result<Row> {
    let OneServer { world, server, port, calls, telephony } = OneServer::start(args, "kill", "KILL").await?;
    // Started again a second after the kill.
    let restart = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let restarted = world.serve(port, "server").await?;
        anyhow::Ok((Instant::now(), restarted))
    };
    let (_, (restarted, _server)) = burst_killing(&telephony, &calls, server, restart).await?;
    let note = format!("{}; restarted 1 s later; recovery from the restart", telephony.kill_note(calls.len()));
    world.drain_and_count("kill -9 mid-burst, restart", &calls, restarted, DRAIN_LIMIT, note).await
}

async fn faults(args: &Args) -> anyhow::Result<Row> {
    let OneServer { world, server, calls, telephony, .. } = OneServer::start(args, "faults", "FAULT").await?;
    let org = &world.org;
    org.control(reqwest::Method::PUT, "settings", Some(json!({ "search_index_lag_ms": 3_000 }))).await?;
    // Rules are tried in order; a later rule sees only the requests an earlier one let through, so two rules of
    // 10% and 11% on one endpoint fail about 20% of its requests.
    let slow = FaultAction::SlowCommit { ms: SLOW_COMMIT_MS };
    let rules = [
        // Writes: a lost answer (commit, then the connection drops), a commit after callpop gave up, a 503.
        Fault::on("POST", "/services/data/*/composite", FaultAction::CommitThenDrop).rate(0.07),
        Fault::on("POST", "/services/data/*/composite", slow).rate(0.07),
        Fault::on("POST", "/services/data/*/composite", FaultAction::ServiceUnavailable).rate(0.07),
        // Single-record writes (upserts by external id): a lost answer and a lock error.
        Fault::on("PATCH", "/services/data/*/sobjects/**", FaultAction::CommitThenDrop).rate(0.1),
        Fault::on("PATCH", "/services/data/*/sobjects/**", FaultAction::UnableToLockRow).rate(0.11),
        // Reads (searches, queries, describes): 503s and HTML 500s.
        Fault::on("GET", "/services/data/*/search**", FaultAction::ServiceUnavailable).rate(0.1),
        Fault::on("GET", "/services/data/*/search**", FaultAction::HtmlError).rate(0.11),
        Fault::on("GET", "/services/data/*/query**", FaultAction::ServiceUnavailable).rate(0.2),
        Fault::on("GET", "/services/data/*/sobjects/**", FaultAction::ServiceUnavailable).rate(0.2),
        // The token endpoint: a 503 and an HTML 500.
        Fault::on("POST", "/services/oauth2/token", FaultAction::ServiceUnavailable).rate(0.1),
        Fault::on("POST", "/services/oauth2/token", FaultAction::HtmlError).rate(0.11),
    ];
    for rule in &rules {
        org.inject(rule).await?;
    }
    let work = async {
        telephony.burst(&calls).await?;
        world
            .drain_and_count("20% faults of every kind", &calls, Instant::now(), FAULTS_DRAIN_LIMIT, String::new())
            .await
    };
    let row = tokio::select! {
        row = work => row?,
        () = expire_tokens(org) => bail!("the token expiry stopped"),
    };
    let rules = org.control(reqwest::Method::GET, "faults", None).await?;
    let fired: u64 = rules.as_array().into_iter().flatten().filter_map(|rule| rule["fired"].as_u64()).sum();
    let counts = org.control(reqwest::Method::GET, "requests/counts", None).await?;
    let requests: u64 = counts.as_object().into_iter().flatten().filter_map(|(_, count)| count.as_u64()).sum();
    drop(server);
    Ok(Row {
        note: format!(
            "{fired} faults in {requests} org requests ({:.0}%), search index 3 s behind, tokens expire every 3 s; recovery from the last event",
            percent(fired, requests)
        ),
        ..row
    })
}

/// Expires the org's access tokens every 3 s, so refreshes (and the token endpoint's failures) happen throughout.
async fn expire_tokens(org: &Org) {
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let _ = org.control(reqwest::Method::POST, "oauth/expire", Some(json!({}))).await;
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

async fn out_of_order(args: &Args) -> anyhow::Result<Row> {
    let OneServer { world, calls, telephony, server: _server, .. } = OneServer::start(args, "order", "ORDER").await?;
    // Each call's three events at once, in an order that differs from call to call, one of them sent twice.
    let orders: [[&str; 4]; 4] = [
        ["completed", "ringing", "answered", "completed"],
        ["answered", "completed", "ringing", "ringing"],
        ["ringing", "completed", "answered", "answered"],
        ["completed", "answered", "ringing", "completed"],
    ];
    let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(calls.iter().enumerate())
        .map(|(index, call)| {
            let telephony = &telephony;
            async move {
                let sends =
                    orders[index % orders.len()].map(|kind| telephony.send_owned(telephony.body(call, kind), index));
                futures_util::future::try_join_all(sends).await.map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY / 4)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    let last_event = Instant::now();
    let note = format!("{} events, each call's four at once; recovery from the last event", calls.len() * 4);
    world.drain_and_count("concurrent, out-of-order events", &calls, last_event, DRAIN_LIMIT, note).await
}

impl Telephony {
    /// `send` with an owned body, for events sent together.
    async fn send_owned(&self, body: Value, first: usize) -> anyhow::Result<()> {
        self.send(&body, first).await
    }
}

async fn two_servers(args: &Args, postgres: &str) -> anyhow::Result<Row> {
    let schema = format!("callpop_soak_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(postgres).await.context("connecting to PostgreSQL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await?;
    let separator = if postgres.contains('?') { '&' } else { '?' };
    let database_url = format!("{postgres}{separator}search_path={schema}");
    let outcome = async {
        let ports = [free_port()?, free_port()?];
        let bases: Vec<String> = ports.iter().map(|port| format!("http://127.0.0.1:{port}")).collect();
        let world = World::new(args, "two", Some(database_url.clone()), &bases[0]).await?;
        let first = world.serve(ports[0], "server-a").await?;
        let _second = world.serve(ports[1], "server-b").await?;
        let calls = plan("TWO", args.calls);
        let telephony = world.telephony(bases);
        let (killed, ()) = burst_killing(&telephony, &calls, first, async { Ok(()) }).await?;
        let note = format!(
            "server A: {}, moved to B; not restarted; recovery from the kill",
            telephony.kill_note(calls.len())
        );
        world.drain_and_count("two servers on PostgreSQL, one killed", &calls, killed, DRAIN_LIMIT, note).await
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(&admin).await?;
    outcome
}
