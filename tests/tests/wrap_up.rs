//! Notes, disposition and after-call work in the softphone, framed cross-site by the local org's Lightning and
//! Classic pages (third-party cookies blocked): the agent types notes and picks a disposition on the call's card,
//! the call ends, after-call work counts down and the agent is available again, the telephony side reads each
//! status from the API, Done closes the card, and the notes and disposition are on the call's Task in the org. A
//! reload during after-call work brings the ended call's card back; at the smallest softphone (200 × 400) its
//! countdown and Done are on screen. The administrator keeps the dispositions on the console's Wrap-up page.

use anyhow::Context;
use callpop_core::open_cti::Ui;
use callpop_e2e::{ADMIN_EMAIL, Browser, Stack, eventually, per_ui, start_signed_in};
use callpop_sandbox::seed::numbers;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;

const AGENT_EMAIL: &str = "agent@demo.callpop.test";
/// Short, so the test sees after-call work end; long enough to read it while it lasts.
const WRAP_UP_SECS: u64 = 6;

/// The demo agent's status as the telephony side reads it (`GET /api/v1/agent-statuses`, by API key).
async fn telephony_status(stack: &Stack) -> anyhow::Result<String> {
    let url = format!("{}/api/v1/agent-statuses", stack.server_url);
    let body: Value =
        reqwest::Client::new().get(url).bearer_auth(&stack.api_key).send().await?.error_for_status()?.json().await?;
    let agents = body["agents"].as_array().context("a list of agents")?;
    let agent = agents.iter().find(|agent| agent["agent"] == AGENT_EMAIL).context("the demo agent is listed")?;
    Ok(agent["status"].as_str().unwrap_or_default().to_owned())
}

async fn set_wrap_up(stack: &Stack, settings: &Value) -> anyhow::Result<()> {
    let token = stack.token_for(ADMIN_EMAIL).await?;
    let url = format!("{}/api/v1/settings/wrap-up", stack.server_url);
    reqwest::Client::new().put(url).bearer_auth(token).json(settings).send().await?.error_for_status()?;
    Ok(())
}

async fn header_status(browser: &Browser) -> anyhow::Result<Option<String>> {
    Ok(browser.wait_for("#app").await?.attr("data-agent-status").await?)
}

async fn notes_disposition_and_after_call_work(ui: Ui) -> anyhow::Result<()> {
    // Arrange: the org linked, the administrator's dispositions and a short after-call work.
    let (stack, browser) = start_signed_in(ui).await?;
    stack.link_org().await?;
    set_wrap_up(
        &stack,
        &json!({ "dispositions": ["Sale", "Callback", "Not interested"], "wrap_up_secs": WRAP_UP_SECS }),
    )
    .await?;
    browser.wait_for("#agent-status:not([hidden])").await?;
    assert_eq!(header_status(&browser).await?.as_deref(), Some("available"));

    // Act: a known Contact calls; the agent answers and writes while on the call.
    stack.post_call_event("WU-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='WU-1']").await?.click().await?;
    let card = "article.call[data-call-id='WU-1']";
    browser.wait_for(&format!("{card} [data-status='In call']")).await?;
    stack.post_call_event("WU-1", "answered", numbers::ONE_CONTACT).await?;
    eventually("the telephony side reads busy", || async {
        Ok((telephony_status(&stack).await? == "busy").then_some(()))
    })
    .await?;
    let notes = browser.wait_for("#notes-WU-1").await?;
    notes.send_keys("Wants a quote for 12 seats").await?;
    let select = browser.wait_for("#disposition-WU-1 option[value='Callback']").await?;
    select.click().await?;
    browser.wait_for(&format!("{card} [data-save-state]")).await?;
    eventually("the notes saved", || async {
        Ok((browser.text_of(&format!("{card} [data-save-state]")).await? == "Saved").then_some(()))
    })
    .await?;
    // Typing goes on while the call's card is redrawn for its end: nothing typed is lost.
    notes.send_keys(", then call back Monday").await?;
    stack.post_call_event("WU-1", "completed", numbers::ONE_CONTACT).await?;

    // Assert: after-call work counts down on the card, the header and the telephony side say so.
    let countdown = browser.wait_for(&format!("{card} [data-countdown]:not([hidden])")).await?;
    assert!(countdown.text().await?.starts_with("After-call work: 0:0"), "{}", countdown.text().await?);
    assert_eq!(browser.text_of(&format!("{card} [data-status]")).await?, "Call ended");
    browser.wait_for("#app[data-agent-status='after_call_work']").await?;
    assert_eq!(telephony_status(&stack).await?, "after_call_work");
    let typed = browser.wait_for("#notes-WU-1").await?.prop("value").await?;
    assert_eq!(typed.as_deref(), Some("Wants a quote for 12 seats, then call back Monday"));

    // When the seconds run out the agent is available again, on the page and for the telephony side.
    browser.wait_for("#app[data-agent-status='available']").await?;
    assert_eq!(browser.text_of(&format!("{card} [data-countdown]")).await?, "After-call work is over");
    assert_eq!(telephony_status(&stack).await?, "available");

    // Done closes the card; the Task carries the notes and the disposition.
    browser.wait_for(&format!("{card} [data-done]")).await?.click().await?;
    eventually("the card leaves the panel", || async {
        Ok(browser.client.find_all(Locator::Css(card)).await?.is_empty().then_some(()))
    })
    .await?;
    let task = eventually("the Task with the agent's notes", || async {
        let tasks = stack.org_records_where("Task", "CallObject", "WU-1").await?;
        Ok(tasks.into_iter().find(|task| {
            task["Description"]
                .as_str()
                .is_some_and(|text| text.starts_with("Wants a quote for 12 seats, then call back Monday\n\n"))
        }))
    })
    .await?;
    assert_eq!(task["CallDisposition"], "Callback", "{task}");
    assert!(task["Description"].as_str().is_some_and(|text| text.contains("Tracking source: Google Ads")), "{task}");
    assert_eq!(stack.org_records_where("Task", "CallObject", "WU-1").await?.len(), 1, "one Task for the call");
    Ok(())
}

per_ui!(
    notes_disposition_and_after_call_work:
    lightning_notes_and_disposition_reach_the_task_and_after_call_work_ends_in_available,
    classic_notes_and_disposition_reach_the_task_and_after_call_work_ends_in_available
);

/// Rings the demo agent from a known Contact, answers in the softphone and has the telephony side report the call
/// answered: the card is in call, with its wrap-up.
async fn answer_a_call(stack: &Stack, browser: &Browser, call_id: &str) -> anyhow::Result<()> {
    stack.post_call_event(call_id, "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for(&format!("[data-answer='{call_id}']")).await?.click().await?;
    browser.wait_for(&format!("article.call[data-call-id='{call_id}'] [data-status='In call']")).await?;
    stack.post_call_event(call_id, "answered", numbers::ONE_CONTACT).await?;
    browser.wait_for(&format!("#notes-{call_id}")).await?;
    Ok(())
}

/// The agent's notes saved, as the card says.
async fn saved(browser: &Browser, card: &str) -> anyhow::Result<()> {
    eventually("the notes saved", || async {
        Ok((browser.text_of(&format!("{card} [data-save-state]")).await? == "Saved").then_some(()))
    })
    .await
}

/// The agent reloads Salesforce during after-call work: the ended call's card comes back with the notes and
/// disposition the server has and what they typed just before, the countdown going on from the server's clock,
/// and Done, which closes it; the Task has the notes.
async fn after_call_work_comes_back_after_a_reload(ui: Ui) -> anyhow::Result<()> {
    // Arrange: ten minutes of after-call work; a call answered, notes and a disposition saved, the call ended.
    let (stack, browser) = start_signed_in(ui).await?;
    stack.link_org().await?;
    set_wrap_up(&stack, &json!({ "dispositions": ["Sale", "Callback"], "wrap_up_secs": 600 })).await?;
    browser.wait_for("#agent-status:not([hidden])").await?;
    answer_a_call(&stack, &browser, "WU-R").await?;
    let card = "article.call[data-call-id='WU-R']";
    browser.wait_for("#notes-WU-R").await?.send_keys("Wants a quote for 12 seats").await?;
    browser.wait_for("#disposition-WU-R option[value='Callback']").await?.click().await?;
    saved(&browser, card).await?;
    stack.post_call_event("WU-R", "completed", numbers::ONE_CONTACT).await?;
    browser.wait_for("#app[data-agent-status='after_call_work']").await?;
    browser.wait_for(&format!("{card} [data-done]:not([hidden])")).await?;
    // A second passes on the countdown, then the agent types a little more and reloads at once.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    browser.wait_for("#notes-WU-R").await?.send_keys(", then call back Monday").await?;

    // Act: the whole Salesforce page is reloaded.
    browser.reload_page().await?;
    browser.wait_for("#connection[data-connection='live']").await?;

    // Assert: the card is back, ended, with everything the agent wrote, the countdown and Done.
    browser.wait_for(&format!("{card} [data-done]:not([hidden])")).await?;
    assert_eq!(browser.text_of(&format!("{card} [data-status]")).await?, "Call ended");
    let notes = eventually("the notes back in their box", || async {
        let notes = browser.wait_for("#notes-WU-R").await?.prop("value").await?.unwrap_or_default();
        Ok((!notes.is_empty()).then_some(notes))
    })
    .await?;
    assert_eq!(notes, "Wants a quote for 12 seats, then call back Monday");
    let disposition = browser.wait_for("#disposition-WU-R").await?.prop("value").await?;
    assert_eq!(disposition.as_deref(), Some("Callback"));
    let countdown = eventually("the countdown", || async {
        let text = browser.text_of(&format!("{card} [data-countdown]:not([hidden])")).await?;
        Ok((!text.is_empty()).then_some(text))
    })
    .await?;
    assert!(countdown.starts_with("After-call work: 9:"), "the server's clock goes on: {countdown}");
    browser.wait_for("#app[data-agent-status='after_call_work']").await?;
    assert_eq!(telephony_status(&stack).await?, "after_call_work");

    // Done closes it, ends after-call work, and the Task has the notes.
    browser.wait_for("[data-done='WU-R']").await?.click().await?;
    eventually("the card leaves the panel", || async {
        Ok(browser.client.find_all(Locator::Css(card)).await?.is_empty().then_some(()))
    })
    .await?;
    browser.wait_for("#app[data-agent-status='available']").await?;
    let task = eventually("the Task with the agent's notes", || async {
        let tasks = stack.org_records_where("Task", "CallObject", "WU-R").await?;
        Ok(tasks.into_iter().find(|task| {
            task["Description"]
                .as_str()
                .is_some_and(|text| text.starts_with("Wants a quote for 12 seats, then call back Monday\n\n"))
        }))
    })
    .await?;
    assert_eq!(task["CallDisposition"], "Callback", "{task}");
    Ok(())
}

per_ui!(
    after_call_work_comes_back_after_a_reload:
    lightning_a_reload_during_after_call_work_brings_the_card_back_with_its_notes_countdown_and_done,
    classic_a_reload_during_after_call_work_brings_the_card_back_with_its_notes_countdown_and_done
);

/// At the smallest softphone Salesforce allows (200 × 400), an ended call's countdown and Done are on screen
/// without scrolling, and Done takes a click there.
#[tokio::test]
async fn lightning_at_200_by_400_the_countdown_and_done_are_on_screen_without_scrolling() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.size_softphone(200, 400).await?;
    set_wrap_up(&stack, &json!({ "dispositions": ["Sale", "Callback"], "wrap_up_secs": 600 })).await?;
    browser.sign_in_agent().await?;
    answer_a_call(&stack, &browser, "WU-S").await?;
    let card = "article.call[data-call-id='WU-S']";
    browser.wait_for("#notes-WU-S").await?.send_keys("Wants a quote for 12 seats").await?;
    saved(&browser, card).await?;
    stack.post_call_event("WU-S", "completed", numbers::ONE_CONTACT).await?;
    browser.wait_for("#app[data-agent-status='after_call_work'] [data-countdown]:not([hidden])").await?;

    let viewport = browser.eval("return [window.innerWidth, window.innerHeight];").await?;
    assert_eq!(viewport, json!([200, 400]), "the softphone's frame is 200 × 400");
    // Typing in the notes may have scrolled the frame a little: from its top, as the agent finds it.
    browser.eval("window.scrollTo(0, 0); return document.scrollingElement.scrollTop;").await?;
    for (what, css) in
        [("the countdown", format!("{card} [data-countdown]")), ("Done", "[data-done='WU-S']".to_owned())]
    {
        let placed = browser.placement(&css).await?.with_context(|| format!("{what} is on the card"))?;
        assert!(placed.on_screen() && placed.clickable, "{what} is on screen and takes a click: {placed:?}");
    }
    browser.wait_for("[data-done='WU-S']").await?.click().await?;
    eventually("the card leaves the panel", || async {
        Ok(browser.client.find_all(Locator::Css(card)).await?.is_empty().then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn lightning_done_ends_after_call_work_at_once_and_the_status_the_agent_picks_is_what_the_telephony_side_reads()
-> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Lightning).await?;
    set_wrap_up(&stack, &json!({ "dispositions": ["Sale"], "wrap_up_secs": 600 })).await?;
    browser.wait_for("#agent-status:not([hidden])").await?;

    // The agent picks Busy in the header.
    browser.wait_for("#agent-status option[value='busy']").await?.click().await?;
    browser.wait_for("#app[data-agent-status='busy']").await?;
    assert_eq!(telephony_status(&stack).await?, "busy");

    // A call ends: ten minutes of after-call work, which Done ends at once, back to Busy.
    stack.post_call_event("WU-2", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='WU-2']").await?.click().await?;
    browser.wait_for("article.call[data-call-id='WU-2'] [data-status='In call']").await?;
    stack.post_call_event("WU-2", "answered", numbers::ONE_CONTACT).await?;
    stack.post_call_event("WU-2", "completed", numbers::ONE_CONTACT).await?;
    browser.wait_for("#app[data-agent-status='after_call_work']").await?;
    let countdown = browser.text_of("[data-countdown]").await?;
    assert!(
        ["After-call work: 10:00", "After-call work: 9:5"].iter().any(|start| countdown.starts_with(start)),
        "{countdown}"
    );
    assert_eq!(telephony_status(&stack).await?, "after_call_work");
    browser.wait_for("[data-done='WU-2']").await?.click().await?;
    browser.wait_for("#app[data-agent-status='busy']").await?;
    assert_eq!(telephony_status(&stack).await?, "busy");
    assert!(!browser.has("article.call[data-call-id='WU-2']").await?, "Done closed the card");
    Ok(())
}

async fn the_header_says_busy_as_soon_as_the_next_call_is_answered(ui: Ui) -> anyhow::Result<()> {
    // Arrange: the agent is in after-call work after a first call and has not clicked Done.
    let (stack, browser) = start_signed_in(ui).await?;
    set_wrap_up(&stack, &json!({ "dispositions": [], "wrap_up_secs": 600 })).await?;
    browser.wait_for("#agent-status:not([hidden])").await?;
    answer_a_call(&stack, &browser, "WU-5").await?;
    stack.post_call_event("WU-5", "completed", numbers::ONE_CONTACT).await?;
    browser.wait_for("#app[data-agent-status='after_call_work']").await?;

    // Act: the next call rings and the agent answers it.
    answer_a_call(&stack, &browser, "WU-6").await?;

    // Assert: the telephony side reads busy, and the header says so too, not the first call's after-call work.
    eventually("the telephony side reads busy", || async {
        Ok((telephony_status(&stack).await? == "busy").then_some(()))
    })
    .await?;
    browser.wait_for("#app[data-agent-status='busy']").await?;
    let chosen = browser.wait_for("#agent-status").await?.prop("value").await?;
    assert_eq!(chosen.as_deref(), Some("busy"), "the header's status");
    Ok(())
}

per_ui!(
    the_header_says_busy_as_soon_as_the_next_call_is_answered:
    lightning_the_header_says_busy_as_soon_as_the_next_call_is_answered_after_the_last_ones_after_call_work,
    classic_the_header_says_busy_as_soon_as_the_next_call_is_answered_after_the_last_ones_after_call_work
);

#[tokio::test]
async fn the_administrator_edits_the_dispositions_in_the_console_and_a_repeated_one_is_shown_under_its_input()
-> anyhow::Result<()> {
    let (stack, browser) = callpop_e2e::start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "wrap-up").await?;
    browser.wait_for("#wrap-up-form").await?;

    // Two values, the second a repeat of the first in other letters, and 45 seconds.
    browser.wait_for("#add-disposition").await?.click().await?;
    browser.wait_for("#disposition-0").await?.send_keys("Sale").await?;
    browser.wait_for("#add-disposition").await?.click().await?;
    browser.wait_for("#disposition-1").await?.send_keys("SALE").await?;
    let seconds = browser.wait_for("#wrap_up_secs").await?;
    seconds.clear().await?;
    seconds.send_keys("45").await?;
    browser.wait_for("#wrap-up-form button[type=submit]").await?.click().await?;
    let error = browser.wait_for("#disposition-1-error:not([hidden])").await?;
    assert!(error.text().await?.contains("repeats an earlier one"), "{}", error.text().await?);
    assert_eq!(stack.admin_get("/api/v1/settings/wrap-up").await?["dispositions"], json!([]), "nothing stored");

    // Fixed, saved, then the second moved up and saved again: the order is the administrator's.
    let second = browser.wait_for("#disposition-1").await?;
    second.clear().await?;
    second.send_keys("Callback").await?;
    browser.wait_for("#wrap-up-form button[type=submit]").await?.click().await?;
    browser.wait_for("#save-result .result-ok").await?;
    let saved = stack.admin_get("/api/v1/settings/wrap-up").await?;
    assert_eq!(saved, json!({ "dispositions": ["Sale", "Callback"], "wrap_up_secs": 45 }));
    browser.wait_for("#dispositions li:nth-child(2) button[aria-label='Move up']").await?.click().await?;
    browser.wait_for("#wrap-up-form button[type=submit]").await?.click().await?;
    eventually("the new order stored", || async {
        let saved = stack.admin_get("/api/v1/settings/wrap-up").await?;
        Ok((saved["dispositions"] == json!(["Callback", "Sale"])).then_some(()))
    })
    .await?;
    Ok(())
}
