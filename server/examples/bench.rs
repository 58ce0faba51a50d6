//! The benchmark behind `cargo xtask bench`: the release `callpop` server as a process, measured from outside with
//! each figure beside a baseline taken in the same run (PERFORMANCE.md says how to read them).
//!
//! - **bundle**: what the server sends for the softphone (page, boot script, JS glue, Wasm) when the browser accepts
//!   nothing, gzip or brotli: bytes on the wire, `Content-Encoding` and `Cache-Control`. Baseline: the bytes sent
//!   uncompressed.
//! - **ingestion**: call events, text events and activity appends at 64 connections, on SQLite and on PostgreSQL,
//!   against the same server's `/healthz` (the baseline) measured just before, with p50/p99; call events again once
//!   the outbox holds ten times the pending items.
//! - **streams**: N agents' event streams open at once (one agent, one session, one stream each); calls ring for
//!   agents picked in turn and the time from the `202` to the agent's `call` message is measured, with the server's
//!   RSS. Baseline: a loopback `/healthz` round trip on one connection.
//!
//! The load is a closed loop on hyper (reqwest): each connection sends its next request when the last one answered.
//! The rows go to `--report` (`support/report.rs`); `cargo xtask bench` checks them against the goals.
//!
//! `bench --bin-dir <dir with callpop> [--postgres <url>] [--seconds N] [--streams 1000,10000] [--report <json>]
//! [--only bundle,ingestion,streams]`

#[path = "support/report.rs"]
mod report;

use anyhow::{Context, bail, ensure};
use callpop_core::account::{Plan, Role};
use callpop_server::auth::{SESSION_PREFIX, hash_password};
use callpop_server::secrets::{hash_secret, new_secret};
use callpop_server::store::accounts::NewUser;
use callpop_server::{Application, Config, provision};
use clap::Parser;
use futures_util::StreamExt;
use report::{Report, Row, millis, percentile};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The telephony side's and the softphones' concurrency in the ingestion figures.
const CONNECTIONS: usize = 64;
/// The calls rung in a stream measurement, one every `RING_GAP`.
const STREAM_CALLS: usize = 200;
const RING_GAP: Duration = Duration::from_millis(10);
/// The streams first opened one at a time, and the pairs of calls rung at once for one of their agents.
const ALONE: usize = 20;
const PAIRS: usize = 20;
/// The outbox's pending items in the first ingestion rounds; the last round starts with ten times as many.
const BACKLOG: usize = 1_000;
const PASSWORD: &str = "bench-password-not-secret";

/// The benchmark's driver: the release server as a process, measured from outside.
#[derive(Parser)]
struct Args {
    /// The directory holding the release `callpop` binary.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// A PostgreSQL URL for the PostgreSQL ingestion figures (skipped without one).
    #[arg(long)]
    postgres: Option<String>,
    /// How long each closed loop is counted, after one second of warm-up.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// The numbers of agent streams measured, in turn.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    streams: Vec<usize>,
    /// Where the rows are written as JSON.
    #[arg(long, default_value = "target/bench/server.json")]
    report: PathBuf,
    /// Only these parts (all of them by default), e.g. to profile the server under one load.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
}

/// The driver's parts, in the order they run.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Bundle,
    Ingestion,
    Streams,
}

impl Args {
    fn runs(&self, part: Part) -> bool {
        self.only.is_empty() || self.only.contains(&part)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let mut report = Report::default();
    if args.runs(Part::Bundle) {
        bundle(&args, &mut report).await.context("the bundle figures")?;
    }
    if args.runs(Part::Ingestion) {
        ingestion(&args, Database::Sqlite, &mut report).await.context("ingestion on SQLite")?;
        match &args.postgres {
            Some(url) => {
                let postgres = Database::Postgres(url.clone());
                ingestion(&args, postgres, &mut report).await.context("ingestion on PostgreSQL")?;
            }
            None => eprintln!("no --postgres: the PostgreSQL ingestion figures are skipped"),
        }
    }
    for &count in args.streams.iter().filter(|_| args.runs(Part::Streams)) {
        streams(&args, count, &mut report).await.with_context(|| format!("{count} agent streams"))?;
    }
    report.print();
    report.write(&args.report)?;
    println!("\nbench run: {:.0} s in all; figures also in {}", started.elapsed().as_secs_f64(), args.report.display());
    Ok(())
}

/// A child process, killed (SIGKILL) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

#[derive(Clone)]
enum Database {
    Sqlite,
    Postgres(String),
}

impl Database {
    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres(_) => "PostgreSQL",
        }
    }

    /// The database's part of a row's id.
    fn key(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// A fresh database with one Enterprise account, its API key and `agents` call agents, each signed in once; and the
/// release server serving it.
struct World {
    server: Running,
    base: String,
    api_key: String,
    agents: Vec<Agent>,
    http: reqwest::Client,
    _schema: Option<Schema>,
    _directory: tempfile::TempDir,
}

struct Agent {
    email: String,
    token: String,
}

/// A PostgreSQL schema of its own, dropped at the end.
struct Schema {
    admin: sqlx::PgPool,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Dropped outside the runtime's worker: a plain thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE"))).execute(&admin).await
            })?;
            anyhow::Ok(())
        })
        .join();
    }
}

impl World {
    async fn new(args: &Args, database: &Database, agents: usize) -> anyhow::Result<Self> {
        let directory = tempfile::tempdir()?;
        let (database_url, schema) = match database {
            Database::Sqlite => (format!("sqlite://{}?mode=rwc", directory.path().join("callpop.db").display()), None),
            Database::Postgres(url) => {
                let name = format!("callpop_bench_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(url).await.context("connecting to PostgreSQL")?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&admin).await?;
                let separator = if url.contains('?') { '&' } else { '?' };
                (format!("{url}{separator}search_path={name}"), Some(Schema { admin, name }))
            }
        };
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let mut config = Config::for_tests(database_url.clone());
        config.no_sync = true;
        let setup = Application::build(config).await?;
        let store = setup.store();
        let account = provision::create_account(store.as_ref(), "Bench", Plan::Enterprise, "US", &base).await?;
        let api_key = provision::create_api_key(store.as_ref(), account.id, "bench").await?;
        // One password hash for every agent: hashing is slow on purpose, and sign-in is not what is measured.
        let password_hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD)).await??;
        let now = chrono::Utc::now();
        let mut signed_in = Vec::with_capacity(agents);
        for index in 0..agents {
            let email = format!("agent{index}@bench.callpop.test");
            let new = NewUser {
                account_id: account.id,
                email: email.clone(),
                display_name: format!("Agent {index}"),
                password_hash: password_hash.clone(),
                role: Role::CallAgent,
                salesforce_user_id: None,
            };
            let user = store.create_user(&new, now).await?;
            let token = new_secret(SESSION_PREFIX);
            store.create_session(&hash_secret(&token), user.id, now, now + chrono::Duration::days(1)).await?;
            signed_in.push(Agent { email, token });
        }
        drop(setup);
        let log_path = std::env::temp_dir().join("callpop-bench-server.log");
        let log = std::fs::File::create(&log_path)?;
        let mut server = Running(
            Command::new(args.bin_dir.join("callpop"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base])
                .args(["--database-url", &database_url])
                .env("RUST_LOG", "callpop_server=warn,tower_http=warn")
                .env("CALLPOP_TOKEN_KEY", callpop_server::salesforce::TokenCipher::generate_key())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .context("starting the server")?,
        );
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS * 2)
            .timeout(Duration::from_secs(30))
            .build()?;
        let started = Instant::now();
        while !http.get(format!("{base}/readyz")).send().await.is_ok_and(|response| response.status().is_success()) {
            if let Some(status) = server.0.try_wait()? {
                bail!("the server stopped ({status}): see {}", log_path.display());
            }
            ensure!(started.elapsed() < Duration::from_secs(60), "the server did not answer within 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { server, base, api_key, agents: signed_in, http, _schema: schema, _directory: directory })
    }

    /// The server's resident memory, from `/proc`.
    fn server_rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.server.0.id()))?;
        let kilobytes = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .context("no VmRSS in /proc/<pid>/status")?;
        Ok(kilobytes * 1024)
    }

    fn call_event(&self, call_id: &str, agent: &Agent) -> reqwest::RequestBuilder {
        let body = json!({
            "call_id": call_id, "kind": "ringing", "direction": "inbound", "caller_number": caller(call_id),
            "tracking_number": "+14155550100", "agent": agent.email, "tracking_source": "Bench",
            "occurred_at": chrono::Utc::now().to_rfc3339(),
        });
        self.http.post(format!("{}/api/v1/call-events", self.base)).bearer_auth(&self.api_key).json(&body)
    }
}

/// A valid US number of the fictional 555 range, from the call's sequence.
fn caller(call_id: &str) -> String {
    let sequence: u64 = call_id.bytes().fold(0, |sum, byte| sum.wrapping_mul(31).wrapping_add(u64::from(byte)));
    format!("+1415{}{:04}", 200 + (sequence % 700), sequence % 10_000)
}

/// What a closed loop measured: requests answered as expected per second, and their latencies.
struct Load {
    per_second: f64,
    latencies: Vec<Duration>,
    failures: usize,
    /// The requests answered as expected, warm-up included (each call, text or append stored one outbox item).
    accepted: usize,
}

impl Load {
    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    fn summary(&self) -> String {
        let failed = if self.failures > 0 { format!(", {} failed", self.failures) } else { String::new() };
        format!(
            "{:.0} req/s, p50 {}, p99 {}{failed}",
            self.per_second,
            millis(self.percentile(0.5)),
            millis(self.percentile(0.99))
        )
    }

    fn figures(&self) -> Value {
        json!({ "per_second": self.per_second, "p50_ms": self.percentile(0.5).as_secs_f64() * 1e3,
                "p99_ms": self.percentile(0.99).as_secs_f64() * 1e3, "failures": self.failures,
                "requests": self.latencies.len() })
    }
}

/// `connections` loops, each sending `request(n)` (n counting all requests of the run) and waiting for its answer,
/// for `seconds` after a one-second warm-up whose requests are not counted.
async fn closed_loop<F>(connections: usize, seconds: u64, expected: u16, request: F) -> Load
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let counter = Arc::new(AtomicUsize::new(0));
    let warm_until = Instant::now() + Duration::from_secs(1);
    let until = warm_until + Duration::from_secs(seconds);
    let loops: Vec<_> = (0..connections)
        .map(|_| {
            let (request, counter) = (Arc::clone(&request), Arc::clone(&counter));
            tokio::spawn(async move {
                let (mut latencies, mut failures, mut accepted) = (Vec::new(), 0, 0);
                loop {
                    let sent = Instant::now();
                    if sent >= until {
                        break;
                    }
                    let outcome = request(counter.fetch_add(1, Ordering::Relaxed)).send().await;
                    let ok = match outcome {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let _ = response.bytes().await;
                            status == expected
                        }
                        Err(_) => false,
                    };
                    accepted += usize::from(ok);
                    if sent >= warm_until {
                        if ok {
                            latencies.push(sent.elapsed());
                        } else {
                            failures += 1;
                        }
                    }
                }
                (latencies, failures, accepted)
            })
        })
        .collect();
    let (mut latencies, mut failures, mut accepted) = (Vec::new(), 0, 0);
    for handle in loops {
        if let Ok((some, failed, ok)) = handle.await {
            latencies.extend(some);
            failures += failed;
            accepted += ok;
        }
    }
    latencies.sort_unstable();
    #[allow(clippy::cast_precision_loss)]
    let per_second = latencies.len() as f64 / seconds as f64;
    Load { per_second, latencies, failures, accepted }
}

async fn healthz(world: &World, connections: usize, seconds: u64) -> Load {
    let (http, url) = (world.http.clone(), format!("{}/healthz", world.base));
    closed_loop(connections, seconds, 200, move |_| http.get(&url)).await
}

fn ratio(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.1}% of /healthz", 100.0 * part / whole) } else { "-".to_owned() }
}

async fn ingestion(args: &Args, database: Database, report: &mut Report) -> anyhow::Result<()> {
    println!("\n==> ingestion at {CONNECTIONS} connections on {}", database.name());
    let world = Arc::new(World::new(args, &database, 1).await?);
    let (db, key) = (database.name(), database.key());
    let baseline = healthz(&world, CONNECTIONS, args.seconds).await;
    let row = |id: &str, what: String, load: &Load| Row {
        id: format!("ingest.{key}.{id}"),
        what,
        measured: load.summary(),
        baseline: baseline.summary(),
        ratio: ratio(load.per_second, baseline.per_second),
        figures: json!({ "measured": load.figures(), "baseline": baseline.figures(),
                         "share": share(load.per_second, baseline.per_second) }),
    };
    report.add(Row {
        id: format!("ingest.{key}.healthz"),
        what: format!("`/healthz`, {db}"),
        measured: baseline.summary(),
        baseline: "-".to_owned(),
        ratio: "-".to_owned(),
        figures: baseline.figures(),
    });

    // The outbox's pending items when a round starts (the account has no org, so nothing drains them): 1,000, then
    // ten times as many for the last round.
    let mut pending = seed(&world, "SEED", BACKLOG).await?;
    let calls = call_events(&world, "CALL", args.seconds).await;
    report.add(row("calls", format!("call events, {db}, {pending} pending outbox items"), &calls));
    pending += calls.accepted;

    let texts = {
        let (http, url, key) =
            (world.http.clone(), format!("{}/api/v1/text-events", world.base), world.api_key.clone());
        let agent = world.agents[0].email.clone();
        closed_loop(CONNECTIONS, args.seconds, 202, move |n| {
            let body = json!({
                "message_id": format!("SMS-{n}"), "direction": "inbound", "from_number": caller(&format!("SMS-{n}")),
                "to_number": "+14155550100", "body": "Is the spring offer still on?", "agent": agent,
                "occurred_at": chrono::Utc::now().to_rfc3339(),
            });
            http.post(&url).bearer_auth(&key).json(&body)
        })
        .await
    };
    report.add(row("texts", format!("text events, {db}"), &texts));
    pending += texts.accepted;

    // Appends to the calls seeded above, each to a record of its own.
    let appends = {
        let (http, url) = (world.http.clone(), format!("{}/api/v1/activities", world.base));
        let token = world.agents[0].token.clone();
        closed_loop(CONNECTIONS, args.seconds, 202, move |n| {
            let body = json!({
                "call_id": format!("SEED-{}", n % BACKLOG), "record_id": format!("003{n:012}AAA"),
                "record_type": "Contact", "chosen_by": "agent_choice",
            });
            http.post(&url).bearer_auth(&token).json(&body)
        })
        .await
    };
    report.add(row("appends", format!("activity appends, {db}"), &appends));
    pending += appends.accepted;

    let seeded = Instant::now();
    pending += seed(&world, "MORE", (BACKLOG * 10).saturating_sub(pending)).await?;
    println!("  the outbox grown to {pending} pending items in {:.1} s", seeded.elapsed().as_secs_f64());
    let late = call_events(&world, "LATE", args.seconds).await;
    let mut late_row = row("calls_10x", format!("call events, {db}, {pending} pending outbox items (10×)"), &late);
    late_row.figures["vs_1x"] = json!(share(late.per_second, calls.per_second));
    late_row.ratio =
        format!("{}; {:.0}% of the rate with 1×", late_row.ratio, 100.0 * share(late.per_second, calls.per_second));
    report.add(late_row);
    Ok(())
}

/// `part` as a fraction of `whole` (0 when there is no whole).
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Call events (each a new call ringing for the one agent) in a closed loop.
async fn call_events(world: &Arc<World>, prefix: &'static str, seconds: u64) -> Load {
    let world = Arc::clone(world);
    closed_loop(CONNECTIONS, seconds, 202, move |n| world.call_event(&format!("{prefix}-{n}"), &world.agents[0])).await
}

/// Posts `count` call events (`<prefix>-<n>`) as fast as `CONNECTIONS` connections allow, to grow the outbox.
async fn seed(world: &Arc<World>, prefix: &'static str, count: usize) -> anyhow::Result<usize> {
    let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(0..count)
        .map(|n| {
            let world = Arc::clone(world);
            async move {
                let response = world.call_event(&format!("{prefix}-{n}"), &world.agents[0]).send().await?;
                ensure!(response.status().as_u16() == 202, "a seed event was refused: {}", response.status());
                Ok(())
            }
        })
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(count)
}

/// The softphone's files as the server sends them: the page, then each file it names, found as a browser would.
async fn bundle(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    println!("\n==> the softphone bundle as served");
    let world = World::new(args, &Database::Sqlite, 0).await?;
    let page_url = reqwest::Url::parse(&format!("{}/softphone/", world.base))?;
    let page = fetch(&world.http, &page_url, "identity").await?;
    let mut files = vec![("page", "page", page_url.clone(), page.clone())];
    let page_text = String::from_utf8_lossy(&page.body).into_owned();
    let script = page_url.join(quoted_after(&page_text, "<script type=\"module\" src=").context("no boot script")?)?;
    let boot = fetch(&world.http, &script, "identity").await?;
    let boot_text = String::from_utf8_lossy(&boot.body).into_owned();
    let glue_url = script.join(quoted_after(&boot_text, "from ").context("the boot script imports no glue")?)?;
    let glue = fetch(&world.http, &glue_url, "identity").await?;
    let glue_text = String::from_utf8_lossy(&glue.body).into_owned();
    let wasm_name = glue_text
        .split(['\'', '"'])
        .find(|piece| piece.ends_with(".wasm"))
        .context("the glue names no .wasm file")?
        .to_owned();
    let wasm_url = glue_url.join(&wasm_name)?;
    let wasm = fetch(&world.http, &wasm_url, "identity").await?;
    ensure!(wasm.status == 200, "{wasm_url} answered {}: build it with `cargo xtask build-wasm`", wasm.status);
    files.extend([
        ("boot script", "boot", script, boot),
        ("JS glue", "glue", glue_url, glue),
        ("Wasm", "wasm", wasm_url, wasm),
    ]);
    if let Some(css) = quoted_after(&page_text, "<link rel=\"stylesheet\" href=") {
        let css_url = page_url.join(css)?;
        let css = fetch(&world.http, &css_url, "identity").await?;
        files.push(("stylesheet", "css", css_url, css));
    }
    let mut totals = [0_u64; 3];
    // The Wasm and its JS glue gzipped: what the bundle's size goal is about.
    let mut code_gzip = 0;
    for (name, key, url, plain) in &files {
        let gzip = fetch(&world.http, url, "gzip").await?;
        let brotli = fetch(&world.http, url, "br").await?;
        let encoding = |sent: &Fetched| sent.header("content-encoding").unwrap_or_else(|| "none".to_owned());
        for (total, sent) in totals.iter_mut().zip([plain, &gzip, &brotli]) {
            *total += sent.body.len() as u64;
        }
        if matches!(*key, "wasm" | "glue") {
            code_gzip += gzip.body.len() as u64;
        }
        let cache_control = plain.header("cache-control").unwrap_or_default();
        report.add(Row {
            id: format!("bundle.{key}"),
            what: format!("{name} `{}`", url.path()),
            measured: format!(
                "{} B sent to a gzip browser ({}), {} B to a brotli one ({}); Cache-Control: {}",
                gzip.body.len(),
                encoding(&gzip),
                brotli.body.len(),
                encoding(&brotli),
                plain.header("cache-control").unwrap_or_else(|| "none".to_owned())
            ),
            baseline: format!("{} B uncompressed", plain.body.len()),
            ratio: percent_of(brotli.body.len() as u64, plain.body.len() as u64),
            figures: json!({ "identity": plain.body.len(), "gzip": gzip.body.len(), "br": brotli.body.len(),
                             "cache_control": cache_control, "vary": plain.header("vary"),
                             "compressed": encoding(&gzip) == "gzip" && encoding(&brotli) == "br",
                             "immutable": cache_control.contains("immutable") }),
        });
    }
    let [plain, gzip, brotli] = totals;
    report.add(Row {
        id: "bundle.all".to_owned(),
        what: "softphone download in all (page, scripts, Wasm, stylesheet)".to_owned(),
        measured: format!("{gzip} B gzip, {brotli} B brotli; the Wasm and its JS glue {code_gzip} B gzip"),
        baseline: format!("{plain} B uncompressed"),
        ratio: percent_of(brotli, plain),
        figures: json!({ "identity": plain, "gzip": gzip, "br": brotli, "code_gzip": code_gzip }),
    });
    Ok(())
}

fn percent_of(part: u64, whole: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let share = if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 };
    format!("{share:.0}% of uncompressed")
}

/// The quoted value right after `marker`.
fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let quote = rest.chars().next().filter(|quote| matches!(quote, '"' | '\''))?;
    rest[1..].split(quote).next()
}

#[derive(Clone)]
struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
    }
}

/// One GET with `Accept-Encoding: encoding`: the bytes as they came over the wire (reqwest decodes nothing here).
async fn fetch(http: &reqwest::Client, url: &reqwest::Url, encoding: &str) -> anyhow::Result<Fetched> {
    let response = http.get(url.clone()).header("accept-encoding", encoding).send().await?;
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    Ok(Fetched { status, headers, body: response.bytes().await?.to_vec() })
}

/// `count` agents' streams open at once; calls ring for agents in turn and each `call` message's delay is measured.
async fn streams(args: &Args, count: usize, report: &mut Report) -> anyhow::Result<()> {
    println!("\n==> {count} agent streams (SQLite)");
    let setup = Instant::now();
    let world = Arc::new(World::new(args, &Database::Sqlite, count).await?);
    println!("  {count} agents signed in, in {:.1} s", setup.elapsed().as_secs_f64());
    let idle_rss = world.server_rss_bytes()?;
    let floor = {
        let load = healthz(&world, 1, 2).await;
        (load.percentile(0.5), load.percentile(0.99))
    };
    // Each call id's arrival on its agent's stream.
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    // Without the other client's timeout, which would cut the streams; each stream holds a connection of its own.
    let streaming = reqwest::Client::new();
    // A few streams opened one at a time, on an idle server: what one softphone waits for.
    let mut alone = Vec::new();
    for index in 0..ALONE {
        alone.push(open_stream(&world, &streaming, index, Arc::clone(&arrivals)).await?);
    }
    alone.sort_unstable();
    let opened = Instant::now();
    let ready_times: Vec<anyhow::Result<Duration>> = futures_util::stream::iter(ALONE..count)
        .map(|index| {
            let (world, arrivals, streaming) = (Arc::clone(&world), Arc::clone(&arrivals), streaming.clone());
            async move { open_stream(&world, &streaming, index, arrivals).await }
        })
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    let mut ready: Vec<Duration> = ready_times.into_iter().collect::<anyhow::Result<_>>()?;
    ready.sort_unstable();
    println!("  {count} streams open and ready in {:.1} s", opened.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open_rss = world.server_rss_bytes()?;

    let mut accepted_at = HashMap::new();
    let mut pair_calls = Vec::new();
    for ring in 0..STREAM_CALLS {
        let call_id = format!("STREAM-{ring}");
        let agent = &world.agents[(ring * 7919) % count];
        let response = world.call_event(&call_id, agent).send().await?;
        ensure!(response.status().as_u16() == 202, "a ring was refused: {}", response.status());
        accepted_at.insert(call_id, Instant::now());
        tokio::time::sleep(RING_GAP).await;
    }
    // Pairs: two calls for one agent at once, the second written to the stream right after the first.
    for pair in 0..PAIRS {
        let agent = &world.agents[pair % ALONE];
        let (first, second) = (format!("PAIR-{pair}-A"), format!("PAIR-{pair}-B"));
        let (one, two) = tokio::join!(world.call_event(&first, agent).send(), world.call_event(&second, agent).send());
        let answered = Instant::now();
        ensure!(one?.status().as_u16() == 202 && two?.status().as_u16() == 202, "a pair was refused");
        accepted_at.insert(second, answered);
        pair_calls.push(format!("PAIR-{pair}-B"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = STREAM_CALLS + PAIRS * 2;
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().await.len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let busy_rss = world.server_rss_bytes()?;
    let arrived = arrivals.lock().await.clone();
    let delay_of = |call: &String| arrived.get(call).map(|at| at.saturating_duration_since(accepted_at[call]));
    let mut pairs: Vec<Duration> = pair_calls.iter().filter_map(delay_of).collect();
    pairs.sort_unstable();
    let mut delays: Vec<Duration> =
        accepted_at.keys().filter(|call| call.starts_with("STREAM-")).filter_map(delay_of).collect();
    delays.sort_unstable();
    let missing = STREAM_CALLS - delays.len();
    let missed = if missing > 0 { format!(", {missing} never arrived within 30 s") } else { String::new() };
    report.add(Row {
        id: format!("streams.{count}.delivery"),
        what: format!("{count} streams: 202 → `call` message"),
        measured: format!(
            "p50 {}, p99 {} ({STREAM_CALLS} rings {} ms apart{missed})",
            millis(percentile(&delays, 0.5)),
            millis(percentile(&delays, 0.99)),
            RING_GAP.as_millis()
        ),
        baseline: format!("loopback round trip p50 {}, p99 {}", millis(floor.0), millis(floor.1)),
        ratio: format!("p99 {:.0}× the round trip", ratio_of(percentile(&delays, 0.99), floor.1)),
        figures: json!({ "p50_ms": percentile(&delays, 0.5).as_secs_f64() * 1e3,
                         "p99_ms": percentile(&delays, 0.99).as_secs_f64() * 1e3, "missing": missing,
                         "floor_p50_ms": floor.0.as_secs_f64() * 1e3, "floor_p99_ms": floor.1.as_secs_f64() * 1e3 }),
    });
    report.add(latency_row(
        format!("streams.{count}.pairs"),
        format!("{count} streams: two calls for one agent at once, 202 → the second's `call` message"),
        &pairs,
        &format!(" ({} pairs)", pairs.len()),
        floor.0,
    ));
    let alone_note = format!(" ({ALONE} streams, one at a time)");
    let what = "one stream alone: opened → `ready`".to_owned();
    report.add(latency_row(format!("streams.{count}.alone"), what, &alone, &alone_note, floor.0));
    let what = format!("{count} streams opening 64 at a time: opened → `ready`");
    report.add(latency_row(format!("streams.{count}.opening"), what, &ready, "", floor.0));
    let mb = |bytes: u64| bytes / 1_000_000;
    report.add(Row {
        id: format!("streams.{count}.rss"),
        what: format!("{count} streams: server RSS"),
        measured: format!("{} MB with the streams open, {} MB after the rings", mb(open_rss), mb(busy_rss)),
        baseline: format!("{} MB before they opened", mb(idle_rss)),
        ratio: format!("{:.0} KB per stream", (open_rss.saturating_sub(idle_rss) / count.max(1) as u64) as f64 / 1e3),
        figures: json!({ "idle": idle_rss, "open": open_rss, "after_rings": busy_rss,
                         "peak": open_rss.max(busy_rss) }),
    });
    Ok(())
}

/// A row of `sorted` latencies, p50 and p99 (`note` after them), read against the loopback round trip's p50.
fn latency_row(id: String, what: String, sorted: &[Duration], note: &str, floor: Duration) -> Row {
    let (p50, p99) = (percentile(sorted, 0.5), percentile(sorted, 0.99));
    Row {
        id,
        what,
        measured: format!("p50 {}, p99 {}{note}", millis(p50), millis(p99)),
        baseline: format!("loopback round trip p50 {}", millis(floor)),
        ratio: format!("p50 {:.0}× the round trip", ratio_of(p50, floor)),
        figures: json!({ "p50_ms": p50.as_secs_f64() * 1e3, "p99_ms": p99.as_secs_f64() * 1e3,
                         "samples": sorted.len() }),
    }
}

fn ratio_of(measured: Duration, floor: Duration) -> f64 {
    if floor.is_zero() { 0.0 } else { measured.as_secs_f64() / floor.as_secs_f64() }
}

/// Opens agent `index`'s stream (a ticket, then the stream), returns how long it took to its `ready` event, and
/// keeps reading it in a task of its own, noting when each call arrives.
async fn open_stream(
    world: &World,
    streaming: &reqwest::Client,
    index: usize,
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
) -> anyhow::Result<Duration> {
    let agent = &world.agents[index];
    let ticket: Value = world
        .http
        .post(format!("{}/api/v1/agent/stream-tickets", world.base))
        .bearer_auth(&agent.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ticket = ticket["ticket"].as_str().context("no ticket")?;
    let opened = Instant::now();
    let mut response = streaming
        .get(format!("{}/api/v1/agent/stream", world.base))
        .query(&[("ticket", ticket)])
        .send()
        .await?
        .error_for_status()?;
    let mut buffer = String::new();
    let mut ready = None;
    while ready.is_none() {
        let chunk = response.chunk().await?.context("the stream ended before `ready`")?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        if buffer.contains("event: ready") {
            ready = Some(opened.elapsed());
        }
    }
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let at = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let message: String = buffer.drain(..end + 2).collect();
                if let Some(call_id) = message.split("\"call_id\":\"").nth(1).and_then(|rest| rest.split('"').next()) {
                    arrivals.lock().await.entry(call_id.to_owned()).or_insert(at);
                }
            }
        }
    });
    ready.context("no ready")
}
