//! The `callpop` command line: serve, run the demo, simulate calls.

use crate::config::Config;
use crate::provision;
use crate::simulate::SimulateArgs;
use crate::{Application, simulate};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "callpop", version, about = "callpop: a Salesforce Open CTI softphone and its call-activity server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Config),
    /// Run the server with a fresh demo account, framed by a local org (`cargo xtask demo` starts both).
    Demo(DemoArgs),
    /// Post a call's events like a telephony platform.
    Simulate(SimulateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The port to serve on (loopback only).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The local org that frames the softphone.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    pub org_origin: String,
    /// Where the demo keeps its database and credentials; wiped at each start.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/demo"))]
    pub data_dir: PathBuf,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => {
            let app = Application::build(config).await?;
            tracing::info!(address = %app.local_addr(), "callpop is listening");
            app.run_until_stopped().await?;
        }
        Command::Demo(args) => run_demo(args).await?,
        Command::Simulate(args) => simulate::run(args).await?,
    }
    Ok(())
}

async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let database = args.data_dir.join("callpop.db");
    for stale in ["callpop.db", "callpop.db-wal", "callpop.db-shm"] {
        let _ = std::fs::remove_file(args.data_dir.join(stale)); // A fresh demo each time; missing files are fine.
    }
    let mut config = Config::for_tests(format!("sqlite://{}", database.display()));
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    config.extra_org_origins = vec![args.org_origin.trim_end_matches('/').to_owned()];
    let app = Application::build(config).await?;
    let base = format!("http://{}", app.local_addr());
    let credentials = provision::seed_demo(app.store().as_ref(), &base).await?;
    let credentials_path = args.data_dir.join("credentials.json");
    std::fs::write(&credentials_path, serde_json::to_string_pretty(&credentials)?)
        .with_context(|| format!("writing {}", credentials_path.display()))?;
    println!("callpop server   {base}");
    println!("  softphone      {base}/softphone/");
    println!("  API key        {}", credentials.api_key);
    for user in &credentials.users {
        println!("  {:<14} {} / {}", user.role, user.email, user.password);
    }
    println!("  (also in {})", credentials_path.display());
    app.run_until_stopped().await?;
    Ok(())
}
