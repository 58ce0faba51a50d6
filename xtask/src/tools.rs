//! The tools the build needs beyond cargo, each installed when missing or named in one clear sentence.
//!
//! - the `wasm32-unknown-unknown` target (rustup);
//! - `wasm-bindgen` at exactly the version the adapter pins (cargo install, without `--locked`: the registry here
//!   lacks some locked versions, toolchain.md §0);
//! - binaryen's `wasm-opt` >= 116 from npm into `tools/` (Debian's 108 breaks wasm-bindgen output at runtime);
//! - esbuild and `@salesforce/scv-connector-base` from npm into `tools/scv-connector/` (the Salesforce Voice
//!   connector's bundle);
//! - cargo-deny at the version `deny.toml` is written for (cargo install);
//! - Chromium and ChromeDriver from Debian (browser tests; tools that download their own browser fail here).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The wasm-bindgen version `adapter-wasm/Cargo.toml` pins; the CLI must match it exactly.
pub(crate) const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The workspace root. `cargo run` (the `cargo xtask` alias) sets `CARGO_MANIFEST_DIR` for the running binary, so
/// the root is this checkout's even when several checkouts share one target directory and so one xtask binary.
pub(crate) fn root() -> PathBuf {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The cargo target directory: `CARGO_TARGET_DIR`, or the workspace's `target/`.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), Into::into)
}

/// Runs a command, failing with its name when it fails.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    let description = format!("{command:?}");
    let status = command.status().with_context(|| format!("starting {description}"))?;
    if !status.success() {
        bail!("{description} failed ({status})");
    }
    Ok(())
}

/// A command's standard output, or `None` when it cannot run.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file())
}

pub(crate) fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    println!("xtask: installing the wasm32-unknown-unknown target");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        .context("install the wasm32 target with `rustup target add wasm32-unknown-unknown`")
}

pub(crate) fn ensure_wasm_bindgen() -> anyhow::Result<()> {
    let wanted = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    if output("wasm-bindgen", &["--version"]).is_some_and(|version| version.trim() == wanted) {
        return Ok(());
    }
    println!("xtask: installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (about 4 minutes on 2 cores)");
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION]))
        .with_context(|| format!("install it with `cargo install wasm-bindgen-cli --version {WASM_BINDGEN_VERSION}`"))
}

/// binaryen's wasm-opt from npm, installed into `tools/node_modules`.
pub(crate) fn ensure_wasm_opt() -> anyhow::Result<PathBuf> {
    ensure_npm_tool("tools", "wasm-opt", "binaryen's wasm-opt")
}

/// Salesforce's own CLI (`sf`), from npm into `tools/salesforce-cli/` (about 300 MB).
pub(crate) fn ensure_salesforce_cli() -> anyhow::Result<PathBuf> {
    ensure_npm_tool("tools/salesforce-cli", "sf", "Salesforce's CLI")
}

/// esbuild and Salesforce's `@salesforce/scv-connector-base`, from npm into `tools/scv-connector/`, to bundle the
/// Salesforce Voice connector; returns esbuild.
pub(crate) fn ensure_scv_connector_tools() -> anyhow::Result<PathBuf> {
    ensure_npm_tool("tools/scv-connector", "esbuild", "esbuild and Salesforce's connector library")
}

/// A program from npm: `bin` of the packages that `prefix`'s lockfile pins (under the repository's root), installed
/// with `npm ci` when missing. `what` names it in messages.
fn ensure_npm_tool(prefix: &str, bin: &str, what: &str) -> anyhow::Result<PathBuf> {
    let prefix_dir = root().join(prefix);
    let program = prefix_dir.join("node_modules/.bin").join(bin);
    if program.is_file() {
        return Ok(program);
    }
    if on_path("npm").is_none() {
        bail!("{what} comes from npm: install Node.js and npm (Debian: `apt-get install nodejs npm`)");
    }
    println!("xtask: installing {what} from npm into {prefix}/");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"]).arg(&prefix_dir))
        .with_context(|| format!("install {what} with `npm ci --prefix {prefix}`"))?;
    Ok(program)
}

/// The ChromeDriver path, installing Debian's Chromium and ChromeDriver when missing and possible.
pub(crate) fn ensure_chromium() -> anyhow::Result<PathBuf> {
    if let (Some(_), Some(driver)) =
        (on_path("chromium").or_else(|| on_path("chromium-browser")), on_path("chromedriver"))
    {
        return Ok(driver);
    }
    let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if !is_root || on_path("apt-get").is_none() {
        bail!(
            "the browser tests need Chromium and ChromeDriver: install them (Debian: `apt-get install chromium chromium-driver`)"
        );
    }
    println!("xtask: installing Chromium and ChromeDriver from Debian");
    run(Command::new("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .context("install them with `apt-get install chromium chromium-driver`")?;
    on_path("chromedriver").context("chromedriver is still not on PATH after installing chromium-driver")
}

/// The cargo-deny release `deny.toml` is written for.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// cargo-deny, for the dependency policy in `deny.toml` (licences, bans, sources).
pub(crate) fn ensure_cargo_deny() -> anyhow::Result<()> {
    if output("cargo", &["deny", "--version"]).is_some_and(|version| version.trim().ends_with(CARGO_DENY_VERSION)) {
        return Ok(());
    }
    println!("xtask: installing cargo-deny {CARGO_DENY_VERSION} (a few minutes on 2 cores, once)");
    run(Command::new("cargo").args(["install", "cargo-deny", "--version", CARGO_DENY_VERSION]))
        .with_context(|| format!("install it with `cargo install cargo-deny --version {CARGO_DENY_VERSION}`"))
}

pub(crate) fn ensure_nextest() -> anyhow::Result<()> {
    if output("cargo", &["nextest", "--version"]).is_some() {
        return Ok(());
    }
    println!("xtask: installing cargo-nextest");
    run(Command::new("cargo").args(["install", "cargo-nextest"]))
        .context("install it with `cargo install cargo-nextest`")
}
