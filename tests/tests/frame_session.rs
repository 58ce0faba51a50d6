//! The softphone in Salesforce's frame, where the org is another site: what the browser keeps for a third-party
//! frame decides whether the agent stays signed in across reloads. With third-party cookies blocked (and allowed),
//! the partitioned session cookie keeps them signed in; where the browser keeps nothing, the session lasts as long
//! as the page and the softphone says why a reload will ask again. Signing out ends the session on the server.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, DEMO_PASSWORD, Stack, ThirdParty, eventually};
use callpop_sandbox::seed::numbers;

/// Records, inside the softphone's frame, the session token the next sign-in receives (`window.signedInToken`), the
/// way an attacker who stole it would hold it.
const CAPTURE_TOKEN: &str = "const original = window.fetch;
    window.fetch = async (request, init) => {
      const response = await original(request, init);
      if (String(request.url || request).endsWith('/api/v1/sessions') && response.status === 201) {
        window.signedInToken = (await response.clone().json()).token;
      }
      return response;
    };
    return true;";

/// The org's page for `ui` open in Chromium in `world`, inside the softphone, before anyone signed in.
async fn open_softphone(ui: Ui, world: ThirdParty) -> anyhow::Result<(Stack, Browser)> {
    let stack = Stack::start().await?;
    let browser = Browser::start_in(world).await?;
    browser.client.goto(&stack.page_url(ui)).await?;
    browser.enter_softphone().await?;
    Ok((stack, browser))
}

/// Types the demo agent's email and password into the softphone and waits for the stream.
async fn sign_in(browser: &Browser) -> anyhow::Result<()> {
    browser.wait_for("#signin-email").await?.send_keys(callpop_e2e::DEMO_AGENT_EMAIL).await?;
    browser.wait_for("#signin-password").await?.send_keys(DEMO_PASSWORD).await?;
    browser.wait_for("#signin-form button[type=submit]").await?.click().await?;
    browser.wait_for("#connection[data-connection='live']").await?;
    Ok(())
}

/// Whether the element `css` is shown (present and not hidden by any rule).
async fn shown(browser: &Browser, css: &str) -> anyhow::Result<bool> {
    Ok(browser.wait_for(css).await?.is_displayed().await?)
}

/// Rings, answers and checks the pop of a known Contact and the append the server got for it.
async fn ring_answer_and_pop(stack: &Stack, browser: &Browser, call_id: &str) -> anyhow::Result<()> {
    stack.post_call_event(call_id, "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for(&format!("[data-answer='{call_id}']")).await?.click().await?;
    browser.wait_for(&format!("article.call[data-call-id='{call_id}'] [data-status='In call']")).await?;
    let ada = stack.org_records_where("Contact", "LastName", "Lovelace").await?;
    let ada_id = ada[0]["Id"].as_str().unwrap_or_default().to_owned();
    let appended =
        eventually("the append", || async { Ok(Some(stack.appends(call_id).await?).filter(|a| !a.is_empty())) })
            .await?;
    assert_eq!(appended, [(ada_id, "single_match".to_owned())]);
    Ok(())
}

/// Signed in once, the agent is still signed in after reloads, and signing out revokes the session.
async fn signed_in_across_reloads(ui: Ui, world: ThirdParty) -> anyhow::Result<()> {
    let (stack, browser) = open_softphone(ui, world).await?;
    let storage = browser.eval("try { localStorage.length; return 'usable'; } catch (e) { return e.name; }").await?;
    assert_eq!(storage, "usable", "a third-party frame gets partitioned storage in this world");
    // The world is what it says: the frame has its unpartitioned cookies only where third-party cookies are allowed.
    let unpartitioned = browser.eval("return document.hasStorageAccess();").await?;
    assert_eq!(unpartitioned, world == ThirdParty::Allowed, "unpartitioned cookie access in {world:?}");
    // Before sign-in: only the form. The agent's footer and the call list stay hidden.
    assert!(shown(&browser, "#signin").await?);
    assert!(!shown(&browser, "#me").await? && !shown(&browser, "#calls").await?, "no footer or calls before sign-in");

    browser.eval(CAPTURE_TOKEN).await?;
    sign_in(&browser).await?;
    let token = browser.eval("return window.signedInToken;").await?.as_str().unwrap_or_default().to_owned();
    assert!(token.starts_with("cps_"), "the sign-in's token: {token}");
    assert!(!shown(&browser, "#session-note").await?, "nothing to explain: the browser keeps the session");
    assert!(shown(&browser, "#me").await?);

    // The org page reloads (F5), then the softphone alone: signed in both times, without the form.
    browser.reload_page().await?;
    browser.wait_for("#connection[data-connection='live']").await?;
    assert!(!shown(&browser, "#signin").await?);
    assert_eq!(browser.text_of("#me-email").await?, callpop_e2e::DEMO_AGENT_EMAIL);
    browser.reload_softphone().await?;
    browser.wait_for("#connection[data-connection='live']").await?;
    ring_answer_and_pop(&stack, &browser, "CA-frame-1").await?;

    // Signing out ends the session on the server: the stolen token is refused, and a reload asks again.
    browser.wait_for("#sign-out").await?.click().await?;
    browser.wait_for("#signin:not([hidden])").await?;
    assert!(!shown(&browser, "#signin-error").await?, "a sign-out is not an error");
    let status = reqwest::Client::new()
        .get(format!("{}/api/v1/me", stack.server_url))
        .bearer_auth(&token)
        .send()
        .await?
        .status();
    assert_eq!(status.as_u16(), 401, "the old token after sign-out");
    browser.reload_page().await?;
    browser.wait_for("#signin:not([hidden])").await?;
    assert!(!shown(&browser, "#signin-error").await?);
    Ok(())
}

#[tokio::test]
async fn lightning_keeps_the_agent_signed_in_with_third_party_cookies_blocked() -> anyhow::Result<()> {
    signed_in_across_reloads(Ui::Lightning, ThirdParty::Blocked).await
}

#[tokio::test]
async fn classic_keeps_the_agent_signed_in_with_third_party_cookies_blocked() -> anyhow::Result<()> {
    signed_in_across_reloads(Ui::Classic, ThirdParty::Blocked).await
}

#[tokio::test]
async fn lightning_keeps_the_agent_signed_in_with_third_party_cookies_allowed() -> anyhow::Result<()> {
    signed_in_across_reloads(Ui::Lightning, ThirdParty::Allowed).await
}

#[tokio::test]
async fn where_the_browser_keeps_nothing_the_session_lasts_the_page_and_the_softphone_says_so() -> anyhow::Result<()> {
    let (stack, browser) = open_softphone(Ui::Lightning, ThirdParty::NothingKept).await?;
    let storage = browser.eval("try { localStorage.length; return 'usable'; } catch (e) { return e.name; }").await?;
    assert_eq!(storage, "SecurityError", "this world's frame has no storage");

    sign_in(&browser).await?;
    let note = browser.text_of("#session-note").await?;
    assert_eq!(
        note,
        "This browser keeps nothing for callpop inside Salesforce, so after a reload you will be asked to sign in again."
    );
    // The page's session works: calls ring, pop and are appended.
    ring_answer_and_pop(&stack, &browser, "CA-frame-2").await?;

    // A reload asks again, once, without an error and without requests failing behind the form.
    browser.reload_page().await?;
    browser.wait_for("#signin:not([hidden])").await?;
    assert!(!shown(&browser, "#signin-error").await?, "a reload is not an error");
    assert_eq!(browser.wait_for("#connection").await?.attr("data-connection").await?.as_deref(), Some("none"));
    sign_in(&browser).await?;
    assert!(shown(&browser, "#session-note").await?);
    Ok(())
}
