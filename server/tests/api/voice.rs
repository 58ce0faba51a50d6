//! Salesforce Voice's server side: `/api/v1/settings/voice` (settings, key pair, certificate), and the Telephony
//! Integration client writing VoiceCalls into the local org with the key the administrator generated.

use crate::helpers::{TestUser, api_test, assert_error};
use crate::org::{Linked, org_test};
use callpop_core::account::Plan;
use callpop_sandbox::faults::{Fault, FaultAction};
use callpop_server::salesforce::RetryClass;
use callpop_server::salesforce::telephony::{
    InitiationMethod, NewVoiceCall, Participant, TelephonyClient, VoiceCallUpdate,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CONTACT_CENTER: &str = "Acme_CC";
const CALLER: &str = "+14155552671";
const SUPPORT_LINE: &str = "+18005550100";

/// The administrator's PUT of the voice settings; the answer's status and body.
async fn put_settings(linked_app: &crate::helpers::TestApp, user: &TestUser, settings: &Value) -> (StatusCode, Value) {
    let response = linked_app.send_json(Method::PUT, Some(&user.token), "/api/v1/settings/voice", settings).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The administrator generates the key pair; the answer.
async fn generate_key_pair(app: &crate::helpers::TestApp, admin: &TestUser) -> Value {
    let response = app.post_json(Some(&admin.token), "/api/v1/settings/voice/key-pair", &json!({})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("a JSON body")
}

/// The certificate as the administrator downloads it.
async fn download_certificate(app: &crate::helpers::TestApp, admin: &TestUser) -> String {
    let response = app.get(Some(&admin.token), "/api/v1/settings/voice/certificate").await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(header("content-type"), "application/x-pem-file");
    assert!(header("content-disposition").contains("filename=\"callpop-telephony-integration.crt\""));
    response.text().await.expect("the certificate")
}

/// The settings on the local org's Telephony Integration API, the key pair generated and its certificate on the
/// org's contact center: what an administrator does before the first call; returns the account's client.
async fn set_up_voice(linked: &Linked) -> TelephonyClient {
    let base_url = format!("{}/telephony/v1", linked.org.base_url());
    let settings = json!({"host": "both", "contact_center_api_name": CONTACT_CENTER, "telephony_base_url": base_url});
    let (status, body) = put_settings(&linked.app, &linked.acme.admin, &settings).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    generate_key_pair(&linked.app, &linked.acme.admin).await;
    let certificate = download_certificate(&linked.app, &linked.acme.admin).await;
    linked.org.set_contact_center(CONTACT_CENTER, &certificate).expect("the org takes the certificate");
    linked.app.sync.telephony_client(linked.acme.account.id).await.expect("a client for the account")
}

fn inbound_call(call_id: &str) -> NewVoiceCall {
    NewVoiceCall {
        vendor_call_key: call_id.to_owned(),
        from: CALLER.to_owned(),
        to: SUPPORT_LINE.to_owned(),
        initiation_method: InitiationMethod::Inbound,
        start_time: chrono::Utc::now(),
        participants: vec![Participant::caller(CALLER)],
        parent_voice_call_id: None,
        call_origin: None,
    }
}

/// The org's VoiceCalls whose vendor call key is `call_id`.
fn voice_calls_of(linked: &Linked, call_id: &str) -> Vec<callpop_sandbox::org::Record> {
    linked.org.records("VoiceCall").into_iter().filter(|call| call.text("VendorCallKey") == Some(call_id)).collect()
}

api_test! {
    async fn administrators_set_the_voice_settings_bad_ones_are_refused_by_name_and_changes_are_audited(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let (status, settings) = app.get_json(&acme.admin, "/api/v1/settings/voice").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings, json!({"host": "open_cti", "contact_center_api_name": null, "telephony_base_url": null,
            "key_pair_generated_at": null}));

        for (bad, field) in [
            (json!({"host": "salesforce_voice", "telephony_base_url": "https://acme.my.salesforce-scrt.com/telephony/v1"}), "contact_center_api_name"),
            (json!({"host": "both", "contact_center_api_name": "Acme_CC"}), "telephony_base_url"),
            (json!({"host": "both", "contact_center_api_name": "Acme CC", "telephony_base_url": "https://acme.my.salesforce-scrt.com/telephony/v1"}), "contact_center_api_name"),
            (json!({"host": "both", "contact_center_api_name": "Acme_CC", "telephony_base_url": "http://acme.my.salesforce-scrt.com/telephony/v1"}), "telephony_base_url"),
        ] {
            let (status, body) = put_settings(&app, &acme.admin, &bad).await;
            assert_error(status, &body, 422, "invalid_field", Some(field));
        }
        let (status, body) = put_settings(&app, &acme.admin, &json!({"host": "voice"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["message"].as_str().unwrap_or_default().contains("host"), "{body}");

        let good = json!({"host": "both", "contact_center_api_name": "Acme_CC",
            "telephony_base_url": "https://acme.my.salesforce-scrt.com/telephony/v1/"});
        let (status, saved) = put_settings(&app, &acme.admin, &good).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["telephony_base_url"], "https://acme.my.salesforce-scrt.com/telephony/v1");
        let (_, read) = app.get_json(&acme.admin, "/api/v1/settings/voice").await;
        assert_eq!((read["host"].as_str(), read["contact_center_api_name"].as_str()), (Some("both"), Some("Acme_CC")));

        let (_, history) = app.get_json(&acme.admin, "/api/v1/settings/salesforce/changes").await;
        let changed: Vec<(&str, &Value, &Value)> = history["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|change| (change["setting"].as_str().unwrap(), &change["old_value"], &change["new_value"]))
            .collect();
        assert_eq!(changed, [
            ("voice.telephony_base_url", &Value::Null, &json!("https://acme.my.salesforce-scrt.com/telephony/v1")),
            ("voice.contact_center_api_name", &Value::Null, &json!("Acme_CC")),
            ("voice.host", &json!("open_cti"), &json!("both")),
        ]);

        for user in [&acme.agent, &acme.manager, &acme.reports] {
            let (status, body) = app.get_json(user, "/api/v1/settings/voice").await;
            assert_error(status, &body, 403, "forbidden", None);
            let (status, _) = put_settings(&app, user, &good).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            let response = app.post_json(Some(&user.token), "/api/v1/settings/voice/key-pair", &json!({})).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            let response = app.get(Some(&user.token), "/api/v1/settings/voice/certificate").await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
    }
}

api_test! {
    async fn the_key_pair_is_generated_its_private_key_stored_sealed_and_only_its_certificate_downloaded(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let response = app.get(Some(&acme.admin.token), "/api/v1/settings/voice/certificate").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "no certificate before the first key pair");

        let first = generate_key_pair(&app, &acme.admin).await;
        assert_eq!(first["replaced"], false);
        assert_eq!(first["certificate_url"], "/api/v1/settings/voice/certificate");
        assert!(!first.to_string().contains("PRIVATE KEY"), "{first}");
        let certificate = download_certificate(&app, &acme.admin).await;
        assert!(certificate.starts_with("-----BEGIN CERTIFICATE-----"), "{certificate}");
        assert!(!certificate.contains("PRIVATE KEY"));
        let stored = app.store.voice(acme.account.id).await.unwrap().key_pair.expect("a stored key pair");
        assert!(stored.sealed_private_key.starts_with("v1."), "sealed like the org's tokens");
        assert!(!stored.sealed_private_key.contains("PRIVATE KEY"));

        let second = generate_key_pair(&app, &acme.admin).await;
        assert_eq!(second["replaced"], true);
        assert!(second["next_step"].as_str().unwrap_or_default().contains("upload the new certificate"), "{second}");
        assert_ne!(download_certificate(&app, &acme.admin).await, certificate, "generating again replaces the pair");
        let (_, settings) = app.get_json(&acme.admin, "/api/v1/settings/voice").await;
        assert!(settings["key_pair_generated_at"].as_str().is_some(), "{settings}");
    }
}

org_test! {
    async fn the_client_creates_and_updates_a_voice_call_in_the_org_with_the_generated_key(linked: Linked) {
        // Arrange
        let client = set_up_voice(&linked).await;

        // Act
        let voice_call_id = client.create_voice_call(&inbound_call("CA-VOICE")).await.expect("the org creates it");
        let ended = chrono::Utc::now();
        let update = VoiceCallUpdate { end_time: Some(ended), longest_hold_duration: Some(12), number_of_holds: Some(1),
            ..VoiceCallUpdate::default() };
        client.update_voice_call(&voice_call_id, &update).await.expect("the org takes the update");

        // Assert: the org has one VoiceCall for the call, on the contact center, ended.
        let calls = voice_calls_of(&linked, "CA-VOICE");
        assert_eq!(calls.len(), 1, "{calls:#?}");
        let call = &calls[0];
        assert_eq!(call.id.as_str(), voice_call_id);
        assert_eq!((call.text("FromPhoneNumber"), call.text("CallType")), (Some(CALLER), Some("Inbound")));
        let center = linked.org.org().lock().telephony.contact_center(CONTACT_CENTER).cloned().expect("the center");
        assert_eq!(call.text("CallCenterId"), Some(center.call_center_id.as_str()));
        assert_eq!(call.text("CallDisposition"), Some("completed"));
        assert!(call.text("CallEndDateTime").is_some(), "{call:#?}");
        assert_eq!((call.fields["NumberOfHolds"].as_i64(), call.fields["LongestHoldDuration"].as_i64()), (Some(1), Some(12)));
    }
}

org_test! {
    async fn a_create_whose_answer_is_lost_after_commit_is_sent_again_and_leaves_one_voice_call(linked: Linked) {
        // Arrange
        let client = set_up_voice(&linked).await;
        linked.org.inject(Fault::on("POST", "/telephony/v1/voiceCalls", FaultAction::CommitThenDrop).times(1));

        // Act: the first create commits but its answer never comes; the retry signs a new token.
        let lost = client.create_voice_call(&inbound_call("CA-LOST")).await.expect_err("the answer is lost");
        let retried = client.create_voice_call(&inbound_call("CA-LOST")).await.expect("the retry answers");

        // Assert
        assert_eq!(lost.retry_class(), RetryClass::Transient, "{lost}");
        let calls = voice_calls_of(&linked, "CA-LOST");
        assert_eq!(calls.len(), 1, "{calls:#?}");
        assert_eq!(calls[0].id.as_str(), retried);
        assert_eq!(linked.org.request_count(Some("POST"), "/telephony/v1/voiceCalls"), 2);
    }
}

org_test! {
    async fn a_certificate_regenerated_but_not_uploaded_gets_the_orgs_refusal(linked: Linked) {
        // Arrange: the org has the first certificate; the administrator generates a new pair and does not upload it.
        set_up_voice(&linked).await;
        let answer = generate_key_pair(&linked.app, &linked.acme.admin).await;
        assert_eq!(answer["replaced"], true);
        let client = linked.app.sync.telephony_client(linked.acme.account.id).await.expect("a client");

        // Act
        let refused = client.create_voice_call(&inbound_call("CA-NEW-KEY")).await.expect_err("the org refuses it");

        // Assert: a 401 INVALID_JWT, reported as a refused token that parks rather than retries; nothing written.
        assert_eq!(refused.status(), Some(401), "{refused}");
        assert!(refused.is_refused_telephony_token(), "{refused}");
        assert_eq!(refused.retry_class(), RetryClass::Park);
        assert!(refused.to_string().contains("INVALID_JWT"), "{refused}");
        assert!(voice_calls_of(&linked, "CA-NEW-KEY").is_empty());
    }
}
