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

/// The org's VoiceCall custom field for the disposition, as the `salesforce/` project defines it.
fn add_disposition_field(linked: &Linked) {
    let field = serde_json::from_value(
        json!({"name": callpop_core::voice::DISPOSITION_FIELD, "type": "string", "length": 255}),
    )
    .expect("a custom field");
    linked.org.add_custom_field("VoiceCall", field).expect("a new VoiceCall field");
}

/// The call's one VoiceCall; fails when there is none or more than one.
#[track_caller]
fn the_voice_call_of(linked: &Linked, call_id: &str) -> callpop_sandbox::org::Record {
    let mut calls = voice_calls_of(linked, call_id);
    assert_eq!(calls.len(), 1, "the org has {} VoiceCalls for {call_id}: {calls:#?}", calls.len());
    calls.remove(0)
}

/// A Contact who calls from `(415) 555-0199`, as a user saved them in Salesforce; returns its id.
fn known_caller(linked: &Linked) -> String {
    linked.insert("Contact", &json!({"FirstName": "Vera", "LastName": "Voiceley", "Phone": "(415) 555-0199"}))
}

const KNOWN_CALLER: &str = "+14155550199";

org_test! {
    async fn a_call_gets_its_voice_call_while_it_rings_and_at_its_end_the_task_the_record_the_recording_and_the_disposition(linked: Linked) {
        // Arrange
        set_up_voice(&linked).await;
        add_disposition_field(&linked);
        linked.set_options(&json!({"local_number_format": true})).await;
        let contact = known_caller(&linked);

        // Act 1: the call rings.
        linked.ring("CA-V1", KNOWN_CALLER).await;

        // Assert 1: the VoiceCall exists while the call is live, in the account's number format.
        linked.wait_for_org("the ringing call's VoiceCall", |org| {
            org.records("VoiceCall").iter().any(|call| call.text("VendorCallKey") == Some("CA-V1"))
        }).await;
        let ringing = the_voice_call_of(&linked, "CA-V1");
        assert_eq!((ringing.text("CallType"), ringing.text("CallDisposition")), (Some("Inbound"), Some("new")));
        assert_eq!(ringing.text("FromPhoneNumber"), Some("(415) 555-0199"), "{ringing:#?}");

        // Act 2: answered, then over, with the telephony side's disposition and the recording.
        linked.event("CA-V1", "answered", 1, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.wait_for_org("the answered VoiceCall", |org| {
            org.records("VoiceCall").iter().any(|call| call.text("CallDisposition") == Some("in-progress"))
        }).await;
        let end = json!({"caller_number": KNOWN_CALLER, "duration_secs": 95, "disposition": "Quote sent",
                         "recording_url": "https://recordings.example.com/CA-V1.mp3"});
        linked.event("CA-V1", "completed", 3, &end).await;
        linked.settle().await;

        // Assert 2: one VoiceCall, completed, linked to the call's one Task and the Contact, with the recording and
        // the disposition; the Task is where legacy mode put it, as under Open CTI.
        let call = the_voice_call_of(&linked, "CA-V1");
        let task = linked.the_task_of("CA-V1");
        assert_eq!(task.text("WhoId"), Some(contact.as_str()));
        assert_eq!(call.text("CallDisposition"), Some("completed"));
        assert!(call.text("CallAcceptDateTime").is_some() && call.text("CallEndDateTime").is_some(), "{call:#?}");
        assert_eq!(call.text("ActivityId"), Some(task.id.as_str()));
        assert_eq!(call.text("RelatedRecordId"), Some(contact.as_str()));
        assert_eq!(call.text(callpop_core::voice::DISPOSITION_FIELD), Some("Quote sent"), "{call:#?}");
        let recording_id = call.text("CallRecordingId").expect("a recording").to_owned();
        let recording = linked.org.records("VoiceCallRecording").into_iter().find(|r| r.id.as_str() == recording_id);
        assert_eq!(
            recording.as_ref().and_then(|r| r.text("RecordingLocation")),
            Some("https://recordings.example.com/CA-V1.mp3")
        );
        assert_eq!(linked.org.request_count(Some("POST"), "/telephony/v1/voiceCalls"), 1);
    }
}

org_test! {
    async fn the_engine_sends_a_create_whose_answer_was_lost_again_and_the_call_keeps_one_voice_call(linked: Linked) {
        // Arrange
        set_up_voice(&linked).await;
        linked.org.inject(Fault::on("POST", "/telephony/v1/voiceCalls", FaultAction::CommitThenDrop).times(1));

        // Act
        linked.ring("CA-V2", KNOWN_CALLER).await;
        linked.event("CA-V2", "completed", 2, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.settle().await;

        // Assert: the create went twice, and the org has one VoiceCall, completed.
        assert_eq!(linked.org.request_count(Some("POST"), "/telephony/v1/voiceCalls"), 2);
        assert_eq!(the_voice_call_of(&linked, "CA-V2").text("CallDisposition"), Some("completed"));
        assert_eq!(linked.tasks_of("CA-V2").len(), 1);
    }
}

org_test! {
    async fn an_account_moved_from_open_cti_to_salesforce_voice_mid_call_loses_and_doubles_nothing(linked: Linked) {
        // Arrange: the administrator prepares Salesforce Voice but keeps Open CTI; a call rings.
        set_up_voice(&linked).await;
        let base_url = format!("{}/telephony/v1", linked.org.base_url());
        let settings = |host| json!({"host": host, "contact_center_api_name": CONTACT_CENTER, "telephony_base_url": base_url});
        let (status, body) = put_settings(&linked.app, &linked.acme.admin, &settings("open_cti")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        linked.ring("CA-BEFORE", KNOWN_CALLER).await;
        linked.settle().await;
        assert!(voice_calls_of(&linked, "CA-BEFORE").is_empty(), "Open CTI writes no VoiceCall");

        // Act: the switch, mid-call; the call ends, and the next one comes in under Salesforce Voice.
        let (status, body) = put_settings(&linked.app, &linked.acme.admin, &settings("salesforce_voice")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        linked.event("CA-BEFORE", "answered", 1, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.event("CA-BEFORE", "completed", 2, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.ring("CA-AFTER", KNOWN_CALLER).await;
        linked.event("CA-AFTER", "completed", 4, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.settle().await;

        // Assert: each call has one Task and one VoiceCall, completed, linked to that Task.
        for call_id in ["CA-BEFORE", "CA-AFTER"] {
            let task = linked.the_task_of(call_id);
            let call = the_voice_call_of(&linked, call_id);
            assert_eq!(call.text("CallDisposition"), Some("completed"), "{call_id}");
            assert_eq!(call.text("ActivityId"), Some(task.id.as_str()), "{call_id}");
        }
    }
}

org_test! {
    async fn a_voice_call_without_a_key_pair_is_parked_by_name_the_task_is_written_and_a_retry_after_the_fix_writes_it(linked: Linked) {
        // Arrange: Salesforce Voice chosen, but no key pair generated.
        let base_url = format!("{}/telephony/v1", linked.org.base_url());
        let settings = json!({"host": "both", "contact_center_api_name": CONTACT_CENTER, "telephony_base_url": base_url});
        let (status, body) = put_settings(&linked.app, &linked.acme.admin, &settings).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Act 1: a whole call.
        linked.ring("CA-NOKEY", KNOWN_CALLER).await;
        linked.event("CA-NOKEY", "completed", 2, &json!({"caller_number": KNOWN_CALLER})).await;

        // Assert 1: the Task is written; the VoiceCall's first item waits in the sync log saying what to do, and
        // the call's later VoiceCall item waits behind it.
        linked.wait_for_org("the call's Task, completed", |_| {
            linked.tasks_of("CA-NOKEY").iter().any(|task| task.text("Status") == Some("Completed"))
        }).await;
        let parked = loop {
            let log = linked.sync_log().await;
            if let Some(item) = log.iter().find(|item| item["error"]["code"] == "VOICE_NOT_SET_UP") {
                break item.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        };
        let message = parked["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("generate one (POST /api/v1/settings/voice/key-pair)"), "{parked:#}");
        assert!(voice_calls_of(&linked, "CA-NOKEY").is_empty());

        // Act 2: the administrator generates the key pair, uploads the certificate and retries the item.
        generate_key_pair(&linked.app, &linked.acme.admin).await;
        let certificate = download_certificate(&linked.app, &linked.acme.admin).await;
        linked.org.set_contact_center(CONTACT_CENTER, &certificate).expect("the org takes the certificate");
        let retry = format!("/api/v1/sync-log/{}/retry", parked["id"]);
        let response = linked.app.post_json(Some(&linked.acme.admin.token), &retry, &json!({})).await;
        assert!(response.status().is_success(), "{}", response.text().await.unwrap_or_default());
        linked.settle().await;

        // Assert 2: one VoiceCall, completed, linked to the Task.
        let call = the_voice_call_of(&linked, "CA-NOKEY");
        assert_eq!(call.text("CallDisposition"), Some("completed"));
        assert_eq!(call.text("ActivityId"), Some(linked.the_task_of("CA-NOKEY").id.as_str()));
    }
}

org_test! {
    async fn the_call_center_download_gives_the_contact_center_of_salesforce_voice_with_its_certificate(linked: Linked) {
        // Arrange: before any voice settings, asking for Salesforce Voice's definition names what is missing.
        let voice_xml = "/api/v1/call-center.xml?host=salesforce_voice";
        let refused = linked.app.get(Some(&linked.acme.admin.token), voice_xml).await;
        let status = refused.status();
        assert_error(status, &refused.json().await.expect("a JSON error"), 409, "voice_not_set_up", None);
        set_up_voice(&linked).await;
        let certificate = download_certificate(&linked.app, &linked.acme.admin).await;

        // Act: the account is on both hosts, so the plain download stays Open CTI's and Voice's is asked by name.
        let open_cti = linked.app.get(Some(&linked.acme.admin.token), "/api/v1/call-center.xml").await;
        let open_cti = open_cti.text().await.expect("the XML");
        let voice = linked.app.get(Some(&linked.acme.admin.token), voice_xml).await;
        let disposition = voice.headers().get("content-disposition").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let voice = voice.text().await.expect("the XML");

        // Assert
        assert!(open_cti.contains("name=\"reqAdapterUrl\""), "{open_cti}");
        assert_eq!(disposition.as_deref(), Some("attachment; filename=\"callpop-contact-center.xml\""));
        assert!(voice.contains(&format!(">{CONTACT_CENTER}</item>")), "{voice}");
        assert!(voice.contains("name=\"reqVendorInfoApiName\""), "{voice}");
        assert!(voice.contains(certificate.trim()), "{voice}");
    }
}

org_test! {
    async fn the_agents_disposition_saved_after_the_call_ended_reaches_the_voice_call_and_clearing_it_clears_it(linked: Linked) {
        // Arrange: the account's dispositions, and a call on Salesforce Voice that ended with the telephony side's.
        set_up_voice(&linked).await;
        add_disposition_field(&linked);
        let settings = json!({"dispositions": ["Sale", "Not interested"], "wrap_up_secs": 60});
        let response =
            linked.app.send_json(Method::PUT, Some(&linked.acme.admin.token), "/api/v1/settings/wrap-up", &settings).await;
        assert_eq!(response.status(), StatusCode::OK);
        linked.ring("CA-ACW", KNOWN_CALLER).await;
        linked.event("CA-ACW", "answered", 1, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.event("CA-ACW", "completed", 2, &json!({"caller_number": KNOWN_CALLER, "disposition": "Quote sent"})).await;
        linked.settle().await;
        let disposition = |linked: &Linked| {
            the_voice_call_of(linked, "CA-ACW").text(callpop_core::voice::DISPOSITION_FIELD).map(str::to_owned)
        };
        assert_eq!(disposition(&linked).as_deref(), Some("Quote sent"));
        let save = |disposition: Option<&str>| json!({"notes": "Wants the annual plan.", "disposition": disposition});
        let path = "/api/v1/agent/calls/CA-ACW/wrap-up";

        // Act 1: during after-call work the agent picks a disposition.
        let response = linked.app.send_json(Method::PUT, Some(&linked.acme.agent.token), path, &save(Some("Sale"))).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
        linked.settle().await;

        // Assert 1: the agent's disposition wins over the telephony side's, on the VoiceCall as on the Task.
        assert_eq!(disposition(&linked).as_deref(), Some("Sale"));
        assert_eq!(linked.the_task_of("CA-ACW").text("CallDisposition"), Some("Sale"));

        // Act 2: the agent clears it; a save of the notes alone sends nothing more to the VoiceCall.
        let response = linked.app.send_json(Method::PUT, Some(&linked.acme.agent.token), path, &save(None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        linked.settle().await;
        let patches = linked.org.request_count(Some("PATCH"), "/telephony/v1/voiceCalls/*");
        let notes_only = json!({"notes": "Wants the annual plan, from March.", "disposition": null});
        let response = linked.app.send_json(Method::PUT, Some(&linked.acme.agent.token), path, &notes_only).await;
        assert_eq!(response.status(), StatusCode::OK);
        linked.settle().await;

        // Assert 2: the telephony side's disposition is back, as on the Task; the notes-only save sent no PATCH.
        assert_eq!(disposition(&linked).as_deref(), Some("Quote sent"));
        assert_eq!(linked.org.request_count(Some("PATCH"), "/telephony/v1/voiceCalls/*"), patches);
    }
}

org_test! {
    async fn an_answer_that_arrives_after_the_end_leaves_the_voice_call_completed(linked: Linked) {
        // Arrange
        set_up_voice(&linked).await;

        // Act: the telephony side's events of one call arrive out of order, the answer last.
        linked.ring("CA-LATE", KNOWN_CALLER).await;
        linked.event("CA-LATE", "completed", 3, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.settle().await;
        linked.event("CA-LATE", "answered", 1, &json!({"caller_number": KNOWN_CALLER})).await;
        linked.settle().await;

        // Assert: one VoiceCall, still completed.
        let call = the_voice_call_of(&linked, "CA-LATE");
        assert_eq!(call.text("CallDisposition"), Some("completed"), "{call:#?}");
        assert!(call.text("CallEndDateTime").is_some(), "{call:#?}");
    }
}

/// The agent's command for their call, acknowledged as done by the telephony side at once.
async fn confirmed_command(linked: &Linked, call_id: &str, command: &str) {
    let path = format!("/api/v1/agent/calls/{call_id}/commands");
    let response = linked.app.post_json(Some(&linked.acme.agent.token), &path, &json!({"command": command})).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap_or_default());
    let sent: Value = response.json().await.expect("the command");
    let ack = format!("/api/v1/call-commands/{}/ack", sent["id"]);
    let response = linked.app.post_json(Some(&linked.acme.api_key), &ack, &json!({"status": "done"})).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
}

org_test! {
    async fn the_holds_the_telephony_side_confirmed_reach_the_voice_call_at_the_end(linked: Linked) {
        // Arrange: an answered call on Salesforce Voice.
        set_up_voice(&linked).await;
        linked.ring("CA-HOLDS", KNOWN_CALLER).await;
        linked.event("CA-HOLDS", "answered", 1, &json!({"caller_number": KNOWN_CALLER})).await;

        // Act: held for a little over a second, resumed, held and resumed again at once; then the call ends with a
        // recording. A hold the telephony side refused counts for nothing.
        confirmed_command(&linked, "CA-HOLDS", "hold").await;
        tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
        confirmed_command(&linked, "CA-HOLDS", "resume").await;
        confirmed_command(&linked, "CA-HOLDS", "hold").await;
        confirmed_command(&linked, "CA-HOLDS", "resume").await;
        let path = "/api/v1/agent/calls/CA-HOLDS/commands";
        let response = linked.app.post_json(Some(&linked.acme.agent.token), path, &json!({"command": "hold"})).await;
        let refused: Value = response.json().await.expect("the command");
        let ack = format!("/api/v1/call-commands/{}/ack", refused["id"]);
        let body = json!({"status": "failed", "reason": "the line dropped the hold"});
        let response = linked.app.post_json(Some(&linked.acme.api_key), &ack, &body).await;
        assert_eq!(response.status(), StatusCode::OK);
        let end = json!({"caller_number": KNOWN_CALLER, "recording_url": "https://recordings.example.com/CA-HOLDS.mp3"});
        linked.event("CA-HOLDS", "completed", 30, &end).await;
        linked.settle().await;

        // Assert: two holds; the longest is the first, 1.6 s and the time the acknowledgements took, in whole
        // seconds; the total adds the second's few milliseconds.
        let call = the_voice_call_of(&linked, "CA-HOLDS");
        let number = |field: &str| call.fields.get(field).and_then(Value::as_i64).unwrap_or_default();
        assert_eq!(number("NumberOfHolds"), 2, "{call:#?}");
        let longest = number("LongestHoldDuration");
        assert!((2..=4).contains(&longest), "{call:#?}");
        assert!((longest..=longest + 1).contains(&number("CustomerHoldDuration")), "{call:#?}");
    }
}

const SEARCH: &str = "/services/data/*/search/";

org_test! {
    async fn the_connectors_caller_search_answers_with_cores_decision_and_survives_an_expired_session(linked: Linked) {
        // Arrange: legacy mode off, so the connector's agent chooses the record.
        linked.set_options(&json!({"legacy_mode": false, "multi_match_dialog": true})).await;
        linked.ring("CA-M1", callpop_sandbox::seed::numbers::SEVERAL).await;
        linked.ring("CA-M2", callpop_sandbox::seed::numbers::ONE_CONTACT).await;
        let agent = &linked.acme.agent;

        // Act 1: three records share the first caller's number; one has the second's.
        let (status, several) = linked.app.get_json(agent, "/api/v1/agent/calls/CA-M1/matches").await;
        let (_, one) = linked.app.get_json(agent, "/api/v1/agent/calls/CA-M2/matches").await;

        // Assert 1: the dialog for the first, newest first; the single match's append for the second.
        assert_eq!(status, StatusCode::OK, "{several}");
        assert_eq!(several["plan"], "ask_agent", "{several}");
        assert_eq!(several["matches"].as_array().map(Vec::len), Some(3), "{several}");
        assert_eq!((one["plan"].as_str(), one["matches"][0]["name"].as_str()), (Some("append"), Some("Ada Lovelace")));

        // Act 2: Salesforce expires the session; the search refreshes it once and answers.
        linked.org.expire_all_tokens();
        let (status, again) = linked.app.get_json(agent, "/api/v1/agent/calls/CA-M1/matches").await;
        assert_eq!((status, again["plan"].as_str()), (StatusCode::OK, Some("ask_agent")), "{again}");

        // Act 3: someone else's call, or no such call.
        let (status, body) = linked.app.get_json(&linked.acme.admin, "/api/v1/agent/calls/CA-M1/matches").await;
        assert_error(status, &body, 404, "not_found", None);
        let (status, body) = linked.app.get_json(agent, "/api/v1/agent/calls/nope/matches").await;
        assert_error(status, &body, 404, "not_found", None);

        // Act 4: Salesforce does not answer the search: a clear refusal, and the call is still there.
        linked.org.inject(Fault::on("GET", SEARCH, FaultAction::ServiceUnavailable).times(1));
        let (status, body) = linked.app.get_json(agent, "/api/v1/agent/calls/CA-M1/matches").await;
        assert_error(status, &body, 409, "salesforce_search_failed", None);

        // Act 5: legacy mode names the record on the server: the connector has nothing to do, and no search is sent.
        linked.set_options(&json!({"legacy_mode": true})).await;
        let searches = linked.org.request_count(Some("GET"), SEARCH);
        let (status, left) = linked.app.get_json(agent, "/api/v1/agent/calls/CA-M1/matches").await;
        assert_eq!((status, left["plan"].as_str()), (StatusCode::OK, Some("leave_to_server")), "{left}");
        assert_eq!(linked.org.request_count(Some("GET"), SEARCH), searches);
    }
}

org_test! {
    unlinked async fn the_connectors_caller_search_says_the_org_is_not_linked(linked: Linked) {
        linked.set_options(&json!({"legacy_mode": false})).await;
        linked.ring("CA-M3", callpop_sandbox::seed::numbers::SEVERAL).await;
        let (status, body) = linked.app.get_json(&linked.acme.agent, "/api/v1/agent/calls/CA-M3/matches").await;
        assert_error(status, &body, 409, "salesforce_not_linked", None);
    }
}
