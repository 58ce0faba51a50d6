//! The `callpop` binary: parses the command line and hands over to `callpop_server::cli`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "callpop_server=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    callpop_server::cli::run(callpop_server::cli::Cli::parse()).await
}
