//! Takes the screenshots the README shows (`cargo xtask screenshots`): the whole product on loopback, driven through
//! headless Chromium as an agent would use it, saved as PNG files under `docs/screenshots/`.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, Stack};
use callpop_sandbox::seed::numbers;
use std::path::PathBuf;

async fn save(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots"));
    std::fs::create_dir_all(&directory)?;
    let png = browser.client.screenshot().await?;
    std::fs::write(directory.join(format!("{name}.png")), png)?;
    println!("saved docs/screenshots/{name}.png");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.wait_for("[data-page='home']").await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    save(&browser, "lightning-idle").await?;

    stack.post_call_event("CA-shot-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-1']").await?;
    browser.leave_softphone().await?;
    save(&browser, "lightning-ringing").await?;

    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-1']").await?.click().await?;
    browser.wait_for("[data-status='In call']").await?;
    browser.leave_softphone().await?;
    browser.wait_for("[data-page='record']").await?;
    save(&browser, "lightning-popped").await?;

    stack.post_call_event("CA-shot-2", "ringing", numbers::SEVERAL).await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-2']").await?.click().await?;
    browser.wait_for("[role=listbox]").await?;
    browser.leave_softphone().await?;
    save(&browser, "lightning-several-matches").await?;

    let classic = Browser::start().await?;
    classic.client.goto(&stack.page_url(Ui::Classic)).await?;
    classic.sign_in_agent().await?;
    stack.post_call_event("CA-shot-3", "ringing", numbers::ONE_LEAD).await?;
    classic.wait_for("[data-answer='CA-shot-3']").await?.click().await?;
    classic.wait_for("[data-call-id='CA-shot-3'] [data-status='In call']").await?;
    classic.leave_softphone().await?;
    classic.wait_for("[data-page='record']").await?;
    save(&classic, "classic-popped").await?;
    Ok(())
}
