//! Legacy mode (the demo's default: callpop's sync engine chooses and writes the record), in both UIs, in the
//! cross-site frame with third-party cookies blocked: several matches ask the agent, whose pick gets the call's
//! Task; a new caller's Lead, created by callpop, is what pops; and when the org's validation rule refuses that Lead,
//! the Lead the agent completes and saves gets the Task, and nothing is written twice after the admin's retry.

use anyhow::Context;
use callpop_core::open_cti::Ui;
use callpop_e2e::demo::Demo;
use callpop_e2e::{Browser, eventually, per_ui};
use callpop_sandbox::seed;
use fantoccini::Locator;

/// The demo running and the agent signed in to the softphone on the org's page for `ui`.
async fn demo_signed_in(ui: Ui) -> anyhow::Result<(Demo, Browser)> {
    let demo = Demo::start().await?;
    let browser = Browser::start().await?;
    let page = if ui == Ui::Lightning { "/lightning/page/home" } else { "/console" };
    browser.client.goto(&format!("{}{page}", demo.org.base_url())).await?;
    browser.sign_in_agent().await?;
    Ok((demo, browser))
}

async fn several_matches_ask_the_agent_and_the_pick_gets_the_task(ui: Ui) -> anyhow::Result<()> {
    let (demo, browser) = demo_signed_in(ui).await?;
    demo.ring(&browser, "several-matches").await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?.click().await?;
    // The second of the three, not the newest the server would fall back to.
    let option = browser.wait_for("#match-1").await?;
    let picked = option.attr("data-pick").await?.context("the option's record")?;
    option.click().await?;
    browser.wait_for("article.call [data-status='In call']").await?;

    browser.leave_softphone().await?;
    browser.wait_for(&format!("[data-page='record'][data-record-id='{picked}']")).await?;
    let task = demo.wait_for_org_record("Task", |task| task.text("WhoId") == Some(picked.as_str())).await?;
    assert_eq!(task.text("TaskSubtype"), Some("Call"));
    assert_eq!(demo.org.records("Task").len(), 1, "one Task, on the pick only");
    Ok(())
}

per_ui!(
    several_matches_ask_the_agent_and_the_pick_gets_the_task:
    lightning_legacy_several_matches_ask_the_agent_and_the_pick_gets_the_task,
    classic_legacy_several_matches_ask_the_agent_and_the_pick_gets_the_task
);

#[tokio::test]
async fn classic_legacy_a_new_callers_lead_created_by_callpop_pops_in_a_console_tab() -> anyhow::Result<()> {
    let (demo, browser) = demo_signed_in(Ui::Classic).await?;
    demo.ring(&browser, "new-caller").await?;
    browser.enter_softphone().await?;
    let card = browser.wait_for("article.call[data-server-record^='00Q']").await?;
    let lead_id = card.attr("data-server-record").await?.context("the named Lead")?;
    browser.wait_for("[data-answer]").await?.click().await?;
    browser.wait_for("article.call [data-status='In call']").await?;

    browser.leave_softphone().await?;
    browser.wait_for(&format!("[data-page='record'][data-record-id='{lead_id}']")).await?;
    browser.wait_for(&format!("[role=tab][aria-selected='true'][data-tab-url='/{}']", &lead_id[..15])).await?;
    let leads = demo.org.records("Lead");
    let created: Vec<_> = leads.iter().filter(|lead| lead.id.as_str() == lead_id).collect();
    assert_eq!(created.len(), 1, "the Lead callpop created: {leads:?}");
    demo.wait_for_org_record("Task", |task| task.text("WhoId") == Some(lead_id.as_str())).await?;
    Ok(())
}

#[tokio::test]
async fn lightning_legacy_after_a_validation_rule_refuses_callpops_lead_the_agents_saved_lead_gets_the_task_once()
-> anyhow::Result<()> {
    // Arrange: the org requires an email on every Lead, so the Lead callpop creates for a new caller is refused.
    let (demo, browser) = demo_signed_in(Ui::Lightning).await?;
    demo.org.add_validation_rule(seed::lead_needs_email())?;
    let new_caller = "+14155550123";
    let leads_of_caller =
        || demo.org.records("Lead").into_iter().filter(|lead| lead.text("Phone") == Some(new_caller)).count();
    demo.ring(&browser, "new-caller").await?;
    eventually("the refused Lead parked in the sync log with the org's words", || async {
        let log = demo.admin_get("/api/v1/sync-log").await?.to_string();
        Ok(log.contains("Enter the lead's email address.").then_some(()))
    })
    .await?;

    // Act: the agent answers; the org opens the pre-filled new Lead, and the agent adds the email the rule asks for.
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer]").await?.click().await?;
    browser.leave_softphone().await?;
    let form = browser.wait_for("form[data-form-object='Lead']").await?;
    for (field, value) in [("LastName", "Johnson"), ("Company", "NASA"), ("Email", "katherine@example.com")] {
        let input = form.find(Locator::Css(&format!("input[name='{field}']"))).await?;
        if input.prop("value").await?.unwrap_or_default().is_empty() {
            input.send_keys(value).await?;
        }
    }
    form.find(Locator::Css("button[name='save']")).await?.click().await?;

    // Assert: the agent's Lead has the call's one Task.
    let saved = demo.wait_for_org_record("Lead", |lead| lead.text("Email") == Some("katherine@example.com")).await?;
    demo.wait_for_org_record("Task", |task| task.text("WhoId") == Some(saved.id.as_str())).await?;
    assert_eq!(leads_of_caller(), 1, "only the agent's Lead");

    // Act: the admin relaxes the rule and retries everything in the sync log.
    assert!(demo.org.remove_validation_rule("Lead_Needs_Email"));
    let token = callpop_e2e::sign_in(&demo.http, &demo.server_url, callpop_e2e::ADMIN_EMAIL).await?;
    let retried = demo
        .http
        .post(format!("{}/api/v1/sync-log/retry", demo.server_url))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await?;
    anyhow::ensure!(retried.status().is_success(), "the retry: {}", retried.status());
    eventually("an empty sync log", || async {
        let log = demo.admin_get("/api/v1/sync-log").await?;
        Ok(log["items"].as_array().is_some_and(Vec::is_empty).then_some(()))
    })
    .await?;

    // Assert: still one Lead for the caller and one Task, on the agent's Lead.
    assert_eq!(leads_of_caller(), 1, "the retry created no second Lead");
    let tasks = demo.org.records("Task");
    assert_eq!(tasks.len(), 1, "one Task: {tasks:?}");
    assert_eq!(tasks[0].text("WhoId"), Some(saved.id.as_str()));
    Ok(())
}
