//! The softphone's harder paths in a real browser: the multi-match dialog by keyboard, a hostile record name, and an
//! activity append made while the server was unreachable. (Two tabs of one agent: `frame_tabs.rs`.)

use callpop_core::open_cti::Ui;
use callpop_e2e::{PATIENCE, eventually, start_signed_in};
use callpop_sandbox::seed::numbers;
use fantoccini::Locator;
use serde_json::{Value, json};

const ARROW_DOWN: &str = "\u{E015}";
const ENTER: &str = "\u{E007}";

/// The number of `screenPop` calls the org received.
async fn pops(stack: &callpop_e2e::Stack) -> anyhow::Result<Vec<Value>> {
    Ok(stack
        .opencti_log()
        .await?
        .into_iter()
        .filter(|entry| entry.method == "screenPop")
        .map(|entry| entry.args)
        .collect())
}

#[tokio::test]
async fn the_dialog_lists_matches_newest_first_and_is_driven_by_keyboard() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    stack.post_call_event("KB-1", "ringing", numbers::SEVERAL).await?;
    browser.wait_for("[data-answer='KB-1']").await?.click().await?;

    let dialog = browser.wait_for("[role=dialog][aria-modal='true']").await?;
    let names: Vec<String> = {
        let mut names = Vec::new();
        for option in dialog.find_all(Locator::Css("[role=option] .match-name")).await? {
            names.push(option.text().await?);
        }
        names
    };
    assert_eq!(names, ["Grace Hopper", "Hopper Family Trust", "Grace Hopper"], "newest first");
    let details = dialog.find(Locator::Css("#match-1 .match-details")).await?.text().await?;
    assert!(details.starts_with("Lead · 415.555.0142 · Hopper Family Trust · modified"), "{details}");

    let listbox = browser.wait_for("[role=listbox]").await?;
    let focused = browser.eval("return document.activeElement.getAttribute('role');").await?;
    assert_eq!(focused, "listbox", "the dialog takes the keyboard focus");
    listbox.send_keys(ARROW_DOWN).await?;
    assert_eq!(listbox.attr("aria-activedescendant").await?.as_deref(), Some("match-1"));
    listbox.send_keys(ENTER).await?;
    browser.wait_for("[data-call-id='KB-1'] [data-status='In call']").await?;

    let trust = stack.org_records_where("Lead", "LastName", "Hopper Family Trust").await?;
    let trust_id = trust[0]["Id"].as_str().unwrap_or_default().to_owned();
    browser.leave_softphone().await?;
    browser.wait_for(&format!("[data-page='record'][data-record-id='{trust_id}']")).await?;
    let popped =
        eventually("the pop", || async { Ok(Some(pops(&stack).await?).filter(|pops| !pops.is_empty())) }).await?;
    assert_eq!(popped, [json!({"type": "sobject", "params": {"recordId": trust_id}})]);

    // The pick was appended: sending it again is recognised as a duplicate.
    let again = json!({"call_id": "KB-1", "record_id": trust_id, "record_type": "Lead", "chosen_by": "agent_choice"});
    assert_eq!(stack.append_as_agent(&again).await?["duplicate"], true);
    Ok(())
}

#[tokio::test]
async fn escape_closes_the_dialog_without_popping_anything() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Classic).await?;
    stack.post_call_event("KB-2", "ringing", numbers::SEVERAL).await?;
    browser.wait_for("[data-answer='KB-2']").await?.click().await?;
    browser.wait_for("[role=listbox]").await?.send_keys("\u{E00C}").await?;
    browser.wait_for("[data-call-id='KB-2'] [data-status='In call']").await?;
    assert!(browser.client.find(Locator::Css("[role=dialog]")).await.is_err(), "the dialog is gone");
    assert!(pops(&stack).await?.is_empty(), "skipping pops nothing; the server's triggers decide");
    Ok(())
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

#[tokio::test]
async fn a_record_named_like_markup_shows_literally_and_runs_nothing() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    let hostile = stack.create_org_record("Contact", json!({"LastName": HOSTILE, "Phone": numbers::NOBODY})).await?;
    stack
        .create_org_record("Lead", json!({"LastName": "Plain", "Company": "Plain Co", "Phone": numbers::NOBODY}))
        .await?;
    stack.post_call_event("XSS-1", "ringing", numbers::NOBODY).await?;
    browser.wait_for("[data-answer='XSS-1']").await?.click().await?;

    let option = browser.wait_for(&format!("[role=option][data-pick='{hostile}'] .match-name")).await?;
    assert_eq!(option.text().await?, HOSTILE);
    assert_eq!(browser.eval("return document.querySelectorAll('img').length;").await?, 0);
    option.click().await?;

    browser.leave_softphone().await?;
    let name =
        browser.wait_for(&format!("[data-page='record'][data-record-id='{hostile}'] [data-record-name]")).await?;
    assert_eq!(name.text().await?, HOSTILE);
    assert_eq!(browser.eval("return document.querySelectorAll('main img').length;").await?, 0);
    assert!(browser.client.get_alert_text().await.is_err(), "no alert ever opened");
    Ok(())
}

#[tokio::test]
async fn an_append_made_while_the_server_is_unreachable_is_sent_when_it_returns() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    stack.post_call_event("OFF-1", "ringing", numbers::SEVERAL).await?;
    browser.wait_for("[data-answer='OFF-1']").await?.click().await?;
    let first_option = browser.wait_for("[role=option][data-pick]").await?;
    let picked = first_option.attr("data-pick").await?.unwrap_or_default();

    stack.network.cut();
    browser.wait_for("#connection[data-connection='reconnecting']").await?;
    first_option.click().await?; // The pop still happens: it only needs Salesforce.
    browser.wait_for("[data-call-id='OFF-1'] [data-status='In call']").await?;
    let pending = browser.eval("return JSON.parse(localStorage.getItem('callpop.pending-appends') || '[]');").await?;
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "the append waits in the browser: {pending}");
    assert_eq!(pending[0]["record_id"], picked.as_str());

    stack.network.restore();
    browser.wait_for("#connection[data-connection='live']").await?;
    let started = std::time::Instant::now();
    loop {
        let pending =
            browser.eval("return JSON.parse(localStorage.getItem('callpop.pending-appends') || '[]').length;").await?;
        if pending == 0 {
            break;
        }
        anyhow::ensure!(started.elapsed() < PATIENCE, "the queued append was never sent");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let again = json!({"call_id": "OFF-1", "record_id": picked, "record_type": "Contact", "chosen_by": "agent_choice"});
    assert_eq!(stack.append_as_agent(&again).await?["duplicate"], true, "the server has the append, once");
    Ok(())
}

#[tokio::test]
async fn the_record_picked_for_a_number_is_offered_first_next_time() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    stack.post_call_event("MEM-1", "ringing", numbers::SEVERAL).await?;
    browser.wait_for("[data-answer='MEM-1']").await?.click().await?;
    browser.wait_for("[role=listbox]").await?.send_keys(ARROW_DOWN).await?;
    let second = browser.wait_for("#match-1").await?.attr("data-pick").await?.unwrap_or_default();
    browser.wait_for("[role=listbox]").await?.send_keys(ENTER).await?;
    browser.wait_for("[data-call-id='MEM-1'] [data-status='In call']").await?;

    stack.post_call_event("MEM-2", "ringing", numbers::SEVERAL).await?;
    browser.wait_for("[data-answer='MEM-2']").await?.click().await?;
    let first = browser.wait_for("#match-0").await?;
    assert_eq!(first.attr("data-pick").await?.as_deref(), Some(second.as_str()), "last time's pick comes first");
    assert!(first.text().await?.contains("Chosen last time"), "and says so");
    assert!(browser.client.find(Locator::Css("#match-1 .remembered")).await.is_err(), "only that one is marked");
    Ok(())
}
