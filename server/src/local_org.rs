//! Linking an account to the local org (`callpop-org`, the sandbox crate) for the demo and the benchmarks, through
//! the same OAuth web-server flow a real org goes through: the org's control API registers the connected app and
//! approves at once (where a person would click Allow), and callpop's callback code finishes the link. For the
//! demo, `set_up_salesforce_voice` then does what an administrator does to move an org to Salesforce Voice.
//!
//! Only the demo and the benchmarks call this; the server never talks to a control API otherwise.

use crate::store::Store;
use crate::sync::SyncEngine;
use anyhow::{Context, bail};
use callpop_core::voice::{DISPOSITION_FIELD, VoiceHost, VoiceSettings};
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

/// The contact center the demo's org and account share.
pub const DEMO_CONTACT_CENTER: &str = "callpop_center";

/// Puts the linked `account_id` on both hosts, Open CTI and Salesforce Voice, as administrator `user_id` would
/// (README, "Moving to Salesforce Voice"): the voice settings pointing at the local org's Telephony Integration API,
/// a new key pair whose certificate the org's contact center gets (an import of the contact-center file), and
/// the `voice-app` package's disposition field on VoiceCall (a deploy). Calls then get their VoiceCall, as on a
/// real org.
pub async fn set_up_salesforce_voice(
    engine: &SyncEngine,
    store: &dyn Store,
    org: &str,
    account_id: i64,
    user_id: i64,
) -> anyhow::Result<()> {
    let settings = VoiceSettings {
        host: VoiceHost::Both,
        contact_center_api_name: Some(DEMO_CONTACT_CENTER.to_owned()),
        telephony_base_url: Some(format!("{org}/telephony/v1")),
    };
    settings.check().map_err(|refused| anyhow::anyhow!("{}: {}", refused.field, refused.message))?;
    store.update_voice_settings(account_id, user_id, &settings, chrono::Utc::now()).await?;
    let (certificate, _) = engine.generate_voice_key_pair(account_id, user_id).await?;
    let http = reqwest::Client::new();
    http.put(format!("{org}/__control/contact-centers/{DEMO_CONTACT_CENTER}"))
        .json(&json!({ "certificate": certificate }))
        .send()
        .await?
        .error_for_status()
        .context("importing the contact center into the local org")?;
    let field = json!({ "name": DISPOSITION_FIELD, "type": "string", "length": 255 });
    let added = http.post(format!("{org}/__control/schema/VoiceCall/fields")).json(&field).send().await?;
    if added.status().is_success() {
        return Ok(());
    }
    let refusal = added.text().await.unwrap_or_default();
    // A local org left running from an earlier demo already has the field.
    if refusal.contains("already has a field") {
        return Ok(());
    }
    bail!("adding {DISPOSITION_FIELD} to the local org's VoiceCall: {refusal}")
}
