//! `callpop-org`: runs the local Salesforce org on its own port until stopped (`cargo xtask demo` starts it).

use callpop_sandbox::{Sandbox, SandboxConfig, seed};
use clap::Parser;
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(name = "callpop-org", about = "A local Salesforce org for callpop's demo and tests")]
struct Args {
    /// Port to listen on (loopback only).
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// The host name the org's pages are opened at: `localhost`, another site than callpop's `127.0.0.1`, as a
    /// Salesforce org is another site than callpop's server.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// The softphone's URL, as the call center definition's reqAdapterUrl gives it.
    #[arg(long, default_value = "http://127.0.0.1:8080/softphone/")]
    adapter_url: String,
    /// The port of the Salesforce Voice page's HTTPS listener (`https://callpop-dev.lightning.force.com:<port>`).
    #[arg(long, default_value_t = 8443)]
    voice_port: u16,
    /// The Salesforce Voice connector's URL, framed by the Voice page.
    #[arg(long, default_value = "http://127.0.0.1:8080/connector/")]
    connector_url: String,
    /// Start with no records.
    #[arg(long)]
    empty: bool,
    /// Start with the example validation rules (`seed::example_validation_rules`).
    #[arg(long)]
    example_rules: bool,
    /// The demo's telephony endpoint (`http://127.0.0.1:8080/demo`): the org's pages then show a "Simulate a call"
    /// control that rings the softphone through it.
    #[arg(long)]
    demo_telephony: Option<String>,
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
        host: Some(args.host),
        adapter_url: Some(args.adapter_url),
        seed: !args.empty,
        demo_telephony: args.demo_telephony,
        voice_listen: SocketAddr::from(([127, 0, 0, 1], args.voice_port)),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await?;
    sandbox.set_connector_url(&args.connector_url);
    if args.example_rules {
        for rule in seed::example_validation_rules() {
            sandbox.org().lock().add_validation_rule(rule)?;
        }
    }
    println!("local org        {}", sandbox.base_url());
    println!("  Lightning      {}/lightning/page/home", sandbox.base_url());
    println!("  Voice          {}/lightning/voice", sandbox.voice_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
