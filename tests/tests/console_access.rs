//! The admin console's front door in a real browser: signing in (and a wrong password), the overview of who is
//! signed in, the navigation each role gets, the 403 page for a page a role may not open, signing out, and the
//! layout at laptop widths with labelled controls, readable contrast and a keyboard path.

use callpop_e2e::{ADMIN_EMAIL, Browser, Stack, start_console};
use fantoccini::Locator;

/// The navigation's links, in order.
async fn navigation(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let mut titles = Vec::new();
    for link in browser.client.find_all(Locator::Css("#nav a")).await? {
        titles.push(link.text().await?);
    }
    Ok(titles)
}

#[tokio::test]
async fn an_admin_signs_in_after_a_wrong_password_and_lands_on_the_page_they_asked_for() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;

    // Without a session, a console page sends the browser to sign-in, remembering where it was going.
    browser.open_console(&stack, "api-keys").await?;
    browser.wait_for("#sign-in-form").await?;
    assert!(browser.client.current_url().await?.as_str().ends_with("/console/sign-in?next=%2Fconsole%2Fapi-keys"));
    assert!(browser.unlabelled_controls().await?.is_empty(), "every control on the sign-in page has a label");

    browser.wait_for("#sign-in-email").await?.send_keys(ADMIN_EMAIL).await?;
    browser.wait_for("#sign-in-password").await?.send_keys("not the password").await?;
    browser.wait_for("#sign-in-form button[type=submit]").await?.click().await?;
    let error = browser.text_of("#sign-in-form > .form-error:not([hidden])").await?;
    assert_eq!(error, "the email or the password is wrong");

    browser.wait_for("#sign-in-password").await?.clear().await?;
    browser.wait_for("#sign-in-password").await?.send_keys(callpop_e2e::DEMO_PASSWORD).await?;
    browser.click_to_page("#sign-in-form button[type=submit]").await?;
    browser.wait_for("#main[data-page='api-keys'] #api-keys").await?;
    let header = browser.text_of("#who").await?;
    assert!(header.contains("Demo Call Centre") && header.contains("Enterprise plan"), "{header}");
    assert!(header.contains("Ada Admin") && header.contains("Administrator"), "{header}");
    Ok(())
}

#[tokio::test]
async fn the_overview_says_who_you_are_and_links_every_page_an_administrator_can_open() -> anyhow::Result<()> {
    let (_stack, browser) = start_console(ADMIN_EMAIL).await?;

    assert_eq!(browser.text_of("#main h1").await?, "Welcome, Ada Admin");
    let facts = browser.text_of("#main .facts").await?;
    for expected in [ADMIN_EMAIL, "Administrator", "Demo Call Centre", "Enterprise (includes Salesforce)"] {
        assert!(facts.contains(expected), "the overview shows {expected}: {facts}");
    }
    assert_eq!(
        navigation(&browser).await?,
        [
            "Overview",
            "Call log",
            "Text log",
            "Integration options",
            "Wrap-up",
            "Settings history",
            "Call logging",
            "Agents",
            "Call center",
            "Salesforce Voice",
            "Salesforce connection",
            "Preflight check",
            "Triggers",
            "Sync log",
            "API keys"
        ]
    );
    let mut linked = Vec::new();
    for card in browser.client.find_all(Locator::Css("[data-link]")).await? {
        linked.push(card.attr("data-link").await?.unwrap_or_default());
    }
    assert_eq!(
        linked,
        [
            "calls",
            "texts",
            "options",
            "wrap-up",
            "history",
            "logging",
            "agents",
            "call-center",
            "voice",
            "salesforce",
            "preflight",
            "triggers",
            "sync-log",
            "api-keys"
        ]
    );
    assert_eq!(
        browser.wait_for("#nav a[aria-current='page']").await?.text().await?,
        "Overview",
        "the navigation marks the page you are on"
    );
    Ok(())
}

#[tokio::test]
async fn a_call_agent_sees_only_the_logs_and_gets_a_403_page_for_the_settings() -> anyhow::Result<()> {
    let (stack, browser) = start_console("agent@demo.callpop.test").await?;
    assert_eq!(navigation(&browser).await?, ["Overview", "Call log", "Text log"]);
    let overview = browser.text_of("#main").await?;
    assert!(overview.contains("You see the calls and texts assigned to you."), "{overview}");

    for (page, title) in [("options", "Integration options"), ("api-keys", "API keys"), ("call-center", "Call center")]
    {
        browser.open_console(&stack, page).await?;
        let refusal = browser.wait_for("[data-refusal='forbidden']").await?;
        assert_eq!(refusal.find(Locator::Css("h1")).await?.text().await?, format!("You do not have access to {title}"));
        let text = refusal.text().await?;
        assert!(text.contains("You are signed in as Alex Agent (Call agent)"), "{text}");
        assert!(
            text.contains(
                "The server answered 403: This needs the administrator role; you are signed in as call_agent."
            ),
            "the server's own reason is shown: {text}"
        );
    }

    // Signing out ends the session: the console asks for a sign-in again.
    browser.open_console(&stack, "").await?;
    browser.click_to_page("#sign-out").await?;
    browser.wait_for("#sign-in-form").await?;
    browser.open_console(&stack, "calls").await?;
    browser.wait_for("#sign-in-form").await?;
    Ok(())
}

#[tokio::test]
async fn a_page_that_does_not_exist_says_so() -> anyhow::Result<()> {
    let (stack, browser) = start_console(ADMIN_EMAIL).await?;
    browser.open_console(&stack, "reports").await?;
    assert_eq!(browser.text_of("[data-refusal='not-found'] h1").await?, "There is no such page");
    Ok(())
}

#[tokio::test]
async fn every_page_fits_a_1024_pixel_laptop_labels_every_control_and_meets_contrast() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    stack.post_logged_call("FIT-1", "+14155552671", "agent@demo.callpop.test", "Google Ads").await?;
    stack.record_sync("FIT-1").await?;
    let browser = Browser::start().await?;
    browser.set_viewport(1024, 768).await?;
    browser.sign_in_console(&stack, ADMIN_EMAIL).await?;
    for page in [
        "",
        "calls",
        "calls?call=FIT-1",
        "texts",
        "options",
        "wrap-up",
        "history",
        "call-center",
        "api-keys",
        "salesforce",
        "preflight",
        "triggers",
        "sync-log",
    ] {
        browser.open_console(&stack, page).await?;
        let widths = browser.eval("return [document.documentElement.scrollWidth, window.innerWidth];").await?;
        assert!(widths[0].as_u64() <= widths[1].as_u64(), "/console/{page} scrolls sideways at 1024 px: {widths}");
        assert_eq!(browser.unlabelled_controls().await?, Vec::<String>::new(), "/console/{page}");
        assert_eq!(browser.low_contrast_text().await?, Vec::<String>::new(), "/console/{page} meets WCAG AA contrast");
    }

    // The keyboard's first stop is the skip link, which takes it to the page.
    browser.open_console(&stack, "calls").await?;
    browser.wait_for("body").await?.send_keys("\u{E004}").await?;
    let first = browser.eval("return document.activeElement.className;").await?;
    assert_eq!(first, "skip-link");
    Ok(())
}
