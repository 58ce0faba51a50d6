//! The browser side of `cargo xtask bench`: the pop and the boot in headless Chromium, in the e2e harness's world
//! (the local org on one site, the softphone in its cross-site frame on another, the agent signed in), each beside
//! a floor measured in the same browser run. Times are read with the Performance API inside the pages, never as
//! WebDriver round trips, which take longer than what is measured.
//!
//! - **floor**: one loopback `fetch` round trip from the softphone (`/healthz`) and one cross-origin `postMessage`
//!   round trip between the softphone and the org's page. The floor is their sum.
//! - **ring → caller shown**: the ring is posted from the softphone's page itself (it is the server's origin, so
//!   the API key's `POST /api/v1/call-events` is same-origin there), so the `202` and the caller's card appearing
//!   (a `MutationObserver` on the call list) are read on one clock. With the one agent, then with
//!   `--load-streams` other agents' streams open and their calls ringing every 10 ms.
//! - **Answer → `screenPop`**: the Answer button clicked from a script in the softphone, and the org's page noting
//!   when the `screenPop` message reaches it. The two pages' clocks are aligned from the `postMessage` round trips
//!   (the offset of the shortest one).
//! - **boot**: the frame navigated (the same URL with a new nonce) → the softphone's `callpop-ready` mark (the
//!   signed-in agent's calls shown), with the browser's cache warm, and emptied before each navigation (CDP
//!   `Network.clearBrowserCache`).
//!
//! `browser_bench [--report <json>] [--rings N] [--boots N] [--empty-boots N] [--load-streams N]`

#[path = "../../server/examples/support/report.rs"]
mod report;

use anyhow::{Context, bail, ensure};
use callpop_core::account::Role;
use callpop_e2e::{Browser, Stack};
use callpop_sandbox::seed::numbers;
use callpop_server::auth::{SESSION_PREFIX, hash_password};
use callpop_server::secrets::{hash_secret, new_secret};
use callpop_server::store::accounts::NewUser;
use clap::Parser;
use futures_util::StreamExt;
use report::{Report, Row, millis, percentile};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The pop and the boot in headless Chromium.
#[derive(Parser)]
struct Args {
    /// Where the rows are written as JSON.
    #[arg(long, default_value = "target/bench/browser.json")]
    report: PathBuf,
    /// Rings per round (p50/p99 over as many).
    #[arg(long, default_value_t = 60)]
    rings: usize,
    /// Frame navigations with the cache warm.
    #[arg(long, default_value_t = 30)]
    boots: usize,
    /// Frame navigations with the cache emptied first.
    #[arg(long, default_value_t = 15)]
    empty_boots: usize,
    /// Other agents' streams open during the second round of rings (0: no second round).
    #[arg(long, default_value_t = 1_000)]
    load_streams: usize,
}

/// Round trips measured for the floor.
const FLOOR_SAMPLES: usize = 60;
/// The pause between two rings, so that one call's pop and redraws are over before the next rings.
const BETWEEN_RINGS: Duration = Duration::from_millis(150);
/// How often the other agents' calls ring during the loaded round.
const LOAD_RING_GAP: Duration = Duration::from_millis(10);

/// The org page's side: answers the softphone's pings with the time it received them, and tells the softphone when
/// a `screenPop` reached the page. Installed once; it stays while the page does.
const ORG_PROBE: &str = "
if (!window.__benchProbe) {
  window.__benchProbe = true;
  const frame = document.getElementById('softphone');
  window.addEventListener('message', (event) => {
    const at = performance.timeOrigin + performance.now();
    const data = event.data;
    if (!data || event.source !== frame.contentWindow) return;
    if (data.benchPing !== undefined) {
      event.source.postMessage({ benchPong: data.benchPing, at }, event.origin);
    } else if (data.apiType === 'opencti' && data.methodName === 'screenPop') {
      event.source.postMessage({ benchPop: at }, event.origin);
    }
  });
}
return true;";

/// The softphone's side, installed in each softphone document measured: pings, the wait for a call's card and the
/// wait for the org's `screenPop` notice.
const SOFTPHONE_PROBE: &str = "
if (!window.__bench) {
  const org = location.ancestorOrigins[0];
  const now = () => performance.timeOrigin + performance.now();
  const waiting = {};
  window.addEventListener('message', (event) => {
    if (event.origin !== org || !event.data) return;
    for (const kind of ['benchPong', 'benchPop']) {
      if (event.data[kind] !== undefined && waiting[kind]) {
        const resolve = waiting[kind];
        delete waiting[kind];
        resolve(event.data);
      }
    }
  });
  const next = (kind) => new Promise((resolve) => { waiting[kind] = resolve; });
  window.__bench = {
    now,
    ping: async () => {
      const pong = next('benchPong');
      window.parent.postMessage({ benchPing: now() }, org);
      const answer = await pong;
      return { sent: answer.benchPong, received: answer.at, back: now() };
    },
    shown: (id) => new Promise((resolve) => {
      const calls = document.getElementById('calls');
      const selector = `article.call[data-call-id=\"${id}\"]`;
      const observer = new MutationObserver(() => {
        if (calls.querySelector(selector)) {
          observer.disconnect();
          resolve(now());
        }
      });
      observer.observe(calls, { childList: true, subtree: true });
    }),
    popped: () => next('benchPop').then((data) => data.benchPop),
  };
}
return true;";

/// `arguments`: [samples]. Loopback fetch round trips from the softphone, in milliseconds.
const FETCH_FLOOR: &str = "
const [samples, done] = arguments;
(async () => {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const response = await fetch('/healthz', { cache: 'no-store' });
    await response.text();
    times.push(performance.now() - started);
  }
  return times;
})().then(done, (error) => done({ error: String(error) }));";

/// `arguments`: [samples]. postMessage round trips to the org's page, each with the org's time of receipt.
const PING_FLOOR: &str = "
const [samples, done] = arguments;
(async () => {
  const pings = [];
  for (let i = 0; i < samples; i++) pings.push(await window.__bench.ping());
  return pings;
})().then(done, (error) => done({ error: String(error) }));";

/// `arguments`: [call id, caller, API key, agent]. Rings, waits for the card, clicks Answer, waits for the pop, and
/// lists the softphone's requests in between (Resource Timing).
const RING_AND_ANSWER: &str = "
const [id, caller, key, agent, done] = arguments;
(async () => {
  const bench = window.__bench;
  const shown = bench.shown(id);
  const response = await fetch('/api/v1/call-events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ call_id: id, kind: 'ringing', direction: 'inbound', caller_number: caller,
      tracking_number: '+14155550100', agent, tracking_source: 'Bench', occurred_at: new Date().toISOString() }),
  });
  const accepted = bench.now();
  if (response.status !== 202) throw new Error(`the ring was answered ${response.status}`);
  const shownAt = await shown;
  const button = document.querySelector(`[data-answer=\"${id}\"]`);
  if (!button) throw new Error('no Answer button on the card');
  performance.clearResourceTimings();
  const popped = bench.popped();
  const clicked = bench.now();
  button.click();
  const poppedAt = await popped;
  // The softphone's requests between the click and the pop, in milliseconds after the click.
  const since = clicked - performance.timeOrigin;
  const requests = performance.getEntriesByType('resource')
    .filter((entry) => entry.startTime >= since && entry.responseEnd > 0 && entry.responseEnd - since <= poppedAt - clicked)
    .map((entry) => ({ request: new URL(entry.name).pathname.replace(encodeURIComponent(id), '{call}'),
                       start: entry.startTime - since, end: entry.responseEnd - since }));
  return { accepted, shown: shownAt, clicked, popped: poppedAt, requests };
})().then(done, (error) => done({ error: String(error) }));";

/// Navigates the softphone's frame from inside (the same URL, a new nonce), marking the old document first.
const NAVIGATE: &str = "
document.documentElement.dataset.leaving = '1';
const next = new URL(location.href);
next.searchParams.set('nonce', crypto.randomUUID().replaceAll('-', ''));
location.href = next.href;
return true;";

/// The new document's boot once it is ready: the `callpop-ready` mark, the page's arrival, the requests before ready
/// and the bytes they brought over the network (what the cache did not hold), and whether the agent is signed in; `null` while the old
/// document is still there or the new one is not ready.
const BOOTED: &str = r#"
if (document.documentElement.dataset.leaving) return null;
const ready = performance.getEntriesByName('callpop-ready')[0];
if (!ready) return null;
const page = performance.getEntriesByType('navigation')[0];
const fetched = [page, ...performance.getEntriesByType('resource')].filter((entry) => entry && entry.startTime < ready.startTime);
const requests = fetched.map((entry) => ({ request: new URL(entry.name).pathname.replace(/\/v\/[^/]+\//, '/v/{hash}/'),
                                           start: entry.startTime, end: entry.responseEnd }));
return { ready: ready.startTime, page: page ? page.responseEnd : null, requests,
         bytes: fetched.reduce((sum, entry) => sum + (entry.transferSize || 0), 0),
         signed_in: !document.getElementById('calls').hidden };"#;

/// A ChromeDriver pass-through to the DevTools protocol (`goog/cdp/execute`): one command without parameters.
#[derive(Debug)]
struct Cdp(&'static str);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &reqwest::Url, session_id: Option<&str>) -> Result<reqwest::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(json!({ "cmd": self.0, "params": {} }).to_string()))
    }
}

/// What `execute_async` answered, or the page's error.
fn answered(value: Value) -> anyhow::Result<Value> {
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        bail!("the page said: {error}");
    }
    Ok(value)
}

/// Milliseconds, sorted.
fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

fn ms(value: f64) -> String {
    millis(Duration::from_secs_f64(value.max(0.0) / 1e3))
}

/// p50 and p99 of sorted milliseconds.
fn quantiles(values: &[f64]) -> (f64, f64) {
    (percentile(values, 0.5), percentile(values, 0.99))
}

/// The floor: a loopback fetch and a cross-origin postMessage, and the offset of the org page's clock.
struct Floor {
    fetch: Vec<f64>,
    message: Vec<f64>,
    /// The org page's clock minus the softphone's, in milliseconds.
    offset: f64,
}

impl Floor {
    fn p50(&self) -> f64 {
        quantiles(&self.fetch).0 + quantiles(&self.message).0
    }

    fn p99(&self) -> f64 {
        quantiles(&self.fetch).1 + quantiles(&self.message).1
    }

    fn row(&self) -> Row {
        let ((fetch50, fetch99), (message50, message99)) = (quantiles(&self.fetch), quantiles(&self.message));
        Row {
            id: "browser.floor".to_owned(),
            what: "floor: one loopback fetch round trip + one cross-origin postMessage round trip (Chromium)"
                .to_owned(),
            measured: format!("p50 {}, p99 {}", ms(self.p50()), ms(self.p99())),
            baseline: format!(
                "fetch p50 {}, p99 {}; postMessage p50 {}, p99 {} ({} each)",
                ms(fetch50),
                ms(fetch99),
                ms(message50),
                ms(message99),
                self.fetch.len()
            ),
            ratio: format!("the org page's clock {:+.2} ms from the softphone's", self.offset),
            figures: json!({ "p50_ms": self.p50(), "p99_ms": self.p99(), "fetch_p50_ms": fetch50,
                             "fetch_p99_ms": fetch99, "message_p50_ms": message50, "message_p99_ms": message99,
                             "clock_offset_ms": self.offset }),
        }
    }

    /// A pop figure as a row, read against the floor.
    fn pop_row(&self, id: &str, what: String, values: &[f64]) -> Row {
        let (p50, p99) = quantiles(values);
        let (ratio50, ratio99) = (p50 / self.p50(), p99 / self.p99());
        Row {
            id: id.to_owned(),
            what,
            measured: format!("p50 {}, p99 {} ({} rings)", ms(p50), ms(p99), values.len()),
            baseline: format!("the floor: p50 {}, p99 {}", ms(self.p50()), ms(self.p99())),
            ratio: format!("p50 {ratio50:.1}×, p99 {ratio99:.1}× the floor"),
            figures: json!({ "p50_ms": p50, "p99_ms": p99, "samples": values.len(), "ratio_p50": ratio50,
                             "ratio_p99": ratio99, "min_ms": values.first(), "max_ms": values.last() }),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    browser.eval(ORG_PROBE).await?;
    browser.enter_softphone().await?;
    browser.eval(SOFTPHONE_PROBE).await?;
    let mut report = Report::default();

    println!("\n==> the floor");
    let floor = floor(&browser).await?;
    report.add(floor.row());

    println!("\n==> {} rings for the one agent", args.rings);
    let round = ring_round(&browser, &stack, "BENCH", args.rings).await?;
    let what = "ring accepted (202) → caller shown in the softphone, 1 agent".to_owned();
    report.add(floor.pop_row("browser.ring.1", what, &round.shown));
    let what = "Answer clicked → `screenPop` received by the org's page".to_owned();
    report.add(floor.pop_row("browser.answer", what, &round.popped));
    let what = "Answer → `screenPop`: the softphone's requests in between (p50 start → end after the click)";
    let baseline = format!("Answer → `screenPop` p50 {}", ms(quantiles(&round.popped).0));
    report.add(round.requests.row("browser.answer.requests", what, baseline));

    println!("\n==> boots: {} with the cache warm, {} with it emptied", args.boots, args.empty_boots);
    let (warm, requests) = boots(&browser, args.boots, false).await?;
    let warm_row = boot_row("browser.boot.warm", "softphone boot, cache warm: frame navigation → ready", &warm);
    let baseline = format!("ready p50 {}", ms(warm_row.figures["p50_ms"].as_f64().unwrap_or_default()));
    report.add(warm_row);
    let what = "softphone boot, cache warm: its requests before ready (p50 start → end after the navigation began)";
    report.add(requests.row("browser.boot.requests", what, baseline));
    let (empty, _) = boots(&browser, args.empty_boots, true).await?;
    report.add(boot_row("browser.boot.empty", "softphone boot, cache emptied: frame navigation → ready", &empty));

    if args.load_streams > 0 {
        let count = args.load_streams;
        println!("\n==> {} rings with {count} other agents' streams open and ringing", args.rings);
        let load = Load::start(&stack, count).await?;
        browser.eval(SOFTPHONE_PROBE).await?;
        let round = ring_round(&browser, &stack, "LOADED", args.rings).await?;
        let rung = load.stop().await;
        let what =
            format!("ring accepted (202) → caller shown, {count} other agents connected ({rung} of their calls rang)");
        report.add(floor.pop_row("browser.ring.load", what, &round.shown));
        let what = format!("Answer clicked → `screenPop` received, {count} other agents connected");
        report.add(floor.pop_row("browser.answer.load", what, &round.popped));
    }
    report.print();
    report.write(&args.report)?;
    println!("\nbrowser bench: {:.0} s in all; figures in {}", started.elapsed().as_secs_f64(), args.report.display());
    Ok(())
}

/// The floor's round trips, and the org page's clock offset from the quickest ping.
async fn floor(browser: &Browser) -> anyhow::Result<Floor> {
    let fetch: Vec<f64> = serde_json::from_value(answered(
        browser.client.execute_async(FETCH_FLOOR, vec![json!(FLOOR_SAMPLES)]).await?,
    )?)?;
    let pings = answered(browser.client.execute_async(PING_FLOOR, vec![json!(FLOOR_SAMPLES)]).await?)?;
    let pings = pings.as_array().context("no pings")?;
    let mut message = Vec::new();
    let mut offset = (f64::INFINITY, 0.0);
    for ping in pings {
        let (sent, received, back) = (
            ping["sent"].as_f64().context("a ping without its time")?,
            ping["received"].as_f64().context("a ping without the org's time")?,
            ping["back"].as_f64().context("a ping without its return")?,
        );
        let round_trip = back - sent;
        message.push(round_trip);
        if round_trip < offset.0 {
            offset = (round_trip, received - (sent + back) / 2.0);
        }
    }
    Ok(Floor { fetch: sorted(fetch), message: sorted(message), offset: offset.1 })
}

/// `rings` calls for the demo agent from a known caller, one at a time: each rung, shown, answered and popped, then
/// completed. Returns the ring → shown and the Answer → `screenPop` times, sorted.
async fn ring_round(browser: &Browser, stack: &Stack, prefix: &str, rings: usize) -> anyhow::Result<Round> {
    let floor = floor(browser).await?;
    let (mut shown, mut popped) = (Vec::new(), Vec::new());
    let mut requests = Requests::default();
    for ring in 0..rings {
        let call_id = format!("{prefix}-{ring}");
        let times = answered(
            browser
                .client
                .execute_async(
                    RING_AND_ANSWER,
                    vec![
                        json!(call_id),
                        json!(numbers::ONE_CONTACT),
                        json!(stack.api_key),
                        json!(callpop_e2e::DEMO_AGENT_EMAIL),
                    ],
                )
                .await
                .with_context(|| format!("ringing {call_id}"))?,
        )?;
        let time = |name: &str| times[name].as_f64().with_context(|| format!("no {name} time for {call_id}"));
        shown.push(time("shown")? - time("accepted")?);
        popped.push(time("popped")? - floor.offset - time("clicked")?);
        requests.add(&times["requests"]);
        stack.post_call_event(&call_id, "completed", numbers::ONE_CONTACT).await?;
        tokio::time::sleep(BETWEEN_RINGS).await;
    }
    Ok(Round { shown: sorted(shown), popped: sorted(popped), requests })
}

/// A round of rings: ring → shown and Answer → `screenPop` times, sorted, and the requests the softphone made
/// between Answer and the pop.
struct Round {
    shown: Vec<f64>,
    popped: Vec<f64>,
    requests: Requests,
}

/// The requests a page made during what is measured (Resource Timing), by path: when each started and ended, in
/// milliseconds after the measurement's start, over all the samples.
#[derive(Default)]
struct Requests {
    by_path: BTreeMap<String, (Vec<f64>, Vec<f64>)>,
    samples: usize,
}

impl Requests {
    /// Adds one sample's requests: `[{request, start, end}]`.
    fn add(&mut self, requests: &Value) {
        self.samples += 1;
        for request in requests.as_array().into_iter().flatten() {
            let path = request["request"].as_str().unwrap_or("?").to_owned();
            let (starts, ends) = self.by_path.entry(path).or_default();
            starts.push(request["start"].as_f64().unwrap_or_default());
            ends.push(request["end"].as_f64().unwrap_or_default());
        }
    }

    /// A row listing each request with the p50 of its start and of its end, in the order they start.
    fn row(&self, id: &str, what: &str, baseline: String) -> Row {
        let mut listed: Vec<(String, f64, f64, usize)> = self
            .by_path
            .iter()
            .map(|(path, (starts, ends))| {
                let (starts, ends) = (sorted(starts.clone()), sorted(ends.clone()));
                (path.clone(), quantiles(&starts).0, quantiles(&ends).0, starts.len())
            })
            .collect();
        listed.sort_by(|one, other| one.1.total_cmp(&other.1));
        let samples = self.samples;
        let text: Vec<String> = listed
            .iter()
            .map(|(path, start, end, count)| format!("{path} {} → {} ({count} of {samples})", ms(*start), ms(*end)))
            .collect();
        let figures: Vec<Value> = listed
            .iter()
            .map(|(path, start, end, count)| {
                json!({ "request": path, "start_p50_ms": start, "end_p50_ms": end, "count": count })
            })
            .collect();
        Row {
            id: id.to_owned(),
            what: what.to_owned(),
            measured: if text.is_empty() { "none".to_owned() } else { text.join("; ") },
            baseline,
            ratio: "-".to_owned(),
            figures: json!({ "requests": figures, "samples": samples }),
        }
    }
}

/// One boot: what the new document measured.
struct Boot {
    ready: f64,
    page: f64,
    bytes: f64,
}

/// `count` frame navigations, each waited for until the agent's calls are shown again and the stream is live.
/// Returns each boot's figures and the requests made before ready.
async fn boots(browser: &Browser, count: usize, empty_cache: bool) -> anyhow::Result<(Vec<Boot>, Requests)> {
    let (mut boots, mut requests) = (Vec::with_capacity(count), Requests::default());
    for _ in 0..count {
        if empty_cache {
            browser.client.issue_cmd(Cdp("Network.clearBrowserCache")).await?;
        }
        browser.eval(NAVIGATE).await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let booted = loop {
            // While the frame navigates, the script may fail: the document it ran in is going away.
            if let Ok(value) = browser.eval(BOOTED).await
                && !value.is_null()
            {
                break value;
            }
            ensure!(Instant::now() < deadline, "the softphone did not boot within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        ensure!(booted["signed_in"] == true, "the softphone booted signed out: {booted}");
        boots.push(Boot {
            ready: booted["ready"].as_f64().context("no ready time")?,
            page: booted["page"].as_f64().unwrap_or_default(),
            bytes: booted["bytes"].as_f64().unwrap_or_default(),
        });
        requests.add(&booted["requests"]);
        browser.wait_for("#connection[data-connection='live']").await?;
    }
    Ok((boots, requests))
}

fn boot_row(id: &str, what: &str, boots: &[Boot]) -> Row {
    let ready = sorted(boots.iter().map(|boot| boot.ready).collect());
    let page = sorted(boots.iter().map(|boot| boot.page).collect());
    let bytes = sorted(boots.iter().map(|boot| boot.bytes).collect());
    let ((p50, p99), (page50, page99), bytes50) = (quantiles(&ready), quantiles(&page), quantiles(&bytes).0);
    Row {
        id: id.to_owned(),
        what: what.to_owned(),
        measured: format!(
            "p50 {}, p99 {} ({} navigations; {bytes50:.0} B over the network before ready, p50)",
            ms(p50),
            ms(p99),
            ready.len()
        ),
        baseline: format!("the softphone's page received: p50 {}, p99 {}", ms(page50), ms(page99)),
        ratio: format!("p50 {:.1}× the page's arrival", p50 / page50),
        figures: json!({ "p50_ms": p50, "p99_ms": p99, "samples": ready.len(), "page_p50_ms": page50,
                         "page_p99_ms": page99, "network_bytes_p50": bytes50 }),
    }
}

/// Other agents, each with a stream open, and calls ringing for them in turn until stopped.
struct Load {
    ringing: Arc<AtomicBool>,
    rung: tokio::task::JoinHandle<usize>,
    streams: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(stack: &Stack, count: usize) -> anyhow::Result<Self> {
        let setup = Instant::now();
        // One password hash for every agent: hashing is slow on purpose, and sign-in is not what is measured.
        let password_hash = tokio::task::spawn_blocking(|| hash_password("bench-password-not-secret")).await??;
        let now = chrono::Utc::now();
        let mut agents = Vec::with_capacity(count);
        for index in 0..count {
            let email = format!("load{index}@bench.callpop.test");
            let new = NewUser {
                account_id: stack.account_id,
                email: email.clone(),
                display_name: format!("Load {index}"),
                password_hash: password_hash.clone(),
                role: Role::CallAgent,
                salesforce_user_id: None,
            };
            let user = stack.store.create_user(&new, now).await?;
            let token = new_secret(SESSION_PREFIX);
            stack.store.create_session(&hash_secret(&token), user.id, now, now + chrono::Duration::days(1)).await?;
            agents.push((email, token));
        }
        let http = reqwest::Client::new();
        let server = stack.server_url.clone();
        let streams: Vec<anyhow::Result<tokio::task::JoinHandle<()>>> = futures_util::stream::iter(agents.clone())
            .map(|(_, token)| open_stream(http.clone(), server.clone(), token))
            .buffer_unordered(64)
            .collect()
            .await;
        let streams = streams.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        println!("  {count} other agents signed in with a stream open, in {:.1} s", setup.elapsed().as_secs_f64());
        let ringing = Arc::new(AtomicBool::new(true));
        let rung = {
            let (ringing, api_key) = (Arc::clone(&ringing), stack.api_key.clone());
            tokio::spawn(async move {
                let mut rung = 0;
                while ringing.load(Ordering::Relaxed) {
                    let (email, _) = &agents[(rung * 7919) % agents.len()];
                    let body = json!({
                        "call_id": format!("OTHER-{rung}"), "kind": "ringing", "direction": "inbound",
                        "caller_number": numbers::ONE_CONTACT, "tracking_number": "+14155550100", "agent": email,
                        "occurred_at": chrono::Utc::now().to_rfc3339(),
                    });
                    let url = format!("{server}/api/v1/call-events");
                    if http.post(url).bearer_auth(&api_key).json(&body).send().await.is_ok() {
                        rung += 1;
                    }
                    tokio::time::sleep(LOAD_RING_GAP).await;
                }
                rung
            })
        };
        Ok(Self { ringing, rung, streams })
    }

    /// Stops the other agents' calls and closes their streams; returns how many of their calls rang.
    async fn stop(self) -> usize {
        self.ringing.store(false, Ordering::Relaxed);
        for stream in &self.streams {
            stream.abort();
        }
        self.rung.await.unwrap_or_default()
    }
}

/// Opens an agent's stream (a ticket, then the stream) and reads it in a task of its own until aborted.
async fn open_stream(
    http: reqwest::Client,
    server: String,
    token: String,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let ticket: Value = http
        .post(format!("{server}/api/v1/agent/stream-tickets"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ticket = ticket["ticket"].as_str().context("no ticket")?.to_owned();
    let mut response = http
        .get(format!("{server}/api/v1/agent/stream"))
        .query(&[("ticket", ticket)])
        .send()
        .await?
        .error_for_status()?;
    Ok(tokio::spawn(async move { while let Ok(Some(_)) = response.chunk().await {} }))
}
