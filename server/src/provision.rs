//! Setting up accounts, users and API keys: used by `callpop admin …`, the demo and the tests.

use crate::auth::{API_KEY_PREFIX, hash_password, hash_secret, new_secret};
use crate::model::{Account, User};
use crate::store::Store;
use crate::store::accounts::{NewAccount, NewUser};
use anyhow::Context;
use callpop_core::account::{Plan, Role};
use callpop_core::options::IntegrationOptions;
use chrono::Utc;
use serde::Serialize;

/// Creates an account with the default integration options.
pub async fn create_account(
    store: &dyn Store,
    name: &str,
    plan: Plan,
    default_region: &str,
    public_base_url: &str,
) -> anyhow::Result<Account> {
    let public_id = format!("acct_{}", &new_secret("")[..16]);
    let new = NewAccount {
        public_id,
        name: name.to_owned(),
        plan,
        default_region: default_region.to_ascii_uppercase(),
        public_base_url: public_base_url.trim_end_matches('/').to_owned(),
        options: IntegrationOptions::default(),
    };
    store.create_account(&new, Utc::now()).await.context("creating the account")
}

/// Creates a user with a password (hashed with argon2 here; the password itself is never stored).
pub async fn create_user(
    store: &dyn Store,
    account_id: i64,
    email: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<User> {
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let new = NewUser {
        account_id,
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        password_hash,
        role,
        salesforce_user_id: None,
    };
    store.create_user(&new, Utc::now()).await.with_context(|| format!("creating the user {email}"))
}

/// A new API key: its id (to revoke it) and the secret, shown this once.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    pub id: i64,
    pub key: String,
}

/// Creates an API key. It is shown this once: only its hash is stored.
pub async fn issue_api_key(store: &dyn Store, account_id: i64, label: &str) -> anyhow::Result<IssuedApiKey> {
    let key = new_secret(API_KEY_PREFIX);
    let prefix = &key[..API_KEY_PREFIX.len() + 6];
    let id = store
        .create_api_key(account_id, label, prefix, &hash_secret(&key), Utc::now())
        .await
        .context("creating the API key")?;
    Ok(IssuedApiKey { id, key })
}

/// Creates an API key and returns its secret.
pub async fn create_api_key(store: &dyn Store, account_id: i64, label: &str) -> anyhow::Result<String> {
    Ok(issue_api_key(store, account_id, label).await?.key)
}

/// What the demo prints and writes to `target/demo/credentials.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoCredentials {
    pub account_name: String,
    pub account_public_id: String,
    pub api_key: String,
    pub users: Vec<DemoUser>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoUser {
    pub role: String,
    pub email: String,
    pub password: String,
}

/// The demo's password for every seeded user. Demo only: the demo database lives under `target/`.
pub const DEMO_PASSWORD: &str = "callpop-demo";

/// The demo account's agent, whom `callpop simulate` rings by default.
pub const DEMO_AGENT_EMAIL: &str = "agent@demo.callpop.test";

/// Seeds the demo account: one user per role and an API key for the telephony side.
pub async fn seed_demo(store: &dyn Store, public_base_url: &str) -> anyhow::Result<DemoCredentials> {
    let account = create_account(store, "Demo Call Centre", Plan::Enterprise, "US", public_base_url).await?;
    let people = [
        (Role::CallAgent, DEMO_AGENT_EMAIL, "Alex Agent"),
        (Role::CallManager, "manager@demo.callpop.test", "Morgan Manager"),
        (Role::ReportManager, "reports@demo.callpop.test", "Riley Reports"),
        (Role::Administrator, "admin@demo.callpop.test", "Ada Admin"),
    ];
    let mut users = Vec::new();
    for (role, email, name) in people {
        create_user(store, account.id, email, name, role, DEMO_PASSWORD).await?;
        users.push(DemoUser {
            role: role.as_str().to_owned(),
            email: email.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
        });
    }
    let api_key = create_api_key(store, account.id, "demo telephony").await?;
    Ok(DemoCredentials { account_name: account.name, account_public_id: account.public_id, api_key, users })
}
