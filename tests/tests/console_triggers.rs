//! The console's triggers page in a real browser: creating a rule after the server's 422 lands next to the fields
//! it names (and the focus on the first), reordering with the move buttons (kept after a reload), enabling,
//! disabling and deleting after a confirmation, and testing a rule against a past call, which shows what it would
//! do and writes nothing to the org.

use callpop_e2e::{ADMIN_EMAIL, Browser, start_console};
use callpop_sandbox::seed::numbers;
use fantoccini::Locator;
use serde_json::json;

async fn focused(browser: &Browser) -> anyhow::Result<String> {
    Ok(browser.eval("return document.activeElement.id;").await?.as_str().unwrap_or_default().to_owned())
}

/// The trigger names in the order the page lists them.
async fn listed(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for name in browser.client.find_all(Locator::Css("#triggers .trigger-name")).await? {
        names.push(name.text().await?);
    }
    Ok(names)
}

async fn fill(browser: &Browser, css: &str, text: &str) -> anyhow::Result<()> {
    let input = browser.wait_for(css).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

fn rule(name: &str) -> serde_json::Value {
    json!({ "name": name, "event": "call_ended", "actions": [{ "type": "log_task", "fields": { "Subject": "Call" } }] })
}

#[tokio::test]
async fn a_new_trigger_missing_a_required_field_shows_each_problem_by_its_field_then_saves() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "triggers").await?;
    assert!(browser.text_of("#no-triggers").await?.contains("No triggers yet."));

    browser.wait_for("#new-trigger").await?.click().await?;
    browser.wait_for("#trigger-form").await?;
    assert_eq!(focused(&browser).await?, "trigger-name", "the editor opens on the name");
    assert_eq!(browser.unlabelled_controls().await?, Vec::<String>::new(), "every control of the editor has a label");

    // No name, and a Lead action without its Company.
    browser.wait_for("#a0-type").await?.select_by_value("find_or_create").await?;
    fill(&browser, "#a0-f0-value", "{{caller_name|Unknown caller}}").await?;
    browser.wait_for("[aria-label='Remove field Company of action 1']").await?.click().await?;
    browser.wait_for("#save-trigger").await?.click().await?;

    let name_error = browser.text_of("#trigger-name-error:not([hidden])").await?;
    assert_eq!(name_error, "A trigger needs a name of 1 to 80 characters");
    let fields_error = browser.text_of("#a0-add-field-error:not([hidden])").await?;
    assert_eq!(fields_error, "Salesforce needs Company to create a Lead: map it");
    assert_eq!(focused(&browser).await?, "trigger-name", "the focus goes to the first problem");
    assert_eq!(browser.wait_for("#trigger-name").await?.attr("aria-invalid").await?.as_deref(), Some("true"));
    assert!(stack.triggers().await?.is_empty(), "nothing was saved");

    // Fixed: a name and the Company field.
    fill(&browser, "#trigger-name", "New callers become Leads").await?;
    browser.wait_for("#a0-add-field").await?.click().await?;
    assert_eq!(focused(&browser).await?, "a0-f1-name");
    fill(&browser, "#a0-f1-name", "Company").await?;
    fill(&browser, "#a0-f1-value", "{{tracking_source|Phone enquiry}}").await?;
    browser.wait_for("#save-trigger").await?.click().await?;

    assert!(browser.text_of("#trigger-notice .result-ok").await?.contains("Created “New callers become Leads”"));
    assert!(!browser.has("#trigger-form").await?, "the editor closes");
    assert_eq!(listed(&browser).await?, ["New callers become Leads"]);
    assert_eq!(stack.triggers().await?, [("New callers become Leads".to_owned(), true)]);
    let stored = stack.admin_get("/api/v1/triggers").await?;
    let action = &stored["triggers"][0]["rule"]["actions"][0];
    assert_eq!(action["type"], "find_or_create");
    assert_eq!(action["object"], "Lead");
    assert_eq!(
        action["fields"],
        json!({ "LastName": "{{caller_name|Unknown caller}}", "Company": "{{tracking_source|Phone enquiry}}" })
    );
    Ok(())
}

#[tokio::test]
async fn triggers_move_up_and_down_keep_their_order_after_a_reload_and_switch_off_and_delete() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    let first = stack.create_trigger(&rule("First")).await?;
    let second = stack.create_trigger(&rule("Second")).await?;
    let third = stack.create_trigger(&rule("Third")).await?;
    browser.open_console(&stack, "triggers").await?;
    assert_eq!(listed(&browser).await?, ["First", "Second", "Third"]);
    assert_eq!(
        browser.low_contrast_text().await?,
        Vec::<String>::new(),
        "the list, its disabled buttons too, is readable"
    );
    assert!(
        browser
            .wait_for(&format!("[data-trigger='{first}'] [data-move='up']"))
            .await?
            .attr("disabled")
            .await?
            .is_some()
    );

    // Move "First" down: the focus stays on its Move down button, for the next press.
    browser.wait_for(&format!("[data-trigger='{first}'] [data-move='down']")).await?.click().await?;
    browser.wait_for(&format!("#triggers tbody tr:nth-child(2)[data-trigger='{first}']")).await?;
    assert!(browser.text_of("#trigger-notice").await?.contains("Moved “First” to position 2."));
    let label = browser.eval("return document.activeElement.getAttribute('aria-label');").await?;
    assert_eq!(label, "Move “First” down");
    browser.wait_for(&format!("[data-trigger='{third}'] [data-move='up']")).await?.click().await?;
    browser.wait_for(&format!("#triggers tbody tr:nth-child(2)[data-trigger='{third}']")).await?;

    browser.open_console(&stack, "triggers").await?;
    assert_eq!(listed(&browser).await?, ["Second", "Third", "First"], "the order survives a reload");
    let names: Vec<String> = stack.triggers().await?.into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["Second", "Third", "First"]);

    // Switch "Third" off.
    browser.wait_for(&format!("[data-toggle='{third}']")).await?.click().await?;
    browser.wait_for("#trigger-notice .result-ok").await?;
    assert!(browser.text_of("#trigger-notice").await?.contains("“Third” is disabled."));
    assert!(stack.triggers().await?.contains(&("Third".to_owned(), false)));
    browser.open_console(&stack, "triggers").await?;
    assert_eq!(browser.text_of(&format!("[data-trigger='{third}'] .switch-state")).await?, "Off");

    // Delete "Second": asked first, Cancel keeps it, confirming removes it.
    browser.wait_for(&format!("[data-delete='{second}']")).await?.click().await?;
    browser
        .wait_for(&format!("[data-trigger='{second}'] .actions button:not([data-confirm-delete])"))
        .await?
        .click()
        .await?;
    assert_eq!(stack.triggers().await?.len(), 3);
    browser.wait_for(&format!("[data-delete='{second}']")).await?.click().await?;
    browser.wait_for(&format!("[data-confirm-delete='{second}']")).await?.click().await?;
    browser.wait_for("#trigger-notice .result-ok").await?;
    assert_eq!(listed(&browser).await?, ["Third", "First"]);
    let names: Vec<String> = stack.triggers().await?.into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["Third", "First"]);
    Ok(())
}

#[tokio::test]
async fn testing_a_rule_against_a_past_call_shows_what_it_would_do_and_writes_nothing() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    stack.link_org().await?;
    stack.post_logged_call("CA-PAST", numbers::NOBODY, "agent@demo.callpop.test", "Google Ads").await?;
    let leads_before = stack.org.records("Lead").len();
    let tasks_before = stack.org.records("Task").len();

    browser.open_console(&stack, "triggers").await?;
    browser.wait_for("#new-trigger").await?.click().await?;
    fill(&browser, "#trigger-name", "Callers become Leads").await?;
    browser.wait_for("#trigger-event").await?.select_by_value("call_started").await?;
    browser.wait_for("#a0-type").await?.select_by_value("find_or_create").await?;
    fill(&browser, "#a0-f0-value", "{{caller_name|Unknown caller}}").await?;
    fill(&browser, "#a0-f1-value", "{{nonsense}}").await?;
    browser.wait_for("#test-call").await?.select_by_value("CA-PAST").await?;

    // A template the server cannot fill: its problem shows next to that value, and nothing is tested.
    browser.wait_for("#run-test").await?.click().await?;
    let error = browser.text_of("#a0-f1-value-error:not([hidden])").await?;
    assert!(error.contains("{{nonsense}} is not a variable"), "{error}");
    assert_eq!(focused(&browser).await?, "a0-f1-value");

    fill(&browser, "#a0-f1-value", "{{tracking_source|Phone enquiry}}").await?;
    browser.wait_for("#run-test").await?.click().await?;
    let outcome = browser.wait_for("#trigger-test-result [data-fires='true']").await?.text().await?;
    for expected in [
        "For CA-PAST, at “A call starts (rings)”, this rule would:",
        "Find the caller's Lead by phone number, or create one with:",
        "LastName Ada Lovelace",
        "Company Google Ads",
        "nothing was written to Salesforce",
    ] {
        assert!(outcome.contains(expected), "the outcome says {expected:?}: {outcome}");
    }
    assert!(!browser.has("#a0-f1-value-error:not([hidden])").await?, "the problem is cleared");

    // A condition the call does not meet: the rule would not run.
    browser.wait_for("#add-condition").await?.click().await?;
    browser.wait_for("#c0-field").await?.select_by_value("tracking_source").await?;
    browser.wait_for("#c0-op").await?.select_by_value("equals").await?;
    fill(&browser, "#c0-value", "Bing").await?;
    browser.wait_for("#run-test").await?.click().await?;
    let outcome = browser.wait_for("#trigger-test-result [data-fires='false']").await?.text().await?;
    assert!(outcome.contains("This rule would not run for CA-PAST."), "{outcome}");

    // Nothing was saved, and the org has no new record.
    assert!(stack.triggers().await?.is_empty());
    assert_eq!(stack.org.records("Lead").len(), leads_before);
    assert_eq!(stack.org.records("Task").len(), tasks_before);
    assert!(stack.org.records("Lead").iter().all(|lead| lead.text("LastName") != Some("Ada Lovelace")));
    Ok(())
}
