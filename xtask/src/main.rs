//! `cargo xtask`: the project's automation, in Rust (matklad's xtask pattern).
//!
//! - `cargo xtask demo`: build everything, start the local org and the server, print what to open.
//! - `cargo xtask test`: everything CI runs, ending on the test runner's own summary. The API tests run against
//!   SQLite and PostgreSQL; `postgres.rs` finds or starts the PostgreSQL.
//! - `cargo xtask conformance`: the API conformance run alone (schemathesis against `GET /api/openapi.json`, on SQLite
//!   and PostgreSQL); `cargo xtask test` runs it too.
//! - `cargo xtask check-postgres`: find, or start and stop, the PostgreSQL the API tests use.
//! - `cargo xtask check-salesforce`: convert the `salesforce/` metadata project with Salesforce's own CLI (from npm)
//!   and check it holds the fields and permission set callpop needs (`salesforce_project.rs`); `cargo xtask test`
//!   runs it too.
//! - `cargo xtask build-wasm`: build the softphone bundle into `static/pkg/` and the Salesforce Voice connector's
//!   into `static/connector/pkg/` (`connector.rs`), and report their sizes.
//! - `cargo xtask bench [--seconds N] [--streams 1000,10000] [--rings N] [--load-streams N] [--render-only]`: the
//!   performance figures, each beside a baseline taken in the same run and checked against its goal, into
//!   BENCHMARKS.md (`bench.rs`).
//! - `cargo xtask soak [--calls N] [--only kill,faults,order,two]`: the reliability soak run (RELIABILITY.md):
//!   the optimised server and local org as processes, killed and faulted, counted from the org's records.
//! - `cargo xtask screenshots [console | softphone | frame | voice]`: build the softphone and take the README's
//!   screenshots into `docs/screenshots/` in headless Chromium (all of them, or one set).

mod bench;
mod conformance;
mod connector;
mod postgres;
mod salesforce_project;
mod short_names;
mod tools;

use anyhow::{Context, bail};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tools::{root, run, target_dir};

const USAGE: &str = "usage: cargo xtask <demo | test | bench [--help] | soak [--calls N] [--only kill,faults,order,two] | build-wasm | conformance | check-postgres | check-salesforce | screenshots [console | softphone | frame | voice]>";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("test") => test(),
        Some("bench") => bench::bench(&args[1..]),
        Some("soak") => soak(&args[1..]),
        Some("build-wasm") => build_wasm().map(|_| ()),
        Some("check-postgres") => check_postgres(),
        Some("check-salesforce") => salesforce_project::check(),
        Some("conformance") => {
            let mut postgres = postgres::ensure()?;
            let outcome = conformance::conformance(&postgres.url);
            postgres.stop();
            outcome
        }
        Some("screenshots") => screenshots(args.get(1).map(String::as_str)),
        _ => bail!("{USAGE}"),
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root());
    command
}

fn step(name: &str) {
    println!("\n==> {name}");
}

/// A file's size as built, gzipped and brotli-compressed, in bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    plain: u64,
    gzip: u64,
    brotli: u64,
}

impl std::ops::Add for Sizes {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self { plain: self.plain + other.plain, gzip: self.gzip + other.gzip, brotli: self.brotli + other.brotli }
    }
}

/// Writes `<file>.gz` (gzip -9) and `<file>.br` (brotli, quality 11) beside `file`: the server sends them to the
/// browsers that accept them (`ServeDir::precompressed_*`). Returns the three sizes.
fn precompress(file: &Path) -> anyhow::Result<Sizes> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&bytes)?;
    let gzip = gzip.finish()?;
    let mut brotli = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli, &params)?;
    let with_suffix = |suffix: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    std::fs::write(with_suffix(".gz"), &gzip)?;
    std::fs::write(with_suffix(".br"), &brotli)?;
    Ok(Sizes { plain: bytes.len() as u64, gzip: gzip.len() as u64, brotli: brotli.len() as u64 })
}

/// Builds the adapter for the browser: release profile for Wasm, wasm-bindgen, then wasm-opt -Oz with the imports
/// and exports renamed short (`short_names.rs`) and the glue rewritten to match, then the precompressed copies the
/// server sends.
fn build_wasm() -> anyhow::Result<Sizes> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let wasm_opt = tools::ensure_wasm_opt()?;
    step("build the softphone (Wasm)");
    run(cargo().args([
        "build",
        "-p",
        "callpop-adapter",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let built = target_dir().join("wasm32-unknown-unknown/wasm-release/callpop_adapter.wasm");
    let out_dir = root().join("static/pkg");
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&out_dir)
        .arg(&built))?;
    let wasm = out_dir.join("callpop_adapter_bg.wasm");
    let glue = out_dir.join("callpop_adapter.js");
    // -Oz measured smaller than -Os, -O3 and `-Oz --converge` for this bundle, and smaller still after merging the
    // functions that are duplicates or differ only in their constants (PERFORMANCE.md). The producers
    // and target-features sections only serve tools that read the file after this one; browsers ignore them.
    let optimised = Command::new(&wasm_opt)
        .args(["--duplicate-function-elimination", "--merge-similar-functions", "-Oz"])
        .args(["--strip-producers", "--strip-target-features", "--minify-imports-and-exports-and-modules"])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm)
        .stderr(Stdio::inherit())
        .output()
        .context("starting wasm-opt")?;
    if !optimised.status.success() {
        bail!("wasm-opt failed ({})", optimised.status);
    }
    let renamed = short_names::Renamed::parse(&String::from_utf8_lossy(&optimised.stdout))?;
    let glue_text = std::fs::read_to_string(&glue).with_context(|| format!("reading {}", glue.display()))?;
    std::fs::write(&glue, renamed.rewrite_glue(&glue_text)?)?;
    let wasm = precompress(&wasm)?;
    let glue = precompress(&glue)?;
    let all = wasm + glue;
    println!(
        "softphone bundle in static/pkg/: {} bytes of Wasm + {} of JS glue = {} bytes; {} gzipped (Wasm {}), {} brotli (Wasm {})",
        wasm.plain, glue.plain, all.plain, all.gzip, wasm.gzip, all.brotli, wasm.brotli
    );
    connector::build()?;
    Ok(all)
}

/// A child process, killed when dropped (on an error). It stays in xtask's process group, so the Ctrl-C that stops
/// the demo reaches it too and nothing is left holding the ports.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(command: &mut Command) -> anyhow::Result<Running> {
    Ok(Running(command.spawn().with_context(|| format!("starting {command:?}"))?))
}

fn wait_for_http(url: &str, within: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let address = url.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
    while started.elapsed() < within {
        if std::net::TcpStream::connect(&address).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("{url} did not start within {within:?}")
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn flag_value(name: &str, default: u16) -> anyhow::Result<u16> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|arg| arg == name) {
        Some(index) => args
            .get(index + 1)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("{name} takes a port number")),
        None => Ok(default),
    }
}

fn demo() -> anyhow::Result<()> {
    let port = flag_value("--port", 8080)?;
    let org_port = flag_value("--org-port", 8081)?;
    let voice_port = flag_value("--voice-port", 8443)?;
    for (what, taken) in [("--port", port), ("--org-port", org_port), ("--voice-port", voice_port)] {
        if !port_is_free(taken) {
            bail!(
                "port {taken} is in use: stop what is using it, or pick another with `cargo xtask demo {what} <port>`"
            );
        }
    }
    build_wasm()?;
    step("build the server and the local org");
    run(cargo().args(["build", "-p", "callpop-server", "-p", "callpop-sandbox"]))?;
    let bin = target_dir().join("debug");
    let server_url = format!("http://127.0.0.1:{port}");
    // The org on `localhost`, callpop on `127.0.0.1`: two sites, as Salesforce and callpop are, so the browser treats
    // the softphone's frame as third-party, as it does in production.
    let org_url = format!("http://localhost:{org_port}");
    // Salesforce Voice's page, where Salesforce serves Lightning: a `*.lightning.force.com` name, over HTTPS.
    let voice_url = format!("https://callpop-dev.lightning.force.com:{voice_port}");
    let _org = spawn(
        Command::new(bin.join("callpop-org"))
            .args(["--port", &org_port.to_string(), "--adapter-url", &format!("{server_url}/softphone/")])
            .args(["--voice-port", &voice_port.to_string(), "--connector-url", &format!("{server_url}/connector/")])
            .args(["--example-rules", "--demo-telephony", &format!("{server_url}/demo")])
            .stdout(Stdio::null()),
    )?;
    let _server = spawn(
        Command::new(bin.join("callpop"))
            .args(["demo", "--port", &port.to_string(), "--org-origin", &org_url, "--voice-origin", &voice_url])
            // The terminal keeps the instructions readable: warnings and errors only, unless RUST_LOG says otherwise.
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "callpop_server=warn,tower_http=warn".to_owned()),
            )
            .current_dir(root())
            .stdout(Stdio::null()),
    )?;
    wait_for_http(&org_url, Duration::from_secs(30))?;
    wait_for_http(&server_url, Duration::from_secs(60))?;
    let credentials = root().join("target/demo/credentials.json");
    let started = Instant::now();
    while !credentials.is_file() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let credentials_text = std::fs::read_to_string(&credentials).unwrap_or_default();
    let api_key =
        credentials_text.split("\"api_key\": \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("?");
    println!(
        "\ncallpop demo is running. Press Ctrl-C to stop.\n\n  \
         1. Open the local org:  Lightning {org_url}/lightning/page/home\n                          \
            or Classic   {org_url}/console\n  \
         2. Click \"Phone\" at the bottom and sign in:\n       \
              agent@demo.callpop.test / callpop-demo\n  \
         3. Ring it: \"Simulate a call\" at the top of the org's page, then pick a caller: a known Contact,\n     \
              a known Lead, several matches, a new caller, or one that trips the org's validation rule.\n     \
              (Or from a terminal: cargo run -q -p callpop-server -- simulate --from +14155552671)\n  \
         4. Press Answer: the org pops the caller's record, and the call's Task appears in its Activity History.\n     \
              \"End call\" completes the Task.\n  \
         5. The admin console: {server_url}/console/ (admin@demo.callpop.test / callpop-demo)\n     \
              the call log with each call's Salesforce panel, the sync log, the integration options.\n  \
         6. Salesforce Voice (the connector instead of the Open CTI softphone): the org's Voice page is at\n     \
              {voice_url}/lightning/voice, a Salesforce name over HTTPS with a self-signed certificate, so\n     \
              open it in a Chromium started for it:\n       \
              chromium --host-resolver-rules='MAP *.force.com 127.0.0.1' --ignore-certificate-errors\n     \
              sign in inside its Phone, set your status to Available, and ring it as in step 3 (from the\n     \
              Lightning page in another tab, or the terminal): Accept opens the call in the Voice page.\n\n  \
         Server  {server_url}   API key {api_key}\n  \
         All logins (manager, reports, admin too) are in {}\n",
        credentials.display()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// The soak run: builds the server, the local org and the driver (`server/examples/soak.rs`) optimised, finds or
/// starts PostgreSQL for the two-server scenario, and runs the driver, which prints the table and fails when a call
/// was lost, duplicated or left unfinished. Bounded: about 5 minutes of scenarios after the build.
fn soak(args: &[String]) -> anyhow::Result<()> {
    step("build the server, the local org and the soak driver (optimised; the first build takes minutes)");
    run(cargo().args(["build", "--release", "-p", "callpop-server", "-p", "callpop-sandbox"]).args([
        "--bin",
        "callpop",
        "--bin",
        "callpop-org",
        "--example",
        "soak",
    ]))?;
    step("soak: kill -9 mid-burst, 20% faults, out-of-order events, two servers on PostgreSQL");
    if !run_driver("soak", args)? {
        bail!("the soak run failed: a count above is not 0, or a scenario could not run");
    }
    Ok(())
}

/// Runs the optimised `example` driver with `--bin-dir` (the release binaries), `--postgres` (found or started, and
/// stopped afterwards) and `args`; returns whether it succeeded.
fn run_driver(example: &str, args: &[String]) -> anyhow::Result<bool> {
    let release = target_dir().join("release");
    let mut postgres = postgres::ensure()?;
    let status = Command::new(release.join("examples").join(example))
        .arg("--bin-dir")
        .arg(&release)
        .args(["--postgres", &postgres.url])
        .args(args)
        .current_dir(root())
        .status()
        .with_context(|| format!("starting the {example} driver"));
    postgres.stop();
    Ok(status?.success())
}

/// Takes the README's screenshots: the org's pages and the softphone (which need the Wasm bundle) and the admin
/// console, by running `tests/examples/screenshots.rs` in headless Chromium.
fn screenshots(only: Option<&str>) -> anyhow::Result<()> {
    if let Some(set) = only.filter(|set| !matches!(*set, "console" | "softphone" | "frame" | "voice")) {
        bail!("unknown screenshot set {set:?}: {USAGE}");
    }
    let chromedriver = tools::ensure_chromium()?;
    if only != Some("console") {
        build_wasm()?;
    }
    step("take the screenshots (headless Chromium)");
    let mut command = cargo();
    command
        .args(["run", "-q", "-p", "callpop-e2e", "--example", "screenshots", "--"])
        .env("CHROMEDRIVER", &chromedriver);
    command.args(only);
    run(&mut command)?;
    println!("saved in docs/screenshots/: look at each one before committing");
    Ok(())
}

/// Finds (or starts, checks and stops) the PostgreSQL the API tests would use.
fn check_postgres() -> anyhow::Result<()> {
    let mut postgres = postgres::ensure()?;
    run(Command::new("psql").arg(&postgres.url).args(["-tAc", "SELECT version()"]))?;
    println!("the API tests would use {}", postgres.url);
    postgres.stop();
    Ok(())
}

fn test() -> anyhow::Result<()> {
    tools::ensure_wasm_target()?;
    tools::ensure_nextest()?;
    tools::ensure_cargo_deny()?;
    let chromedriver = tools::ensure_chromium()?;
    step("format");
    run(cargo().args(["fmt", "--all", "--check"])).context("run `cargo fmt --all` and commit the result")?;
    step("lint (native)");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
    step("lint (wasm32)");
    run(cargo().args([
        "clippy",
        "-p",
        "callpop-adapter",
        "-p",
        "callpop-core",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("dependency policy (cargo deny: licences, duplicate versions, sources; deny.toml)");
    // cargo deny reads `cargo metadata` for every platform, so the crates only other platforms build (windows-sys,
    // android_system_properties, ...) must be in the local registry too; a build fetches only this platform's.
    run(cargo().args(["fetch", "--locked"]))?;
    // The advisories check needs the RustSec database from GitHub, which these machines cannot reach (SECURITY.md).
    run(cargo().args(["deny", "--offline", "check", "licenses", "bans", "sources"]))?;
    step("the salesforce/ metadata project (converted by Salesforce's CLI, checked against callpop's names)");
    salesforce_project::check()?;
    build_wasm()?;
    step("softphone tests in headless Chromium (wasm-bindgen-test)");
    run(cargo()
        .args(["test", "-p", "callpop-adapter", "--target", "wasm32-unknown-unknown", "--locked"])
        .env("CHROMEDRIVER", &chromedriver)
        .current_dir(root().join("adapter-wasm")))?;
    step("PostgreSQL for the API tests");
    let mut postgres = postgres::ensure()?;
    println!("API tests run against SQLite and {}", postgres.url);
    if let Err(error) = conformance::conformance(&postgres.url) {
        postgres.stop();
        return Err(error);
    }
    step("native, API and browser end-to-end tests");
    // The last word is nextest's own summary: its exit status becomes ours, with nothing printed after it.
    let status = cargo()
        .args(["nextest", "run", "--workspace", "--locked", "--no-fail-fast"])
        .env("CHROMEDRIVER", &chromedriver)
        .env("CALLPOP_TEST_POSTGRES_URL", &postgres.url)
        .status()
        .context("starting cargo nextest");
    postgres.stop();
    std::process::exit(status?.code().unwrap_or(1));
}
