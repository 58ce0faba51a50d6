//! The `callpop` command line: serve, run the demo, simulate calls, set up accounts, print the call center XML.

use crate::call_center;
use crate::config::{Config, SyncTiming};
use crate::model::Account;
use crate::provision;
use crate::simulate::SimulateArgs;
use crate::store::{AccountStore, SqlStore};
use crate::{Application, demo, local_org, simulate};
use anyhow::{Context, bail};
use callpop_core::account::{Plan, Role};
use callpop_core::options::IntegrationOptions;
use callpop_core::wire::WrapUpSettings;
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
    /// Run the server. (Boxed: the configuration is far larger than the other commands' arguments.)
    Serve(Box<Config>),
    /// Run the server with a fresh demo account, framed by a local org (`cargo xtask demo` starts both).
    Demo(DemoArgs),
    /// Post a call's events like a telephony platform.
    Simulate(SimulateArgs),
    /// Set up accounts, users and API keys (first set-up, support).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print an account's call center definition, to import in Salesforce Setup → Call Centers.
    CallCenterXml(CallCenterXmlArgs),
    /// Print a new key for CALLPOP_TOKEN_KEY (32 random bytes, base64), which seals Salesforce tokens at rest.
    GenerateTokenKey,
}

/// The database an offline command works on.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`, as for `callpop serve`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://callpop.db")]
    pub database_url: String,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account; prints its public id, which the other commands take as `--account`.
    CreateAccount {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The account's name, as agents and admins see it.
        #[arg(long)]
        name: String,
        /// basic, sales_engage, enterprise or connect (Salesforce needs one of the last three).
        #[arg(long, default_value = "enterprise")]
        plan: String,
        /// ISO 3166 region for numbers written without a country code.
        #[arg(long, default_value = "US")]
        region: String,
        /// Where Salesforce reaches this server, e.g. https://callpop.example.com (HTTPS; http only on loopback).
        #[arg(long)]
        public_base_url: String,
    },
    /// Create a user of an account; prints the password when one was generated.
    CreateUser {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The account's public id (`acct_…`).
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
        /// The name shown in the softphone and the logs.
        #[arg(long)]
        name: String,
        /// call_agent, call_manager, report_manager or administrator.
        #[arg(long)]
        role: String,
        /// The password; a random one is generated and printed once when absent.
        #[arg(long, env = "CALLPOP_NEW_USER_PASSWORD")]
        password: Option<String>,
        /// The user's Salesforce user id, for Task owners.
        #[arg(long)]
        salesforce_user_id: Option<String>,
    },
    /// Create an API key for the telephony side; prints it once (only its hash is kept).
    CreateApiKey {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The account's public id (`acct_…`).
        #[arg(long)]
        account: String,
        /// What the key is for.
        #[arg(long, default_value = "telephony")]
        label: String,
    },
    /// Revoke an API key by its id (`GET /api/v1/api-keys` lists them).
    RevokeApiKey {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        account: String,
        #[arg(long)]
        key_id: i64,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CallCenterXmlArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The account's public id (`acct_…`).
    #[arg(long)]
    pub account: String,
    /// The Open CTI API version the softphone loads, as for `callpop serve`.
    #[arg(long, env = "CALLPOP_OPEN_CTI_VERSION", default_value = "62.0")]
    pub open_cti_version: String,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The port to serve on (loopback only).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The local org that frames the softphone.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    pub org_origin: String,
    /// The local org's Lightning origin over HTTPS, whose Salesforce Voice page frames the connector
    /// (`https://callpop-dev.lightning.force.com:8443`), if it has one.
    #[arg(long)]
    pub voice_origin: Option<String>,
    /// Where the demo keeps its database and credentials; wiped at each start.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/demo"))]
    pub data_dir: PathBuf,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(mut config) => {
            if let Some(secs) = config.salesforce_timeout_secs {
                config.sync_timing.request_timeout = std::time::Duration::from_secs(secs);
            }
            if let Some(secs) = config.sync_retry_max_secs {
                config.sync_timing.retry_max = std::time::Duration::from_secs(secs);
            }
            let app = Application::build(*config).await?;
            tracing::info!(address = %app.local_addr(), "callpop is listening");
            app.run_until_stopped().await?;
        }
        Command::Demo(args) => run_demo(args).await?,
        Command::GenerateTokenKey => println!("{}", crate::salesforce::TokenCipher::generate_key()),
        Command::Simulate(args) => simulate::run(args).await?,
        Command::Admin(command) => run_admin(command).await?,
        Command::CallCenterXml(args) => {
            let store = SqlStore::connect(&args.database.database_url).await?;
            let account = find_account(&store, &args.account).await?;
            println!("{}", call_center::call_center_xml(&account, &args.open_cti_version)?);
        }
    }
    Ok(())
}

async fn find_account(store: &SqlStore, public_id: &str) -> anyhow::Result<Account> {
    store.account_by_public_id(public_id).await?.with_context(|| format!("there is no account {public_id:?}"))
}

async fn run_admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateAccount { database, name, plan, region, public_base_url } => {
            let plan = Plan::parse(&plan)
                .with_context(|| format!("--plan {plan:?}: use basic, sales_engage, enterprise or connect"))?;
            crate::phone::parse("+14155552671", &region).map_err(|error| anyhow::anyhow!("--region: {error}"))?;
            let public_base_url = provision::check_public_base_url(&public_base_url)?;
            let store = SqlStore::connect(&database.database_url).await?;
            let account = provision::create_account(&store, &name, plan, &region, &public_base_url).await?;
            println!("created account {} ({}, plan {})", account.public_id, account.name, account.plan.as_str());
            println!("next: callpop admin create-user --account {} --role administrator …", account.public_id);
        }
        AdminCommand::CreateUser { database, account, email, name, role, password, salesforce_user_id } => {
            let role = Role::parse(&role).with_context(|| {
                format!("--role {role:?}: use call_agent, call_manager, report_manager or administrator")
            })?;
            if !email.contains('@') {
                bail!("--email {email:?} is not an email address");
            }
            let store = SqlStore::connect(&database.database_url).await?;
            let account = find_account(&store, &account).await?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(|| crate::auth::new_secret("")[..20].to_owned());
            let user = provision::create_user(
                &store,
                account.id,
                &email,
                &name,
                role,
                &password,
                salesforce_user_id.as_deref(),
            )
            .await?;
            println!("created user {} ({}) in {}", user.email, user.role.as_str(), account.public_id);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        AdminCommand::CreateApiKey { database, account, label } => {
            let store = SqlStore::connect(&database.database_url).await?;
            let account = find_account(&store, &account).await?;
            let issued = provision::issue_api_key(&store, account.id, &label).await?;
            println!("API key {} for {} (shown once; callpop keeps only its hash):", issued.id, account.public_id);
            println!("{}", issued.key);
        }
        AdminCommand::RevokeApiKey { database, account, key_id } => {
            let store = SqlStore::connect(&database.database_url).await?;
            let account = find_account(&store, &account).await?;
            if !store.revoke_api_key(account.id, key_id, chrono::Utc::now()).await? {
                bail!("account {} has no unrevoked API key {key_id}", account.public_id);
            }
            println!("revoked API key {key_id} of {}", account.public_id);
        }
    }
    Ok(())
}

/// The connected app the demo registers in the local org (`local_org::link`).
const DEMO_CLIENT_ID: &str = "3MVG9callpop.demo.connected.app";
const DEMO_CLIENT_SECRET: &str = "callpop-demo-consumer-secret";
/// The number the demo's callers dial (the tracking number).
const DEMO_TRACKING_NUMBER: &str = "+14155550100";
/// The demo account's dispositions, as an administrator might keep them.
const DEMO_DISPOSITIONS: [&str; 4] = ["Sale", "Callback requested", "Not interested", "Wrong number"];

async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let database = args.data_dir.join("callpop.db");
    for stale in ["callpop.db", "callpop.db-wal", "callpop.db-shm"] {
        let _ = std::fs::remove_file(args.data_dir.join(stale)); // A fresh demo each time; missing files are fine.
    }
    let org = args.org_origin.trim_end_matches('/').to_owned();
    let base = format!("http://127.0.0.1:{}", args.port);
    let mut config = Config::for_tests(format!("sqlite://{}", database.display()));
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    config.extra_org_origins = std::iter::once(org.clone()).chain(args.voice_origin.clone()).collect();
    config.public_url = Some(base.clone());
    config.salesforce_client_id = Some(DEMO_CLIENT_ID.to_owned());
    config.salesforce_client_secret = Some(DEMO_CLIENT_SECRET.into());
    config.salesforce_login_url = org.clone();
    // Real pace, but a quick poll: a newcomer should see the Task appear within a second.
    config.sync_timing = SyncTiming { poll: std::time::Duration::from_millis(200), ..SyncTiming::default() };
    let app = Application::build(config).await?;
    let credentials = provision::seed_demo(app.store().as_ref(), &base).await?;
    let store = app.store();
    let account = store.account_by_public_id(&credentials.account_public_id).await?.context("the demo account")?;
    let (admin, _) = store.user_by_email("admin@demo.callpop.test").await?.context("the demo administrator")?;
    // The demo shows callpop's automatic sync: legacy mode finds or creates the caller's record and logs the call
    // on it. Turned on by the administrator, so the console's settings history says who and when; the newcomer can
    // turn it off in the console (Legacy Options) and see calls wait for triggers instead.
    let options =
        IntegrationOptions { legacy_mode: true, ..store.integration_options(account.id).await?.unwrap_or_default() };
    store.update_integration_options(account.id, admin.id, &options, chrono::Utc::now()).await?;
    // A disposition list, so the newcomer sees one on the call's card (the console's Wrap-up page edits it).
    let wrap_up = WrapUpSettings {
        dispositions: DEMO_DISPOSITIONS.iter().map(|value| (*value).to_owned()).collect(),
        wrap_up_secs: callpop_core::wrap_up::DEFAULT_WRAP_UP_SECS,
    };
    store.put_wrap_up_settings(account.id, admin.id, &wrap_up, chrono::Utc::now()).await?;
    let demo_app = local_org::ConnectedApp { client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET };
    local_org::link(&app.sync(), &org, &base, &demo_app, account.id, admin.id)
        .await
        .context("linking the demo account to the local org")?;
    // With the org's Voice page, the account is on both hosts, as during a migration: the Open CTI softphone and
    // the Salesforce Voice connector both take calls, and the calls get their VoiceCall.
    if args.voice_origin.is_some() {
        local_org::set_up_salesforce_voice(&app.sync(), store.as_ref(), &org, account.id, admin.id)
            .await
            .context("moving the demo account to Salesforce Voice")?;
    }
    let credentials_path = args.data_dir.join("credentials.json");
    std::fs::write(&credentials_path, serde_json::to_string_pretty(&credentials)?)
        .with_context(|| format!("writing {}", credentials_path.display()))?;
    println!("callpop server   {base}");
    println!("  softphone      {base}/softphone/");
    println!("  connector      {base}/connector/ (Salesforce Voice)");
    println!("  API key        {}", credentials.api_key);
    for user in &credentials.users {
        println!("  {:<14} {} / {}", user.role, user.email, user.password);
    }
    println!("  (also in {})", credentials_path.display());
    // The demo's telephony side places the calls agents click to dial in the org.
    let book = simulate::CallBook::default();
    let dials =
        simulate::place_dial_requests(base.clone(), credentials.api_key.clone(), DEMO_TRACKING_NUMBER, book.clone());
    tokio::spawn(dials);
    // The local org's "Simulate a call" control rings the agent through the demo's telephony side, which also obeys
    // the softphone's call controls for the demo's calls, rung or dialled.
    let telephony =
        demo::DemoTelephony::new(&base, &credentials.api_key, provision::DEMO_AGENT_EMAIL, DEMO_TRACKING_NUMBER, book);
    telephony.start(store.clone(), account.id);
    app.run_with(telephony.router(&org)?).await?;
    Ok(())
}
