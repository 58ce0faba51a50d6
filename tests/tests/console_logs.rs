//! The console's call and text logs in a real browser: filtering and paging, each role's view (an agent's own calls,
//! a manager's all), a call's Salesforce panel with its audit trail, Limit Data Access hiding the panel, a filter the
//! server refuses shown next to its field, and caller text shown as text.

use callpop_core::options::IntegrationOptions;
use callpop_e2e::{ADMIN_EMAIL, Browser, SYNCED_TASK_ID, Stack, start_console};
use fantoccini::Locator;

const AGENT: &str = "agent@demo.callpop.test";
const MANAGER: &str = "manager@demo.callpop.test";

/// The call ids the call log's table lists, top to bottom.
async fn listed(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for row in browser.client.find_all(Locator::Css("#log-table tbody tr")).await? {
        ids.push(row.attr("data-id").await?.unwrap_or_default());
    }
    Ok(ids)
}

#[tokio::test]
async fn a_manager_filters_the_call_log_by_source_and_pages_through_it() -> anyhow::Result<()> {
    let (stack, browser) = start_console(MANAGER).await?;
    for index in 0..27 {
        let source = if index % 3 == 0 { "Bing Ads" } else { "Google Ads" };
        stack.post_logged_call(&format!("PAGE-{index:02}"), "+14155552671", AGENT, source).await?;
    }
    browser.open_console(&stack, "calls").await?;

    let first_page = listed(&browser).await?;
    assert_eq!(first_page.len(), 25);
    assert_eq!(first_page[0], "PAGE-26", "newest first");
    assert_eq!(browser.text_of("#log-count").await?, "1–25 of 27 calls");
    let row = browser.text_of("#log-table tbody tr").await?;
    for expected in ["+14155552671", "Ada Lovelace", "Inbound", "Ringing", "Spring Promo", "Alex Agent"] {
        assert!(row.contains(expected), "the row shows {expected}: {row}");
    }
    browser.click_to_page("#older").await?;
    assert_eq!(listed(&browser).await?, ["PAGE-01", "PAGE-00"]);
    assert!(!browser.has("#older").await?, "the last page has no older page");

    browser.open_console(&stack, "calls").await?;
    browser.wait_for("#filter-source").await?.send_keys("Bing Ads").await?;
    browser.click_to_page("#log-filters button[type=submit]").await?;
    assert!(browser.client.current_url().await?.as_str().ends_with("/console/calls?source=Bing+Ads"));
    let bing = listed(&browser).await?;
    assert_eq!(bing.len(), 9);
    assert!(bing.iter().all(|id| id.trim_start_matches("PAGE-").parse::<u32>().is_ok_and(|n| n % 3 == 0)), "{bing:?}");
    assert_eq!(browser.wait_for("#filter-source").await?.prop("value").await?.as_deref(), Some("Bing Ads"));

    browser.open_console(&stack, "calls?source=Yahoo").await?;
    assert_eq!(browser.text_of("#log-empty").await?, "No calls match these filters.");
    Ok(())
}

#[tokio::test]
async fn a_call_agent_sees_only_the_calls_assigned_to_them() -> anyhow::Result<()> {
    let (stack, browser) = start_console(AGENT).await?;
    stack.post_logged_call("MINE-1", "+14155552671", AGENT, "Google Ads").await?;
    stack.post_logged_call("THEIRS-1", "+14155550173", MANAGER, "Google Ads").await?;
    browser.open_console(&stack, "calls").await?;
    assert_eq!(listed(&browser).await?, ["MINE-1"]);
    assert!(!browser.has("#filter-agent").await?, "an agent cannot filter by another agent");
    browser.open_console(&stack, "calls?call=THEIRS-1").await?;
    let refusal = browser.text_of("[data-refusal='not-found']").await?;
    assert!(refusal.contains("Call not found. It does not exist, or it is not one you can see."), "{refusal}");
    Ok(())
}

#[tokio::test]
async fn a_date_the_server_refuses_is_shown_next_to_the_from_field() -> anyhow::Result<()> {
    let (stack, browser) = start_console(MANAGER).await?;
    browser.open_console(&stack, "calls?from=last-tuesday").await?;
    let error = browser.wait_for("#filter-from-error").await?;
    assert!(error.is_displayed().await?);
    let message = error.text().await?;
    assert!(
        message.starts_with("From") && message.contains("last-tuesday"),
        "the server's 422, naming the field: {message}"
    );
    let input = browser.wait_for("#filter-from").await?;
    assert_eq!(input.attr("aria-invalid").await?.as_deref(), Some("true"));
    assert_eq!(browser.text_of("#log-results").await?, "Correct the filter above to see calls.");
    Ok(())
}

#[tokio::test]
async fn a_calls_salesforce_panel_shows_the_records_salesforces_error_and_the_audit_trail() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    stack.post_logged_call("SF-1", "+14155552671", AGENT, "Google Ads").await?;
    stack.record_sync("SF-1").await?;
    browser.open_console(&stack, "calls").await?;
    assert_eq!(browser.text_of("#log-table tbody tr td:last-child").await?, "Needs attention");
    browser.click_to_page("#log-table tbody tr a").await?;

    assert_eq!(browser.text_of("#main h1").await?, "Inbound call from +14155552671");
    let facts = browser.text_of("#call-facts").await?;
    assert!(facts.contains("San Francisco, CA, US") && facts.contains("Alex Agent"), "{facts}");
    let panel = browser.wait_for("#salesforce-panel").await?;
    let text = panel.text().await?;
    assert!(text.contains("Needs attention"), "{text}");
    assert!(text.contains(SYNCED_TASK_ID), "the Task's id: {text}");
    assert!(text.contains("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"), "{text}");
    assert!(text.contains("Status: bad value for restricted picklist field: Responded"), "Salesforce's words: {text}");
    assert!(text.contains("[not provided]"), "the fields written to the Lead: {text}");
    let mut steps = Vec::new();
    for row in panel.find_all(Locator::Css("#audit-trail tbody tr")).await? {
        steps.push(row.attr("data-step").await?.unwrap_or_default());
    }
    assert_eq!(steps, ["search", "create", "append", "campaign"]);

    browser.click_to_page(".back a").await?;
    assert_eq!(listed(&browser).await?, ["SF-1"]);
    Ok(())
}

#[tokio::test]
async fn limit_data_access_hides_the_panel_from_managers_and_agents_but_not_report_managers() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    stack.post_logged_call("LDA-1", "+14155552671", AGENT, "Google Ads").await?;
    stack.record_sync("LDA-1").await?;
    stack.set_options(&IntegrationOptions { limit_data_access: true, ..IntegrationOptions::default() }).await?;

    for email in [MANAGER, AGENT] {
        let browser = Browser::start().await?;
        browser.sign_in_console(&stack, email).await?;
        browser.open_console(&stack, "calls").await?;
        let headings = browser.text_of("#log-table thead").await?;
        assert!(!headings.to_lowercase().contains("salesforce"), "{email} gets no Salesforce column: {headings}");
        browser.open_console(&stack, "calls?call=LDA-1").await?;
        browser.wait_for("#call-facts").await?;
        assert!(!browser.has("#salesforce-panel").await?, "{email} does not see the panel");
        let page = browser.text_of("#main").await?;
        assert!(!page.contains(SYNCED_TASK_ID) && !page.contains("INVALID_OR_NULL"), "{email}: {page}");
        assert!(browser.text_of("#salesforce-withheld").await?.starts_with("Limit Data Access is on"));
    }

    let browser = Browser::start().await?;
    browser.sign_in_console(&stack, "reports@demo.callpop.test").await?;
    browser.open_console(&stack, "calls?call=LDA-1").await?;
    assert!(browser.text_of("#salesforce-panel").await?.contains(SYNCED_TASK_ID));
    Ok(())
}

const HOSTILE: &str = "<img src=x onerror=alert(1)> call me back";

#[tokio::test]
async fn the_text_log_shows_a_message_as_text_and_opens_it() -> anyhow::Result<()> {
    let (stack, browser) = start_console(MANAGER).await?;
    stack.post_text("SMS-1", "+14155552671", AGENT, HOSTILE).await?;
    browser.open_console(&stack, "texts").await?;
    assert_eq!(browser.text_of("#log-table tbody .excerpt").await?, HOSTILE);
    browser.click_to_page("#log-table tbody tr a").await?;
    assert_eq!(browser.text_of("#text-body").await?, HOSTILE);
    assert_eq!(browser.eval("return document.querySelectorAll('main img').length;").await?, 0);
    assert!(browser.client.get_alert_text().await.is_err(), "no alert ever opened");
    let facts = browser.text_of("#text-facts").await?;
    assert!(facts.contains("SMS-1") && facts.contains("Google Ads"), "{facts}");
    Ok(())
}
