//! The server's configuration, from flags and environment variables (`callpop serve --help` lists them).

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// How to run the server.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CALLPOP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `sqlite://path/to/file.db` (created if missing) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://callpop.db")]
    pub database_url: String,

    /// The directory holding the softphone page, the console and the built Wasm bundle (`static/pkg`).
    #[arg(long, env = "CALLPOP_STATIC_DIR", default_value = default_static_dir())]
    pub static_dir: PathBuf,

    /// An origin, besides Salesforce's own domains, that may frame the softphone and serve its Open CTI library.
    /// Only for a local or test org, e.g. `http://127.0.0.1:8081`. Repeat for several.
    #[arg(long = "allow-org-origin", env = "CALLPOP_ALLOW_ORG_ORIGINS", value_delimiter = ',')]
    pub extra_org_origins: Vec<String>,

    /// The Open CTI API version whose libraries the softphone loads.
    #[arg(long, env = "CALLPOP_OPEN_CTI_VERSION", default_value = "62.0")]
    pub open_cti_version: String,
}

/// `static/` beside the workspace when run from a checkout, else `./static`.
fn default_static_dir() -> &'static str {
    let in_checkout = concat!(env!("CARGO_MANIFEST_DIR"), "/../static");
    if std::path::Path::new(in_checkout).is_dir() { in_checkout } else { "static" }
}

impl Config {
    /// A configuration for tests and embedding: loopback on a free port, a SQLite file, the checkout's `static/`.
    pub fn for_tests(database_url: String) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url,
            static_dir: PathBuf::from(default_static_dir()),
            extra_org_origins: Vec::new(),
            open_cti_version: "62.0".to_owned(),
        }
    }
}
