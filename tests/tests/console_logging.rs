//! The console's call logging settings and agents' Salesforce users in a real browser: which call types get a Task
//! and what the Task is related to (saved, said, kept by the server, in the history), and the Agents page, where an
//! administrator maps an agent to a Salesforce user and a wrong id is explained under its input.

use callpop_e2e::{ADMIN_EMAIL, DEMO_AGENT_EMAIL, start_console};
use fantoccini::Locator;

#[tokio::test]
async fn the_logging_page_saves_which_calls_get_a_task_and_what_it_is_related_to() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "logging").await?;

    // The defaults: every call type logged, the Task related to nothing.
    for call_type in ["answered", "missed", "voicemail", "abandoned", "outbound_not_answered"] {
        let switch = browser.wait_for(&format!("#log-{call_type}")).await?;
        assert!(switch.is_selected().await?, "{call_type}");
        assert_eq!(switch.attr("role").await?.as_deref(), Some("switch"));
    }
    assert!(browser.wait_for("#what-id-none").await?.is_selected().await?);
    let voicemail = browser.text_of("[data-call-type='voicemail']").await?;
    assert!(voicemail.contains("the disposition \"voicemail\""), "{voicemail}");

    // Leave out missed and abandoned calls; relate Tasks to the Contact's open Case.
    browser.wait_for("label[for='log-missed']").await?.click().await?;
    browser.wait_for("label[for='log-abandoned']").await?.click().await?;
    browser.wait_for("label[for='what-id-open_case']").await?.click().await?;
    browser.wait_for("#logging-form button[type=submit]").await?.click().await?;

    let result = browser.wait_for("#saved-changes").await?;
    let mut lines = Vec::new();
    for line in result.find_all(Locator::Css("li")).await? {
        lines.push(line.text().await?);
    }
    assert_eq!(
        lines,
        [
            "Missed calls: logged → not logged",
            "Abandoned calls: logged → not logged",
            "Related to: Nothing → The Contact's most recent open Case",
        ]
    );

    // The server holds them, and a reload shows them.
    let stored = stack.admin_get("/api/v1/settings/logging").await?;
    assert_eq!(stored["log"]["missed"], false, "{stored}");
    assert_eq!(stored["log"]["abandoned"], false, "{stored}");
    assert_eq!(stored["log"]["voicemail"], true, "{stored}");
    assert_eq!(stored["what_id"], "open_case", "{stored}");
    browser.open_console(&stack, "logging").await?;
    assert!(!browser.wait_for("#log-missed").await?.is_selected().await?);
    assert!(browser.wait_for("#what-id-open_case").await?.is_selected().await?);

    // The history names each change.
    browser.click_to_page("#nav a[href='/console/history']").await?;
    let history = browser.text_of("#history").await?;
    assert!(history.contains("logging.missed ON → OFF"), "{history}");
    assert!(history.contains("logging.what_id \"none\" → \"open_case\""), "{history}");
    Ok(())
}

#[tokio::test]
async fn the_agents_page_maps_an_agent_to_a_salesforce_user_and_explains_a_wrong_id() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.click_to_page("#nav a[href='/console/agents']").await?;
    let row = format!("tr[data-user='{DEMO_AGENT_EMAIL}']");
    let input = browser.wait_for(&format!("{row} input[name='salesforce_user_id']")).await?;

    // A Lead's id is not a user's: the server's message is under the input, and nothing is stored.
    input.clear().await?;
    input.send_keys("00Q000000000002").await?;
    browser.wait_for(&format!("{row} button[type=submit]")).await?.click().await?;
    let error = browser.text_of(&format!("{row} .field-error:not([hidden])")).await?;
    assert!(error.contains("is not a Salesforce User id"), "{error}");
    assert_eq!(input.attr("aria-invalid").await?.as_deref(), Some("true"));

    // A User id (15 characters) is saved in its 18-character form.
    input.clear().await?;
    input.send_keys("005000000000001").await?;
    browser.wait_for(&format!("{row} button[type=submit]")).await?.click().await?;
    let status = browser.text_of(&format!("{row} [role=status][data-state='saved']")).await?;
    assert_eq!(status, "Saved.");
    let users = stack.admin_get("/api/v1/users").await?;
    let agent = users["users"].as_array().and_then(|users| users.iter().find(|user| user["email"] == DEMO_AGENT_EMAIL));
    let stored = agent.map(|agent| agent["salesforce_user_id"].clone());
    assert_eq!(stored, Some(serde_json::json!("005000000000001AAA")));
    browser.open_console(&stack, "agents").await?;
    let shown = browser.wait_for(&format!("{row} input[name='salesforce_user_id']")).await?.prop("value").await?;
    assert_eq!(shown.as_deref(), Some("005000000000001AAA"));
    Ok(())
}
