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

/// Checks an account's public base URL: absolute HTTPS (Lightning frames only HTTPS softphones), or plain HTTP on
/// loopback for a local org. Returns it without a trailing slash.
pub fn check_public_base_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").with_context(|| format!("{raw:?} is not an absolute URL"))?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match scheme {
        "https" if !host.is_empty() => Ok(url.to_owned()),
        "http" if loopback => Ok(url.to_owned()),
        _ => anyhow::bail!(
            "{raw:?}: the public base URL must be https://… (Salesforce frames the softphone only over HTTPS); \
             http:// is accepted only on loopback"
        ),
    }
}

/// Creates a user with a password (hashed with argon2 here; the password itself is never stored), optionally
/// linked to their Salesforce user (the owner of the Tasks they handle).
pub async fn create_user(
    store: &dyn Store,
    account_id: i64,
    email: &str,
    display_name: &str,
    role: Role,
    password: &str,
    salesforce_user_id: Option<&str>,
) -> anyhow::Result<User> {
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let new = NewUser {
        account_id,
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        password_hash,
        role,
        salesforce_user_id: salesforce_user_id.map(str::to_owned),
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

#[cfg(test)]
mod tests {
    use super::check_public_base_url;

    #[test]
    fn public_base_urls_must_be_https_except_on_loopback() {
        assert_eq!(check_public_base_url("https://callpop.example.com/").unwrap(), "https://callpop.example.com");
        assert_eq!(check_public_base_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert!(check_public_base_url("http://callpop.example.com").is_err());
        assert!(check_public_base_url("callpop.example.com").is_err());
        assert!(check_public_base_url("https://").is_err());
    }
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
        create_user(store, account.id, email, name, role, DEMO_PASSWORD, None).await?;
        users.push(DemoUser {
            role: role.as_str().to_owned(),
            email: email.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
        });
    }
    let api_key = create_api_key(store, account.id, "demo telephony").await?;
    Ok(DemoCredentials { account_name: account.name, account_public_id: account.public_id, api_key, users })
}
