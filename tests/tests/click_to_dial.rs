//! Click-to-dial in both UIs: the agent clicks a number in Salesforce, the softphone asks the server to dial, the
//! telephony side places the call, and the outbound call shows in the softphone, logged to the record the agent
//! dialled from and never popped.

use callpop_core::open_cti::Ui;
use callpop_e2e::{Stack, eventually, per_ui, start_signed_in};

async fn ada(stack: &Stack) -> anyhow::Result<String> {
    let ada = stack.org_records_where("Contact", "LastName", "Lovelace").await?;
    Ok(ada[0]["Id"].as_str().unwrap_or_default().to_owned())
}

async fn dialling_from_a_record_places_a_logged_outbound_call(ui: Ui) -> anyhow::Result<()> {
    let (stack, browser) = start_signed_in(ui).await?;
    let ada = ada(&stack).await?;
    browser.leave_softphone().await?;
    browser.wait_for(&format!("tr[data-record-id='{ada}'] .click-to-dial:not([disabled])")).await?.click().await?;

    browser.enter_softphone().await?;
    let banner = browser.wait_for("#banner:not([hidden])").await?;
    assert_eq!(banner.text().await?, "Calling (415) 555-2671…");
    let pending = eventually("the dial request", || async {
        Ok(Some(stack.pending_dials().await?).filter(|pending| !pending.is_empty()))
    })
    .await?;
    assert_eq!(pending.len(), 1, "{pending:#?}");
    assert_eq!(pending[0]["number"], "+14155552671", "the server dials E.164");
    assert_eq!(
        (pending[0]["record_id"].as_str(), pending[0]["record_type"].as_str()),
        (Some(ada.as_str()), Some("Contact"))
    );

    stack.place_dial(&pending[0], "OUT-1").await?;
    let card = browser.wait_for("article.call[data-call-id='OUT-1']").await?;
    browser.wait_for("article.call[data-call-id='OUT-1'] [data-status='Dialling…']").await?;
    assert!(card.text().await?.to_lowercase().contains("outgoing"), "shown as an outgoing call");
    assert!(browser.client.find(fantoccini::Locator::Css("[data-answer='OUT-1']")).await.is_err(), "nothing to answer");
    browser.wait_for("#banner[hidden]").await?;

    assert!(stack.pending_dials().await?.is_empty(), "the request was taken");
    assert_eq!(stack.appends("OUT-1").await?, [(ada, "click_to_dial".to_owned())], "logged to the record dialled from");
    let log = stack.opencti_log().await?;
    assert!(
        log.iter().all(|entry| entry.method != "screenPop" && !entry.method.starts_with("searchAnd")),
        "never popped: {log:#?}"
    );
    let panel = if ui == Ui::Lightning { "setSoftphonePanelVisibility" } else { "setVisible" };
    assert!(log.iter().any(|entry| entry.method == panel), "the panel was shown: {log:#?}");
    Ok(())
}

per_ui!(
    dialling_from_a_record_places_a_logged_outbound_call:
    lightning_click_to_dial_places_a_logged_outbound_call,
    classic_click_to_dial_places_a_logged_outbound_call
);
