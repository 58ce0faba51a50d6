//! Linking an account to the local org (`callpop-org`, the sandbox crate) for the demo and the benchmarks, through
//! the same OAuth web-server flow a real org goes through: the org's control API registers the connected app and
//! approves at once (where a person would click Allow), and callpop's callback code finishes the link.
//!
//! Only the demo and the benchmarks call this; the server never talks to a control API otherwise.

use crate::sync::SyncEngine;
use anyhow::{Context, bail};
use reqwest::header::LOCATION;
use serde_json::json;
use std::time::{Duration, Instant};

/// The connected app to register in the local org.
#[derive(Debug, Clone, Copy)]
pub struct ConnectedApp<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// Links `account_id` (as administrator `user_id`) to the local org at `org`, with callpop at `base`. Waits up to
/// 30 s for the org to answer. The org's click-through approval page is put back afterwards, for the console's
/// Relink.
pub async fn link(
    engine: &SyncEngine,
    org: &str,
    base: &str,
    app: &ConnectedApp<'_>,
    account_id: i64,
    user_id: i64,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let started = Instant::now();
    while http.get(format!("{org}/__control/settings")).send().await.is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the local org at {org} does not answer: start it first (`cargo xtask demo` does)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let app_body = json!({
        "client_id": app.client_id, "client_secret": app.client_secret,
        "redirect_uris": [crate::sync::link::callback_url(base)],
    });
    http.post(format!("{org}/__control/connected-apps")).json(&app_body).send().await?.error_for_status()?;
    set_approval(&http, org, "immediate").await?;
    let authorize_url = engine.start_link(account_id, user_id, Some(org)).await?;
    let redirect = http.get(&authorize_url).send().await?;
    let location =
        redirect.headers().get(LOCATION).and_then(|value| value.to_str().ok()).context("no redirect from the org")?;
    let callback = reqwest::Url::parse(location)?;
    let query: std::collections::HashMap<_, _> = callback.query_pairs().into_owned().collect();
    let (Some(code), Some(state)) = (query.get("code"), query.get("state")) else {
        bail!("the org refused the link: {location}")
    };
    engine.finish_link(state, code).await?;
    set_approval(&http, org, "page").await
}

async fn set_approval(http: &reqwest::Client, org: &str, approval: &str) -> anyhow::Result<()> {
    http.put(format!("{org}/__control/settings"))
        .json(&json!({ "approval": approval }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
