//! The demo as `cargo xtask demo` runs it, in-process: the real `callpop demo` command (a fresh demo account, legacy
//! mode on, linked to the local org over OAuth, the demo's telephony side) and a local org with the example
//! validation rules and the "Simulate a call" control. Used by `tests/demo.rs` and the README's screenshots.

use crate::{ADMIN_EMAIL, Browser, PATIENCE, sign_in};
use callpop_sandbox::org::Record;
use callpop_sandbox::{Sandbox, SandboxConfig, seed};
use callpop_server::cli::{Cli, Command, DemoArgs};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The local org and `callpop demo`, running as `cargo xtask demo` runs them.
#[derive(Debug)]
pub struct Demo {
    pub org: Sandbox,
    pub server_url: String,
    pub http: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

impl Demo {
    /// Starts both, and returns once the demo account is seeded and linked.
    pub async fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let server_url = format!("http://127.0.0.1:{port}");
        let org = Sandbox::start(SandboxConfig {
            host: Some(crate::ORG_HOST.to_owned()),
            adapter_url: Some(format!("{server_url}/softphone/")),
            demo_telephony: Some(format!("{server_url}/demo")),
            ..SandboxConfig::default()
        })
        .await?;
        for rule in seed::example_validation_rules() {
            org.org().lock().add_validation_rule(rule)?;
        }
        let data_dir = tempfile::tempdir()?;
        org.set_connector_url(&format!("{server_url}/connector/"));
        let args = DemoArgs {
            port,
            org_origin: org.base_url().to_owned(),
            voice_origin: Some(org.voice_url().to_owned()),
            data_dir: data_dir.path().to_owned(),
        };
        tokio::spawn(async move {
            if let Err(error) = callpop_server::cli::run(Cli { command: Command::Demo(args) }).await {
                eprintln!("callpop demo stopped: {error:#}");
            }
        });
        let demo = Self { org, server_url, http: reqwest::Client::new(), _data_dir: data_dir };
        // The demo is ready once its credentials are written: the account is seeded and linked to the org.
        let credentials = demo._data_dir.path().join("credentials.json");
        let started = Instant::now();
        while !credentials.is_file() {
            anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "the demo did not start within a minute");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(demo)
    }

    /// Waits until the org has a record of `object` that `wanted` accepts, and returns it.
    pub async fn wait_for_org_record(&self, object: &str, wanted: impl Fn(&Record) -> bool) -> anyhow::Result<Record> {
        let started = Instant::now();
        loop {
            if let Some(record) = self.org.records(object).into_iter().find(&wanted) {
                return Ok(record);
            }
            anyhow::ensure!(
                started.elapsed() < PATIENCE,
                "no such {object} appeared in the org: {:?}",
                self.org.records(object)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A JSON resource of the API (`/api/v1/…`) as the demo's administrator reads it.
    pub async fn admin_get(&self, path: &str) -> anyhow::Result<Value> {
        let token = sign_in(&self.http, &self.server_url, ADMIN_EMAIL).await?;
        let url = format!("{}{path}", self.server_url);
        Ok(self.http.get(url).bearer_auth(token).send().await?.error_for_status()?.json().await?)
    }

    /// Rings the softphone with `scenario` from the org's "Simulate a call" control, as a newcomer does.
    pub async fn ring(&self, browser: &Browser, scenario: &str) -> anyhow::Result<()> {
        browser.leave_softphone().await?;
        let summary = browser.wait_for(".demo-telephony summary").await?;
        if !browser.has(".demo-telephony[open]").await? {
            summary.click().await?;
        }
        browser.wait_for(&format!(".demo-scenarios button[data-scenario='{scenario}']")).await?.click().await?;
        browser.wait_for(".demo-call .demo-end").await?;
        Ok(())
    }
}
