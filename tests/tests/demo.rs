//! The demo a newcomer runs, as `cargo xtask demo` starts it: the real `callpop demo` command (a fresh demo account
//! linked to the local org over OAuth) and a local org with the example validation rules and the "Simulate a call"
//! control. A newcomer rings the softphone from the org's page, answers, sees the pop and the call's Task on the
//! record; the caller that trips the validation rule waits in the sync log with Salesforce's message. The org's
//! Salesforce Voice page frames the demo's connector.

use anyhow::Context;
use callpop_e2e::demo::Demo;
use callpop_e2e::{ADMIN_EMAIL, Browser, DEMO_PASSWORD, PATIENCE};
use callpop_sandbox::{Sandbox, SandboxConfig};
use callpop_server::demo::SCENARIOS;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The org's Leads with the premium-rate caller's number, in whatever format.
fn premium_rate_leads(demo: &Demo) -> usize {
    let digits = |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>();
    demo.org
        .records("Lead")
        .iter()
        .filter(|lead| lead.text("Phone").is_some_and(|phone| digits(phone).ends_with("9005550199")))
        .count()
}

#[tokio::test]
async fn each_scenario_meets_the_records_it_describes_in_the_seeded_org() -> anyhow::Result<()> {
    let org = Sandbox::start(SandboxConfig::default()).await?;
    let expected = [
        ("known-contact", vec!["Contact"]),
        ("known-lead", vec!["Lead"]),
        ("several-matches", vec!["Contact", "Lead", "Lead"]),
        ("new-caller", vec![]),
        ("validation-rule", vec![]),
    ];
    for (id, objects) in expected {
        let scenario = SCENARIOS.iter().find(|scenario| scenario.id == id).context("a scenario")?;
        let url = format!("{}/__ui/phone-search?term={}", org.base_url(), scenario.caller_number.replace('+', "%2B"));
        let hits: Vec<Value> = reqwest::get(url).await?.json().await?;
        let mut found: Vec<&str> = hits.iter().filter_map(|hit| hit["RecordType"].as_str()).collect();
        found.sort_unstable();
        assert_eq!(found, objects, "{id} ({}) matches {hits:?}", scenario.caller_number);
    }
    Ok(())
}

#[tokio::test]
async fn a_newcomer_rings_from_the_org_answers_and_sees_the_task_on_the_record() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;

    demo.ring(&browser, "known-contact").await?;
    let line = browser.text_of(".demo-call").await?;
    assert!(line.contains("Known Contact") && line.contains("+14155552671"), "the org says who rings: {line}");
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?.click().await?;
    browser.leave_softphone().await?;
    let popped = Locator::XPath("//main//h1[normalize-space()='Ada Lovelace']");
    browser.client.wait().at_most(PATIENCE).for_element(popped).await.context("the caller's Contact pops")?;

    // The sync engine writes the call's Task on Ada's Contact in the org.
    let contact = demo
        .org
        .records("Contact")
        .into_iter()
        .find(|record| record.text("LastName") == Some("Lovelace"))
        .context("Ada's Contact")?;
    let task = demo.wait_for_org_record("Task", |task| task.text("WhoId") == Some(contact.id.as_str())).await?;
    assert_ne!(task.text("Status"), Some("Completed"), "a call in progress is not completed yet");

    // The record page shows it in its Activity History once reloaded, as in Salesforce.
    browser.client.refresh().await?;
    let history = browser.wait_for("[data-related='activity']").await?.text().await?;
    assert!(history.contains("Activity History (1)"), "the Task is on the record: {history}");

    // "End call" completes the call; the Task follows.
    browser.wait_for(".demo-call .demo-end").await?.click().await?;
    demo.wait_for_org_record("Task", |record| record.id == task.id && record.text("Status") == Some("Completed"))
        .await?;

    // The demo account is on both hosts, as during a move to Salesforce Voice: the call also has its VoiceCall,
    // completed and linked to the Task and Ada's Contact, for the Voice page to show.
    let voice_call = demo
        .wait_for_org_record("VoiceCall", |call| {
            call.text("ActivityId") == Some(task.id.as_str()) && call.text("CallDisposition") == Some("completed")
        })
        .await?;
    assert_eq!(voice_call.text("RelatedRecordId"), Some(contact.id.as_str()), "{voice_call:#?}");
    assert_eq!(demo.org.records("VoiceCall").len(), 1, "one VoiceCall for one call");
    Ok(())
}

#[tokio::test]
async fn the_caller_who_trips_the_validation_rule_waits_in_the_sync_log_with_salesforces_message() -> anyhow::Result<()>
{
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;
    demo.ring(&browser, "validation-rule").await?;

    // The sync engine's Lead is refused by the rule: the item is parked with the org's own words.
    let started = Instant::now();
    let parked = loop {
        let log = demo.admin_get("/api/v1/sync-log").await?;
        let items = log["items"].as_array().cloned().unwrap_or_default();
        if let Some(item) =
            items.into_iter().find(|item| item.to_string().contains("FIELD_CUSTOM_VALIDATION_EXCEPTION"))
        {
            break item;
        }
        anyhow::ensure!(
            started.elapsed() < PATIENCE,
            "no parked item in the sync log: {log} leads {:?} calls {}",
            demo.org.records("Lead"),
            demo.admin_get("/api/v1/calls").await?
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(parked.to_string().contains("Premium-rate (1-900) numbers cannot be saved on a Lead."), "{parked}");
    assert_eq!(premium_rate_leads(&demo), 0, "no premium-rate Lead was half-saved");

    // In the org, the agent's own save of the pre-filled Lead meets the same rule, shown at the Phone field.
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?.click().await?;
    browser.leave_softphone().await?;
    let modal = browser.wait_for("#modal-root [role='dialog']").await?;
    let last_name = modal.find(Locator::Css("input[name='LastName']")).await?;
    if last_name.prop("value").await?.unwrap_or_default().is_empty() {
        last_name.send_keys("Line").await?;
    }
    let company = modal.find(Locator::Css("input[name='Company']")).await?;
    if company.prop("value").await?.unwrap_or_default().is_empty() {
        company.send_keys("Premium Line Inc").await?;
    }
    modal.find(Locator::Css("button[type='submit']")).await?.click().await?;
    let phone_error = browser.wait_for("#modal-root input[name='Phone'] + .field-error").await?;
    assert_eq!(phone_error.text().await?, "Premium-rate (1-900) numbers cannot be saved on a Lead.");
    let alert = browser.text_of("#modal-root [role='alert']").await?;
    assert!(alert.contains("We hit a snag."), "the form says it was not saved: {alert}");
    assert_eq!(premium_rate_leads(&demo), 0, "nor saved by the page");
    Ok(())
}

#[tokio::test]
async fn the_demo_telephony_names_an_unknown_scenario_and_an_unknown_call() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let response =
        demo.http.post(format!("{}/demo/calls", demo.server_url)).json(&json!({ "scenario": "nope" })).send().await?;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await?;
    assert_eq!(body["field"], "scenario");
    assert!(body["message"].as_str().unwrap_or_default().contains("known-contact"), "{body}");
    let response = demo.http.post(format!("{}/demo/calls/demo-unknown/end", demo.server_url)).send().await?;
    assert_eq!(response.status(), 404);
    assert!(!demo.admin_get("/api/v1/calls").await?.to_string().contains("demo-"), "nothing was rung");
    Ok(())
}

#[tokio::test]
async fn turning_the_dialog_off_in_the_console_lets_callpop_pick_the_most_recent_of_several_matches()
-> anyhow::Result<()> {
    let demo = Demo::start().await?;
    // The administrator opens the options page, is asked to sign in, and turns the multi-match dialog off.
    let admin = Browser::start().await?;
    admin.client.goto(&format!("{}/console/options", demo.server_url)).await?;
    admin.wait_for("#sign-in-email").await?.send_keys(ADMIN_EMAIL).await?;
    admin.wait_for("#sign-in-password").await?.send_keys(DEMO_PASSWORD).await?;
    admin.wait_for("#sign-in-form button[type=submit]").await?.click().await?;
    admin.wait_for("#opt-multi_match_dialog").await?.click().await?;
    admin.wait_for("#options-form button[type=submit]").await?.click().await?;
    let saved = admin.wait_for("#saved-changes").await?.text().await?;
    assert!(saved.contains("search dialog") && saved.contains("ON → OFF"), "saving says what changed: {saved}");

    // The agent rings "Several matches": no dialog; the most recently modified record, Grace Hopper's Contact, pops.
    let agent = Browser::start().await?;
    agent.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    agent.sign_in_agent().await?;
    demo.ring(&agent, "several-matches").await?;
    agent.enter_softphone().await?;
    agent.wait_for("[data-answer]").await?.click().await?;
    agent.leave_softphone().await?;
    let popped = Locator::XPath("//main//h1[normalize-space()='Grace Hopper']");
    agent.client.wait().at_most(PATIENCE).for_element(popped).await.context("the most recent match pops")?;
    assert!(agent.text_of("main").await?.contains("Contact"), "it is the Contact, the newest of the three");
    agent.enter_softphone().await?;
    assert!(!agent.has("[role=listbox]").await?, "the softphone did not ask");
    let contact = demo
        .org
        .records("Contact")
        .into_iter()
        .find(|record| record.text("LastName") == Some("Hopper"))
        .context("Grace Hopper's Contact")?;
    demo.wait_for_org_record("Task", |task| task.text("WhoId") == Some(contact.id.as_str())).await?;
    Ok(())
}

#[tokio::test]
async fn a_new_callers_lead_created_in_legacy_mode_opens_in_its_edit_form_in_lightning() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;
    demo.ring(&browser, "new-caller").await?;
    browser.enter_softphone().await?;
    // Legacy mode: the server creates the caller's Lead and names it to the softphone.
    let card = browser.wait_for("article.call[data-server-record^='00Q']").await?;
    let lead_id = card.attr("data-server-record").await?.context("the named Lead")?;
    browser.wait_for("[data-answer]").await?.click().await?;
    browser.leave_softphone().await?;

    // Edit mode is off, yet the new Lead opens in its Edit form, as new Leads do in Lightning.
    let form = browser.wait_for("form[data-form-object='Lead']").await?;
    let lead = demo.org.records("Lead").into_iter().find(|lead| lead.id.as_str() == lead_id).context("the Lead")?;
    let last_name = form.find(Locator::Css("input[name='LastName']")).await?.prop("value").await?;
    assert_eq!(last_name.as_deref(), lead.text("LastName"), "the form is the created Lead's");
    let path = browser.client.current_url().await?.path().to_owned();
    assert_eq!(path, format!("/lightning/r/Lead/{lead_id}/edit"), "Lightning's address of the Edit form");
    let log: Vec<Value> = reqwest::get(format!("{}/__control/opencti-log", demo.org.base_url())).await?.json().await?;
    let pops: Vec<&Value> =
        log.iter().filter(|entry| entry["method"] == "screenPop").map(|entry| &entry["args"]).collect();
    assert_eq!(
        pops,
        [
            &json!({"type": "sobject", "params": {"recordId": lead_id}}),
            &json!({"type": "url", "params": {"url": format!("/lightning/r/Lead/{lead_id}/edit")}}),
        ],
        "{log:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_agent_picks_a_demo_disposition_hangs_up_from_the_softphone_and_the_orgs_line_says_the_call_is_over()
-> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;
    demo.ring(&browser, "known-contact").await?;
    let call_id = browser.wait_for(".demo-call").await?.attr("data-call-id").await?.context("the line's call id")?;

    // The demo account comes with a disposition list, so the card offers one.
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?.click().await?;
    browser.wait_for(&format!("#disposition-{call_id} option[value='Callback requested']")).await?.click().await?;
    browser.wait_for("[data-controls] [data-control='hang_up']").await?.click().await?;
    browser.wait_for("[data-done]:not([hidden])").await?;
    browser.leave_softphone().await?;

    // The demo's phone system obeyed the hang-up; the org's line says the call is over and offers no "End call".
    let over = Instant::now();
    loop {
        let line = browser.text_of(".demo-call").await?;
        if line.starts_with("Over:") {
            assert!(browser.client.find_all(Locator::Css(".demo-call .demo-end")).await?.is_empty(), "{line}");
            break;
        }
        anyhow::ensure!(over.elapsed() < PATIENCE, "the org's line still offers to end the call: {line}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let task = demo
        .wait_for_org_record("Task", |task| {
            task.text("Status") == Some("Completed") && task.text("CallDisposition") == Some("Callback requested")
        })
        .await?;
    let call_object = task.text("CallObject").unwrap_or_default();
    assert!(call_object.contains(&call_id), "the disposition is on this call's Task: {call_object}");
    Ok(())
}

/// The demo's Salesforce Voice side: the org's Voice page (on its Lightning origin over HTTPS) frames the demo
/// server's connector, which answers Salesforce's setup message by asking for a sign-in, and the demo agent's
/// sign-in makes it ready.
#[tokio::test]
async fn the_demo_offers_salesforce_voice_whose_page_frames_the_connector_and_the_agent_signs_in() -> anyhow::Result<()>
{
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/lightning/voice", demo.org.voice_url())).await?;
    browser.wait_for("#voice-log li[data-direction='in'][data-event='SHOW_LOGIN']").await?;
    browser.wait_for("iframe#connector").await?.enter_frame().await?;
    browser.wait_for("#signin-email").await?.send_keys(callpop_e2e::DEMO_AGENT_EMAIL).await?;
    browser.wait_for("#signin-password").await?.send_keys(DEMO_PASSWORD).await?;
    browser.wait_for("#signin-form button[type=submit]").await?.click().await?;
    browser.leave_softphone().await?;
    browser.wait_for("#voice-log li[data-direction='in'][data-type='CONNECTOR_READY']").await?;
    Ok(())
}

#[tokio::test]
async fn a_newcomer_takes_a_call_on_the_salesforce_voice_page_and_sees_its_voicecall_with_the_caller()
-> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    // Step 6 of the demo's instructions: the Voice page, signed in inside its Phone, Available.
    browser.client.goto(&format!("{}/lightning/voice", demo.org.voice_url())).await?;
    browser.sign_in_connector().await?;
    browser.wait_for("#presence:not([disabled])").await?.select_by_value("Online").await?;

    // Rung from the Lightning page in another tab, as the instructions say.
    let voice_tab = browser.open_tab(&format!("{}/lightning/page/home", demo.org.base_url())).await?;
    demo.ring(&browser, "known-contact").await?;
    browser.switch_tab(&voice_tab).await?;
    browser.click("[data-accept]").await?;

    // The call's VoiceCall opens, written by callpop, with Ada's Contact as its related record.
    let related = browser.wait_for("[data-related-record]").await?;
    assert_eq!(related.text().await?, "Ada Lovelace");
    callpop_e2e::eventually("the VoiceCall in progress", || async {
        Ok((browser.text_of("[data-field='CallDisposition']").await? == "in-progress").then_some(()))
    })
    .await
}
