//! The console's sync log in a real browser, against the local org: a call the org refuses (a validation rule, a
//! required field) shows with Salesforce's own code, message and fields; after the admin fixes the org, Retry (one
//! item, or all with one error) sends it and the record appears in the org. And the empty and filtered states.

use callpop_core::options::IntegrationOptions;
use callpop_e2e::{ADMIN_EMAIL, Stack, eventually, start_console};
use callpop_sandbox::schema::CustomField;
use callpop_sandbox::seed::{self, numbers};
use serde_json::{Value, json};

const AGENT: &str = "agent@demo.callpop.test";

/// Links the org in legacy mode, where every new caller becomes a Lead.
async fn linked_in_legacy_mode(stack: &Stack) -> anyhow::Result<()> {
    stack.link_org().await?;
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await
}

/// Waits until the sync log holds `count` parked items, and returns them.
async fn parked(stack: &Stack, count: usize) -> anyhow::Result<Vec<Value>> {
    eventually(&format!("{count} parked items"), || async {
        let log = stack.sync_log().await?;
        Ok((log.len() == count && log.iter().all(|item| item["status"] == "parked")).then_some(log))
    })
    .await
}

fn lead_with_phone(stack: &Stack, phone: &str) -> Option<String> {
    stack.org.records("Lead").into_iter().find(|lead| lead.text("Phone") == Some(phone)).map(|lead| lead.id.to_string())
}

#[tokio::test]
async fn a_call_refused_by_a_validation_rule_shows_salesforces_words_and_retry_after_the_fix_logs_it()
-> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "sync-log").await?;
    assert!(browser.text_of("#sync-log-empty").await?.contains("Nothing needs your attention."));

    // The org requires an email on every Lead; a new caller's Lead is refused.
    linked_in_legacy_mode(&stack).await?;
    stack.org.add_validation_rule(seed::lead_needs_email())?;
    stack.post_logged_call("CA-RULE", numbers::NOBODY, AGENT, "Google Ads").await?;
    let items = parked(&stack, 1).await?;
    let id = items[0]["id"].as_i64().unwrap_or_default();

    browser.open_console(&stack, "sync-log").await?;
    let row = browser.text_of(&format!("#sync-log tr[data-item='{id}'][data-status='parked']")).await?;
    for expected in [
        "CA-RULE",
        "Needs attention",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "Enter the lead's email address.",
        "Fields: Email",
    ] {
        assert!(row.contains(expected), "the row shows {expected:?}: {row}");
    }
    assert!(
        browser.text_of("[data-retry-code='FIELD_CUSTOM_VALIDATION_EXCEPTION']").await?.contains("Retry all 1 with")
    );
    assert_eq!(browser.unlabelled_controls().await?, Vec::<String>::new());
    assert_eq!(lead_with_phone(&stack, numbers::NOBODY), None, "nothing half-written in the org");

    // The admin deactivates the rule, then retries the item.
    assert!(stack.org.remove_validation_rule("Lead_Needs_Email"));
    browser.wait_for(&format!("[data-retry='{id}']")).await?.click().await?;
    let said = browser.text_of("#sync-notice .result-ok").await?;
    assert!(said.contains("Call CA-RULE is queued again"), "{said}");
    eventually("the Lead in the org", || async { Ok(lead_with_phone(&stack, numbers::NOBODY)) }).await?;
    eventually("the call synced", || async {
        let call = stack.admin_get("/api/v1/calls/CA-RULE").await?;
        Ok((call["sync_status"] == "synced").then_some(()))
    })
    .await?;
    assert!(stack.sync_log().await?.is_empty());

    browser.open_console(&stack, "sync-log").await?;
    browser.wait_for("#sync-log-empty").await?;
    Ok(())
}

#[tokio::test]
async fn retry_all_sends_every_call_refused_for_one_reason_and_the_filter_narrows_the_list() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    linked_in_legacy_mode(&stack).await?;
    let region: CustomField = serde_json::from_value(json!({ "name": "Sales_Region__c", "required": true }))?;
    stack.org.add_custom_field("Lead", region)?;
    stack.post_logged_call("CA-REQ-1", numbers::NOBODY, AGENT, "Google Ads").await?;
    stack.post_logged_call("CA-REQ-2", "+14155550188", AGENT, "Bing").await?;
    parked(&stack, 2).await?;

    browser.open_console(&stack, "sync-log?status=failed").await?;
    assert!(browser.text_of("#sync-log-empty").await?.contains("No items with this status."));
    browser.open_console(&stack, "sync-log?status=parked").await?;
    assert_eq!(browser.client.find_all(fantoccini::Locator::Css("#sync-log tbody tr")).await?.len(), 2);
    let row = browser.text_of("#sync-log tbody tr").await?;
    assert!(row.contains("REQUIRED_FIELD_MISSING") && row.contains("Sales_Region__c"), "{row}");

    // The field is made optional; one press retries both.
    stack.org.remove_custom_field("Lead", "Sales_Region__c")?;
    browser.wait_for("[data-retry-code='REQUIRED_FIELD_MISSING']").await?.click().await?;
    let said = browser.text_of("#sync-notice .result-ok").await?;
    assert!(said.contains("2 items with REQUIRED_FIELD_MISSING are queued again"), "{said}");
    eventually("both Leads in the org", || async {
        Ok((lead_with_phone(&stack, numbers::NOBODY).is_some() && lead_with_phone(&stack, "+14155550188").is_some())
            .then_some(()))
    })
    .await?;
    eventually("an empty sync log", || async { Ok(stack.sync_log().await?.is_empty().then_some(())) }).await?;
    Ok(())
}
