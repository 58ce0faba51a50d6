//! Measures the softphone in headless Chromium as an agent meets it, on loopback with the local org:
//!
//! - its boot with a warm cache: the frame reloaded (the bundle in the browser's cache, the agent signed in by the
//!   partitioned cookie), from the frame's navigation to the stream being live (`performance.mark("callpop-live")`,
//!   which the softphone sets);
//! - its boot with an empty cache: a new browser profile, from the frame's navigation to the sign-in form
//!   (`performance.mark("callpop-ready")`);
//! - the pop: from the agent's click on Answer (the call rang a moment before, as a person takes a moment to click)
//!   to the org's page receiving the `screenPop` message, both read on the browser's one clock.
//!
//! `cargo run -p callpop-e2e --example softphone_timing [samples]` (the bundle built by `cargo xtask build-wasm`;
//! `CALLPOP_STATIC_DIR` names another build). A measurement, not a test: nothing here fails for being slow.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, Stack};
use callpop_sandbox::seed::numbers;
use std::time::Duration;

/// The p50 and p99 (nearest rank) of `samples`, in ms.
fn percentiles(mut samples: Vec<f64>) -> String {
    samples.sort_by(f64::total_cmp);
    let rank = |p: f64| samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    format!("p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)", rank(0.5), rank(0.99), rank(1.0), samples.len())
}

/// A value the page computes, waited for (the mark appears a moment after the frame is entered).
async fn wait_for_number(browser: &Browser, script: &str) -> anyhow::Result<f64> {
    for _ in 0..200 {
        if let Some(number) = browser.eval(script).await?.as_f64() {
            return Ok(number);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("the page never answered `{script}`")
}

const LIVE_AT: &str =
    "const mark = performance.getEntriesByName('callpop-live')[0]; return mark ? mark.startTime : null;";
const READY_AT: &str =
    "const mark = performance.getEntriesByName('callpop-ready')[0]; return mark ? mark.startTime : null;";

async fn warm_boots(stack: &Stack, samples: usize) -> anyhow::Result<Vec<f64>> {
    let browser = Browser::start().await?;
    browser.client.goto(&stack.page_url(Ui::Lightning)).await?;
    browser.sign_in_agent().await?;
    let mut boots = Vec::new();
    for _ in 0..samples {
        browser.reload_softphone().await?;
        boots.push(wait_for_number(&browser, LIVE_AT).await?);
    }
    Ok(boots)
}

async fn empty_cache_boots(stack: &Stack, samples: usize) -> anyhow::Result<Vec<f64>> {
    let mut boots = Vec::new();
    for _ in 0..samples {
        let browser = Browser::start().await?;
        browser.client.goto(&stack.page_url(Ui::Lightning)).await?;
        browser.enter_softphone().await?;
        boots.push(wait_for_number(&browser, READY_AT).await?);
    }
    Ok(boots)
}

async fn pops(stack: &Stack, samples: usize) -> anyhow::Result<Vec<f64>> {
    let browser = Browser::start().await?;
    browser.client.goto(&stack.page_url(Ui::Lightning)).await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    browser
        .eval(
            "window.__pops = []; window.addEventListener('message', (event) => {
               if (event.data && event.data.methodName === 'screenPop') {
                 window.__pops.push(performance.timeOrigin + performance.now());
               }
             }, true); return true;",
        )
        .await?;
    let mut pops = Vec::new();
    for index in 0..samples {
        let call_id = format!("TIMING-{index}");
        stack.post_call_event(&call_id, "ringing", numbers::ONE_CONTACT).await?;
        browser.enter_softphone().await?;
        browser.wait_for(&format!("[data-answer='{call_id}']")).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let clicked = browser
            .eval(&format!(
                "const at = performance.timeOrigin + performance.now();
                 document.querySelector(\"[data-answer='{call_id}']\").click(); return at;"
            ))
            .await?
            .as_f64()
            .unwrap_or_default();
        browser.wait_for(&format!("article.call[data-call-id='{call_id}'] [data-status='In call']")).await?;
        browser.leave_softphone().await?;
        let received =
            wait_for_number(&browser, &format!("return window.__pops.find((at) => at >= {clicked}) ?? null;")).await?;
        pops.push(received - clicked);
        stack.post_call_event(&call_id, "completed", numbers::ONE_CONTACT).await?;
    }
    Ok(pops)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let samples = std::env::args().nth(1).and_then(|samples| samples.parse().ok()).unwrap_or(30);
    let stack = Stack::start().await?;
    println!("boot, warm cache (frame navigation → live): {}", percentiles(warm_boots(&stack, samples).await?));
    println!(
        "boot, empty cache (frame navigation → sign-in form): {}",
        percentiles(empty_cache_boots(&stack, samples.min(10)).await?)
    );
    println!("Answer → screenPop received by the org page: {}", percentiles(pops(&stack, samples).await?));
    Ok(())
}
