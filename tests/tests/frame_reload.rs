//! Reloads in the middle of a call, in the cross-site frame with third-party cookies blocked, in Lightning and
//! Classic: a call still ringing rings again and is answered once; a call in progress resumes in the softphone that
//! was reloaded; a new caller's form waiting for its save is still the call's. The call is never popped twice, and
//! is logged.

use callpop_core::open_cti::Ui;
use callpop_core::options::IntegrationOptions;
use callpop_e2e::{Browser, eventually, per_ui, start_signed_in};
use callpop_sandbox::seed::numbers;

/// A call ringing while the softphone reloads rings again, once, and is answered and popped once; a call that rings
/// while it is away shows too.
async fn ringing_survives_a_softphone_reload(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    stack.post_call_event("RL-ring-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='RL-ring-1']").await?;

    browser.reload_softphone().await?;
    stack.post_call_event("RL-ring-2", "ringing", numbers::ONE_LEAD).await?;
    browser.wait_for("#connection[data-connection='live']").await?;
    browser.wait_for("article.call[data-call-id='RL-ring-2'] [data-answer]").await?;
    let cards = browser.client.find_all(fantoccini::Locator::Css("article.call")).await?;
    assert_eq!(cards.len(), 2, "each ringing call shows once");

    browser.wait_for("[data-answer='RL-ring-1']").await?.click().await?;
    browser.wait_for("article.call[data-call-id='RL-ring-1'] [data-status='In call']").await?;
    assert_eq!(
        stack.appended("RL-ring-1").await?,
        [(stack.record_named("Contact", "Lovelace").await?, "single_match".to_owned())]
    );
    assert_eq!(stack.screen_pop_count().await?, 1, "answered after the reload: popped once");
    Ok(())
}

per_ui!(
    ringing_survives_a_softphone_reload:
    lightning_a_ringing_call_rings_again_after_a_softphone_reload,
    classic_a_ringing_call_rings_again_after_a_softphone_reload
);

/// A known Contact's call, answered and popped, then the page reloaded: still in call here, popped once.
async fn in_call_survives_a_reload(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    stack.post_call_event("RL-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='RL-1']").await?.click().await?;
    let card = "article.call[data-call-id='RL-1']";
    browser.wait_for(&format!("{card} [data-status='In call']")).await?;
    // The phone system reports the call answered; the reloaded softphone gets it as an answered, popped call.
    stack.post_call_event("RL-1", "answered", numbers::ONE_CONTACT).await?;
    eventually("the pop", || async { Ok((stack.screen_pop_count().await? == 1).then_some(())) }).await?;

    browser.reload_page().await?;
    browser.wait_for("#connection[data-connection='live']").await?;
    browser.wait_for(&format!("{card} [data-status='In call']")).await?;
    // The card is redrawn with each stream update: read it until it reads whole.
    let text = eventually("the resumed card", || async {
        Ok(browser.text_of(card).await.ok().filter(|text| text.contains("Ada Lovelace · Contact")))
    })
    .await?;
    assert!(!text.contains("Answered in"), "{text}");
    assert_eq!(stack.screen_pop_count().await?, 1, "the reload pops nothing again");
    assert_eq!(
        stack.appends("RL-1").await?,
        [(stack.record_named("Contact", "Lovelace").await?, "single_match".to_owned())]
    );
    Ok(())
}

per_ui!(
    in_call_survives_a_reload:
    lightning_in_call_resumes_after_a_page_reload,
    classic_in_call_resumes_after_a_page_reload
);

/// Saves the pre-filled new-Lead form on the org's page, as the agent does. In Classic the console footer's
/// softphone covers the page, so it is minimized first; Lightning's modal sits above the utility panel.
async fn save_the_form(browser: &Browser, ui: Ui) -> anyhow::Result<()> {
    browser.leave_softphone().await?;
    if ui == Ui::Classic {
        browser.minimize_softphone().await?;
    }
    browser.save_new_lead_form(numbers::NOBODY, "Byron", "Newstead Abbey").await?;
    browser.enter_softphone().await
}

/// A new caller's pre-filled form is open when the softphone reloads: the call is still waiting for that form, and
/// the Lead the agent then saves gets the call's activity.
async fn form_pending_survives_a_softphone_reload(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    // In Classic the form opens when callpop does not create the Lead itself (auto-create off).
    stack.set_options(&IntegrationOptions { auto_create_classic: false, ..IntegrationOptions::default() }).await?;
    stack.post_call_event("RL-2", "ringing", numbers::NOBODY).await?;
    browser.wait_for("[data-answer='RL-2']").await?.click().await?;
    let pending = "article.call[data-call-id='RL-2'] [data-status='New caller: complete the Lead and save it']";
    browser.wait_for(pending).await?;

    // The softphone reloads while the agent is filling in the form: the form is still the call's.
    browser.reload_softphone().await?;
    browser.wait_for(pending).await?;

    save_the_form(&browser, ui).await?;
    browser.wait_for("article.call[data-call-id='RL-2'] [data-status='In call']").await?;
    let lead_id = stack.record_named("Lead", "Byron").await?;
    assert_eq!(stack.appended("RL-2").await?, [(lead_id, "new_record".to_owned())]);
    Ok(())
}

per_ui!(
    form_pending_survives_a_softphone_reload:
    lightning_a_new_callers_form_pending_resumes_after_a_softphone_reload_and_the_saved_lead_is_logged,
    classic_a_new_callers_form_pending_resumes_after_a_softphone_reload_and_the_saved_lead_is_logged
);
