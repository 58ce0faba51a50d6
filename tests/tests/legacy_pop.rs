//! Legacy mode (the demo's default: callpop's sync engine chooses and writes the record), in both UIs, in the
//! cross-site frame with third-party cookies blocked: several matches ask the agent, whose pick gets the call's
//! Task; a new caller's Lead, created by callpop, is what pops.

use anyhow::Context;
use callpop_core::open_cti::Ui;
use callpop_e2e::demo::Demo;
use callpop_e2e::{Browser, per_ui};

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
