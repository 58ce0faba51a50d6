//! An agent with thousands of calls still ringing or live: the softphone draws each call once rather than its whole
//! list per call, so it reaches live, and a new call rings and pops as with an empty panel.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, DEMO_AGENT_EMAIL, PATIENCE, Stack};
use callpop_sandbox::seed::numbers;
use serde_json::json;

/// How many calls the agent has when the softphone starts.
const CALLS: usize = 2_500;

/// Posts `CALLS` ringing calls for the demo agent, a few at a time.
async fn seed_ringing_calls(stack: &Stack) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/call-events", stack.server_url);
    let mut posts = tokio::task::JoinSet::new();
    for lane in 0..8 {
        let (http, url, key) = (http.clone(), url.clone(), stack.api_key.clone());
        posts.spawn(async move {
            for index in (lane..CALLS).step_by(8) {
                let body = json!({
                    "call_id": format!("MANY-{index}"), "kind": "ringing", "direction": "inbound",
                    "caller_number": format!("+1415555{:04}", index % 10_000), "tracking_number": "+14155550100",
                    "agent": DEMO_AGENT_EMAIL, "occurred_at": chrono::Utc::now().to_rfc3339(),
                });
                let response = http.post(&url).bearer_auth(&key).json(&body).send().await?;
                anyhow::ensure!(response.status().as_u16() == 202, "seeding call {index}: {}", response.status());
            }
            Ok(())
        });
    }
    while let Some(lane) = posts.join_next().await {
        lane??;
    }
    Ok(())
}

#[tokio::test]
async fn an_agent_with_thousands_of_calls_reaches_live_and_sees_a_new_call() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    seed_ringing_calls(&stack).await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.page_url(Ui::Lightning)).await?;
    // Signing in waits for the stream to be live: every call of the agent has been drawn by then. A page busy
    // redrawing holds the browser's answers back, so the harness's own wait can overrun: the bound is checked here,
    // the same patience every browser test gives what a person expects to see at once.
    let signing_in = std::time::Instant::now();
    browser.sign_in_agent().await?;
    let took = signing_in.elapsed();
    assert!(took < PATIENCE, "the softphone took {took:?} to be live with {CALLS} calls");
    let shown = browser.eval("return document.querySelectorAll('article.call').length;").await?;
    assert_eq!(shown.as_u64(), Some(CALLS as u64), "every call is shown once");

    stack.post_call_event("MANY-NEW", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='MANY-NEW']").await?.click().await?;
    browser.wait_for("article.call[data-call-id='MANY-NEW'] [data-status='In call']").await?;
    let last = browser.eval("return document.querySelector('article.call:last-of-type').dataset.callId;").await?;
    assert_eq!(last.as_str(), Some("MANY-NEW"), "the new call is drawn after the others");
    let ada = stack.record_named("Contact", "Lovelace").await?;
    assert_eq!(stack.appended("MANY-NEW").await?, [(ada, "single_match".to_owned())]);
    Ok(())
}
