//! The softphone's Recent list in both UIs, in Salesforce's cross-site frame: a missed call is marked and called
//! back with one click, and a call the agent logged pops its record again from the list. At the narrowest softphone
//! (200 px) a caller's number stays whole on one line, and Call back is still at hand.

use anyhow::Context;
use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, Stack, eventually, per_ui, start_signed_in};
use callpop_sandbox::OpenCtiLogEntry;
use callpop_sandbox::seed::numbers;

/// The org's `screenPop` calls so far.
async fn screen_pops(stack: &Stack) -> anyhow::Result<Vec<OpenCtiLogEntry>> {
    Ok(stack.opencti_log().await?.into_iter().filter(|entry| entry.method == "screenPop").collect())
}

async fn the_recent_list_pops_again_and_calls_a_missed_caller_back(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    let ada = stack.org_records_where("Contact", "LastName", "Lovelace").await?;
    let ada = ada[0]["Id"].as_str().unwrap_or_default().to_owned();

    // With no call, the calls view offers the dial pad; the Recent list does not.
    browser.wait_for("#dialpad:not([hidden])").await?;
    browser.wait_for("#show-recent").await?.click().await?;
    browser.wait_for("#dialpad[hidden]").await?;
    browser.wait_for("#show-calls").await?.click().await?;
    browser.wait_for("#dialpad:not([hidden])").await?;

    // A call the agent answers and the softphone logs to Ada, then a call nobody answers.
    stack.post_call_event("ANSWERED-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='ANSWERED-1']").await?.click().await?;
    eventually("the append to Ada", || async {
        Ok(stack.appends("ANSWERED-1").await?.iter().any(|(record, _)| *record == ada).then_some(()))
    })
    .await?;
    stack.post_call_event("ANSWERED-1", "answered", numbers::ONE_CONTACT).await?;
    stack.post_call_event("ANSWERED-1", "completed", numbers::ONE_CONTACT).await?;
    stack.post_call_event("MISSED-1", "ringing", numbers::ONE_CONTACT).await?;
    stack.post_call_event("MISSED-1", "completed", numbers::ONE_CONTACT).await?;
    // The missed call may never show among the calls (it ended before the stream brought it); Recent has it.

    browser.wait_for("#show-recent").await?.click().await?;
    browser.wait_for("#calls[hidden]").await?;
    let missed = browser.wait_for(".recent-entry[data-key='call:MISSED-1'][data-missed='true']").await?;
    assert!(missed.text().await?.contains("Missed call"), "{}", missed.text().await?);
    let answered = browser.wait_for(".recent-entry[data-key='call:ANSWERED-1'][data-missed='false']").await?;
    let answered_text = answered.text().await?;
    assert!(answered_text.contains("Inbound call") && answered_text.contains("Logged to Contact"), "{answered_text}");
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css(".recent-entry[data-key='call:ANSWERED-1'] .call-back"))
            .await
            .is_err(),
        "only a missed call is offered a call back"
    );
    let keys = browser
        .eval("return [...document.querySelectorAll('.recent-entry')].map((entry) => entry.dataset.key)")
        .await?;
    assert_eq!(keys, serde_json::json!(["call:MISSED-1", "call:ANSWERED-1"]), "newest first");

    // Clicking the logged call shows Ada's record again.
    let pops_before = screen_pops(&stack).await?.len();
    browser.wait_for(".recent-entry[data-key='call:ANSWERED-1'] [data-open]").await?.click().await?;
    let pops = eventually("the record popped again", || async {
        let pops = screen_pops(&stack).await?;
        Ok((pops.len() > pops_before).then_some(pops))
    })
    .await?;
    let again = pops.last().expect("a pop");
    match ui {
        Ui::Lightning => assert_eq!(again.args["params"]["recordId"], ada.as_str(), "{again:?}"),
        Ui::Classic => assert_eq!(again.args[0], format!("/{}", &ada[..15]), "{again:?}"),
    }

    // "Call back" on the missed call asks the telephony side to dial the caller, and goes back to the calls.
    browser.wait_for(".recent-entry[data-key='call:MISSED-1'] .call-back").await?.click().await?;
    browser.wait_for("#recent[hidden]").await?;
    let banner = browser.wait_for("#banner:not([hidden])").await?;
    assert!(banner.text().await?.starts_with("Calling"), "{}", banner.text().await?);
    let pending = eventually("the call back's dial request", || async {
        Ok(Some(stack.pending_dials().await?).filter(|pending| !pending.is_empty()))
    })
    .await?;
    assert_eq!(pending.len(), 1, "one click, one dial: {pending:#?}");
    assert_eq!(pending[0]["number"], "+14155552671");

    // A call that rings while the agent reads the Recent list brings the calls back.
    browser.wait_for("#show-recent").await?.click().await?;
    browser.wait_for("#calls[hidden]").await?;
    stack.post_call_event("RINGING-2", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("#recent[hidden]").await?;
    browser.wait_for("[data-answer='RINGING-2']").await?;
    Ok(())
}

per_ui!(
    the_recent_list_pops_again_and_calls_a_missed_caller_back:
    lightning_recent_list_pops_again_and_calls_a_missed_caller_back,
    classic_recent_list_pops_again_and_calls_a_missed_caller_back
);

/// At Salesforce's narrowest softphone (200 × 400), a missed caller's number stays whole on one line, and Call back
/// is on screen and dials them.
#[tokio::test]
async fn lightning_at_200_px_a_missed_callers_number_stays_on_one_line_and_call_back_is_at_hand() -> anyhow::Result<()>
{
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.size_softphone(200, 400).await?;
    browser.sign_in_agent().await?;
    stack.post_call_event("MISSED-200", "ringing", numbers::NOBODY).await?;
    stack.post_call_event("MISSED-200", "completed", numbers::NOBODY).await?;

    browser.wait_for("#show-recent").await?.click().await?;
    let entry = ".recent-entry[data-key='call:MISSED-200']";
    browser.wait_for(entry).await?;
    // The title's text as laid out: how many lines it takes, and whether any of it is cut off.
    let title = browser
        .client
        .execute(
            "const title = document.querySelector(arguments[0]);
             const range = document.createRange(); range.selectNodeContents(title);
             return [title.textContent, range.getClientRects().length, title.scrollWidth <= title.clientWidth];",
            vec![serde_json::Value::from(format!("{entry} .recent-title"))],
        )
        .await?;
    assert_eq!(title, serde_json::json!([numbers::NOBODY, 1, true]), "[number, lines, whole]");
    let call_back =
        browser.placement(&format!("{entry} .call-back")).await?.context("a missed call offers Call back")?;
    assert!(call_back.on_screen() && call_back.clickable, "Call back is on screen and takes a click: {call_back:?}");

    browser.wait_for(&format!("{entry} .call-back")).await?.click().await?;
    let pending = eventually("the call back's dial request", || async {
        Ok(Some(stack.pending_dials().await?).filter(|pending| !pending.is_empty()))
    })
    .await?;
    assert_eq!(pending[0]["number"], numbers::NOBODY);
    Ok(())
}
