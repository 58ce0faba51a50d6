//! `cargo xtask conformance` (also a step of `cargo xtask test`): is `GET /api/openapi.json` the truth?
//!
//! For each backend (SQLite, then the tests' PostgreSQL in a fresh schema) it provisions a server the way an operator
//! does (`callpop admin create-account`, `create-user`, `create-api-key`, then `callpop serve`), and runs schemathesis
//! against the server's own document with `tools/conformance/schemathesis.toml`: every operation with the credentials
//! its `security` names (the API key, or an administrator's session). It prints, per backend, the counts that must
//! be zero and fails when one is not. docs/api-conformance.md explains the run and how to reproduce it.

use crate::tools::{root, run, target_dir};
use crate::{Running, cargo, spawn, step, wait_for_http};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The administrator the run signs in as (its own throwaway account; the password never leaves this machine).
const ADMIN_EMAIL: &str = "conformance-admin@callpop.test";
const ADMIN_PASSWORD: &str = "conformance-run-password";

/// What is counted, with the schemathesis failure codes (`st explain <code>`) each count gathers.
const COUNTED: [(&str, &[&str]); 7] = [
    ("responses >= 500", &["ST101", "ST102"]),
    ("non-JSON errors (a content type not the documented one)", &["ST104", "ST105", "ST109", "ST110"]),
    ("schema violations", &["ST108", "ST111"]),
    ("valid requests rejected", &["ST202"]),
    ("undocumented status codes", &["ST103"]),
    ("invalid requests accepted", &["ST201", "ST203"]),
    ("other failures (methods, auth, resources)", &["ST204", "ST205", "ST301", "ST302", "ST401", "ST402"]),
];

/// Installs schemathesis into `tools/schemathesis` (a Python venv) when missing, at the versions pinned in
/// `tools/conformance/requirements.txt`. Returns the `st` command's path.
fn ensure_schemathesis() -> anyhow::Result<PathBuf> {
    let venv = root().join("tools/schemathesis");
    let st = venv.join("bin/st");
    let requirements = root().join("tools/conformance/requirements.txt");
    let pinned = std::fs::read_to_string(&requirements).context("reading tools/conformance/requirements.txt")?;
    let wanted = pinned.lines().find(|line| line.starts_with("schemathesis==")).unwrap_or_default();
    let version =
        Command::new(&st).arg("--version").output().ok().map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    if version.is_some_and(|version| version.split_whitespace().last() == wanted.strip_prefix("schemathesis==")) {
        return Ok(st);
    }
    println!("xtask: installing schemathesis from PyPI into tools/schemathesis (a Python venv)");
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("schemathesis needs Python 3.10 or later with venv (Debian: `apt-get install python3-venv`)")?;
    run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "-r"]).arg(&requirements))
        .context("install it with `tools/schemathesis/bin/pip install -r tools/conformance/requirements.txt`")?;
    Ok(st)
}

/// Runs `callpop` with `args` and returns what it printed.
fn callpop(bin: &Path, database_url: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(bin)
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .with_context(|| format!("starting callpop {args:?}"))?;
    if !output.status.success() {
        bail!("callpop {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Creates an account with `callpop admin create-account` and returns its public id.
fn create_account(bin: &Path, database_url: &str, name: &str, base: &str) -> anyhow::Result<String> {
    let args = ["admin", "create-account", "--name", name, "--plan", "enterprise", "--public-base-url", base];
    let created = callpop(bin, database_url, &args)?;
    // "created account acct_… (Conformance, plan enterprise)"
    let account = created.split_whitespace().find(|word| word.starts_with("acct_"));
    Ok(account.context("`callpop admin create-account` printed no account id")?.to_owned())
}

/// Two accounts, made with the operator's commands: one with the administrator the run signs in as, one whose API
/// key the run posts telephony events with. Apart, so the administrator's half of the run (which revokes API keys
/// it finds) cannot revoke the key the other half uses. Returns the API key.
fn provision(bin: &Path, database_url: &str, base: &str) -> anyhow::Result<String> {
    let administered = create_account(bin, database_url, "Conformance (administrator)", base)?;
    let user = [
        "admin",
        "create-user",
        "--account",
        &administered,
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Conformance Admin",
        "--role",
        "administrator",
        "--password",
        ADMIN_PASSWORD,
    ];
    callpop(bin, database_url, &user)?;
    let telephony = create_account(bin, database_url, "Conformance (telephony)", base)?;
    let key = ["admin", "create-api-key", "--account", &telephony, "--label", "conformance"];
    let issued = callpop(bin, database_url, &key)?;
    let key = issued.lines().map(str::trim).find(|line| line.starts_with("cpk_"));
    Ok(key.context("`callpop admin create-api-key` printed no key")?.to_owned())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// The counts from schemathesis's JUnit report: each failure it found is a `- STnnn title` line in it, and each
/// request that could not be made (a timeout, a dropped connection) an `<error` element.
fn count_failures(report: &Path) -> anyhow::Result<Vec<(&'static str, usize)>> {
    let text = std::fs::read_to_string(report).with_context(|| format!("reading {}", report.display()))?;
    let codes: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("- ST"))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|digits| format!("ST{digits}"))
        .collect();
    let mut counts: Vec<(&'static str, usize)> = COUNTED
        .iter()
        .map(|(words, gathered)| (*words, codes.iter().filter(|code| gathered.contains(&code.as_str())).count()))
        .collect();
    let known = counts.iter().map(|(_, count)| count).sum::<usize>();
    counts.push(("failures of other kinds", codes.len() - known));
    counts.push(("requests that failed to complete (errors)", text.matches("<error").count()));
    Ok(counts)
}

/// One backend's run: provision, serve, run schemathesis, print the counts. Returns whether every count is zero.
fn run_backend(name: &str, bin: &Path, st: &Path, database_url: &str, report_dir: &Path) -> anyhow::Result<bool> {
    step(&format!("API conformance on {name} (schemathesis against GET /api/openapi.json)"));
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let api_key = provision(bin, database_url, &base)?;
    let token_key = callpop(bin, database_url, &["generate-token-key"])?;
    let log_path = report_dir.join(format!("server-{name}.log"));
    let log = std::fs::File::create(&log_path)?;
    let _server: Running = spawn(
        Command::new(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base])
            .env("DATABASE_URL", database_url)
            .env("CALLPOP_TOKEN_KEY", token_key.trim())
            // Schemathesis signs in from one address thousands of times with made-up passwords, for made-up emails
            // and for the administrator's own: the default limits would soon refuse the administrator's real
            // sign-in and starve the run of its session. The API tests cover throttling (tests/api/sign_in_guard.rs).
            .env("CALLPOP_SIGN_IN_LIMITS", "1000000,1000000,1000000")
            .env("RUST_LOG", "callpop_server=warn,tower_http=warn")
            .stdout(Stdio::null())
            .stderr(log),
    )?;
    wait_for_http(&base, Duration::from_secs(60))?;
    let junit = report_dir.join(format!("junit-{name}.xml"));
    let status = Command::new(st)
        .current_dir(root())
        .args(["--config-file", "tools/conformance/schemathesis.toml", "run"])
        .arg(format!("{base}/api/openapi.json"))
        .args(["--url", &base, "--report", "junit", "--report-junit-path"])
        .arg(&junit)
        .args(["--no-color", "--output-truncate", "true"])
        .env("CALLPOP_CONFORMANCE_API_KEY", &api_key)
        .env("CALLPOP_CONFORMANCE_EMAIL", ADMIN_EMAIL)
        .env("CALLPOP_CONFORMANCE_PASSWORD", ADMIN_PASSWORD)
        .status()
        .context("starting schemathesis")?;
    let counts = count_failures(&junit)?;
    println!("\nAPI conformance on {name}:");
    for (words, count) in &counts {
        println!("  {count:>4} {words}");
    }
    println!(
        "  (every check runs on every operation; the formats and trigger rules it draws: tools/conformance/hooks.py)"
    );
    println!("  (server log: {})", log_path.display());
    Ok(status.success() && counts.iter().all(|(_, count)| *count == 0))
}

/// A PostgreSQL schema for one run, dropped afterwards.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn create(url: &str) -> anyhow::Result<Self> {
        let name = format!("callpop_conformance_{}", std::process::id());
        run(Command::new("psql").arg(url).args(["-qtAc", &format!("CREATE SCHEMA {name}")]))?;
        Ok(Self { url: url.to_owned(), name })
    }

    fn database_url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}search_path={}", self.url, self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        let _ = Command::new("psql").arg(&self.url).args(["-qtAc", &drop]).stdout(Stdio::null()).status();
    }
}

/// The conformance run on SQLite and on the PostgreSQL at `postgres_url`.
pub(crate) fn conformance(postgres_url: &str) -> anyhow::Result<()> {
    let st = ensure_schemathesis()?;
    step("build the server for the conformance run");
    run(cargo().args(["build", "-q", "-p", "callpop-server", "--bin", "callpop", "--locked"]))?;
    let target_dir = target_dir();
    let report_dir = root().join("target/conformance");
    std::fs::create_dir_all(&report_dir)?;
    // A copy: a target directory shared with other checkouts may get another build of `callpop` meanwhile.
    let bin = report_dir.join("callpop");
    std::fs::copy(target_dir.join("debug/callpop"), &bin).context("copying the callpop binary")?;
    let sqlite = tempfile_dir(&report_dir)?;
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite.join("callpop.db").display());
    let sqlite_ok = run_backend("sqlite", &bin, &st, &sqlite_url, &report_dir)?;
    let schema = Schema::create(postgres_url)?;
    let postgres_ok = run_backend("postgres", &bin, &st, &schema.database_url(), &report_dir)?;
    if !(sqlite_ok && postgres_ok) {
        bail!("the API does not conform to its document: see the failures above (reports in {})", report_dir.display());
    }
    println!("API conformance: every count is 0 on SQLite and PostgreSQL");
    Ok(())
}

/// A fresh directory for the SQLite run's database.
fn tempfile_dir(parent: &Path) -> anyhow::Result<PathBuf> {
    let dir = parent.join("sqlite");
    let _ = std::fs::remove_dir_all(&dir); // A fresh database each run; a missing directory is fine.
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
