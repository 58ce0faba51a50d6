//! `cargo xtask bench`: runs the three benchmark programs, checks their figures against the goals, and writes
//! `BENCHMARKS.md` and `target/bench/report.json`.
//!
//! - `server/examples/bench.rs`: the release server as a process (the bundle as served, ingestion, agent streams),
//!   writing `target/bench/server.json`;
//! - `server/benches/sync.rs`: Salesforce requests per call against the local org, `target/bench/sync.json`;
//! - `tests/examples/browser_bench.rs`: the pop and the boot in headless Chromium, `target/bench/browser.json`.
//!
//! Each program writes rows (`server/examples/support/report.rs`): an id, the sentences shown, and the figures. The
//! goals are data, in one table here (`GOALS`): the row and figure each one checks, and, for a goal the last
//! profile found missed, where that profile said the time goes. A missed goal is reported, never a failure.

use crate::tools::{root, run, target_dir};
use crate::{build_wasm, cargo, run_driver, step};
use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// `cargo xtask bench`'s arguments.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask bench", about = "The performance figures beside their goals, into BENCHMARKS.md")]
pub(crate) struct Args {
    /// Seconds each ingestion loop is counted (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// The numbers of agent streams measured on the server, in turn.
    #[arg(long, default_value = "1000,10000")]
    streams: String,
    /// Rings per browser figure (p50/p99 over as many).
    #[arg(long, default_value_t = 60)]
    rings: usize,
    /// The other agents' streams open during the browser's second round of rings (0: no second round).
    #[arg(long, default_value_t = 1_000)]
    load_streams: usize,
    /// Only write BENCHMARKS.md and report.json again, from the last run's figures in target/bench/.
    #[arg(long)]
    render_only: bool,
}

/// What a goal asks of its figure.
#[derive(Debug, Clone, Copy)]
enum Target {
    AtMost(f64),
    AtLeast(f64),
    /// The figure is `true`.
    Holds,
}

/// Where the time goes, as the profile of a missed goal said it.
#[derive(Debug, Clone, Copy)]
struct Headline {
    /// One line: what takes the time.
    text: &'static str,
    /// Which profile, of what load, when, and at which commit.
    profile: &'static str,
}

/// One goal of issue 13: the row it judges, the figure in that row's figures (a JSON pointer), and the target.
#[derive(Debug, Clone, Copy)]
struct Goal {
    row: &'static str,
    figure: &'static str,
    target: Target,
    /// The goal in BENCHMARKS.md's words.
    text: &'static str,
    headline: Option<Headline>,
}

const fn goal(row: &'static str, figure: &'static str, target: Target, text: &'static str) -> Goal {
    Goal { row, figure, target, text, headline: None }
}

const fn profiled(
    row: &'static str,
    figure: &'static str,
    target: Target,
    text: &'static str,
    headline: Headline,
) -> Goal {
    Goal { row, figure, target, text, headline: Some(headline) }
}

/// Ingestion on SQLite, from `perf record` of the release server under call events at 64 connections.
const INGEST_SQLITE: Headline = Headline {
    text: "with group commit, fsync is down to 1% of the server's CPU samples; 54% are in the kernel, and futex \
           waits and wake-ups are 31% (sqlx-sqlite hands every statement to its connection's worker thread through \
           flume channels: 15% receiving, 13% waking), `pwrite` to the WAL 7%, epoll 4%, SQLite itself 3%; each \
           event is five statements, each a thread round trip",
    profile: "perf record -F 499 -g -p <server> for 5 s of call events at 64 connections (the bench driver's \
              ingestion part), release server at b7b4106, 2026-12-07 13:22 UTC, with a test run beside it (load \
              average 4)",
};

/// Ingestion on PostgreSQL, from `perf record` of the release server (not of PostgreSQL) under call events.
const INGEST_POSTGRES: Headline = Headline {
    text: "no hot spot in callpop's own code: 47% of its CPU samples are in the kernel, `sendto` alone 23% (each \
           statement is a message to PostgreSQL whose answer the event waits for), epoll 7%, `recvfrom` 4%; \
           phone-number regexes 2%; the time is statements waited for one after the other, not computing",
    profile: "perf record -F 499 -g -p <server> for 6 s of call and text events at 64 connections on PostgreSQL \
              (`bench --only ingestion`), release server, 2026-12-07 13:06 UTC at fffdcdf; PostgreSQL's own \
              processes not profiled",
};

/// The pop after Answer, from the browser bench's Resource Timing of the softphone between the click and the pop.
const POP: Headline = Headline {
    text: "p50 15 ms, p99 24 ms against a floor of 3 ms: the pop no longer waits for its claim (the claim request \
           runs alongside, 0.7 → 6.7 ms after the click), and no other request of the softphone's is in flight; \
           the rest is the Open CTI exchange with the org's page (the softphone's `searchAndScreenPop` or \
           `screenPop` message, the org page's search and its answer), which no profile has split yet",
    profile: "the browser bench's `browser.answer.requests` row (60 rings), 2026-12-07 13:36 UTC at ea3695f, load \
              average 2.5",
};

/// The warm boot, from the browser bench's Resource Timing of the softphone's requests before ready.
const BOOT: Headline = Headline {
    text: "p50 90 ms, eight requests one after the other: the page arrives at 12.7 ms but its stylesheet and boot \
           script start at 36 ms, the glue at 41.6, the Wasm 44 → 59.8 ms, then `/api/v1/softphone/config` 65 → 69, \
           the Open CTI library 74 → 75, `/api/v1/me` 79 → 86, ready at 90: none starts before the one before it \
           ends",
    profile: "the browser bench's `browser.boot.requests` row (30 warm navigations), 2026-12-07 13:05 UTC at \
              fffdcdf, before the softphone's boot changes (1a908cd; the run at ea3695f reached the goal: p99 62 ms)",
};

const SHARE: Target = Target::AtLeast(0.5);
const SHARE_TEXT: &str = "≥ 50% of `/healthz`, durable";
const SAME_TEXT: &str = "≥ 90% of the rate with 1× (the claim costs the same whatever the backlog)";
const POP_TEXT: &str = "p99 ≤ 10 ms";
const FLOOR: Target = Target::AtMost(3.0);
const FLOOR_TEXT: &str = "p99 ≤ 3× the floor";

/// The goals, one line each (issue 13, "What must be true").
const GOALS: &[Goal] = &[
    goal("bundle.all", "/code_gzip", Target::AtMost(60_000.0), "Wasm + JS glue ≤ 60 KB gzipped"),
    goal("bundle.wasm", "/compressed", Target::Holds, "served br/gzip"),
    goal("bundle.wasm", "/immutable", Target::Holds, "cached immutable"),
    goal("bundle.glue", "/compressed", Target::Holds, "served br/gzip"),
    goal("bundle.glue", "/immutable", Target::Holds, "cached immutable"),
    profiled("ingest.sqlite.calls", "/share", SHARE, SHARE_TEXT, INGEST_SQLITE),
    profiled("ingest.sqlite.texts", "/share", SHARE, SHARE_TEXT, INGEST_SQLITE),
    profiled("ingest.sqlite.appends", "/share", SHARE, SHARE_TEXT, INGEST_SQLITE),
    profiled("ingest.sqlite.calls_10x", "/share", SHARE, SHARE_TEXT, INGEST_SQLITE),
    profiled("ingest.sqlite.calls_10x", "/vs_1x", Target::AtLeast(0.9), SAME_TEXT, INGEST_SQLITE),
    profiled("ingest.postgres.calls", "/share", SHARE, SHARE_TEXT, INGEST_POSTGRES),
    profiled("ingest.postgres.texts", "/share", SHARE, SHARE_TEXT, INGEST_POSTGRES),
    profiled("ingest.postgres.appends", "/share", SHARE, SHARE_TEXT, INGEST_POSTGRES),
    profiled("ingest.postgres.calls_10x", "/share", SHARE, SHARE_TEXT, INGEST_POSTGRES),
    profiled("ingest.postgres.calls_10x", "/vs_1x", Target::AtLeast(0.9), SAME_TEXT, INGEST_POSTGRES),
    goal("streams.1000.delivery", "/p99_ms", Target::AtMost(10.0), "p99 ≤ 10 ms with 1,000 agents"),
    goal("streams.10000.delivery", "/p99_ms", Target::AtMost(100.0), "p99 ≤ 100 ms with 10,000 agents"),
    goal("streams.10000.rss", "/peak", Target::AtMost(300e6), "< 300 MB with 10,000 streams"),
    goal("sync.whole_new", "/per_call", Target::AtMost(3.0), "≤ 3 for a new caller's whole call"),
    goal("sync.whole", "/per_call", Target::AtMost(2.0), "≤ 2.0 for a known caller's whole call"),
    goal("sync.burst", "/per_call", Target::AtMost(0.2), "≤ 0.2 per call in a burst"),
    goal("browser.ring.1", "/p99_ms", Target::AtMost(10.0), POP_TEXT),
    goal("browser.ring.1", "/ratio_p99", FLOOR, FLOOR_TEXT),
    goal("browser.ring.load", "/p99_ms", Target::AtMost(10.0), "p99 ≤ 10 ms with 1,000 agents connected"),
    goal("browser.ring.load", "/ratio_p99", FLOOR, FLOOR_TEXT),
    profiled("browser.answer", "/p99_ms", Target::AtMost(10.0), POP_TEXT, POP),
    profiled("browser.answer", "/ratio_p99", FLOOR, FLOOR_TEXT, POP),
    profiled("browser.boot.warm", "/p99_ms", Target::AtMost(100.0), "p99 ≤ 100 ms", BOOT),
    goal("browser.boot.empty", "/p99_ms", Target::AtMost(250.0), "p99 ≤ 250 ms"),
];

impl Goal {
    /// Whether `figures` reach the goal; `None` when the figure is not there.
    fn reached(&self, figures: &Value) -> Option<bool> {
        let value = figures.pointer(self.figure)?;
        match self.target {
            Target::AtMost(limit) => value.as_f64().map(|value| value <= limit),
            Target::AtLeast(limit) => value.as_f64().map(|value| value >= limit),
            Target::Holds => value.as_bool(),
        }
    }
}

/// When and where the figures were taken.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    date: String,
    commit: String,
    cores: usize,
    load_before: String,
    load_after: String,
    seconds: u64,
}

impl Run {
    fn json(&self) -> Value {
        json!({ "date": self.date, "commit": self.commit, "cores": self.cores, "load_before": self.load_before,
                "load_after": self.load_after, "seconds": self.seconds })
    }

    fn from_json(value: &Value) -> Self {
        let text = |name: &str| value[name].as_str().unwrap_or("?").to_owned();
        Self {
            date: text("date"),
            commit: text("commit"),
            cores: value["cores"].as_u64().and_then(|cores| usize::try_from(cores).ok()).unwrap_or(0),
            load_before: text("load_before"),
            load_after: text("load_after"),
            seconds: value["seconds"].as_u64().unwrap_or(0),
        }
    }
}

/// The parts' reports, in the order BENCHMARKS.md shows them.
const PARTS: [&str; 3] = ["server", "sync", "browser"];

pub(crate) fn bench(given: &[String]) -> anyhow::Result<()> {
    let args = Args::parse_from(std::iter::once("cargo xtask bench".to_owned()).chain(given.iter().cloned()));
    let dir = target_dir().join("bench");
    if !args.render_only {
        measure(&args, &dir)?;
    }
    let run = Run::from_json(&read_json(&dir.join("run.json"))?);
    let mut rows = Vec::new();
    for part in PARTS {
        match read_json(&dir.join(format!("{part}.json"))) {
            Ok(report) => rows.extend(report["rows"].as_array().cloned().unwrap_or_default()),
            Err(error) => println!("no {part} figures: {error:#}"),
        }
    }
    let (markdown, report) = render(&rows, &run);
    std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&report)?)?;
    std::fs::write(root().join("BENCHMARKS.md"), markdown)?;
    println!("\nBENCHMARKS.md and {} written", dir.join("report.json").display());
    Ok(())
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Builds everything optimised, then runs the three programs, each writing its rows into `dir`.
fn measure(args: &Args, dir: &Path) -> anyhow::Result<()> {
    build_wasm()?;
    let chromedriver = crate::tools::ensure_chromium()?;
    step("build the server and the benchmark programs (optimised; the first build takes minutes)");
    let built = build_release()?;
    std::fs::create_dir_all(dir)?;
    let started = Instant::now();
    let load_before = load_average();

    step("bench: the bundle as served, ingestion on SQLite and PostgreSQL, the agents' streams");
    let server = dir.join("server.json").display().to_string();
    let driver_args =
        ["--report", &server, "--seconds", &args.seconds.to_string(), "--streams", &args.streams].map(str::to_owned);
    if !run_driver("bench", &driver_args)? {
        bail!("the bench driver failed: a scenario could not run (its figures are not failures)");
    }

    step("Salesforce requests per call against the local org");
    let sync = dir.join("sync.json").display().to_string();
    run(Command::new(&built.sync).args(["--report", &sync]).current_dir(root()))?;

    step("the pop and the boot in headless Chromium");
    let browser = dir.join("browser.json").display().to_string();
    run(Command::new(&built.browser)
        .args(["--report", &browser, "--rings", &args.rings.to_string()])
        .args(["--load-streams", &args.load_streams.to_string()])
        .env("CHROMEDRIVER", &chromedriver)
        .current_dir(root()))?;

    let run = Run {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: commit(),
        cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        load_before,
        load_after: load_average(),
        seconds: started.elapsed().as_secs(),
    };
    std::fs::write(dir.join("run.json"), serde_json::to_string_pretty(&run.json())?)?;
    Ok(())
}

/// The benchmark programs' executables, built optimised.
struct Built {
    sync: PathBuf,
    browser: PathBuf,
}

/// Builds the server, the bench driver, the sync benchmark and the browser benchmark in one optimised build (one
/// feature resolution, so nothing is built twice), and returns the executables cargo reports for the last two.
fn build_release() -> anyhow::Result<Built> {
    let output = cargo()
        .args(["build", "--release", "--message-format", "json-render-diagnostics"])
        .args(["-p", "callpop-server", "--bin", "callpop", "--example", "bench", "--bench", "sync"])
        .args(["-p", "callpop-e2e", "--example", "browser_bench"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("starting cargo build")?;
    if !output.status.success() {
        bail!("the optimised build failed");
    }
    let mut executables = std::collections::HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else { continue };
        if let (Some(name), Some(executable)) = (message["target"]["name"].as_str(), message["executable"].as_str()) {
            executables.insert(name.to_owned(), PathBuf::from(executable));
        }
    }
    let mut take = |name: &str| executables.remove(name).with_context(|| format!("cargo built no `{name}`"));
    Ok(Built { sync: take("sync")?, browser: take("browser_bench")? })
}

/// The one-minute load average, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// The commit measured, marked when the working tree had changes.
fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root())
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let hash = git(&["rev-parse", "--short", "HEAD"]);
    let changed = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    if changed { format!("{hash} with uncommitted changes") } else { hash }
}

/// A table cell: the text with its pipes escaped and on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// BENCHMARKS.md and report.json from the rows of a run.
fn render(rows: &[Value], run: &Run) -> (String, Value) {
    let mut table = String::new();
    let mut misses: Vec<(Option<Headline>, Vec<String>)> = Vec::new();
    let mut judged = Vec::new();
    for row in rows {
        let id = row["id"].as_str().unwrap_or_default();
        let what = row["what"].as_str().unwrap_or_default();
        let goals: Vec<&Goal> = GOALS.iter().filter(|goal| goal.row == id).collect();
        let outcomes: Vec<(&Goal, Option<bool>)> =
            goals.iter().map(|goal| (*goal, goal.reached(&row["figures"]))).collect();
        let missed: Vec<&Goal> =
            outcomes.iter().filter(|(_, reached)| *reached == Some(false)).map(|(goal, _)| *goal).collect();
        let verdict = if outcomes.is_empty() {
            "-".to_owned()
        } else if outcomes.iter().any(|(_, reached)| reached.is_none()) {
            "not measured".to_owned()
        } else if missed.is_empty() {
            "reached".to_owned()
        } else if missed.len() == outcomes.len() {
            "**not reached**".to_owned()
        } else {
            let texts: Vec<&str> = missed.iter().map(|goal| goal.text).collect();
            format!("**not reached**: {}", texts.join("; "))
        };
        let goal_text = if goals.is_empty() {
            "-".to_owned()
        } else {
            goals.iter().map(|goal| goal.text).collect::<Vec<_>>().join("; ")
        };
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} | {} |",
            cell(what),
            cell(&goal_text),
            cell(row["measured"].as_str().unwrap_or_default()),
            cell(row["baseline"].as_str().unwrap_or_default()),
            cell(row["ratio"].as_str().unwrap_or_default()),
            cell(&verdict)
        );
        // One line per headline: the goals missed for the same reason, in this row and others, share it.
        for goal in &missed {
            let key = goal.headline.map(|headline| headline.text);
            let missed_here = format!("**{what}** ({})", goal.text);
            match misses.iter_mut().find(|(headline, _): &&mut (Option<Headline>, Vec<String>)| {
                key.is_some() && headline.map(|headline| headline.text) == key
            }) {
                Some((_, rows)) => match rows.last_mut().filter(|last| last.starts_with(&format!("**{what}** ("))) {
                    Some(last) => {
                        last.truncate(last.len() - 1);
                        let _ = write!(last, "; {})", goal.text);
                    }
                    None => rows.push(missed_here),
                },
                None => misses.push((goal.headline, vec![missed_here])),
            }
        }
        let mut judged_row = row.clone();
        judged_row["goals"] = outcomes
            .iter()
            .map(|(goal, reached)| {
                json!({ "goal": goal.text, "figure": goal.figure, "target": format!("{:?}", goal.target),
                        "reached": reached, "headline": goal.headline.map(|headline| headline.text) })
            })
            .collect();
        judged_row["verdict"] = json!(verdict);
        judged.push(judged_row);
    }
    let measured: Vec<&str> = rows.iter().filter_map(|row| row["id"].as_str()).collect();
    let unmeasured: Vec<String> = GOALS
        .iter()
        .filter(|goal| !measured.contains(&goal.row))
        .map(|goal| format!("- {} (`{}`)", goal.text, goal.row))
        .collect();

    let mut text = String::new();
    let _ = writeln!(text, "# Benchmarks\n");
    let _ = writeln!(
        text,
        "Written by `cargo xtask bench` on {} at commit `{}`, on a machine with {} cores (load average {} when the \
         measurements started, {} when they ended); the measurements took {} s after the builds. Each figure stands \
         beside a baseline taken in the same run: across runs, compare ratios rather than absolute figures. It is a \
         benchmark, not a test: a goal not reached never fails it. [PERFORMANCE.md](PERFORMANCE.md) says how each \
         part measures, and what changed.\n",
        run.date, run.commit, run.cores, run.load_before, run.load_after, run.seconds
    );
    let _ = writeln!(text, "| what | goal | measured | baseline (same run) | ratio | verdict |");
    let _ = writeln!(text, "|---|---|---|---|---|---|");
    text.push_str(&table);
    let _ = writeln!(text, "\n## Where the time goes\n");
    if misses.is_empty() {
        let _ = writeln!(text, "Every goal measured was reached.");
    } else {
        let _ = writeln!(text, "Each goal not reached, with the headline of the last profile taken of it:\n");
        for (headline, rows) in &misses {
            let _ = match headline {
                Some(headline) => writeln!(text, "- {}: {} _({})_", rows.join(", "), headline.text, headline.profile),
                None => writeln!(text, "- {}: not profiled yet.", rows.join(", ")),
            };
        }
    }
    if !unmeasured.is_empty() {
        let _ = writeln!(text, "\n## Not measured in this run\n\n{}", unmeasured.join("\n"));
    }
    text.push_str(REPRODUCE);
    let report = json!({ "run": run.json(), "rows": judged, "not_measured": unmeasured });
    (text, report)
}

const REPRODUCE: &str = "
## Reproduce

```sh
cargo xtask bench                  # builds, runs the three parts below, writes this file and target/bench/report.json
cargo xtask bench --render-only    # this file again, from the figures of the last run (target/bench/*.json)
```

`cargo xtask bench --help` lists the knobs (`--seconds`, `--streams`, `--rings`, `--load-streams`). The parts, one by
one, as it runs them:

```sh
cargo xtask build-wasm
cargo build --release -p callpop-server --bin callpop --example bench --bench sync \\
  -p callpop-e2e --example browser_bench
target/release/examples/bench --bin-dir target/release --postgres postgres://postgres@127.0.0.1:5432/test \\
  --report target/bench/server.json
cargo bench -q -p callpop-server --bench sync -- --report target/bench/sync.json
CHROMEDRIVER=/usr/bin/chromedriver target/release/examples/browser_bench --report target/bench/browser.json
```
";

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Run {
        Run {
            date: "2026-12-07 12:00 UTC".to_owned(),
            commit: "abc1234".to_owned(),
            cores: 2,
            load_before: "1.0".to_owned(),
            load_after: "2.0".to_owned(),
            seconds: 300,
        }
    }

    fn row(id: &str, figures: &Value) -> Value {
        json!({ "id": id, "what": format!("what {id}"), "measured": "m", "baseline": "b", "ratio": "r",
                "figures": figures })
    }

    #[test]
    fn a_figure_past_its_goal_is_not_reached_and_says_where_the_time_goes() {
        let (text, report) = render(&[row("ingest.sqlite.calls", &json!({ "share": 0.02 }))], &run());
        assert!(
            text.contains("| what ingest.sqlite.calls | ≥ 50% of `/healthz`, durable | m | b | r | **not reached** |")
        );
        let headline = format!("- **what ingest.sqlite.calls** (≥ 50% of `/healthz`, durable): {}", INGEST_SQLITE.text);
        assert!(text.contains(&headline), "{text}");
        assert_eq!(report["rows"][0]["goals"][0]["reached"], false);
    }

    #[test]
    fn a_figure_within_its_goal_is_reached_and_a_row_without_goals_has_no_verdict() {
        let rows = [
            row("streams.1000.delivery", &json!({ "p99_ms": 5.5 })),
            row("streams.1000.alone", &json!({ "p99_ms": 3 })),
        ];
        let (text, _) = render(&rows, &run());
        assert!(text.contains("| p99 ≤ 10 ms with 1,000 agents | m | b | r | reached |"), "{text}");
        assert!(text.contains("| what streams.1000.alone | - | m | b | r | - |"), "{text}");
        assert!(text.contains("Every goal measured was reached."));
    }

    #[test]
    fn a_row_with_two_goals_names_the_one_it_missed() {
        let (text, _) = render(&[row("browser.ring.1", &json!({ "p99_ms": 4.0, "ratio_p99": 5.0 }))], &run());
        assert!(text.contains("| p99 ≤ 10 ms; p99 ≤ 3× the floor | m | b | r | **not reached**: p99 ≤ 3× the floor |"));
        assert!(text.contains("- **what browser.ring.1** (p99 ≤ 3× the floor): not profiled yet."), "{text}");
    }

    #[test]
    fn goals_of_a_row_missed_for_one_reason_share_its_headline() {
        let (text, _) = render(&[row("browser.answer", &json!({ "p99_ms": 60.0, "ratio_p99": 9.0 }))], &run());
        let line = format!("- **what browser.answer** (p99 ≤ 10 ms; p99 ≤ 3× the floor): {} _(", POP.text);
        assert!(text.contains(&line), "{text}");
        assert_eq!(text.matches(POP.text).count(), 1);
    }

    #[test]
    fn rows_missed_for_one_reason_share_its_headline() {
        let rows = [
            row("ingest.sqlite.calls", &json!({ "share": 0.02 })),
            row("ingest.sqlite.texts", &json!({ "share": 0.03 })),
        ];
        let (text, _) = render(&rows, &run());
        let line = format!(
            "- **what ingest.sqlite.calls** (≥ 50% of `/healthz`, durable), **what ingest.sqlite.texts** (≥ 50% of \
             `/healthz`, durable): {}",
            INGEST_SQLITE.text
        );
        assert!(text.contains(&line), "{text}");
    }

    #[test]
    fn goals_whose_rows_did_not_run_are_listed_as_not_measured() {
        let (text, report) = render(&[], &run());
        assert!(text.contains("## Not measured in this run"));
        assert!(text.contains("- p99 ≤ 100 ms with 10,000 agents (`streams.10000.delivery`)"), "{text}");
        assert_eq!(report["not_measured"].as_array().map(Vec::len), Some(GOALS.len()));
    }

    #[test]
    fn the_run_survives_its_json() {
        assert_eq!(Run::from_json(&run().json()), run());
    }
}
