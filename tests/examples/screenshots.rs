//! Takes the screenshots the README shows: the whole product on loopback, driven through headless Chromium as an
//! agent uses it, saved as PNG files under `docs/screenshots/` (`cargo run -p callpop-e2e --example screenshots`).
//!
//! - `lightning-*.png`, `classic-popped.png`: the org's pages with the softphone, as an agent sees them;
//! - `softphone-<size>-<state>.png`: the softphone alone, idle, ringing, with the dialog, in a call, with the call's
//!   notes and disposition (`wrap-up`), in after-call work and with the Recent list, at the smallest size Salesforce
//!   allows (200 × 400) and at the Lightning utility bar's default (340 × 480);
//! - `softphone-<size>-controls-<state>.png`: the call controls at both sizes: answered, holding (waiting for the
//!   telephony side), held and muted, the transfer form, the keypad and the idle dial pad (set `controls`);
//! - `softphone-sign-in.png`, `softphone-reload-*.png`, `softphone-nothing-kept.png`: the sign-in screen, the calls
//!   a reload resumed (in call; a new caller's form still to save), and the sentence shown where the browser keeps
//!   nothing for the frame;
//! - `softphone-other-tab.png`, `softphone-signed-out-elsewhere.png`: the agent's second tab while the first has the
//!   call, and after the first signed out;
//! - `console-*.png`: the admin console's pages at 1280 × 800 (the long ones whole), and the call log at 1024 × 768;
//!   the Salesforce pages (connection, preflight, triggers, sync log) against the local org, linked on its OAuth page.
//!
//! - `voice-*.png`: Salesforce Voice: the org's Voice page with callpop's connector, ringing and in a call with its
//!   VoiceCall record, and the connector alone, at its sign-in and at a call's wrap-up (set `voice`).
//!
//! `cargo xtask screenshots` builds the softphone and runs this. An argument takes only one set: `console` (the
//! admin console, which needs no softphone bundle), `softphone` (the org's pages and the softphone), `frame` (the
//! softphone's sessions, reloads and tabs in Salesforce's frame, a part of `softphone`) or `voice`.

use callpop_core::account::Plan;
use callpop_core::open_cti::Ui;
use callpop_core::options::IntegrationOptions;
use callpop_e2e::{ADMIN_EMAIL, Browser, DEMO_AGENT_EMAIL, Stack, ThirdParty};
use callpop_sandbox::seed::{self, numbers};
use callpop_server::simulate::{CallBook, Line};
use callpop_server::store::salesforce_audit::{SalesforceStep, SyncStep};
use serde_json::{Map, json};
use std::path::PathBuf;

fn directory() -> anyhow::Result<PathBuf> {
    let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots"));
    std::fs::create_dir_all(&directory)?;
    Ok(directory)
}

async fn save_page(browser: &Browser, name: &str) -> anyhow::Result<()> {
    std::fs::write(directory()?.join(format!("{name}.png")), browser.client.screenshot().await?)?;
    println!("saved docs/screenshots/{name}.png");
    Ok(())
}

/// Saves the softphone's frame alone (the browser must be on the org's page).
async fn save_softphone(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let frame = browser.wait_for("iframe#softphone").await?;
    std::fs::write(directory()?.join(format!("{name}.png")), frame.screenshot().await?)?;
    println!("saved docs/screenshots/{name}.png");
    Ok(())
}

/// Saves the Salesforce Voice connector's frame alone (the browser must be on the org's Voice page).
async fn save_connector(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let frame = browser.wait_for("iframe#connector").await?;
    std::fs::write(directory()?.join(format!("{name}.png")), frame.screenshot().await?)?;
    println!("saved docs/screenshots/{name}.png");
    Ok(())
}

/// The org's Salesforce Voice page with callpop's connector: its sign-in, a call ringing in Omni-Channel, the
/// call's VoiceCall record with the caller's Contact, and the call's wrap-up in the connector.
async fn voice_pages(stack: &Stack) -> anyhow::Result<()> {
    stack.link_org().await?;
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await?;
    stack.use_salesforce_voice("salesforce_voice").await?;
    stack.set_wrap_up(&["Sale", "Callback requested", "Not interested"], 300).await?;
    let browser = Browser::start().await?;
    browser.client.set_window_size(1280, 900).await?;
    browser.client.goto(&stack.voice_url()).await?;
    browser.wait_for("#phone-state[data-state='login']").await?;
    save_connector(&browser, "voice-connector-sign-in").await?;
    browser.sign_in_connector().await?;
    browser.wait_for("#phone-state[data-state='ready']").await?;
    browser.wait_for("#presence:not([disabled])").await?.select_by_value("Online").await?;

    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    let event = json!({
        "call_id": "CA-voice-1", "direction": "inbound", "caller_number": numbers::ONE_CONTACT,
        "tracking_number": "+14155550100", "agent": DEMO_AGENT_EMAIL, "tracking_source": "Google Ads",
    });
    line.book.insert("CA-voice-1", event);
    line.post_event("CA-voice-1", "ringing").await?;
    browser.wait_for("[data-incoming='CA-voice-1']").await?;
    save_page(&browser, "voice-ringing").await?;
    browser.wait_for("[data-accept='CA-voice-1']").await?.click().await?;
    line.post_event("CA-voice-1", "answered").await?;
    browser.wait_for("[data-related-record]").await?;
    save_page(&browser, "voice-call").await?;

    browser.wait_for("#call-controls [data-control='end']").await?.click().await?;
    line.obey_pending().await?;
    browser.wait_for("[data-after-call-work='CA-voice-1']").await?;
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#wrap-up:not([hidden])").await?;
    browser.wait_for("#wrap-up-disposition").await?.select_by_value("Sale").await?;
    browser.wait_for("#wrap-up-notes").await?.send_keys("Wants the annual plan; sending the quote today.").await?;
    browser.leave_softphone().await?;
    save_connector(&browser, "voice-connector-wrap-up").await
}

/// The org's pages with the softphone: idle, ringing, a pop, the dialog, and Classic.
async fn org_pages(stack: &Stack) -> anyhow::Result<()> {
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.wait_for("[data-page='home']").await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-idle").await?;

    stack.post_call_event("CA-shot-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-1']").await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-ringing").await?;

    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-1']").await?.click().await?;
    browser.wait_for("[data-status='In call']").await?;
    browser.leave_softphone().await?;
    browser.wait_for("[data-page='record']").await?;
    save_page(&browser, "lightning-popped").await?;

    stack.post_call_event("CA-shot-2", "ringing", numbers::SEVERAL).await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-2']").await?.click().await?;
    browser.wait_for("[role=listbox]").await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-several-matches").await?;

    let classic = Browser::start().await?;
    classic.client.goto(&stack.page_url(Ui::Classic)).await?;
    classic.sign_in_agent().await?;
    stack.post_call_event("CA-shot-3", "ringing", numbers::ONE_LEAD).await?;
    classic.wait_for("[data-answer='CA-shot-3']").await?.click().await?;
    classic.wait_for("[data-call-id='CA-shot-3'] [data-status='In call']").await?;
    classic.leave_softphone().await?;
    classic.wait_for("[data-page='record']").await?;
    save_page(&classic, "classic-popped").await
}

/// The demo's "Simulate a call" control open on the Lightning page, and a call it rang in the softphone.
async fn demo_control() -> anyhow::Result<()> {
    let demo = callpop_e2e::demo::Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    browser.wait_for(".demo-telephony summary").await?.click().await?;
    browser.wait_for(".demo-scenarios button[data-scenario='validation-rule']").await?;
    save_page(&browser, "lightning-simulate-call").await?;
    demo.ring(&browser, "new-caller").await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-simulated-ringing").await
}

/// The sign-in screen, and the calls a reload resumed (in call; a new caller's form still to save).
async fn frame_sessions(stack: &Stack) -> anyhow::Result<()> {
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.enter_softphone().await?;
    browser.wait_for("#signin:not([hidden])").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, "softphone-sign-in").await?;

    browser.sign_in_agent().await?;
    stack.post_call_event("CA-shot-reload-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='CA-shot-reload-1']").await?.click().await?;
    browser.wait_for("[data-call-id='CA-shot-reload-1'] [data-status='In call']").await?;
    browser.reload_page().await?;
    browser.wait_for("[data-call-id='CA-shot-reload-1'] [data-status='In call']").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, "softphone-reload-in-call").await?;

    browser.enter_softphone().await?;
    stack.post_call_event("CA-shot-reload-2", "ringing", numbers::NOBODY).await?;
    browser.wait_for("[data-answer='CA-shot-reload-2']").await?.click().await?;
    let pending = "[data-call-id='CA-shot-reload-2'] [data-status='New caller: complete the Lead and save it']";
    browser.wait_for(pending).await?;
    browser.reload_softphone().await?;
    browser.wait_for(pending).await?;
    browser.leave_softphone().await?;
    save_page(&browser, "softphone-reload-new-caller").await
}

/// Two tabs of one agent: the tab that did not answer says the other one has the call; then, signed out in the
/// first tab, the second says why it asks for the password again.
async fn two_tabs(stack: &Stack) -> anyhow::Result<()> {
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.sign_in_agent().await?;
    let (first, second) = browser.open_signed_in_tab(&stack.lightning_url()).await?;
    stack.post_call_event("CA-shot-tabs", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='CA-shot-tabs']").await?;
    browser.softphone_of_tab(&first).await?;
    browser.wait_for("[data-answer='CA-shot-tabs']").await?.click().await?;
    browser.wait_for("[data-call-id='CA-shot-tabs'] [data-status='In call']").await?;
    browser.softphone_of_tab(&second).await?;
    browser.wait_for("[data-call-id='CA-shot-tabs'] [data-status='Answered in your other tab']").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, "softphone-other-tab").await?;

    browser.softphone_of_tab(&first).await?;
    browser.wait_for("#sign-out").await?.click().await?;
    browser.softphone_of_tab(&second).await?;
    browser.wait_for("#signin-error:not([hidden])").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, "softphone-signed-out-elsewhere").await
}

/// The softphone signed in where the browser keeps nothing for the frame: the sentence that says so.
async fn nothing_kept(stack: &Stack) -> anyhow::Result<()> {
    let nothing_kept = Browser::start_in(ThirdParty::NothingKept).await?;
    nothing_kept.client.goto(&stack.lightning_url()).await?;
    nothing_kept.sign_in_agent().await?;
    nothing_kept.wait_for("#session-note:not([hidden])").await?;
    nothing_kept.leave_softphone().await?;
    save_softphone(&nothing_kept, "softphone-nothing-kept").await
}

/// The softphone alone in each state, with the org's panel sized `width` × `height` (the frame's own size).
async fn softphone_states(label: &str, width: u32, height: u32) -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.size_softphone(width, height).await?;
    set_wrap_up(&stack).await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-idle")).await?;

    let call_id = format!("{label}-1");
    stack.post_call_event(&call_id, "ringing", numbers::SEVERAL).await?;
    browser.enter_softphone().await?;
    let answer = browser.wait_for(&format!("[data-answer='{call_id}']")).await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-ringing")).await?;

    browser.enter_softphone().await?;
    answer.click().await?;
    browser.wait_for("[role=listbox]").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-dialog")).await?;

    browser.enter_softphone().await?;
    browser.wait_for("[role=option][data-pick]").await?.click().await?;
    browser.wait_for(&format!("[data-call-id='{call_id}'] [data-status='In call']")).await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-in-call")).await?;

    // The wrap-up: notes and a disposition while on the call, then after-call work once it ended.
    browser.enter_softphone().await?;
    stack.post_call_event(&call_id, "answered", numbers::SEVERAL).await?;
    browser.wait_for(&format!("#notes-{call_id}")).await?.send_keys("Wants a quote for 12 seats").await?;
    browser.wait_for(&format!("#disposition-{call_id} option[value='Callback']")).await?.click().await?;
    browser.wait_for(&format!("[data-call-id='{call_id}'] [data-save-state]")).await?;
    callpop_e2e::eventually("the notes saved", || async {
        Ok((browser.text_of(&format!("[data-call-id='{call_id}'] [data-save-state]")).await? == "Saved").then_some(()))
    })
    .await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-wrap-up")).await?;

    stack.post_call_event(&call_id, "completed", numbers::SEVERAL).await?;
    browser.enter_softphone().await?;
    browser.wait_for("#app[data-agent-status='after_call_work'] [data-countdown]:not([hidden])").await?;
    // From the frame's top, as the agent finds it: the header's status, then the countdown and Done on the card.
    browser.eval("window.scrollTo(0, 0); return true;").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-after-call-work")).await?;

    // The Recent list after that call ended and another one was missed.
    let missed = format!("{label}-2");
    stack.post_call_event(&missed, "ringing", numbers::ONE_CONTACT).await?;
    stack.post_call_event(&missed, "completed", numbers::ONE_CONTACT).await?;
    browser.enter_softphone().await?;
    browser.wait_for("#show-recent").await?.click().await?;
    browser.wait_for(&format!(".recent-entry[data-key='call:{missed}']")).await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-recent")).await
}

/// The call controls in each state, at one size: an answered call's buttons, a hold waiting for the telephony
/// side, held and muted as confirmed, the transfer form, the keypad, and the idle dial pad. The telephony side is
/// `simulate::Line`, the demo's.
async fn controls_states(label: &str, width: u32, height: u32) -> anyhow::Result<()> {
    use callpop_server::simulate::{CallBook, Line};
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.size_softphone(width, height).await?;
    browser.sign_in_agent().await?;
    let line = Line::new(&stack.server_url, &stack.api_key, CallBook::default());
    let call_id = format!("{label}-controls");
    let event = json!({
        "call_id": call_id, "direction": "inbound", "caller_number": numbers::ONE_CONTACT, "tracking_number": "+14155550100",
        "agent": callpop_server::provision::DEMO_AGENT_EMAIL, "tracking_source": "Google Ads", "campaign": "Spring Promo",
    });
    line.book.insert(&call_id, event);
    line.post_event(&call_id, "ringing").await?;
    browser.wait_for(&format!("[data-answer='{call_id}']")).await?.click().await?;
    line.post_event(&call_id, "answered").await?;
    let within = |css: &str| format!("[data-controls='{call_id}'] {css}");
    let shoot = |state: &'static str| {
        let name = format!("softphone-{label}-controls-{state}");
        let browser = &browser;
        async move {
            browser.leave_softphone().await?;
            save_softphone(browser, &name).await?;
            browser.enter_softphone().await
        }
    };
    browser.wait_for(&within("[data-control='hold']:not([disabled])")).await?;
    shoot("answered").await?;
    browser.wait_for(&within("[data-control='hold']")).await?.click().await?;
    browser.wait_for(&within("[data-control-status='Holding…']")).await?;
    shoot("holding").await?;
    line.obey_pending().await?;
    browser.wait_for(&within("[data-control='mute']:not([disabled])")).await?.click().await?;
    line.obey_pending().await?;
    browser.wait_for(&within("[data-control-status='On hold · Muted']")).await?;
    shoot("held-muted").await?;
    browser.wait_for(&within("[data-control='transfer']")).await?.click().await?;
    browser.wait_for("#transfer-to").await?.send_keys("grace@acme.test").await?;
    shoot("transfer").await?;
    browser.wait_for(&within("[data-control='resume']")).await?.click().await?;
    line.obey_pending().await?;
    browser.wait_for(&within("[data-control='send_digits']:not([disabled])")).await?.click().await?;
    browser.wait_for(&within("[data-digit='1']")).await?;
    shoot("keypad").await?;
    browser.wait_for(&within("[data-control='hang_up']")).await?.click().await?;
    line.obey_pending().await?;
    // The ended call waits in after-call work until Done; then the idle dial pad is back.
    browser.wait_for(&format!("[data-done='{call_id}']:not([hidden])")).await?.click().await?;
    browser.wait_for("#dialpad:not([hidden]) summary").await?.click().await?;
    browser.wait_for("#dialpad-number").await?.send_keys("+1 415 555 0173").await?;
    shoot("dialpad").await?;
    Ok(())
}

/// The administrator's dispositions and after-call work, for the wrap-up screenshots.
async fn set_wrap_up(stack: &Stack) -> anyhow::Result<()> {
    let token = stack.token_for(ADMIN_EMAIL).await?;
    let settings = json!({ "dispositions": ["Sale", "Callback", "Not interested"], "wrap_up_secs": 120 });
    let url = format!("{}/api/v1/settings/wrap-up", stack.server_url);
    reqwest::Client::new().put(url).bearer_auth(token).json(&settings).send().await?.error_for_status()?;
    Ok(())
}

/// Puts the states of one size side by side, with a light grey rule around each, as the README shows them.
fn strip(label: &str) -> anyhow::Result<()> {
    let states = ["idle", "ringing", "dialog", "in-call", "recent"];
    let shots = states
        .iter()
        .map(|state| Ok(image::open(directory()?.join(format!("softphone-{label}-{state}.png")))?.to_rgba8()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (width, height) = (shots[0].width() + 2, shots[0].height() + 2);
    let rule = image::Rgba([201, 201, 201, 255]);
    let mut canvas = image::RgbaImage::from_pixel(width * states.len() as u32, height, rule);
    for (index, shot) in shots.iter().enumerate() {
        image::imageops::overlay(&mut canvas, shot, i64::from(width) * index as i64 + 1, 1);
    }
    canvas.save(directory()?.join(format!("softphone-{label}.png")))?;
    println!("saved docs/screenshots/softphone-{label}.png");
    Ok(())
}

/// Saves the whole console page, however long: the viewport grows to the page's height for the shot.
async fn save_whole_page(browser: &Browser, name: &str, width: u32) -> anyhow::Result<()> {
    let height = browser.eval("return document.documentElement.scrollHeight;").await?.as_u64().unwrap_or(800);
    browser.set_viewport(width, u32::try_from(height.clamp(800, 4000))?).await?;
    save_page(browser, name).await?;
    browser.set_viewport(width, 800).await
}

/// Calls and texts for the console's logs: several callers, sources, agents and sync outcomes.
async fn console_activity(stack: &Stack) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let calls = [
        ("CA-1041", "+14155552671", "Ada Lovelace", "agent@demo.callpop.test", "Google Ads", "Spring Promo", 184, 50),
        ("CA-1042", "+14155550173", "Charles Babbage", "agent@demo.callpop.test", "Bing Ads", "Spring Promo", 62, 41),
        ("CA-1043", "+442079460958", "Mary Somerville", "manager@demo.callpop.test", "Website", "", 305, 33),
        ("CA-1044", "+14155550142", "Grace Hopper", "agent@demo.callpop.test", "Google Ads", "Webinar", 0, 20),
        (
            "CA-1045",
            "+13125550199",
            "Alan Turing",
            "agent@demo.callpop.test",
            "Direct mail",
            "Autumn Catalogue",
            421,
            12,
        ),
        ("CA-1046", "+14155550123", "", "agent@demo.callpop.test", "Google Ads", "Spring Promo", 0, 3),
    ];
    for (call_id, caller, name, agent, source, campaign, duration, minutes_ago) in calls {
        let started = now - chrono::Duration::minutes(minutes_ago);
        let ringing = json!({
            "call_id": call_id, "kind": "ringing", "direction": "inbound", "caller_number": caller,
            "caller_name": (!name.is_empty()).then_some(name), "caller_city": "San Francisco", "caller_region": "CA",
            "caller_country": "US", "tracking_number": "+14155550100", "agent": agent, "tracking_source": source,
            "campaign": (!campaign.is_empty()).then_some(campaign), "occurred_at": started.to_rfc3339(),
        });
        stack.post_telephony("call-events", &ringing).await?;
        if duration > 0 {
            let mut completed = ringing.clone();
            completed["kind"] = json!("completed");
            completed["duration_secs"] = json!(duration);
            completed["disposition"] = json!("Booked a demo");
            completed["occurred_at"] = json!((started + chrono::Duration::seconds(duration)).to_rfc3339());
            stack.post_telephony("call-events", &completed).await?;
        }
    }
    // CA-1041 reached Salesforce with one error; CA-1042 and CA-1045 went through cleanly.
    stack.record_sync("CA-1041").await?;
    for call_id in ["CA-1042", "CA-1045"] {
        let subject = stack.sync_subject(call_id).await?;
        stack
            .record_steps(&[
                SalesforceStep::accepted(subject, SyncStep::Search, "Lead,Contact", None, Map::new()),
                SalesforceStep::accepted(subject, SyncStep::Match, "Contact", Some("003000000000007AAA"), Map::new())
                    .with_detail("single match"),
                SalesforceStep::accepted(subject, SyncStep::Append, "Task", Some("00T000000000009AAA"), Map::new()),
            ])
            .await?;
    }
    stack
        .post_text("SM-2201", "+14155552671", "agent@demo.callpop.test", "Hi, can you call me back about the quote?")
        .await?;
    stack.post_text("SM-2202", "+13125550199", "agent@demo.callpop.test", "Is the catalogue offer still on?").await?;
    Ok(())
}

/// The admin console's pages, as an administrator, an agent and a basic-plan account see them.
async fn console_pages(stack: &Stack) -> anyhow::Result<()> {
    console_activity(stack).await?;
    let browser = Browser::start().await?;
    browser.set_viewport(1280, 800).await?;
    browser.open_console(stack, "sign-in").await?;
    save_page(&browser, "console-sign-in").await?;
    browser.sign_in_console(stack, ADMIN_EMAIL).await?;
    save_page(&browser, "console-overview").await?;
    browser.open_console(stack, "calls").await?;
    save_page(&browser, "console-call-log").await?;
    browser.open_console(stack, "calls?call=CA-1041").await?;
    save_whole_page(&browser, "console-call-salesforce-panel", 1280).await?;
    browser.open_console(stack, "texts").await?;
    save_page(&browser, "console-text-log").await?;
    // The search: callers whose name has an "a" today, with the counts, the pages and the export it downloads.
    let today = chrono::Utc::now().format("%Y-%m-%d");
    browser.open_console(stack, &format!("calls?name=a&from={today}")).await?;
    browser.wait_for("#export-csv").await?.click().await?;
    browser.wait_for("#export-notice").await?;
    callpop_e2e::eventually("the export", || async {
        Ok((browser.text_of("#export-notice").await? == "Downloaded.").then_some(()))
    })
    .await?;
    save_page(&browser, "console-call-search").await?;

    browser.open_console(stack, "options").await?;
    browser.wait_for("#legacy-toggle").await?.click().await?;
    browser.wait_for("label[for='opt-local_number_format']").await?.click().await?;
    browser.wait_for("#opt-full_region_names").await?.click().await?;
    browser.wait_for("#options-form button[type=submit]").await?.click().await?;
    browser.wait_for("#saved-changes").await?;
    save_whole_page(&browser, "console-options", 1280).await?;
    browser.open_console(stack, "history").await?;
    save_page(&browser, "console-settings-history").await?;
    browser.open_console(stack, "call-center").await?;
    save_whole_page(&browser, "console-call-center", 1280).await?;
    browser.open_console(stack, "logging").await?;
    save_whole_page(&browser, "console-logging", 1280).await?;
    browser.open_console(stack, "agents").await?;
    save_page(&browser, "console-agents").await?;

    browser.open_console(stack, "api-keys").await?;
    browser.wait_for("#new-key-form button[type=submit]").await?.click().await?;
    browser.wait_for("#new-key-label-error:not([hidden])").await?;
    save_page(&browser, "console-api-key-error").await?;
    browser.wait_for("#new-key-label").await?.send_keys("PBX in Lyon").await?;
    browser.wait_for("#new-key-form button[type=submit]").await?.click().await?;
    browser.wait_for("#new-key").await?;
    save_page(&browser, "console-api-keys").await?;

    browser.set_viewport(1024, 768).await?;
    browser.open_console(stack, "calls").await?;
    save_page(&browser, "console-call-log-1024").await?;
    browser.open_console(stack, "options").await?;
    save_page(&browser, "console-options-1024").await?;

    let agent = Browser::start().await?;
    agent.set_viewport(1280, 800).await?;
    agent.sign_in_console(stack, "agent@demo.callpop.test").await?;
    agent.open_console(stack, "options").await?;
    save_page(&agent, "console-forbidden").await?;

    stack.create_account("Corner Shop", Plan::Basic, "owner@corner-shop.test").await?;
    let basic = Browser::start().await?;
    basic.set_viewport(1280, 800).await?;
    basic.sign_in_console(stack, "owner@corner-shop.test").await?;
    basic.open_console(stack, "options").await?;
    save_page(&basic, "console-basic-plan").await
}

/// The Salesforce pages of the console, against the local org linked through its OAuth page: the connection with
/// its API usage, triggers (the list, the editor with a test against a past call, a refused rule), the preflight
/// check and the sync log with what a validation rule refused.
async fn console_salesforce_pages(stack: &Stack) -> anyhow::Result<()> {
    console_activity(stack).await?;
    stack.org.set_api_usage(4210, 15000);
    let browser = Browser::start().await?;
    browser.set_viewport(1280, 800).await?;
    browser.sign_in_console(stack, ADMIN_EMAIL).await?;
    browser.open_console(stack, "salesforce").await?;
    save_page(&browser, "console-salesforce-not-linked").await?;
    browser.wait_for("#link-button").await?.click().await?;
    browser.wait_for("button[name='decision'][value='allow']").await?.click().await?;
    browser.wait_for("#main[data-ready='1'] #link-result").await?;

    let triggers = [
        json!({ "name": "New callers become Leads", "event": "call_started",
            "actions": [{ "type": "find_or_create", "object": "Lead", "fields": {
                "LastName": "{{caller_name|Unknown caller}}", "Company": "{{tracking_source|Phone enquiry}}",
                "LeadSource": "{{tracking_source|Phone}}" } }] }),
        json!({ "name": "Log every answered call", "event": "call_ended",
            "conditions": { "match": "all", "rules": [{ "field": "answered", "op": "equals", "value": true }] },
            "actions": [{ "type": "log_task", "fields": { "Subject": "{{call_type}} call from {{caller_number}}",
                "Description": "Source: {{tracking_source|unknown}}. Result: {{disposition|none}}." } }] }),
        json!({ "name": "Long Google Ads calls join the campaign", "event": "call_ended", "enabled": false,
            "conditions": { "match": "all", "rules": [
                { "field": "tracking_source", "op": "equals", "value": "Google Ads" },
                { "field": "duration", "op": "greater_than", "value": 60 }] },
            "actions": [
                { "type": "update_record", "fields": { "Rating": "Warm" } },
                { "type": "add_to_campaign", "campaign": "{{campaign}}", "status": "Responded", "delay_secs": 300 }] }),
    ];
    let mut ids = Vec::new();
    for trigger in &triggers {
        ids.push(stack.create_trigger(trigger).await?);
    }
    browser.open_console(stack, "triggers").await?;
    save_page(&browser, "console-triggers").await?;
    browser.wait_for(&format!("[data-edit='{}']", ids[2])).await?.click().await?;
    browser.wait_for("#trigger-form").await?;
    browser.wait_for("#test-call").await?.select_by_value("CA-1041").await?;
    browser.wait_for("#run-test").await?.click().await?;
    browser.wait_for("#trigger-test-result [data-fires]").await?;
    save_whole_page(&browser, "console-trigger-editor", 1280).await?;
    browser.set_viewport(1024, 768).await?;
    browser.open_console(stack, "triggers").await?;
    browser.wait_for("#new-trigger").await?.click().await?;
    browser.wait_for("#trigger-form").await?;
    browser.wait_for("#a0-type").await?.select_by_value("find_or_create").await?;
    browser.wait_for("#a0-f0-value").await?.send_keys("{{caller_name}}").await?;
    browser.wait_for("#save-trigger").await?.click().await?;
    browser.wait_for("#trigger-name-error:not([hidden])").await?;
    save_page(&browser, "console-trigger-error-1024").await?;
    browser.set_viewport(1280, 800).await?;

    // Legacy mode, and an org whose validation rule refuses every new caller's Lead.
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await?;
    stack.org.add_validation_rule(seed::lead_needs_email())?;
    stack.post_logged_call("CA-1051", numbers::ONE_CONTACT, "agent@demo.callpop.test", "Google Ads").await?;
    stack.post_logged_call("CA-1052", "+14155550188", "agent@demo.callpop.test", "Bing Ads").await?;
    stack.post_logged_call("CA-1053", "+14155550177", "agent@demo.callpop.test", "Website").await?;
    callpop_e2e::eventually("two parked calls", || async {
        let log = stack.sync_log().await?;
        Ok((log.iter().filter(|item| item["status"] == "parked").count() >= 2).then_some(()))
    })
    .await?;
    browser.open_console(stack, "sync-log").await?;
    save_page(&browser, "console-sync-log").await?;
    // An item the admin leaves alone: dismissed with a reason, then shown under the dismissed items.
    browser.wait_for("[data-dismiss]").await?.click().await?;
    browser
        .wait_for(".dismiss-form input")
        .await?
        .send_keys("A test call from the switchboard; no Lead wanted.")
        .await?;
    save_page(&browser, "console-sync-log-dismiss").await?;
    browser.wait_for("[data-confirm-dismiss]").await?.click().await?;
    browser.wait_for("#sync-notice .result-ok").await?;
    browser.open_console(stack, "sync-log?dismissed=true").await?;
    browser.wait_for("[data-dismissal]").await?;
    save_page(&browser, "console-sync-log-dismissed").await?;
    browser.open_console(stack, "preflight").await?;
    save_whole_page(&browser, "console-preflight", 1280).await?;
    browser.open_console(stack, "salesforce").await?;
    save_whole_page(&browser, "console-salesforce", 1280).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only = std::env::args().nth(1);
    if only.as_deref().is_none_or(|set| set == "console") {
        console_pages(&Stack::start().await?).await?;
        console_salesforce_pages(&Stack::start().await?).await?;
    }
    if only.as_deref().is_none_or(|set| set == "softphone" || set == "frame") {
        frame_sessions(&Stack::start().await?).await?;
        nothing_kept(&Stack::start().await?).await?;
        two_tabs(&Stack::start().await?).await?;
    }
    if only.as_deref().is_none_or(|set| set == "softphone") {
        org_pages(&Stack::start().await?).await?;
        demo_control().await?;
        softphone_states("200x400", 200, 400).await?;
        softphone_states("340x480", 340, 480).await?;
        strip("200x400")?;
        strip("340x480")?;
    }
    if only.as_deref().is_none_or(|set| set == "voice") {
        voice_pages(&Stack::start().await?).await?;
    }
    if only.as_deref().is_none_or(|set| set == "softphone" || set == "controls") {
        controls_states("200x400", 200, 400).await?;
        controls_states("340x480", 340, 480).await?;
    }
    Ok(())
}
