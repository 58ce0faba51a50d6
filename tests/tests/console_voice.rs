//! The console's Salesforce Voice page in a real browser: an administrator moves the account to both hosts (a
//! setting the server refuses is explained under its input), generates the key pair, and gets the certificate and
//! the contact-center file to take to Salesforce.

use callpop_e2e::{ADMIN_EMAIL, start_console};

#[tokio::test]
async fn an_administrator_moves_to_salesforce_voice_generates_the_key_and_downloads_what_salesforce_needs()
-> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.click_to_page("#nav a[href='/console/voice']").await?;
    assert!(browser.wait_for("input[name=host][value=open_cti]").await?.is_selected().await?);
    let state = browser.text_of("#key-pair-state").await?;
    assert!(state.contains("No key pair yet"), "{state}");

    // Both hosts without a contact center: the server's message is under the input, and nothing is stored.
    browser.wait_for("input[name=host][value=both]").await?.click().await?;
    browser.wait_for("#voice-form button[type=submit]").await?.click().await?;
    let error = browser.text_of("#contact_center_api_name-error").await?;
    assert_eq!(error, "Contact center API name is required when the host is both");
    assert_eq!(stack.admin_get("/api/v1/settings/voice").await?["host"], "open_cti");

    // With the contact center and the URL, it is saved.
    browser.wait_for("#contact_center_api_name").await?.send_keys("Acme_CC").await?;
    browser
        .wait_for("#telephony_base_url")
        .await?
        .send_keys("https://acme.my.salesforce-scrt.com/telephony/v1")
        .await?;
    browser.wait_for("#voice-form button[type=submit]").await?.click().await?;
    let saved = browser.text_of("#save-result .result-ok").await?;
    assert_eq!(saved, "Saved: agents take calls in Both, while you move.");
    let stored = stack.admin_get("/api/v1/settings/voice").await?;
    assert_eq!((stored["host"].as_str(), stored["contact_center_api_name"].as_str()), (Some("both"), Some("Acme_CC")));

    // The key pair: generated, and the two files offered, the contact center's carrying the certificate.
    browser.wait_for("#generate-key-pair").await?.click().await?;
    let next = browser.text_of("#key-pair-result .result-ok").await?;
    assert!(next.contains("certificate"), "{next}");
    browser.wait_for("#download-certificate").await?.click().await?;
    browser.wait_for("#download-contact-center").await?.click().await?;
    let certificate = browser.downloaded("callpop-telephony-integration.crt").await?.trim().to_owned();
    let contact_center = browser.downloaded("callpop-contact-center.xml").await?;
    assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"), "{certificate}");
    assert!(contact_center.contains(">Acme_CC</item>"), "{contact_center}");
    assert!(contact_center.contains(&certificate), "{contact_center}");
    Ok(())
}
