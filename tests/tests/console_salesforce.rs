//! The console's Salesforce connection and preflight check in a real browser: linking the local org through its
//! OAuth page and seeing the integration user, the org, API usage and requests per logged call; unlinking after a
//! confirmation; relinking after Salesforce revoked callpop's access; a preflight that names a validation rule with its fix, then says all good once it is gone; and the
//! 403 page for roles that may not manage the link, triggers or the sync log.

use callpop_core::options::IntegrationOptions;
use callpop_e2e::{ADMIN_EMAIL, Browser, Stack, eventually, start_console};
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_sandbox::oauth::INTEGRATION_USERNAME;
use callpop_sandbox::seed::{self, numbers};
use fantoccini::Locator;
use serde_json::json;

#[tokio::test]
async fn an_admin_links_the_org_on_its_oauth_page_sees_user_org_and_usage_then_unlinks_after_confirming()
-> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    stack.org.set_api_usage(1200, 15000);

    // Not linked yet: the page says so and offers to link.
    browser.open_console(&stack, "salesforce").await?;
    browser.wait_for("#connection-status[data-status='not_linked']").await?;
    assert!(browser.text_of("#not-linked").await?.contains("not linked to a Salesforce org yet"));
    assert_eq!(browser.unlabelled_controls().await?, Vec::<String>::new());

    // Link: the browser goes to the org's "Allow Access?" page, the admin allows, and Salesforce sends it back.
    browser.wait_for("#link-button").await?.click().await?;
    browser.wait_for("button[name='decision'][value='allow']").await?.click().await?;
    browser.wait_for("#main[data-ready='1'] #link-result").await?;
    assert!(browser.text_of("#link-result").await?.contains("Salesforce is linked."));
    assert!(browser.client.current_url().await?.as_str().ends_with("/console/salesforce"), "the ?linked=1 is dropped");
    browser.wait_for("#connection-status[data-status='connected']").await?;
    let connection = stack.admin_get("/api/v1/salesforce/connection").await?;
    let shown = browser.text_of("#connection .facts").await?;
    for expected in [INTEGRATION_USERNAME, connection["org_id"].as_str().unwrap_or("no org id"), stack.org.base_url()] {
        assert!(shown.contains(expected), "the page shows {expected}: {shown}");
    }

    // A call synced (legacy mode): the page shows the org's API usage and callpop's requests per logged call.
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await?;
    stack.post_logged_call("CA-USAGE", numbers::NOBODY, "agent@demo.callpop.test", "Google Ads").await?;
    eventually("the call's Lead in the org", || async {
        Ok(stack.org.records("Lead").into_iter().find(|lead| lead.text("Phone") == Some(numbers::NOBODY)))
    })
    .await?;
    eventually("the usage recorded", || async {
        let connection = stack.admin_get("/api/v1/salesforce/connection").await?;
        Ok(connection["requests_per_logged_call"].as_f64().filter(|_| connection["api_used"].is_number()))
    })
    .await?;
    browser.open_console(&stack, "salesforce").await?;
    let meter = browser.wait_for("#api-usage-meter").await?;
    assert_eq!(meter.attr("max").await?.as_deref(), Some("15000"));
    let used: u64 = meter.attr("value").await?.unwrap_or_default().parse()?;
    assert!(used > 1200, "the org counted callpop's requests: {used}");
    assert!(browser.text_of("#api-usage").await?.contains("of 15,000"));
    let per_call = browser.text_of("#requests-per-call").await?;
    assert!(per_call.contains("Salesforce requests per call or text logged"), "{per_call}");

    // Unlink asks first; Cancel leaves the link alone.
    browser.wait_for("#unlink").await?.click().await?;
    assert!(browser.text_of("#unlink-warning").await?.contains("stops sending calls and texts to Salesforce"));
    let focused = browser.eval("return document.activeElement.id;").await?;
    assert_eq!(focused, "confirm-unlink", "the confirmation gets the focus");
    browser.wait_for("#cancel-unlink").await?.click().await?;
    assert_eq!(stack.admin_get("/api/v1/salesforce/connection").await?["status"], "connected");

    browser.wait_for("#unlink").await?.click().await?;
    browser.wait_for("#confirm-unlink").await?.click().await?;
    browser.wait_for("#unlinked").await?;
    browser.wait_for("#connection-status[data-status='not_linked']").await?;
    assert_eq!(stack.admin_get("/api/v1/salesforce/connection").await?["status"], "not_linked");
    assert!(browser.text_of("#link-button").await?.contains("Link Salesforce"));
    Ok(())
}

#[tokio::test]
async fn a_link_salesforce_refuses_says_why_and_leaves_the_account_unlinked() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "salesforce").await?;

    // A login URL that is not one: the server's 422 shows under the field, which gets the focus.
    browser.wait_for("#login-url").await?.send_keys("not a url").await?;
    browser.wait_for("#link-button").await?.click().await?;
    let error = browser.text_of("#login-url-error:not([hidden])").await?;
    assert!(!error.is_empty(), "the login URL's problem is shown next to it");
    assert_eq!(browser.eval("return document.activeElement.id;").await?, "login-url");

    // The admin clicks Deny on Salesforce's page: back on the console, told nothing changed.
    browser.wait_for("#login-url").await?.clear().await?;
    browser.wait_for("#link-button").await?.click().await?;
    browser.wait_for("button[name='decision'][value='deny']").await?.click().await?;
    browser.wait_for("#main[data-ready='1'] #link-result").await?;
    let said = browser.text_of("#link-result").await?;
    assert!(said.contains("Salesforce was not linked.") && said.contains("Nothing changed"), "{said}");
    browser.wait_for("#connection-status[data-status='not_linked']").await?;
    assert_eq!(stack.admin_get("/api/v1/salesforce/connection").await?["status"], "not_linked");
    Ok(())
}

#[tokio::test]
async fn the_preflight_names_a_validation_rule_with_its_fix_and_says_all_good_once_it_is_gone() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;

    // Not linked: the check says so and points to the connection page.
    browser.open_console(&stack, "preflight").await?;
    assert!(browser.text_of("[data-check='linked']").await?.contains("Link the org on the Salesforce connection page"));

    // Linked, with a validation rule every Lead callpop creates would break.
    stack.link_org().await?;
    stack.org.add_validation_rule(seed::lead_needs_email())?;
    let leads_before = stack.org.records("Lead").len();
    browser.open_console(&stack, "preflight").await?;
    browser.wait_for("#preflight-summary[data-outcome='problems']").await?;
    let dry_run = browser.text_of(".check-problem[data-check='dry_run']").await?;
    assert!(dry_run.contains("Enter the lead's email address."), "Salesforce's own words: {dry_run}");
    assert!(dry_run.contains("Fix:"), "with the fix: {dry_run}");
    let rules = browser.text_of("[data-check='validation_rules']").await?;
    assert!(rules.contains("Lead_Needs_Email"), "{rules}");
    let first = browser.client.find(Locator::Css("#checks > li")).await?;
    assert_eq!(first.attr("class").await?.as_deref(), Some("check check-problem"), "problems come first");
    assert_eq!(stack.org.records("Lead").len(), leads_before, "the dry run left nothing in the org");

    // The admin deactivates the rule and runs the check again.
    assert!(stack.org.remove_validation_rule("Lead_Needs_Email"));
    browser.wait_for("#run-preflight").await?.click().await?;
    browser.wait_for("#preflight-summary[data-outcome='ok']").await?;
    assert!(browser.text_of("#preflight-summary").await?.starts_with("All good."));
    assert!(!browser.has(".check-problem").await?);
    assert_eq!(browser.eval("return document.activeElement.id;").await?, "preflight-summary");
    Ok(())
}

#[tokio::test]
async fn managers_and_agents_get_the_403_page_for_the_salesforce_pages_and_do_not_see_them_listed() -> anyhow::Result<()>
{
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    for (email, who) in [("manager@demo.callpop.test", "Morgan Manager"), ("agent@demo.callpop.test", "Alex Agent")] {
        browser.sign_in_console(&stack, email).await?;
        let navigation = browser.text_of("#nav").await?;
        for (page, title) in [
            ("salesforce", "Salesforce connection"),
            ("preflight", "Preflight check"),
            ("triggers", "Triggers"),
            ("sync-log", "Sync log"),
        ] {
            assert!(!navigation.contains(title), "{email} is not offered {title}: {navigation}");
            browser.open_console(&stack, page).await?;
            let refusal = browser.wait_for("[data-refusal='forbidden']").await?;
            assert_eq!(
                refusal.find(Locator::Css("h1")).await?.text().await?,
                format!("You do not have access to {title}")
            );
            assert!(refusal.text().await?.contains(who));
        }
        browser.open_console(&stack, "").await?;
        browser.click_to_page("#sign-out").await?;
    }
    Ok(())
}

#[tokio::test]
async fn when_salesforce_revokes_callpops_access_the_page_asks_for_a_relink_and_relinking_sends_the_waiting_call()
-> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    stack.link_org().await?;
    stack.set_options(&IntegrationOptions { legacy_mode: true, ..IntegrationOptions::default() }).await?;

    // Salesforce no longer accepts callpop's tokens; a call comes in.
    stack.org.expire_all_tokens();
    let refused = stack.org.inject(Fault::on(
        "POST",
        "/services/oauth2/token",
        FaultAction::Respond {
            status: 400,
            content_type: None,
            body: json!({"error": "invalid_grant", "error_description": "expired access/refresh token"}).to_string(),
        },
    ));
    stack.post_logged_call("CA-RELINK", numbers::NOBODY, "agent@demo.callpop.test", "Google Ads").await?;
    eventually("the link to need relinking", || async {
        let connection = stack.admin_get("/api/v1/salesforce/connection").await?;
        Ok((connection["status"] == "needs_relink").then_some(()))
    })
    .await?;

    browser.open_console(&stack, "salesforce").await?;
    browser.wait_for("#connection-status[data-status='needs_relink']").await?;
    let reason = browser.text_of("#relink-reason").await?;
    assert!(reason.contains("Calls are queueing: relink to send them."), "{reason}");
    assert!(reason.contains("expired access/refresh token"), "Salesforce's own words: {reason}");

    // Relink through Salesforce's page: the waiting call reaches the org.
    stack.org.remove_fault(refused);
    browser.wait_for("#link-button").await?.click().await?;
    browser.wait_for("button[name='decision'][value='allow']").await?.click().await?;
    browser.wait_for("#main[data-ready='1'] #link-result").await?;
    browser.wait_for("#connection-status[data-status='connected']").await?;
    eventually("the waiting call's Lead in the org", || async {
        Ok(stack.org.records("Lead").into_iter().find(|lead| lead.text("Phone") == Some(numbers::NOBODY)))
    })
    .await?;
    Ok(())
}
