//! Two tabs of one agent, in one browser, in the cross-site frame with third-party cookies blocked, in Lightning
//! and Classic: the second tab is signed in by the partitioned cookie the first one's sign-in left; a call rings in
//! both, exactly one pops it, and the other says who has it.

use callpop_core::open_cti::Ui;
use callpop_e2e::{per_ui, start_signed_in};
use callpop_sandbox::seed::numbers;
use fantoccini::Locator;

async fn two_tabs_one_pop(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    // The other tab's sign-in holds here too: no form.
    let (first, second) = browser.open_signed_in_tab(&stack.page_url(ui)).await?;
    assert!(!browser.wait_for("#signin").await?.is_displayed().await?, "the second tab asks for no password");

    stack.post_call_event("TAB-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='TAB-1']").await?;
    browser.softphone_of_tab(&first).await?;
    browser.wait_for("[data-answer='TAB-1']").await?.click().await?;
    browser.wait_for("[data-call-id='TAB-1'] [data-status='In call']").await?;

    browser.softphone_of_tab(&second).await?;
    let handled = browser.wait_for("[data-call-id='TAB-1'] [data-status='Answered in your other tab']").await?;
    assert_eq!(handled.text().await?, "Answered in your other tab");
    let card = browser.wait_for("article.call[data-call-id='TAB-1']").await?;
    assert!(card.find(Locator::Css("[data-answer]")).await.is_err(), "this tab cannot answer it any more");

    let ada = stack.record_named("Contact", "Lovelace").await?;
    assert_eq!(stack.appended("TAB-1").await?, [(ada, "single_match".to_owned())]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(stack.screen_pop_count().await?, 1, "one pop for the agent, not one per tab");
    Ok(())
}

per_ui!(
    two_tabs_one_pop:
    lightning_two_tabs_pop_a_call_once_and_the_other_says_your_other_tab_has_it,
    classic_two_tabs_pop_a_call_once_and_the_other_says_your_other_tab_has_it
);

#[tokio::test]
async fn signing_out_in_one_tab_signs_the_other_out_at_once_and_it_says_why() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    let (first, second) = browser.open_signed_in_tab(&stack.lightning_url()).await?;

    browser.softphone_of_tab(&first).await?;
    browser.wait_for("#sign-out").await?.click().await?;
    browser.wait_for("#signin:not([hidden])").await?;
    assert!(!browser.wait_for("#signin-error").await?.is_displayed().await?, "signing out here is no error here");

    // The other tab's stream ends with the session, and the tab says why, without waiting for its next request.
    browser.softphone_of_tab(&second).await?;
    let why = browser.wait_for("#signin:not([hidden]) #signin-error:not([hidden])").await?;
    assert_eq!(
        why.text().await?,
        "You were signed out: this session was ended in another tab, by an administrator or by a password change."
    );
    assert_eq!(browser.wait_for("#connection").await?.attr("data-connection").await?.as_deref(), Some("none"));
    Ok(())
}
