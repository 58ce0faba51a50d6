//! The console's search in a real browser: an administrator searches the call log by number, pages forward and back
//! with the counts shown, and exports the CSV, which holds exactly the calls the search shows; a call's Salesforce
//! records link into the org; and a call the org refuses is dismissed from the sync log with a reason, which the
//! dismissed view shows.

use callpop_core::options::IntegrationOptions;
use callpop_e2e::{ADMIN_EMAIL, Browser, Stack, eventually, start_console};
use callpop_sandbox::seed::{self, numbers};
use fantoccini::Locator;
use serde_json::{Value, json};

const AGENT: &str = "agent@demo.callpop.test";

/// Posts a ringing call from `number` by `name` for the demo agent.
async fn post_call(stack: &Stack, call_id: &str, number: &str, name: &str) -> anyhow::Result<()> {
    let body = json!({
        "call_id": call_id, "kind": "ringing", "direction": "inbound", "caller_number": number, "caller_name": name,
        "tracking_number": "+14155550100", "agent": AGENT, "tracking_source": "Google Ads",
        "occurred_at": chrono::Utc::now().to_rfc3339(),
    });
    stack.post_telephony("call-events", &body).await
}

/// The call ids the call log's table lists, top to bottom.
async fn listed(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for row in browser.client.find_all(Locator::Css("#log-table tbody tr")).await? {
        ids.push(row.attr("data-id").await?.unwrap_or_default());
    }
    Ok(ids)
}

#[tokio::test]
async fn an_admin_searches_by_number_pages_both_ways_and_exports_what_the_search_shows() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    for index in 0..27 {
        post_call(&stack, &format!("ANA-{index:02}"), "+14155550142", "Ana Lopez").await?;
    }
    post_call(&stack, "BOB-1", "+14155550199", "Bob Stone").await?;
    post_call(&stack, "FORMULA-1", "+14155550198", "=HYPERLINK(\"http://evil.example\",\"x\")").await?;

    // The admin types the number as people write it, and searches.
    browser.open_console(&stack, "calls").await?;
    browser.wait_for("#filter-number").await?.send_keys("(415) 555-0142").await?;
    browser.click_to_page("#log-filters button[type=submit]").await?;
    assert!(browser.client.current_url().await?.as_str().ends_with("/console/calls?number=%28415%29+555-0142"));
    let first = listed(&browser).await?;
    assert_eq!((first.len(), first[0].as_str()), (25, "ANA-26"));
    assert_eq!(browser.text_of("#log-count").await?, "1–25 of 27 calls");
    assert!(!browser.has("#newer").await?, "the first page has no newer page");

    // Forward to the last page, and back.
    browser.click_to_page("#older").await?;
    assert_eq!(listed(&browser).await?, ["ANA-01", "ANA-00"]);
    assert_eq!(browser.text_of("#log-count").await?, "26–27 of 27 calls");
    assert!(!browser.has("#older").await?, "the last page has no older page");
    browser.click_to_page("#newer").await?;
    assert_eq!(listed(&browser).await?, first);
    assert_eq!(browser.text_of("#log-count").await?, "1–25 of 27 calls");
    assert_eq!(browser.wait_for("#filter-number").await?.prop("value").await?.as_deref(), Some("(415) 555-0142"));

    // The export holds the search's 27 calls, every page of them, and nothing else.
    browser.wait_for("#export-csv").await?.click().await?;
    let file_name = format!("calls-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    let csv = browser.downloaded(&file_name).await?;
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("call_id,started_at,direction,state,caller_number,"), "{}", lines[0]);
    let mut exported: Vec<&str> = lines[1..].iter().map(|line| line.split(',').next().unwrap_or_default()).collect();
    exported.sort_unstable();
    let expected: Vec<String> = (0..27).map(|index| format!("ANA-{index:02}")).collect();
    assert_eq!(exported, expected);
    assert!(lines[1].contains(",'+14155550142,'+14155550142,Ana Lopez,"), "{}", lines[1]);

    // The name search finds the caller whatever its case.
    browser.open_console(&stack, "calls?name=HYPERLINK").await?;
    assert_eq!(listed(&browser).await?, ["FORMULA-1"]);
    assert_eq!(browser.text_of("#log-count").await?, "1–1 of 1 call");
    Ok(())
}

/// Links the org in legacy mode, where every new caller becomes a Lead.
async fn linked_in_legacy_mode(stack: &Stack) -> anyhow::Result<()> {
    stack.link_org().await?;
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await
}

#[tokio::test]
async fn records_link_into_the_org_and_a_refused_call_is_dismissed_with_a_reason() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    linked_in_legacy_mode(&stack).await?;

    // A known caller's call is logged on their Contact: the panel links the records into the org.
    post_call(&stack, "CA-KNOWN", numbers::ONE_CONTACT, "Ada Lovelace").await?;
    eventually("the call synced", || async {
        let call = stack.admin_get("/api/v1/calls/CA-KNOWN").await?;
        Ok((call["sync_status"] == "synced").then_some(()))
    })
    .await?;
    browser.open_console(&stack, "calls?call=CA-KNOWN").await?;
    let link = browser.wait_for("#salesforce-panel a[data-record-link]").await?;
    let id = link.attr("data-record-link").await?.unwrap_or_default();
    let href = link.attr("href").await?.unwrap_or_default();
    assert_eq!(href, format!("{}/{id}", stack.org.base_url().trim_end_matches('/')));
    assert_eq!(link.attr("target").await?.as_deref(), Some("_blank"));

    // The org requires an email on every Lead; a new caller's Lead is refused and parked.
    stack.org.add_validation_rule(seed::lead_needs_email())?;
    post_call(&stack, "CA-SPAM", numbers::NOBODY, "Spam Caller").await?;
    let item: Value = eventually("the parked call", || async {
        let log = stack.sync_log().await?;
        Ok(log.into_iter().find(|item| item["subject"] == "CA-SPAM" && item["status"] == "parked"))
    })
    .await?;
    let id = item["id"].as_i64().unwrap_or_default();

    // The row names the caller; the admin dismisses it with a reason.
    browser.open_console(&stack, "sync-log").await?;
    let row = browser.text_of(&format!("#sync-log tr[data-item='{id}']")).await?;
    assert!(row.contains(numbers::NOBODY) && row.contains("Spam Caller"), "{row}");
    assert_eq!(browser.text_of("#sync-log-count").await?, "1–1 of 1 item");
    browser.wait_for(&format!("[data-dismiss='{id}']")).await?.click().await?;
    browser.wait_for(&format!("#dismiss-reason-{id}")).await?.send_keys("A known spam number.").await?;
    assert_eq!(browser.unlabelled_controls().await?, Vec::<String>::new());
    browser.wait_for(&format!("[data-confirm-dismiss='{id}']")).await?.click().await?;
    let said = browser.text_of("#sync-notice .result-ok").await?;
    assert!(said.contains("Call CA-SPAM is dismissed"), "{said}");
    assert!(browser.text_of("#sync-log-empty").await?.contains("Nothing needs your attention."));

    // The dismissed view shows who dismissed it and why.
    browser.open_console(&stack, "sync-log?dismissed=true").await?;
    let note = browser.text_of(&format!("[data-dismissal='{id}']")).await?;
    assert!(
        note.starts_with(&format!("Dismissed by {ADMIN_EMAIL}")) && note.contains("A known spam number."),
        "{note}"
    );
    assert!(stack.sync_log().await?.is_empty(), "the default view no longer lists it");
    Ok(())
}
