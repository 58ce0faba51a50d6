//! The console's Salesforce settings in a real browser: the integration options with their explanations, the Legacy
//! Options control, saving and what changed, the settings history, and a basic-plan account's Salesforce pages.

use callpop_core::account::Plan;
use callpop_e2e::{ADMIN_EMAIL, Browser, Stack, start_console};
use fantoccini::Locator;
use serde_json::Value;

#[tokio::test]
async fn the_options_page_explains_each_option_in_the_documented_words() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "options").await?;

    let local = browser.text_of("[data-option='local_number_format']").await?;
    assert!(local.contains("Use local number formats instead of E.164"), "{local}");
    assert!(local.contains("ON – Phone number format will be (XXX) XXX-XXXX"), "{local}");
    assert!(local.contains("OFF – Phone number format will be +XXXXXXXXXXX"), "{local}");
    let edit = browser.text_of("[data-option='edit_mode']").await?;
    // What each mode does, as the pop table (`core/tests/pop_matrix.txt`) and the browser tests show it.
    assert!(edit.contains("Classic; in Lightning, the page then its Edit form"), "{edit}");
    assert!(
        edit.contains(
            "A new caller's Lead always opens in edit mode in Lightning, whatever this option says: Lightning's \
             pre-filled new-record form, or, in legacy mode, the Edit form of the Lead callpop created."
        ),
        "{edit}"
    );
    let auto_create = browser.text_of("[data-option='auto_create_classic']").await?;
    assert!(auto_create.contains("Classic only, legacy mode off"), "{auto_create}");
    assert!(auto_create.contains("In legacy mode callpop creates the new caller's Lead itself"), "{auto_create}");
    let limit = browser.text_of("[data-option='limit_data_access']").await?;
    assert!(limit.contains("Prevent Call Managers and Call Agents from accessing data in the Salesforce Panel"));

    // The defaults: auto-create and the dialog on, the rest off. Each switch is a labelled checkbox.
    for (option, on) in [("local_number_format", false), ("auto_create_classic", true), ("multi_match_dialog", true)] {
        let switch = browser.wait_for(&format!("#opt-{option}")).await?;
        assert_eq!(switch.is_selected().await?, on, "{option}");
        assert_eq!(switch.attr("role").await?.as_deref(), Some("switch"));
    }

    // Legacy mode hides behind "Legacy Options", at the bottom right of the section.
    let legacy = browser.wait_for("#opt-legacy_mode").await?;
    assert!(!legacy.is_displayed().await?, "the legacy option starts folded away");
    let toggle = browser.wait_for("#legacy-toggle").await?;
    let section = browser.wait_for(".options-section").await?;
    let (toggle_x, toggle_y, toggle_width, _) = toggle.rectangle().await?;
    let (section_x, _, section_width, _) = section.rectangle().await?;
    let (_, last_option_y, _, _) = browser.wait_for("[data-option='limit_data_access']").await?.rectangle().await?;
    assert!(toggle_x + toggle_width > section_x + section_width - 40.0, "the control sits at the right");
    assert!(toggle_y > last_option_y, "the control sits below the other options");
    toggle.click().await?;
    assert_eq!(toggle.attr("aria-expanded").await?.as_deref(), Some("true"));
    assert!(legacy.is_displayed().await?);
    let legacy_text = browser.text_of("[data-option='legacy_mode']").await?;
    assert!(legacy_text.starts_with("Enable Legacy Salesforce Integration"), "{legacy_text}");
    assert!(legacy_text.contains("OFF – Use Triggers to customize logic between callpop and Salesforce"));
    Ok(())
}

#[tokio::test]
async fn saving_the_options_says_what_changed_and_the_history_records_it() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "options").await?;

    browser.wait_for("#options-form button[type=submit]").await?.click().await?;
    assert_eq!(browser.text_of("#save-result").await?, "Nothing changed: every option already had the value shown.");

    browser.wait_for("label[for='opt-local_number_format']").await?.click().await?;
    assert_eq!(browser.text_of("#unsaved").await?, "You have unsaved changes.");
    browser.wait_for("#legacy-toggle").await?.click().await?;
    browser.wait_for("#opt-legacy_mode").await?.click().await?;
    browser.wait_for("#opt-multi_match_dialog").await?.click().await?;
    browser.wait_for("#options-form button[type=submit]").await?.click().await?;

    let result = browser.wait_for("#saved-changes").await?;
    let mut lines = Vec::new();
    for line in result.find_all(Locator::Css("li")).await? {
        lines.push(line.text().await?);
    }
    assert_eq!(
        lines,
        [
            "Enable Legacy Salesforce Integration: OFF → ON",
            "Use local number formats instead of E.164: OFF → ON",
            "Present a search dialog with Softphone when multiple records are matched: ON → OFF",
        ]
    );
    assert!(browser.text_of("#save-result").await?.starts_with("Saved. 3 options changed:"));

    // The server holds them: a reload shows them, with the legacy section open because legacy mode is on.
    let token = stack.token_for(ADMIN_EMAIL).await?;
    let stored: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/settings/salesforce", stack.server_url))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!((stored["legacy_mode"].as_bool(), stored["multi_match_dialog"].as_bool()), (Some(true), Some(false)));
    browser.open_console(&stack, "options").await?;
    assert!(browser.wait_for("#opt-legacy_mode").await?.is_displayed().await?);
    assert!(browser.wait_for("#opt-local_number_format").await?.is_selected().await?);

    browser.click_to_page("#nav a[href='/console/history']").await?;
    let mut rows = Vec::new();
    for row in browser.client.find_all(Locator::Css("#history tbody tr")).await? {
        rows.push(row.text().await?);
    }
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|row| row.ends_with(ADMIN_EMAIL)), "{rows:?}");
    assert!(rows.iter().any(|row| row.contains("Use local number formats instead of E.164 OFF → ON")), "{rows:?}");
    Ok(())
}

#[tokio::test]
async fn a_basic_plan_account_gets_the_salesforce_pages_explained_and_keeps_its_logs() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    stack.create_account("Corner Shop", Plan::Basic, "owner@corner-shop.test").await?;
    let browser = Browser::start().await?;
    browser.sign_in_console(&stack, "owner@corner-shop.test").await?;
    let overview = browser.text_of("#main").await?;
    assert!(overview.contains("Basic (no Salesforce)"), "{overview}");
    assert!(browser.text_of("#nav").await?.contains("not in your plan"));

    for page in ["options", "history", "call-center"] {
        browser.open_console(&stack, page).await?;
        let refusal = browser.wait_for("[data-refusal='plan']").await?;
        assert_eq!(refusal.find(Locator::Css("h1")).await?.text().await?, "Salesforce is not part of your plan");
        let text = refusal.text().await?;
        assert!(
            text.contains(
                "Salesforce is available on the Sales Engage, Enterprise and Connect plans; this account is on the \
                 Basic plan."
            ),
            "the server's plan_excludes_salesforce message: {text}"
        );
    }
    browser.open_console(&stack, "calls").await?;
    assert_eq!(browser.text_of("#log-empty").await?, "No calls yet.");
    browser.open_console(&stack, "api-keys").await?;
    assert_eq!(browser.text_of("#api-key-list").await?, "This account has no API keys yet.");
    Ok(())
}
