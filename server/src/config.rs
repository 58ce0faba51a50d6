//! The server's configuration, from flags and environment variables (`callpop serve --help` lists them).

use callpop_core::sign_in::SignInLimits;
use clap::Args;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

    /// This server's public base URL, e.g. `https://callpop.example.com`. Salesforce sends admins who link an org
    /// back to `<it>/api/v1/salesforce/oauth/callback`: register that URL on the connected app.
    #[arg(long, env = "CALLPOP_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The consumer key of the Salesforce connected app callpop links orgs with.
    #[arg(long, env = "CALLPOP_SALESFORCE_CLIENT_ID")]
    pub salesforce_client_id: Option<String>,

    /// The connected app's consumer secret.
    #[arg(long, env = "CALLPOP_SALESFORCE_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub salesforce_client_secret: Option<SecretString>,

    /// Where admins sign in to link an org unless they name another: `https://login.salesforce.com`,
    /// `https://test.salesforce.com` (sandboxes) or the org's My Domain URL.
    #[arg(long, env = "CALLPOP_SALESFORCE_LOGIN_URL", default_value = "https://login.salesforce.com")]
    pub salesforce_login_url: String,

    /// 32 random bytes, base64, that seal the Salesforce tokens stored in the database (`callpop generate-token-key`
    /// prints a new one). The server does not start without it: a stolen database must not yield working tokens.
    #[arg(long, env = "CALLPOP_TOKEN_KEY", hide_env_values = true, value_parser = secret)]
    pub token_key: Option<SecretString>,

    /// The header the load balancer or reverse proxy in front of callpop writes the client's address into, e.g.
    /// `X-Forwarded-For` (its last address is used). Unset, the TCP peer is the client: set it only behind a proxy
    /// that writes the header, or clients could choose their own address and escape sign-in throttling.
    #[arg(long, env = "CALLPOP_CLIENT_ADDRESS_HEADER")]
    pub client_address_header: Option<String>,

    /// How many failed sign-ins are allowed in 15 minutes before attempts wait (`callpop_core::sign_in`): per email
    /// from one address, per email, per address. Raise the last when hundreds of agents share one public address.
    #[arg(long, env = "CALLPOP_SIGN_IN_LIMITS", default_value = "5,20,50")]
    pub sign_in_limits: SignInLimits,

    /// Do not run the Salesforce sync engine in this process (another server sharing the database runs it).
    #[arg(long, env = "CALLPOP_NO_SYNC")]
    pub no_sync: bool,

    /// How many seconds a request to Salesforce may take before callpop gives up on it and retries later (every
    /// write is keyed by the call, so a write that lands after callpop gave up is not made twice). Default 30.
    #[arg(long, env = "CALLPOP_SALESFORCE_TIMEOUT_SECS")]
    pub salesforce_timeout_secs: Option<u64>,

    /// The longest wait, in seconds, between two retries of an item Salesforce failed transiently (the waits double
    /// from 2 s up to it). Default 600. The soak run (`cargo xtask soak`) lowers it so that its faults drain in
    /// minutes.
    #[arg(long, env = "CALLPOP_SYNC_RETRY_MAX_SECS")]
    pub sync_retry_max_secs: Option<u64>,

    /// How often the server's stream watchman reads the notices no wake-up announced (one query for all streams;
    /// `StreamNotifier`). Wake-ups come from this server, and on PostgreSQL from the others (`LISTEN`/`NOTIFY`);
    /// the watchman is what remains when one is lost. Streams themselves never poll.
    #[arg(skip = Duration::from_secs(2))]
    pub stream_poll: Duration,

    /// How fast the sync engine polls, retries and waits; the defaults suit production, tests shorten them.
    #[arg(skip)]
    pub sync_timing: SyncTiming,
}

/// The sync engine's pace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTiming {
    /// How often the worker looks for due outbox items when nothing woke it.
    pub poll: Duration,
    /// How long a claimed item is leased before another worker may take it (the first died). Renewed every third
    /// of it while the item is worked on, so it can be short.
    pub lease: Duration,
    /// The first retry's delay after a transient error; each later retry doubles it, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long legacy mode waits for the agent to pick a record in the multi-match dialog.
    pub dialog_timeout: Duration,
    /// How often it looks again while waiting.
    pub dialog_recheck: Duration,
    /// How long an account's sync pauses after `REQUEST_LIMIT_EXCEEDED`.
    pub limit_pause: Duration,
    /// How long items of an account without a working org link wait before looking again.
    pub unlinked_wait: Duration,
    /// How long a Campaign's id is remembered.
    pub cache_ttl: Duration,
    /// How long what a phone search found is remembered (forgotten sooner when callpop creates a record). Short:
    /// someone may add the caller to the org by hand meanwhile.
    pub number_cache_ttl: Duration,
    /// With legacy mode off, how long after a popped call ends the server waits for the softphone's activity append
    /// before it logs the call by its own rule (`sync/unlogged.rs`).
    pub unlogged_grace: Duration,
    /// How long a request to Salesforce may take before callpop gives up on it (and treats its outcome as unknown:
    /// the replay is safe). Tests shorten it to meet a write that commits after the client gave up.
    pub request_timeout: Duration,
    /// How long legacy mode holds the Task update of a call's answer, waiting for the call's end to send both in one
    /// update (`callpop_core::write_plan::update_timing`). A later event of the call ends the hold at once.
    pub answer_hold: Duration,
}

impl Default for SyncTiming {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(15),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(600),
            dialog_timeout: Duration::from_secs(45),
            unlogged_grace: Duration::from_secs(300),
            dialog_recheck: Duration::from_secs(2),
            limit_pause: Duration::from_secs(900),
            unlinked_wait: Duration::from_secs(60),
            cache_ttl: Duration::from_secs(300),
            number_cache_ttl: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            answer_hold: Duration::from_secs(600),
        }
    }
}

impl SyncTiming {
    /// A pace for tests: everything in milliseconds.
    pub fn fast() -> Self {
        Self {
            poll: Duration::from_millis(50),
            lease: Duration::from_secs(30),
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
            dialog_timeout: Duration::from_secs(3),
            unlogged_grace: Duration::from_secs(1),
            dialog_recheck: Duration::from_millis(200),
            limit_pause: Duration::from_secs(2),
            unlinked_wait: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(60),
            number_cache_ttl: Duration::from_secs(60),
            request_timeout: Duration::from_secs(3),
            answer_hold: Duration::from_millis(300),
        }
    }
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
            public_url: None,
            salesforce_client_id: None,
            salesforce_client_secret: None,
            salesforce_login_url: "https://login.salesforce.com".to_owned(),
            token_key: Some(crate::salesforce::TokenCipher::generate_key().into()),
            client_address_header: None,
            sign_in_limits: SignInLimits::default(),
            no_sync: false,
            salesforce_timeout_secs: None,
            sync_retry_max_secs: None,
            stream_poll: Duration::from_secs(2),
            sync_timing: SyncTiming::fast(),
        }
    }
}

/// Reads a secret from the command line or the environment. As a `SecretString` it prints as `[REDACTED]` in any
/// `Debug` output (the configuration is logged at start) and is wiped from memory when dropped.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn secrets_from_flags_never_show_in_debug_output() {
        let command = Command::parse_from([
            "callpop",
            "--salesforce-client-secret",
            "consumer-SECRET",
            "--token-key",
            "key-SECRET",
        ]);
        let shown = format!("{command:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let secret = command.config.salesforce_client_secret.as_ref().map(secrecy::ExposeSecret::expose_secret);
        assert_eq!(secret, Some("consumer-SECRET"), "the value itself is kept");
    }
}
