//! The walking skeleton, end to end in a real browser: an inbound call rings the softphone in the org's Lightning
//! utility bar, the agent answers, and the org pops the caller's record, once.

use callpop_core::open_cti::Ui;
use callpop_e2e::{eventually, start_signed_in};
use callpop_sandbox::seed::numbers;

#[tokio::test]
async fn answering_a_call_from_a_known_contact_pops_their_record_once() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;

    stack.post_call_event("CA-pop-1", "ringing", numbers::ONE_CONTACT).await?;
    let card = browser.wait_for("article.call[data-call-id='CA-pop-1']").await?;
    let card_text = card.text().await?;
    assert!(
        card_text.contains("+14155552671"),
        "the card shows the caller's number as the server formatted it: {card_text}"
    );
    assert!(
        card_text.contains("Google Ads") && card_text.contains("Spring Promo"),
        "and the tracking data: {card_text}"
    );

    browser.wait_for("[data-answer='CA-pop-1']").await?.click().await?;
    browser.wait_for("article.call[data-call-id='CA-pop-1'] [data-status='In call']").await?;

    browser.leave_softphone().await?;
    let ada = stack.org_records_where("Contact", "LastName", "Lovelace").await?;
    let ada_id = ada[0]["Id"].as_str().unwrap_or_default().to_owned();
    let record_page = browser.wait_for(&format!("[data-page='record'][data-record-id='{ada_id}']")).await?;
    assert_eq!(browser.wait_for("[data-record-name]").await?.text().await?, "Ada Lovelace");
    assert!(record_page.text().await?.contains("(415) 555-2671"));
    assert!(browser.client.current_url().await?.path().ends_with(&format!("/lightning/r/Contact/{ada_id}/view")));

    let log = eventually("the org to log the pop", || async {
        let log = stack.opencti_log().await?;
        Ok(log.iter().any(|entry| entry.method == "screenPop").then_some(log))
    })
    .await?;
    let pops: Vec<_> = log.iter().filter(|entry| entry.method == "screenPop").collect();
    assert_eq!(pops.len(), 1, "exactly one screenPop: {log:#?}");
    assert_eq!(pops[0].args["type"], "sobject");
    assert_eq!(pops[0].args["params"]["recordId"], ada_id.as_str());
    let searches = log.iter().filter(|entry| entry.method == "searchAndScreenPop").count();
    assert_eq!(searches, 1, "one deferred search: {log:#?}");
    Ok(())
}
