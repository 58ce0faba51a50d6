//! The console's administration pages in a real browser: API keys (a 422 next to the label, a key shown once with
//! a copy button, revoking it) and the call center definition (download and Setup steps).

use callpop_e2e::{ADMIN_EMAIL, Browser, Stack, start_console};
use fantoccini::Locator;
use serde_json::json;

/// The API keys table's row for the key labelled `label`.
async fn key_row(browser: &Browser, label: &str) -> anyhow::Result<fantoccini::elements::Element> {
    let xpath = format!("//table[@id='api-keys']/tbody/tr[th[normalize-space()='{label}']]");
    Ok(browser.client.wait().at_most(callpop_e2e::PATIENCE).for_element(Locator::XPath(&xpath)).await?)
}

/// Posts a call event with `key` and returns the status.
async fn status_with_key(stack: &Stack, key: &str) -> anyhow::Result<u16> {
    let event = json!({
        "call_id": "KEY-1", "kind": "ringing", "direction": "inbound", "caller_number": "+14155552671",
        "tracking_number": "+14155550100", "occurred_at": chrono::Utc::now().to_rfc3339(),
    });
    let url = format!("{}/api/v1/call-events", stack.server_url);
    Ok(reqwest::Client::new().post(url).bearer_auth(key).json(&event).send().await?.status().as_u16())
}

#[tokio::test]
async fn an_admin_creates_an_api_key_sees_it_once_and_revokes_it() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "api-keys").await?;
    assert!(browser.text_of("#api-keys").await?.contains("demo telephony"), "the demo account's own key is listed");

    // A key without a label: the server's 422 appears under the label's input.
    browser.wait_for("#new-key-form button[type=submit]").await?.click().await?;
    let error = browser.wait_for("#new-key-label-error").await?;
    assert_eq!(error.text().await?, "Label is required");
    let input = browser.wait_for("#new-key-label").await?;
    assert_eq!(input.attr("aria-invalid").await?.as_deref(), Some("true"));
    assert_eq!(browser.eval("return document.activeElement.id;").await?, "new-key-label", "focus goes to the field");

    input.send_keys("PBX in Lyon").await?;
    browser.wait_for("#new-key-form button[type=submit]").await?.click().await?;
    let key = browser.wait_for("#new-key").await?.prop("value").await?.unwrap_or_default();
    assert!(key.starts_with("cpk_"), "{key}");
    assert!(!browser.wait_for("#new-key-label-error").await?.is_displayed().await?, "the error is gone");
    let callout = browser.text_of("#new-key-callout").await?;
    assert!(callout.contains("Copy it now: it will not be shown again."), "{callout}");
    browser.wait_for("#copy-key").await?.click().await?;
    let copied = browser.text_of("#copy-status").await?;
    assert!(copied == "Copied to the clipboard." || copied.starts_with("The key is selected"), "{copied}");
    assert_eq!(status_with_key(&stack, &key).await?, 202, "the new key works");

    // Once the page is left, the key is gone for good: the list shows its first characters only.
    browser.open_console(&stack, "api-keys").await?;
    let source = browser.client.source().await?;
    assert!(!source.contains(&key), "the page never shows the key again");
    let row_text = key_row(&browser, "PBX in Lyon").await?.text().await?;
    assert!(row_text.contains("PBX in Lyon") && row_text.contains(&format!("{}…", &key[..10])), "{row_text}");
    assert!(row_text.contains("Active"), "{row_text}");

    let row = key_row(&browser, "PBX in Lyon").await?;
    row.find(Locator::Css("[data-revoke]")).await?.click().await?;
    let confirm = row.find(Locator::Css(".actions")).await?.text().await?;
    assert!(confirm.contains("Requests with this key will be refused at once."), "{confirm}");
    row.find(Locator::Css("[data-confirm-revoke]")).await?.click().await?;
    browser.wait_for("#key-notice .result").await?;
    assert_eq!(browser.text_of("#key-notice").await?, "Revoked “PBX in Lyon”.");
    let revoked = key_row(&browser, "PBX in Lyon").await?;
    assert!(revoked.text().await?.contains("Revoked"));
    assert!(revoked.find_all(Locator::Css("[data-revoke]")).await?.is_empty(), "a revoked key cannot be revoked again");
    assert_eq!(status_with_key(&stack, &key).await?, 401, "a revoked key is refused");
    Ok(())
}

#[tokio::test]
async fn the_call_center_page_downloads_the_definition_and_gives_the_setup_steps() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "call-center").await?;

    let adapter_url = format!("{}/softphone/", stack.server_url);
    assert_eq!(browser.text_of("#adapter-url").await?, adapter_url);
    assert!(
        browser.text_of("#adapter-url-http").await?.starts_with("This address is plain HTTP"),
        "the loopback server's plain HTTP address is flagged for a real org"
    );
    let steps = browser.text_of(".setup-steps").await?;
    for expected in [
        "In Setup, open Call Centers and click Import.",
        "Manage Call Center Users",
        "Softphone Layouts",
        "App Manager",
        "add Open CTI Softphone",
        "Salesforce Classic",
    ] {
        assert!(steps.contains(expected), "the steps mention {expected}: {steps}");
    }

    browser.wait_for("#download-xml").await?.click().await?;
    let xml = browser.downloaded("callpop-call-center.xml").await?;
    assert!(xml.contains("<callCenter>"), "{xml}");
    assert!(
        xml.contains(&format!(
            "<item sortOrder=\"2\" name=\"reqAdapterUrl\" label=\"CTI Adapter URL\">{adapter_url}</item>"
        )),
        "{xml}"
    );
    Ok(())
}
