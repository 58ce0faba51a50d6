//! `callpop-org`: runs the local Salesforce org on its own port until stopped (`cargo xtask demo` starts it).

use callpop_sandbox::{Sandbox, SandboxConfig};
use clap::Parser;
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(name = "callpop-org", about = "A local Salesforce org for callpop's demo and tests")]
struct Args {
    /// Port to listen on (loopback only).
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// The softphone's URL, as the call center definition's reqAdapterUrl gives it.
    #[arg(long, default_value = "http://127.0.0.1:8080/softphone/")]
    adapter_url: String,
    /// Start with no records.
    #[arg(long)]
    empty: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], args.port)),
        adapter_url: Some(args.adapter_url),
        seed: !args.empty,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await?;
    println!("local org        {}", sandbox.base_url());
    println!("  Lightning      {}/lightning/page/home", sandbox.base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
