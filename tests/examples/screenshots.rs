//! Takes the screenshots the README shows: the whole product on loopback, driven through headless Chromium as an
//! agent uses it, saved as PNG files under `docs/screenshots/` (`cargo run -p callpop-e2e --example screenshots`).
//!
//! - `lightning-*.png`, `classic-popped.png`: the org's pages with the softphone, as an agent sees them;
//! - `softphone-<size>-<state>.png`: the softphone alone, idle, ringing, with the dialog and in a call, at the
//!   smallest size Salesforce allows (200 × 400) and at the Lightning utility bar's default (340 × 480).

use callpop_core::open_cti::Ui;
use callpop_e2e::{Browser, Stack};
use callpop_sandbox::seed::numbers;
use std::path::PathBuf;

fn directory() -> anyhow::Result<PathBuf> {
    let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots"));
    std::fs::create_dir_all(&directory)?;
    Ok(directory)
}

async fn save_page(browser: &Browser, name: &str) -> anyhow::Result<()> {
    std::fs::write(directory()?.join(format!("{name}.png")), browser.client.screenshot().await?)?;
    println!("saved docs/screenshots/{name}.png");
    Ok(())
}

/// Saves the softphone's frame alone (the browser must be on the org's page).
async fn save_softphone(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let frame = browser.wait_for("iframe#softphone").await?;
    std::fs::write(directory()?.join(format!("{name}.png")), frame.screenshot().await?)?;
    println!("saved docs/screenshots/{name}.png");
    Ok(())
}

/// The org's pages with the softphone: idle, ringing, a pop, the dialog, and Classic.
async fn org_pages(stack: &Stack) -> anyhow::Result<()> {
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.wait_for("[data-page='home']").await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-idle").await?;

    stack.post_call_event("CA-shot-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-1']").await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-ringing").await?;

    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-1']").await?.click().await?;
    browser.wait_for("[data-status='In call']").await?;
    browser.leave_softphone().await?;
    browser.wait_for("[data-page='record']").await?;
    save_page(&browser, "lightning-popped").await?;

    stack.post_call_event("CA-shot-2", "ringing", numbers::SEVERAL).await?;
    browser.enter_softphone().await?;
    browser.wait_for("[data-answer='CA-shot-2']").await?.click().await?;
    browser.wait_for("[role=listbox]").await?;
    browser.leave_softphone().await?;
    save_page(&browser, "lightning-several-matches").await?;

    let classic = Browser::start().await?;
    classic.client.goto(&stack.page_url(Ui::Classic)).await?;
    classic.sign_in_agent().await?;
    stack.post_call_event("CA-shot-3", "ringing", numbers::ONE_LEAD).await?;
    classic.wait_for("[data-answer='CA-shot-3']").await?.click().await?;
    classic.wait_for("[data-call-id='CA-shot-3'] [data-status='In call']").await?;
    classic.leave_softphone().await?;
    classic.wait_for("[data-page='record']").await?;
    save_page(&classic, "classic-popped").await
}

/// The softphone alone in each state, with the org's panel sized `width` × `height` (the frame's own size).
async fn softphone_states(label: &str, width: u32, height: u32) -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&stack.lightning_url()).await?;
    browser.wait_for("[data-page='home']").await?;
    // Size the frame itself; the panel grows around it.
    let resize = format!(
        "const panel = document.getElementById('softphone-panel'); panel.style.width = 'auto'; panel.style.height = 'auto';
         const frame = document.getElementById('softphone'); frame.style.flex = 'none';
         frame.style.width = '{width}px'; frame.style.height = '{height}px'; return true;"
    );
    browser.eval(&resize).await?;
    browser.sign_in_agent().await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-idle")).await?;

    let call_id = format!("{label}-1");
    stack.post_call_event(&call_id, "ringing", numbers::SEVERAL).await?;
    browser.enter_softphone().await?;
    let answer = browser.wait_for(&format!("[data-answer='{call_id}']")).await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-ringing")).await?;

    browser.enter_softphone().await?;
    answer.click().await?;
    browser.wait_for("[role=listbox]").await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-dialog")).await?;

    browser.enter_softphone().await?;
    browser.wait_for("[role=option][data-pick]").await?.click().await?;
    browser.wait_for(&format!("[data-call-id='{call_id}'] [data-status='In call']")).await?;
    browser.leave_softphone().await?;
    save_softphone(&browser, &format!("softphone-{label}-in-call")).await
}

/// Puts the four states of one size side by side, with a light grey rule around each, as the README shows them.
fn strip(label: &str) -> anyhow::Result<()> {
    let states = ["idle", "ringing", "dialog", "in-call"];
    let shots = states
        .iter()
        .map(|state| Ok(image::open(directory()?.join(format!("softphone-{label}-{state}.png")))?.to_rgba8()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (width, height) = (shots[0].width() + 2, shots[0].height() + 2);
    let rule = image::Rgba([201, 201, 201, 255]);
    let mut canvas = image::RgbaImage::from_pixel(width * 4, height, rule);
    for (index, shot) in shots.iter().enumerate() {
        image::imageops::overlay(&mut canvas, shot, i64::from(width) * index as i64 + 1, 1);
    }
    canvas.save(directory()?.join(format!("softphone-{label}.png")))?;
    println!("saved docs/screenshots/softphone-{label}.png");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    org_pages(&Stack::start().await?).await?;
    softphone_states("200x400", 200, 400).await?;
    softphone_states("340x480", 340, 480).await?;
    strip("200x400")?;
    strip("340x480")
}
