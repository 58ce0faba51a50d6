//! Call controls in the cross-site softphone (framed by the local org's Lightning and Classic pages): hold, resume,
//! mute, keypad digits, transfer and hang-up reach the telephony side through the public command API, and the card
//! shows only what the telephony side confirmed; the idle dial pad places an outbound call.
//!
//! The telephony side is `callpop_server::simulate::Line`, the loop the demo and `callpop simulate
//! --obey-commands` run, over the public API with the account's key. The test reads each command before letting the
//! line obey it, so it sees the card waiting for the telephony side and then confirmed.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, Stack, eventually, per_ui, start_signed_in};
use callpop_server::simulate::{CallBook, Line};
use fantoccini::Locator;
use serde_json::{Value, json};

const CALLER: &str = "+14155552671";

/// Rings the agent with a call the line keeps, answers it in the softphone, and reports it answered as the phone
/// system does once the agent picks up.
async fn answered_call(browser: &Browser, line: &Line, call_id: &str) -> anyhow::Result<()> {
    let event = json!({
        "call_id": call_id, "direction": "inbound", "caller_number": CALLER, "tracking_number": "+14155550100",
        "agent": callpop_server::provision::DEMO_AGENT_EMAIL, "tracking_source": "Google Ads",
    });
    line.book.insert(call_id, event);
    line.post_event(call_id, "ringing").await?;
    browser.wait_for(&format!("[data-answer='{call_id}']")).await?.click().await?;
    line.post_event(call_id, "answered").await?;
    browser.wait_for(&format!("[data-controls='{call_id}'] [data-control='hold']:not([disabled])")).await?;
    Ok(())
}

/// The commands waiting for the telephony side.
async fn pending(stack: &Stack) -> anyhow::Result<Vec<Value>> {
    let url = format!("{}/api/v1/call-commands", stack.server_url);
    Ok(reqwest::Client::new().get(url).bearer_auth(&stack.api_key).send().await?.error_for_status()?.json().await?)
}

/// Waits for the one command the softphone sent, checks it, and lets the line obey it.
async fn obey(stack: &Stack, line: &Line, expected: Value) -> anyhow::Result<()> {
    let waiting =
        eventually("the command", || async { Ok(Some(pending(stack).await?).filter(|all| !all.is_empty())) }).await?;
    assert_eq!(waiting.len(), 1, "{waiting:#?}");
    for (field, value) in expected.as_object().into_iter().flatten() {
        assert_eq!(&waiting[0][field], value, "{field} of {:#}", waiting[0]);
    }
    line.obey_pending().await
}

async fn control(browser: &Browser, call_id: &str, kind: &str) -> anyhow::Result<()> {
    browser
        .wait_for(&format!("[data-controls='{call_id}'] [data-control='{kind}']:not([disabled])"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn status(browser: &Browser, call_id: &str, text: &str) -> anyhow::Result<()> {
    browser.wait_for(&format!("[data-controls='{call_id}'] [data-control-status='{text}']")).await?;
    Ok(())
}

async fn call_state(stack: &Stack, call_id: &str) -> anyhow::Result<String> {
    let call = stack.admin_get(&format!("/api/v1/calls/{call_id}")).await?;
    Ok(call["state"].as_str().unwrap_or_default().to_owned())
}

async fn the_agent_controls_calls_through_the_telephony_side(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    answered_call(&browser, &line, "CTL-1").await?;

    // Hold: "Holding…" until the telephony side confirms, then "On hold" with Resume.
    control(&browser, "CTL-1", "hold").await?;
    status(&browser, "CTL-1", "Holding…").await?;
    assert!(!browser.has("[data-controls='CTL-1'] [data-control='resume']").await?, "not held before it is confirmed");
    obey(&stack, &line, json!({"call_id": "CTL-1", "command": "hold"})).await?;
    status(&browser, "CTL-1", "On hold").await?;
    assert!(browser.has("[data-controls='CTL-1'] [data-control='send_digits'][disabled]").await?, "no digits on hold");

    control(&browser, "CTL-1", "resume").await?;
    obey(&stack, &line, json!({"command": "resume"})).await?;
    browser.wait_for("[data-controls='CTL-1'] [data-control='hold']:not([disabled])").await?;

    control(&browser, "CTL-1", "mute").await?;
    obey(&stack, &line, json!({"command": "mute"})).await?;
    status(&browser, "CTL-1", "Muted").await?;
    control(&browser, "CTL-1", "unmute").await?;
    obey(&stack, &line, json!({"command": "unmute"})).await?;
    browser.wait_for("[data-controls='CTL-1'] [data-control='mute']:not([disabled])").await?;

    // The keypad sends each key as DTMF.
    control(&browser, "CTL-1", "send_digits").await?;
    browser.wait_for("[data-controls='CTL-1'] [data-digit='5']").await?.click().await?;
    obey(&stack, &line, json!({"command": "send_digits", "digits": "5"})).await?;

    // Transfer to a number: the call leaves the contact centre and the agent's leg ends.
    control(&browser, "CTL-1", "transfer").await?;
    browser.wait_for("#transfer-to").await?.send_keys("(415) 555-0199").await?;
    browser.wait_for("[data-transfer-form] button[type=submit]").await?.click().await?;
    status(&browser, "CTL-1", "Transferring…").await?;
    obey(&stack, &line, json!({"command": "transfer", "to_number": "+14155550199"})).await?;
    eventually("the transferred call's end", || async {
        Ok((call_state(&stack, "CTL-1").await? == "completed").then_some(()))
    })
    .await?;
    // The agent's part is over: after-call work, which Done ends, and the card leaves.
    browser.wait_for("[data-done='CTL-1']:not([hidden])").await?.click().await?;
    browser.client.wait().for_element(Locator::Css("#calls:not(:has([data-call-id='CTL-1']))")).await?;

    // Hang up: confirmed by the telephony side, which reports the call completed.
    answered_call(&browser, &line, "CTL-2").await?;
    control(&browser, "CTL-2", "hang_up").await?;
    obey(&stack, &line, json!({"call_id": "CTL-2", "command": "hang_up"})).await?;
    eventually("the hung-up call's end", || async {
        Ok((call_state(&stack, "CTL-2").await? == "completed").then_some(()))
    })
    .await?;
    browser.wait_for("[data-done='CTL-2']:not([hidden])").await?.click().await?;

    // Idle again: the dial pad places an outbound call through the dial requests.
    browser.wait_for("#dialpad:not([hidden]) summary").await?.click().await?;
    browser.wait_for("#dialpad-number").await?.send_keys("415555").await?;
    for key in ["0", "1", "7", "3"] {
        browser.wait_for(&format!("[data-dial-key='{key}']")).await?.click().await?;
    }
    browser.wait_for("#dialpad-form button[type=submit]").await?.click().await?;
    let dials = eventually("the dial request", || async {
        Ok(Some(stack.pending_dials().await?).filter(|all| !all.is_empty()))
    })
    .await?;
    assert_eq!((dials.len(), dials[0]["number"].as_str()), (1, Some("+14155550173")), "{dials:#?}");
    assert_eq!(browser.text_of("#banner").await?, "Calling 4155550173…");
    Ok(())
}

per_ui!(
    the_agent_controls_calls_through_the_telephony_side:
    lightning_call_controls_reach_the_telephony_side_and_back,
    classic_call_controls_reach_the_telephony_side_and_back
);

/// The demo (`callpop demo`, as `cargo xtask demo` runs it): a call rung from the org's "Simulate a call" control is
/// picked up when the agent answers, held and hung up from the softphone by the demo's own telephony side.
#[tokio::test]
async fn the_demos_telephony_side_obeys_the_softphones_controls() -> anyhow::Result<()> {
    let demo = callpop_e2e::demo::Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;
    demo.ring(&browser, "known-contact").await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?.click().await?;
    // The demo picks up once the agent answered: the controls of an answered call appear.
    browser.wait_for("[data-controls] [data-control='hold']:not([disabled])").await?.click().await?;
    browser.wait_for("[data-controls] [data-control-status='On hold']").await?;
    browser.wait_for("[data-controls] [data-control='hang_up']").await?.click().await?;
    // The call ended: after-call work until Done, and then the panel is empty.
    browser.wait_for("[data-done]:not([hidden])").await?.click().await?;
    browser.client.wait().for_element(Locator::Css("#calls:not(:has(.call))")).await?;
    let calls = demo.admin_get("/api/v1/calls").await?;
    let states: Vec<&str> =
        calls["calls"].as_array().into_iter().flatten().filter_map(|call| call["state"].as_str()).collect();
    assert_eq!(states, ["completed"], "the demo reported the hung-up call completed: {calls:#}");
    Ok(())
}
