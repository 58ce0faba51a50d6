//! callpop's Salesforce Voice connector hosted as Salesforce hosts it: the local org's Voice page on its Lightning
//! origin over HTTPS (`https://callpop-dev.lightning.force.com:<port>`) frames the connector from callpop's server
//! on `127.0.0.1`, another site, with third-party cookies blocked. The page speaks to the connector only through
//! Salesforce's protocol (the setup message and its MessagePort), and the connector only through Salesforce's own
//! library, `@salesforce/scv-connector-base`.
//!
//! The telephony side is `callpop_server::simulate::Line`, as in `call_controls.rs`: the test reads each command
//! before letting the line obey it, so it sees that Salesforce hears of a hold or a hang-up only once the telephony
//! side has confirmed it.

use anyhow::Context;
use callpop_core::options::IntegrationOptions;
use callpop_e2e::{Browser, DEMO_AGENT_EMAIL, Stack, ensure_cross_site, eventually};
use callpop_sandbox::seed::numbers;
use callpop_server::simulate::{CallBook, Line};
use serde_json::{Value, json};
use std::time::Duration;

const CALLER: &str = "+14155552671";

/// A message the page logged: `in` from the connector or `out` to it, by its type or its telephony event.
fn logged(direction: &str, kind: &str) -> String {
    format!("#voice-log li[data-direction='{direction}']:is([data-type='{kind}'], [data-event='{kind}'])")
}

async fn count_logged(browser: &Browser, direction: &str, kind: &str) -> anyhow::Result<usize> {
    Ok(browser.client.find_all(fantoccini::Locator::Css(&logged(direction, kind))).await?.len())
}

/// Opens the org's Voice page and waits for the connector to answer the setup message by asking for a sign-in.
async fn open_voice_page(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    browser.client.goto(&stack.voice_url()).await?;
    browser.wait_for(&logged("in", "SHOW_LOGIN")).await?;
    Ok(())
}

/// Signs the demo agent in inside the connector's frame, checking the frame is another site than the org's page.
async fn sign_in_to_the_connector(browser: &Browser) -> anyhow::Result<()> {
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    let origins = browser.eval("return [location.origin, location.ancestorOrigins[0]];").await?;
    ensure_cross_site(origins[1].as_str().unwrap_or_default(), origins[0].as_str().unwrap_or_default())?;
    browser.leave_softphone().await?;
    browser.sign_in_connector().await
}

/// The org, the server and Chromium on the org's Voice page, with the demo agent signed in to the connector and
/// the connector ready.
async fn signed_in_voice_page() -> anyhow::Result<(Stack, Browser)> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    open_voice_page(&stack, &browser).await?;
    sign_in_to_the_connector(&browser).await?;
    browser.wait_for(&logged("in", "CONNECTOR_READY")).await?;
    Ok((stack, browser))
}

/// Rings the agent with a call the line keeps, and waits for Salesforce's incoming work to show it.
async fn ring(browser: &Browser, line: &Line, call_id: &str) -> anyhow::Result<()> {
    ring_from(browser, line, call_id, CALLER).await
}

/// `ring`, from `number`.
async fn ring_from(browser: &Browser, line: &Line, call_id: &str, number: &str) -> anyhow::Result<()> {
    let event = json!({
        "call_id": call_id, "direction": "inbound", "caller_number": number, "tracking_number": "+14155550100",
        "agent": DEMO_AGENT_EMAIL, "tracking_source": "Google Ads",
    });
    line.book.insert(call_id, event);
    line.post_event(call_id, "ringing").await?;
    browser.wait_for(&format!("[data-incoming='{call_id}']")).await?;
    Ok(())
}

/// Accepts the ringing call in Salesforce's incoming work and waits for the call's controls.
async fn accept(browser: &Browser, call_id: &str) -> anyhow::Result<()> {
    browser.wait_for(&format!("[data-accept='{call_id}']")).await?.click().await?;
    browser.wait_for(&format!("#call-controls:not([hidden])[data-call-id='{call_id}']")).await?;
    Ok(())
}

/// The commands waiting for the telephony side.
async fn pending(stack: &Stack) -> anyhow::Result<Vec<Value>> {
    let url = format!("{}/api/v1/call-commands", stack.server_url);
    Ok(reqwest::Client::new().get(url).bearer_auth(&stack.api_key).send().await?.error_for_status()?.json().await?)
}

/// Clicks one of the page's buttons (`button`, a CSS selector) and checks that Salesforce hears of it (`event`,
/// once) only after the telephony side has confirmed the command the connector sent for it, which the test reads
/// before letting the line obey it.
async fn confirmed_by_the_telephony_side(
    stack: &Stack,
    browser: &Browser,
    line: &Line,
    button: &str,
    command: &str,
    event: &str,
) -> anyhow::Result<()> {
    let before = count_logged(browser, "in", event).await?;
    browser.wait_for(button).await?.click().await?;
    let waiting =
        eventually("the command", || async { Ok(Some(pending(stack).await?).filter(|all| !all.is_empty())) }).await?;
    assert_eq!(waiting.len(), 1, "{waiting:#?}");
    assert_eq!(waiting[0]["command"], command, "{:#}", waiting[0]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let early = count_logged(browser, "in", event).await?;
    assert_eq!(early, before, "no {event} before the telephony side confirms {command}");
    line.obey_pending().await?;
    eventually(event, || async { Ok((count_logged(browser, "in", event).await? == before + 1).then_some(())) }).await
}

/// One of the page's call controls, when shown.
fn control(kind: &str) -> String {
    format!("#call-controls [data-control='{kind}']:not([hidden])")
}

#[tokio::test]
async fn the_connector_takes_a_salesforce_voice_call_from_ring_to_hang_up() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    open_voice_page(&stack, &browser).await?;
    assert!(!browser.has(&logged("in", "CONNECTOR_READY")).await?, "not ready before the agent signs in");
    sign_in_to_the_connector(&browser).await?;
    browser.wait_for(&logged("in", "LOGIN_RESULT")).await?;
    browser.wait_for(&logged("in", "CONNECTOR_READY")).await?;
    browser.wait_for("#phone-state[data-state='ready']").await?;

    // Omni-Channel presence reaches callpop as the agent's chosen status.
    browser.wait_for("#presence:not([disabled])").await?.select_by_value("Online").await?;
    browser.wait_for(&logged("in", "SET_AGENT_STATUS_RESULT")).await?;
    let token = stack.agent_token().await?;
    let status: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/agent/status", stack.server_url))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(status["chosen"], "available", "{status:#}");
    assert!(status["chosen_at"].is_string(), "the agent's choice was recorded: {status:#}");

    // A ringing call reaches Salesforce as CALL_STARTED, which shows the incoming work.
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    ring(&browser, &line, "VOICE-1").await?;
    assert!(browser.has(&logged("in", "CALL_STARTED")).await?, "CALL_STARTED brought the call");
    assert_eq!(browser.text_of("[data-incoming='VOICE-1'] [data-caller]").await?, CALLER);

    // Accept: the connector claims the pop, as the softphone's Answer does, and Salesforce hears CALL_CONNECTED.
    accept(&browser, "VOICE-1").await?;
    assert!(browser.has(&logged("out", "ACCEPT_CALL")).await?, "Accept sent ACCEPT_CALL");
    assert!(browser.has(&logged("in", "CALL_CONNECTED")).await?, "CALL_CONNECTED came back");
    assert!(!browser.has("[data-incoming='VOICE-1']").await?, "the incoming work is taken");
    let claimed = stack.store.call_by_call_id(stack.account_id, "VOICE-1").await?;
    assert!(claimed.is_some_and(|call| call.popped_at.is_some()), "the pop was claimed");
    line.post_event("VOICE-1", "answered").await?;

    // Hold, resume, mute, unmute: Salesforce hears of each only once the telephony side has confirmed it.
    for (kind, command, event) in [
        ("hold", "hold", "HOLD_TOGGLE"),
        ("resume", "resume", "HOLD_TOGGLE"),
        ("mute", "mute", "MUTE_TOGGLE"),
        ("unmute", "unmute", "MUTE_TOGGLE"),
    ] {
        confirmed_by_the_telephony_side(&stack, &browser, &line, &control(kind), command, event).await?;
    }
    browser.wait_for("#call-controls [data-control='hold']:not([hidden])").await?;
    browser.wait_for("#call-controls [data-control='mute']:not([hidden])").await?;

    // End call: HANGUP once the telephony side has hung up, and the call is over in callpop.
    confirmed_by_the_telephony_side(&stack, &browser, &line, &control("end"), "hang_up", "HANGUP").await?;
    browser.wait_for("#call-controls[hidden]").await?;
    let call = stack.admin_get("/api/v1/calls/VOICE-1").await?;
    assert_eq!(call["state"], "completed", "{call:#}");
    assert_eq!(count_logged(&browser, "in", "HANGUP").await?, 1, "Salesforce hears of the end once");
    Ok(())
}

#[tokio::test]
async fn declining_a_ringing_call_hangs_it_up_through_the_telephony_side() -> anyhow::Result<()> {
    let (stack, browser) = signed_in_voice_page().await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    ring(&browser, &line, "VOICE-4").await?;
    confirmed_by_the_telephony_side(&stack, &browser, &line, "[data-decline='VOICE-4']", "hang_up", "HANGUP").await?;
    browser.wait_for("#work:not(:has([data-incoming='VOICE-4']))").await?;
    assert!(browser.has("#call-controls[hidden]").await?, "a declined call is never connected");
    let call = stack.admin_get("/api/v1/calls/VOICE-4").await?;
    assert_eq!(call["state"], "completed", "{call:#}");
    let declined = stack.store.call_by_call_id(stack.account_id, "VOICE-4").await?;
    assert!(declined.is_some_and(|call| call.popped_at.is_none()), "a declined call is not popped");
    Ok(())
}

#[tokio::test]
async fn the_connector_ignores_a_setup_message_from_a_page_that_is_not_salesforces() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    // The same page on the org's plain HTTP origin (`http://localhost:<port>`), which is not a Salesforce domain.
    browser.client.goto(&format!("{}/lightning/voice", stack.org.base_url())).await?;
    browser.wait_for(&logged("out", "SETUP_CONNECTOR")).await?;
    // The connector's page has loaded and its library is listening: it only waits for Salesforce.
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#connector[data-state='waiting']").await?;
    browser.leave_softphone().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        browser.eval("return window.__voiceLog.filter((entry) => entry.direction === 'in').length;").await?,
        json!(0),
        "the connector answered a stranger"
    );
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    assert!(browser.has("#signin[hidden]").await?, "no sign-in form for a stranger");
    Ok(())
}

/// Checks the Voice page shows the call's VoiceCall record, linked to Ada Lovelace's Contact (the caller), and that
/// the link opens her record.
async fn shows_the_voice_call(stack: &Stack, browser: &Browser, call_id: &str) -> anyhow::Result<()> {
    let ada = stack.record_named("Contact", "Lovelace").await?;
    browser.wait_for("[data-page='voice-call']").await?;
    assert_eq!(browser.text_of("[data-field='VendorCallKey']").await?, call_id);
    assert_eq!(browser.text_of("[data-field='FromPhoneNumber']").await?, CALLER);
    let related = browser.wait_for(&format!("[data-related-record='{ada}']")).await?;
    assert_eq!(related.text().await?, "Ada Lovelace");
    related.click().await?;
    // The link is the related record's Lightning page.
    eventually("the related record's page", || async {
        Ok(browser.client.current_url().await?.path().contains(&ada).then_some(()))
    })
    .await
}

/// The Voice page's VoiceCall record page. The VoiceCall is written into the org by the test, standing in for
/// callpop's server, whose own writes the next test waits for.
#[tokio::test]
async fn the_voice_page_opens_the_calls_voicecall_record_once_the_org_has_it() -> anyhow::Result<()> {
    let (stack, browser) = signed_in_voice_page().await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    ring(&browser, &line, "VOICE-2").await?;
    accept(&browser, "VOICE-2").await?;
    browser.wait_for("[data-voice-call-pending='VOICE-2']").await?;
    let ada = stack.record_named("Contact", "Lovelace").await?;
    stack
        .create_org_record(
            "VoiceCall",
            json!({
                "Name": "VC-00000001", "VendorCallKey": "VOICE-2", "CallType": "Inbound", "FromPhoneNumber": CALLER,
                "CallStartDateTime": chrono::Utc::now().to_rfc3339(), "RelatedRecordId": ada,
            }),
        )
        .await?;
    browser.wait_for("[data-page='voice-call']").await?;
    assert_eq!(browser.text_of("[data-page='voice-call'] [data-record-name]").await?, "VC-00000001");
    shows_the_voice_call(&stack, &browser, "VOICE-2").await
}

/// callpop's server writes the call's VoiceCall through the org's Telephony Integration REST API, for an account
/// whose host is Salesforce Voice, and the Voice page opens it with the caller's Contact while the call is live.
#[tokio::test]
async fn callpops_server_writes_the_voicecall_while_the_call_is_live_and_the_voice_page_opens_it() -> anyhow::Result<()>
{
    let (stack, browser) = signed_in_voice_page().await?;
    on_salesforce_voice(&stack).await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    ring(&browser, &line, "VOICE-3").await?;
    accept(&browser, "VOICE-3").await?;
    line.post_event("VOICE-3", "answered").await?;
    shows_the_voice_call(&stack, &browser, "VOICE-3").await
}

/// The demo account on Salesforce Voice, with legacy mode finding the caller's record on the server (under
/// Salesforce Voice no softphone searches the org).
async fn on_salesforce_voice(stack: &Stack) -> anyhow::Result<()> {
    stack.link_org().await?;
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await?;
    stack.use_salesforce_voice("salesforce_voice").await
}

/// The org's one VoiceCall of `call_id`, once `ready` says it is as the test expects.
async fn voice_call_when(
    stack: &Stack,
    call_id: &str,
    what: &str,
    ready: impl Fn(&callpop_sandbox::org::Record) -> bool,
) -> anyhow::Result<callpop_sandbox::org::Record> {
    eventually(what, || async {
        let calls: Vec<_> = stack
            .org
            .records("VoiceCall")
            .into_iter()
            .filter(|call| call.text("VendorCallKey") == Some(call_id))
            .collect();
        anyhow::ensure!(calls.len() <= 1, "{} VoiceCalls for {call_id}", calls.len());
        Ok(calls.into_iter().find(|call| ready(call)))
    })
    .await
}

/// The call's Task in the org (legacy mode's, found by its call id).
fn task_of(stack: &Stack, call_id: &str) -> Option<callpop_sandbox::org::Record> {
    stack.org.records("Task").into_iter().find(|task| task.text("CallObject") == Some(call_id))
}

/// Answers, holds and resumes, and ends a call through the Voice page, as the telephony side confirms each. The
/// connector shows no wrap-up while the call is live.
async fn take_hold_and_end(stack: &Stack, browser: &Browser, line: &Line, call_id: &str) -> anyhow::Result<()> {
    ring(browser, line, call_id).await?;
    accept(browser, call_id).await?;
    line.post_event(call_id, "answered").await?;
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    assert!(!browser.wait_for("#wrap-up").await?.is_displayed().await?, "no wrap-up shown during {call_id}");
    browser.leave_softphone().await?;
    confirmed_by_the_telephony_side(stack, browser, line, &control("hold"), "hold", "HOLD_TOGGLE").await?;
    confirmed_by_the_telephony_side(stack, browser, line, &control("resume"), "resume", "HOLD_TOGGLE").await?;
    confirmed_by_the_telephony_side(stack, browser, line, &control("end"), "hang_up", "HANGUP").await
}

#[tokio::test]
async fn the_wrap_up_in_the_connector_sends_the_disposition_to_the_voicecall_and_the_notes_to_the_task()
-> anyhow::Result<()> {
    let (stack, browser) = signed_in_voice_page().await?;
    on_salesforce_voice(&stack).await?;
    stack.set_wrap_up(&["Sale", "Not interested"], 300).await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());

    // A call taken, held once and ended: Salesforce hears that after-call work started, and the connector shows
    // the call's wrap-up with the account's dispositions.
    take_hold_and_end(&stack, &browser, &line, "VOICE-5").await?;
    browser.wait_for(&logged("in", "AFTER_CALL_WORK_STARTED")).await?;
    browser.wait_for("[data-after-call-work='VOICE-5'] [data-close-work]").await?;
    let held = voice_call_when(&stack, "VOICE-5", "the ended VoiceCall", |call| {
        call.text("CallDisposition") == Some("completed")
    })
    .await?;
    assert_eq!(held.fields.get("NumberOfHolds").and_then(serde_json::Value::as_i64), Some(1), "{held:#?}");
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#wrap-up:not([hidden])[data-call-id='VOICE-5']").await?;
    let options = browser
        .eval("return [...document.querySelectorAll('#wrap-up-disposition option')].map((o) => o.text);")
        .await?;
    assert_eq!(options, json!(["No disposition", "Sale", "Not interested"]));

    // The agent picks a disposition, writes notes and clicks Done.
    browser.wait_for("#wrap-up-disposition").await?.select_by_value("Sale").await?;
    browser.wait_for("#wrap-up-notes").await?.send_keys("Wants the annual plan.").await?;
    browser.wait_for("#wrap-up-done").await?.click().await?;
    browser.wait_for("#wrap-up[hidden]").await?;
    browser.leave_softphone().await?;

    // Salesforce hears the wrap-up ended; the VoiceCall has the disposition, the Task the notes, and the agent is
    // out of after-call work.
    browser.wait_for(&logged("in", "WRAP_UP_ENDED")).await?;
    browser.wait_for("#after-call-work:not(:has([data-after-call-work]))").await?;
    let disposition = callpop_core::voice::DISPOSITION_FIELD;
    voice_call_when(&stack, "VOICE-5", "the disposition on the VoiceCall", |call| {
        call.text(disposition) == Some("Sale")
    })
    .await?;
    let task = eventually("the notes on the Task", || async {
        Ok(task_of(&stack, "VOICE-5").filter(|task| {
            task.text("Description").is_some_and(|description| description.starts_with("Wants the annual plan."))
        }))
    })
    .await?;
    assert_eq!(task.text("CallDisposition"), Some("Sale"), "{task:#?}");
    let token = stack.agent_token().await?;
    let url = format!("{}/api/v1/agent/status", stack.server_url);
    let status: Value =
        reqwest::Client::new().get(&url).bearer_auth(&token).send().await?.error_for_status()?.json().await?;
    assert_ne!(status["status"], "after_call_work", "{status:#}");

    // A second call: the agent writes notes, and Salesforce's Close work ends the wrap-up with them.
    take_hold_and_end(&stack, &browser, &line, "VOICE-6").await?;
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#wrap-up:not([hidden])[data-call-id='VOICE-6']").await?;
    browser.wait_for("#wrap-up-notes").await?.send_keys("Call back on Monday.").await?;
    browser.leave_softphone().await?;
    browser.wait_for("[data-after-call-work='VOICE-6'] [data-close-work]").await?.click().await?;
    assert!(browser.has(&logged("out", "WRAP_UP_CALL")).await?, "Close work sent WRAP_UP_CALL");
    eventually("the typed notes on the Task", || async {
        Ok(task_of(&stack, "VOICE-6").filter(|task| {
            task.text("Description").is_some_and(|description| description.starts_with("Call back on Monday."))
        }))
    })
    .await?;
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#wrap-up[hidden]").await?;
    Ok(())
}

#[tokio::test]
async fn salesforces_blind_transfer_hands_the_call_to_a_number_once_the_telephony_side_confirms_it()
-> anyhow::Result<()> {
    let (stack, browser) = signed_in_voice_page().await?;
    on_salesforce_voice(&stack).await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    ring(&browser, &line, "VOICE-7").await?;
    accept(&browser, "VOICE-7").await?;
    line.post_event("VOICE-7", "answered").await?;

    // Salesforce's transfer dialog sends the number the agent typed; the participant is added only once the
    // telephony side has handed the call over.
    browser.wait_for("#transfer-number").await?.send_keys("(415) 555-0123").await?;
    confirmed_by_the_telephony_side(&stack, &browser, &line, &control("transfer"), "transfer", "PARTICIPANT_ADDED")
        .await?;
    let sent = stack.store.call_by_call_id(stack.account_id, "VOICE-7").await?.context("the call")?;
    assert_eq!(sent.state, callpop_core::call::CallState::Completed, "the number took the call: {sent:?}");

    // The agent's call is over in Salesforce, once; there is no wrap-up for a call handed over; the VoiceCall ends.
    browser.wait_for("#call-controls[hidden]").await?;
    voice_call_when(&stack, "VOICE-7", "the transferred call's VoiceCall ended", |call| {
        call.text("CallDisposition") == Some("completed")
    })
    .await?;
    assert_eq!(count_logged(&browser, "in", "HANGUP").await?, 1, "Salesforce hears of the end once");
    assert!(!browser.has(&logged("in", "AFTER_CALL_WORK_STARTED")).await?, "no after-call work for a transfer");
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    assert!(!browser.wait_for("#wrap-up").await?.is_displayed().await?, "no wrap-up for a call handed over");
    Ok(())
}

/// The org's Tasks of `call_id`.
fn tasks_of(stack: &Stack, call_id: &str) -> usize {
    stack.org.records("Task").iter().filter(|task| task.text("CallObject") == Some(call_id)).count()
}

#[tokio::test]
async fn an_account_moved_from_open_cti_to_salesforce_voice_mid_day_loses_and_doubles_no_call() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    stack.link_org().await?;
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await?;
    let browser = Browser::start().await?;

    // Morning, on Open CTI: one call taken and ended in the Lightning softphone, and a second one answered there.
    browser.client.goto(&stack.lightning_url()).await?;
    browser.sign_in_agent().await?;
    for (call_id, ends) in [("MID-1", true), ("MID-2", false)] {
        stack.post_call_event(call_id, "ringing", CALLER).await?;
        browser.click(&format!("[data-answer='{call_id}']")).await?;
        stack.post_call_event(call_id, "answered", CALLER).await?;
        if ends {
            stack.post_call_event(call_id, "completed", CALLER).await?;
        }
    }
    eventually("the live call's Task", || async { Ok((tasks_of(&stack, "MID-2") == 1).then_some(())) }).await?;

    // The administrator moves the account to both hosts while MID-2 is live; it ends after the move.
    stack.use_salesforce_voice("both").await?;
    stack.post_call_event("MID-2", "completed", CALLER).await?;

    // Afternoon, on Salesforce Voice: a call taken and ended through the connector.
    browser.leave_softphone().await?;
    open_voice_page(&stack, &browser).await?;
    browser.sign_in_connector().await?;
    browser.wait_for(&logged("in", "CONNECTOR_READY")).await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    ring(&browser, &line, "MID-3").await?;
    accept(&browser, "MID-3").await?;
    line.post_event("MID-3", "answered").await?;
    confirmed_by_the_telephony_side(&stack, &browser, &line, &control("end"), "hang_up", "HANGUP").await?;

    // Each call has one Task, completed; the calls that ended after the move have one VoiceCall each, completed
    // and linked to their Task; the morning's call has none.
    for call_id in ["MID-2", "MID-3"] {
        voice_call_when(&stack, call_id, "a completed VoiceCall linked to its Task", |call| {
            call.text("CallDisposition") == Some("completed")
                && task_of(&stack, call_id).is_some_and(|task| call.text("ActivityId") == Some(task.id.as_str()))
        })
        .await?;
    }
    for call_id in ["MID-1", "MID-2", "MID-3"] {
        let task = eventually("a completed Task", || async {
            Ok(task_of(&stack, call_id).filter(|task| task.text("Status") == Some("Completed")))
        })
        .await?;
        assert_eq!(tasks_of(&stack, call_id), 1, "{call_id}: {task:#?}");
    }
    let keys: Vec<_> = stack
        .org
        .records("VoiceCall")
        .iter()
        .filter_map(|call| call.text("VendorCallKey").map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(!keys.iter().any(|key| key == "MID-1"), "the morning's call has no VoiceCall: {keys:?}");
    Ok(())
}

/// The multi-match dialog in the connector's frame: each record's button, in order, as `(id, text)`.
async fn dialog_records(browser: &Browser) -> anyhow::Result<Vec<(String, String)>> {
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#matches:not([hidden]) [data-record]").await?;
    let rows = browser
        .eval("return [...document.querySelectorAll('#matches [data-record]')].map((b) => [b.dataset.record, b.textContent]);")
        .await?;
    let rows = rows.as_array().cloned().unwrap_or_default();
    Ok(rows
        .iter()
        .map(|row| (row[0].as_str().unwrap_or_default().to_owned(), row[1].as_str().unwrap_or_default().to_owned()))
        .collect())
}

#[tokio::test]
async fn a_caller_several_records_match_gets_the_dialog_in_the_connector_and_the_pick_reaches_the_voicecall()
-> anyhow::Result<()> {
    let (stack, browser) = signed_in_voice_page().await?;
    stack.link_org().await?;
    let options = IntegrationOptions { legacy_mode: false, multi_match_dialog: true, ..IntegrationOptions::default() };
    stack.set_options(&options).await?;
    stack.use_salesforce_voice("salesforce_voice").await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());

    // A caller whose number three records share: the connector asks the agent which one it is.
    ring_from(&browser, &line, "VOICE-8", numbers::SEVERAL).await?;
    accept(&browser, "VOICE-8").await?;
    line.post_event("VOICE-8", "answered").await?;
    // The agent takes their time: the VoiceCall is already accepted, and linked to nothing, when they choose.
    voice_call_when(&stack, "VOICE-8", "the accepted VoiceCall", |call| {
        call.text("CallDisposition") == Some("in-progress")
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let offered = dialog_records(&browser).await?;
    assert_eq!(offered.len(), 3, "{offered:?}");
    let (picked, text) = offered.iter().find(|(_, text)| text.contains("Lead")).cloned().context("a Lead offered")?;
    assert!(!text.contains("chosen last time"), "nobody chose before: {offered:?}");
    browser.click(&format!("#matches [data-record='{picked}']")).await?;
    browser.wait_for("#matches[hidden]").await?;
    browser.leave_softphone().await?;

    // The pick gets the call's Task, and the VoiceCall is linked to it: Salesforce's Voice page shows it.
    voice_call_when(&stack, "VOICE-8", "the VoiceCall linked to the agent's pick", |call| {
        call.text("RelatedRecordId") == Some(picked.as_str())
    })
    .await?;
    let task = eventually("the Task on the pick", || async { Ok(task_of(&stack, "VOICE-8")) }).await?;
    assert_eq!(task.text("WhoId"), Some(picked.as_str()), "{task:#?}");
    browser.wait_for(&format!("[data-related-record='{picked}']")).await?;

    // The next call from that number offers the agent's pick first, marked.
    confirmed_by_the_telephony_side(&stack, &browser, &line, &control("end"), "hang_up", "HANGUP").await?;
    ring_from(&browser, &line, "VOICE-9", numbers::SEVERAL).await?;
    accept(&browser, "VOICE-9").await?;
    let offered = dialog_records(&browser).await?;
    assert_eq!(offered[0].0, picked, "{offered:?}");
    assert!(offered[0].1.contains("chosen last time"), "{offered:?}");
    Ok(())
}

#[tokio::test]
async fn an_agent_dials_from_salesforce_through_the_connector_and_sends_digits_on_the_call() -> anyhow::Result<()> {
    let (stack, browser) = signed_in_voice_page().await?;
    on_salesforce_voice(&stack).await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());

    // Salesforce's dial pad: the connector asks callpop's telephony side to place the call.
    browser.wait_for("#dial-number").await?.send_keys("(415) 555-0123").await?;
    browser.click("#dial").await?;
    let requests = eventually("the dial request", || async {
        Ok(Some(stack.pending_dials().await?).filter(|pending| !pending.is_empty()))
    })
    .await?;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0]["number"], "+14155550123", "{:#}", requests[0]);
    assert!(!browser.has(&logged("in", "CALL_STARTED")).await?, "no call before the telephony side places it");

    // The telephony side places it: Salesforce hears it started, makes its VoiceCall, and hears it connected once
    // the callee answers.
    let event = json!({
        "call_id": "DIAL-1", "direction": "outbound", "caller_number": requests[0]["number"],
        "tracking_number": "+14155550100", "agent": requests[0]["agent"], "dial_request_id": requests[0]["id"],
    });
    line.book.insert("DIAL-1", event);
    line.post_event("DIAL-1", "ringing").await?;
    browser.wait_for(&logged("in", "CALL_STARTED")).await?;
    browser.wait_for("#call-controls:not([hidden])[data-call-id='DIAL-1']").await?;
    line.post_event("DIAL-1", "answered").await?;
    browser.wait_for(&logged("in", "CALL_CONNECTED")).await?;

    // The keypad's digits reach the telephony side.
    browser.wait_for("#keypad-digits").await?.send_keys("1#").await?;
    browser.click(&control("keypad")).await?;
    let waiting =
        eventually("the digits", || async { Ok(Some(pending(&stack).await?).filter(|all| !all.is_empty())) }).await?;
    assert_eq!((waiting[0]["command"].as_str(), waiting[0]["digits"].as_str()), (Some("send_digits"), Some("1#")));
    line.obey_pending().await?;

    // End call: one HANGUP, then the call's after-call work as for a call taken; the call has Salesforce's
    // VoiceCall only (callpop writes none for an outbound call), and its Task, as under Open CTI.
    confirmed_by_the_telephony_side(&stack, &browser, &line, &control("end"), "hang_up", "HANGUP").await?;
    browser.wait_for("[data-after-call-work='DIAL-1']").await?;
    let voice_call =
        voice_call_when(&stack, "DIAL-1", "Salesforce's VoiceCall", |call| call.text("CallType") == Some("Outbound"))
            .await?;
    assert_eq!(voice_call.text("ToPhoneNumber"), Some("+14155550123"), "{voice_call:#?}");
    eventually("the outbound call's Task", || async { Ok((tasks_of(&stack, "DIAL-1") == 1).then_some(())) }).await?;
    Ok(())
}
