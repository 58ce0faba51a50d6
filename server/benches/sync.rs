//! The sync engine's costs against the local org: Salesforce requests per logged call (new caller, known caller,
//! repeat caller, a whole call's life, a burst) and how long a call takes to reach the org. Run with
//! `cargo xtask bench`. The numbers are measured, not asserted: goals live here, not in timed tests.
//!
//! Each scenario runs the real server (SQLite in a temporary directory, production sync timing) against an
//! in-process local org linked through OAuth, posts call events over HTTP as the telephony side does, and reads the
//! org's request journal. The rows go to `--report` (`../examples/support/report.rs`), which `cargo xtask bench`
//! checks against the goals.

#[path = "../examples/support/report.rs"]
mod report;

use callpop_core::options::IntegrationOptions;
use callpop_sandbox::{Sandbox, SandboxConfig};
use callpop_server::config::SyncTiming;
use callpop_server::local_org::{self, ConnectedApp};
use callpop_server::store::Store;
use callpop_server::{Application, Config, provision};
use clap::Parser;
use report::{Report, Row, millis, percentile};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Salesforce requests per call against the local org.
#[derive(Parser)]
struct Args {
    /// Where the rows are written as JSON.
    #[arg(long, default_value = "target/bench/sync.json")]
    report: PathBuf,
    /// Passed by `cargo bench` to every benchmark; nothing to do with it.
    #[arg(long, hide = true)]
    bench: bool,
}

const APP: ConnectedApp<'static> = ConnectedApp { client_id: "3MVG9callpop.bench", client_secret: "bench-secret" };

/// The running pair and what the benchmark needs of them.
struct Bench {
    org: Sandbox,
    base: String,
    api_key: String,
    agent: String,
    http: reqwest::Client,
    calls: usize,
    store: std::sync::Arc<dyn Store>,
    account_id: i64,
    _directory: tempfile::TempDir,
}

impl Bench {
    async fn start() -> anyhow::Result<Self> {
        let org = Sandbox::start(SandboxConfig::default()).await?;
        let directory = tempfile::tempdir()?;
        let mut config =
            Config::for_tests(format!("sqlite://{}?mode=rwc", directory.path().join("callpop.db").display()));
        config.salesforce_client_id = Some(APP.client_id.to_owned());
        config.salesforce_client_secret = Some(APP.client_secret.into());
        config.salesforce_login_url = org.base_url().to_owned();
        config.sync_timing = SyncTiming::default();
        let app = Application::build(config).await?;
        let base = format!("http://{}", app.local_addr());
        let store = app.store();
        let credentials = provision::seed_demo(store.as_ref(), &base).await?;
        let account = store.account_by_public_id(&credentials.account_public_id).await?.expect("the demo account");
        let (admin, _) = store.user_by_email("admin@demo.callpop.test").await?.expect("the demo admin");
        let options =
            IntegrationOptions { legacy_mode: true, multi_match_dialog: false, ..IntegrationOptions::default() };
        store.update_integration_options(account.id, admin.id, &options, chrono::Utc::now()).await?;
        let engine = app.sync();
        tokio::spawn(app.run_until_stopped());
        local_org::link(&engine, org.base_url(), &base, &APP, account.id, admin.id).await?;
        let agent = credentials.users.iter().find(|user| user.role == "call_agent").expect("an agent").email.clone();
        Ok(Self {
            org,
            base,
            api_key: credentials.api_key,
            agent,
            http: reqwest::Client::new(),
            calls: 0,
            store,
            account_id: account.id,
            _directory: directory,
        })
    }

    fn requests(&self) -> usize {
        self.org.request_count(None, "/services/data/**")
    }

    fn next_call_id(&mut self) -> String {
        self.calls += 1;
        format!("BENCH-{}", self.calls)
    }

    async fn event(&self, call_id: &str, kind: &str, number: &str, extra: Value) -> anyhow::Result<()> {
        let mut body = json!({
            "call_id": call_id, "kind": kind, "direction": "inbound", "caller_number": number,
            "tracking_number": "+14155550100", "agent": self.agent, "tracking_source": "Google Ads",
            "campaign": "Spring Promo", "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        for (name, value) in extra.as_object().into_iter().flatten() {
            body[name] = value.clone();
        }
        let response = self
            .http
            .post(format!("{}/api/v1/call-events", self.base))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(response.status().as_u16() == 202, "the event was refused: {}", response.text().await?);
        Ok(())
    }

    /// Waits until the org has a Task for each call whose `field` has `value` (`Status` = `Completed`, …).
    async fn wait_for_tasks(&self, call_ids: &[String], field: &str, value: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let tasks = self.org.records("Task");
            let done = call_ids.iter().all(|call| {
                tasks
                    .iter()
                    .any(|task| task.text("CallObject") == Some(call.as_str()) && task.text(field) == Some(value))
            });
            if done {
                return Ok(());
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(300), "the org never showed every Task");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Waits until the sync engine holds the call's answer (its Task update waits for the call's end).
    async fn wait_until_held(&self, call_id: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let pending = self.store.sync_log(self.account_id, &["pending"], 50).await?;
            let later = chrono::Utc::now() + chrono::Duration::seconds(60);
            if pending.iter().any(|item| item.subject == call_id && item.next_attempt_at > later) {
                return Ok(());
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(300), "the answer of {call_id} was never held");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn contact(&self, number: &str, name: &str) {
        let fields = json!({"LastName": name, "Phone": number});
        self.org.org().lock().records.insert(
            "Contact",
            fields.as_object().cloned().unwrap_or_default(),
            chrono::Utc::now(),
        );
    }
}

/// One scenario's counts.
struct Scenario {
    id: &'static str,
    what: &'static str,
    calls: usize,
    requests: usize,
    latency: Vec<Duration>,
    elapsed: Duration,
}

impl Scenario {
    fn row(&self) -> Row {
        #[allow(clippy::cast_precision_loss)] // Small counts.
        let per_call = self.requests as f64 / self.calls as f64;
        let mut latency = self.latency.clone();
        latency.sort_unstable();
        let to_org = if latency.is_empty() {
            String::new()
        } else {
            format!(
                "; ring → Task in the org p50 {}, p95 {}",
                millis(percentile(&latency, 0.5)),
                millis(percentile(&latency, 0.95))
            )
        };
        Row {
            id: format!("sync.{}", self.id),
            what: format!("Salesforce requests per call: {}", self.what),
            measured: format!(
                "{per_call:.2} ({} requests, {} calls, {:.1} s){to_org}",
                self.requests,
                self.calls,
                self.elapsed.as_secs_f64()
            ),
            baseline: "-".to_owned(),
            ratio: "-".to_owned(),
            figures: json!({ "per_call": per_call, "requests": self.requests, "calls": self.calls,
                             "p50_ms": percentile(&latency, 0.5).as_secs_f64() * 1e3,
                             "p95_ms": percentile(&latency, 0.95).as_secs_f64() * 1e3 }),
        }
    }
}

/// Rings `numbers` one at a time, each waited for in the org.
async fn one_at_a_time(
    bench: &mut Bench,
    (id, what): (&'static str, &'static str),
    numbers: &[String],
) -> anyhow::Result<Scenario> {
    let before = bench.requests();
    let started = Instant::now();
    let mut latency = Vec::new();
    for number in numbers {
        let call = bench.next_call_id();
        let rung = Instant::now();
        bench.event(&call, "ringing", number, json!({})).await?;
        bench.wait_for_tasks(std::slice::from_ref(&call), "Status", "Not Started").await?;
        latency.push(rung.elapsed());
    }
    Ok(Scenario {
        id,
        what,
        calls: numbers.len(),
        requests: bench.requests() - before,
        latency,
        elapsed: started.elapsed(),
    })
}

/// Rings, answers and ends a call from each of `numbers`, one at a time, each event taken by the sync engine before
/// the next is sent.
async fn whole_calls(
    bench: &mut Bench,
    (id, what): (&'static str, &'static str),
    numbers: &[String],
) -> anyhow::Result<Scenario> {
    let before = bench.requests();
    let started = Instant::now();
    for number in numbers {
        let call = bench.next_call_id();
        bench.event(&call, "ringing", number, json!({})).await?;
        bench.wait_for_tasks(std::slice::from_ref(&call), "Status", "Not Started").await?;
        bench.event(&call, "answered", number, json!({})).await?;
        bench.wait_until_held(&call).await?;
        bench.event(&call, "completed", number, json!({ "duration_secs": 120, "disposition": "Sale" })).await?;
        bench.wait_for_tasks(std::slice::from_ref(&call), "Status", "Completed").await?;
    }
    Ok(Scenario {
        id,
        what,
        calls: numbers.len(),
        requests: bench.requests() - before,
        latency: Vec::new(),
        elapsed: started.elapsed(),
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut report = Report::default();
    let mut bench = Bench::start().await?;
    // Warm-up: the first call of a link also checks the Task key field and looks the Campaign up.
    one_at_a_time(&mut bench, ("warm-up", "warm-up"), &["+14155559999".to_owned()]).await?;

    let new_callers: Vec<String> = (0..20).map(|n| format!("+1415555{:04}", 4000 + n)).collect();
    let what = "new caller, ringing (Lead + Task + member)";
    report.add(one_at_a_time(&mut bench, ("new", what), &new_callers).await?.row());

    let known: Vec<String> = (0..20).map(|n| format!("+1415555{:04}", 5000 + n)).collect();
    for (n, number) in known.iter().enumerate() {
        bench.contact(number, &format!("Known {n}"));
    }
    report.add(one_at_a_time(&mut bench, ("known", "known caller, ringing"), &known).await?.row());
    let what = "known caller again within 60 s, ringing";
    report.add(one_at_a_time(&mut bench, ("again", what), &known).await?.row());

    // A whole call: ringing, answered, completed, each taken by the sync engine before the next arrives (the
    // answer's update is held for the call's end).
    let lives: Vec<String> = (0..20).map(|n| format!("+1415555{:04}", 6000 + n)).collect();
    for number in &lives {
        bench.contact(number, "Life");
    }
    let what = "a known caller's whole call (ringing, answered, completed)";
    report.add(whole_calls(&mut bench, ("whole", what), &lives).await?.row());
    let what = "the same caller's whole call again within 60 s";
    report.add(whole_calls(&mut bench, ("whole_again", what), &lives).await?.row());
    let newcomers: Vec<String> = (0..20).map(|n| format!("+1415555{:04}", 6500 + n)).collect();
    let what = "a new caller's whole call (ringing, answered, completed)";
    report.add(whole_calls(&mut bench, ("whole_new", what), &newcomers).await?.row());

    // A burst: 200 callers (half known, half new) ring within moments of each other.
    let burst: Vec<String> = (0..200).map(|n| format!("+1415555{:04}", 7000 + n)).collect();
    for number in burst.iter().step_by(2) {
        bench.contact(number, "Burst");
    }
    let before = bench.requests();
    let started = Instant::now();
    let mut call_ids = Vec::new();
    let mut posts = Vec::new();
    for number in &burst {
        let call = bench.next_call_id();
        call_ids.push(call.clone());
        posts.push((call, number.clone()));
    }
    let bench_ref = &bench;
    let posted = futures_util::future::join_all(
        posts.iter().map(|(call, number)| async move { bench_ref.event(call, "ringing", number, json!({})).await }),
    )
    .await;
    posted.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let ingest = started.elapsed();
    bench.wait_for_tasks(&call_ids, "Status", "Not Started").await?;
    report.add(
        Scenario {
            id: "burst",
            what: "a burst of 200 ringing at once (half new callers)",
            calls: burst.len(),
            requests: bench.requests() - before,
            latency: Vec::new(),
            elapsed: started.elapsed(),
        }
        .row(),
    );
    #[allow(clippy::cast_precision_loss)]
    let rate = burst.len() as f64 / ingest.as_secs_f64();
    println!(
        "\nthe burst's 200 events were accepted in {:.2} s ({rate:.0} events/s, 2 cores, SQLite)",
        ingest.as_secs_f64()
    );
    report.print();
    report.write(&args.report)
}
