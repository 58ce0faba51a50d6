//! The softphone in the org's Salesforce Classic Service Console (softphone in the footer, `sforce.interaction`),
//! with the default options: auto-create on, the multi-match dialog on.

use callpop_core::open_cti::Ui;
use callpop_e2e::{eventually, start_signed_in};
use callpop_sandbox::seed::numbers;

#[tokio::test]
async fn a_known_contact_is_popped_by_url_in_a_console_tab() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Classic).await?;
    stack.post_call_event("CL-1", "ringing", numbers::ONE_CONTACT).await?;
    browser.wait_for("[data-answer='CL-1']").await?.click().await?;
    browser.wait_for("[data-call-id='CL-1'] [data-status='In call']").await?;

    browser.leave_softphone().await?;
    let ada = stack.org_records_where("Contact", "LastName", "Lovelace").await?;
    let ada_id = ada[0]["Id"].as_str().unwrap_or_default().to_owned();
    browser.wait_for(&format!("[data-page='record'][data-record-id='{ada_id}']")).await?;
    browser.wait_for(&format!("[role=tab][aria-selected='true'][data-tab-url='/{}']", &ada_id[..15])).await?;

    let log = eventually("the pop in the log", || async {
        let log = stack.opencti_log().await?;
        Ok(log.iter().any(|entry| entry.method == "screenPop").then_some(log))
    })
    .await?;
    assert!(log.iter().all(|entry| entry.ui == "classic"), "only Classic calls: {log:#?}");
    let pops: Vec<_> = log.iter().filter(|entry| entry.method == "screenPop").collect();
    assert_eq!(pops.len(), 1, "{log:#?}");
    assert_eq!(pops[0].args[0], format!("/{}", &ada_id[..15]));
    assert_eq!(
        log.iter().filter(|entry| entry.method == "searchAndGetScreenPopUrl").count(),
        1,
        "searched without popping"
    );
    Ok(())
}

#[tokio::test]
async fn a_new_caller_gets_a_lead_created_and_popped() -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(Ui::Classic).await?;
    stack.post_call_event("CL-2", "ringing", numbers::NOBODY).await?;
    browser.wait_for("[data-answer='CL-2']").await?.click().await?;
    browser.wait_for("[data-call-id='CL-2'] [data-status='In call']").await?;

    let leads = stack.org_records_where("Lead", "Phone", numbers::NOBODY).await?;
    assert_eq!(leads.len(), 1, "auto-create stores exactly one Lead: {leads:#?}");
    assert_eq!(
        (leads[0]["LastName"].as_str(), leads[0]["Company"].as_str()),
        (Some("Unknown Caller"), Some("[not provided]"))
    );
    assert_eq!(leads[0]["LeadSource"], "Google Ads");
    let lead_id = leads[0]["Id"].as_str().unwrap_or_default().to_owned();

    browser.leave_softphone().await?;
    browser.wait_for(&format!("[data-page='record'][data-record-id='{lead_id}']")).await?;
    let log = stack.opencti_log().await?;
    let save_logs: Vec<_> = log.iter().filter(|entry| entry.method == "saveLog").collect();
    assert_eq!(save_logs.len(), 1, "{log:#?}");
    assert_eq!(save_logs[0].args[0], "Lead");
    let pops: Vec<_> =
        log.iter().filter(|entry| entry.method == "screenPop").map(|entry| entry.args[0].clone()).collect();
    assert_eq!(pops, [serde_json::json!(format!("/{}", &lead_id[..15]))], "the stored Lead is popped once");
    Ok(())
}
