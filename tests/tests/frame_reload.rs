//! Reloads in the middle of a call, in the cross-site frame with third-party cookies blocked: the call resumes in
//! the softphone that was reloaded (in call, or the new caller's form waiting for its save), is never popped twice,
//! and is logged.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Stack, eventually, start_signed_in};
use callpop_sandbox::seed::numbers;

/// The `screenPop` calls the org received.
async fn pop_count(stack: &Stack) -> anyhow::Result<usize> {
    Ok(stack.opencti_log().await?.iter().filter(|entry| entry.method == "screenPop").count())
}

/// A known Contact's call, answered and popped, then the page reloaded: still in call here, popped once.
async fn in_call_survives_a_reload(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    stack.post_call_event("RL-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='RL-1']").await?.click().await?;
    let card = "article.call[data-call-id='RL-1']";
    browser.wait_for(&format!("{card} [data-status='In call']")).await?;
    // The phone system reports the call answered; the reloaded softphone gets it as an answered, popped call.
    stack.post_call_event("RL-1", "answered", numbers::ONE_CONTACT).await?;
    eventually("the pop", || async { Ok((pop_count(&stack).await? == 1).then_some(())) }).await?;

    browser.reload_page().await?;
    browser.wait_for("#connection[data-connection='live']").await?;
    browser.wait_for(&format!("{card} [data-status='In call']")).await?;
    // The card is redrawn with each stream update: read it until it reads whole.
    let text = eventually("the resumed card", || async {
        Ok(browser.text_of(card).await.ok().filter(|text| text.contains("Ada Lovelace · Contact")))
    })
    .await?;
    assert!(!text.contains("another softphone"), "{text}");
    assert_eq!(pop_count(&stack).await?, 1, "the reload pops nothing again");
    let ada = stack.org_records_where("Contact", "LastName", "Lovelace").await?;
    let ada_id = ada[0]["Id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(stack.appends("RL-1").await?, [(ada_id, "single_match".to_owned())]);
    Ok(())
}

#[tokio::test]
async fn lightning_in_call_resumes_after_a_page_reload() -> anyhow::Result<()> {
    in_call_survives_a_reload(Ui::Lightning).await
}

#[tokio::test]
async fn classic_in_call_resumes_after_a_page_reload() -> anyhow::Result<()> {
    in_call_survives_a_reload(Ui::Classic).await
}

#[tokio::test]
async fn a_new_callers_form_pending_resumes_after_a_softphone_reload_and_the_saved_lead_is_logged() -> anyhow::Result<()>
{
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    stack.post_call_event("RL-2", "ringing", numbers::NOBODY).await?;
    browser.wait_for("[data-answer='RL-2']").await?.click().await?;
    let pending = "article.call[data-call-id='RL-2'] [data-status='New caller: complete the Lead and save it']";
    browser.wait_for(pending).await?;

    // The softphone reloads while the agent is filling in the form: the form is still the call's.
    browser.eval("location.reload(); return true;").await?;
    browser.leave_softphone().await?;
    browser.enter_softphone().await?;
    browser.wait_for(pending).await?;

    browser.leave_softphone().await?;
    browser.save_new_lead_form(numbers::NOBODY, "Byron", "Newstead Abbey").await?;
    browser.enter_softphone().await?;
    browser.wait_for("article.call[data-call-id='RL-2'] [data-status='In call']").await?;
    let lead = stack.org_records_where("Lead", "LastName", "Byron").await?;
    assert_eq!(lead.len(), 1, "one Lead saved");
    let lead_id = lead[0]["Id"].as_str().unwrap_or_default().to_owned();
    let appended =
        eventually("the append", || async { Ok(Some(stack.appends("RL-2").await?).filter(|a| !a.is_empty())) }).await?;
    assert_eq!(appended, [(lead_id, "new_record".to_owned())]);
    Ok(())
}
