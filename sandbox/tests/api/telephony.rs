//! Salesforce Voice's Telephony Integration REST API: a vendor's server, holding the private key of the certificate
//! on the contact center, creates and updates VoiceCall records that the REST API then reads; bad tokens, unknown
//! contact centers and incomplete bodies are refused and store nothing; the journal and faults cover the API.

use crate::helpers::{Answer, TestOrg};
use callpop_sandbox::faults::{Fault, FaultAction};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The contact center the tests import.
const CENTER: &str = "AcmeVoice";
/// The demo connector's provider header.
const PROVIDER: &str = "callpop";

/// A vendor's RSA key pair and the self-signed certificate uploaded to the contact center.
struct VendorKey {
    private_key_pem: String,
    certificate_pem: String,
}

impl VendorKey {
    fn generate() -> Self {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("an RSA key pair");
        let params = rcgen::CertificateParams::new(vec!["telephony.vendor.example".to_owned()]).expect("parameters");
        let certificate = params.self_signed(&key_pair).expect("a self-signed certificate");
        Self { private_key_pem: key_pair.serialize_pem(), certificate_pem: certificate.pem() }
    }
}

static VENDOR: LazyLock<VendorKey> = LazyLock::new(VendorKey::generate);
static STRANGER: LazyLock<VendorKey> = LazyLock::new(VendorKey::generate);

/// The claims of a token, as Salesforce's demo connector sends them.
struct Claims {
    iss: String,
    sub: String,
    /// Seconds from now.
    expires_in: i64,
    jti: Option<String>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(key: &VendorKey, claims: &Claims) -> String {
    let body = json!({
        "iss": claims.iss, "sub": claims.sub, "iat": now(), "exp": now() + claims.expires_in, "jti": claims.jti,
    });
    let encoding_key = EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()).expect("the vendor's private key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &body, &encoding_key).expect("a signed JWT")
}

/// An org with the contact center imported with the vendor's certificate.
async fn org_with_center() -> TestOrg {
    let org = TestOrg::start().await;
    let answer = org
        .control(
            Method::PUT,
            &format!("contact-centers/{CENTER}"),
            Some(json!({"certificate": VENDOR.certificate_pem})),
        )
        .await;
    assert_eq!(answer.status, 204, "{}", answer.text);
    org
}

fn org_id(org: &TestOrg) -> String {
    org.sandbox.org_id()
}

/// A well-formed token for the contact center, valid for four hours.
fn good_claims(org: &TestOrg) -> Claims {
    Claims { iss: org_id(org), sub: CENTER.to_owned(), expires_in: 4 * 60 * 60, jti: None }
}

fn good_token(org: &TestOrg) -> String {
    sign(&VENDOR, &good_claims(org))
}

async fn telephony(org: &TestOrg, method: Method, path: &str, token: &str, body: Value) -> Answer {
    let request = org
        .http
        .request(method, org.url(&format!("/telephony/v1/{path}")))
        .bearer_auth(token)
        .header("Telephony-Provider-Name", PROVIDER)
        .json(&body);
    TestOrg::answer(request.send().await.expect("the org answers")).await
}

fn inbound_call(vendor_call_key: &str) -> Value {
    json!({
        "callCenterApiName": CENTER,
        "vendorCallKey": vendor_call_key,
        "to": "+14155550100",
        "from": "+14155552671",
        "initiationMethod": "Inbound",
        "startTime": "2026-12-07T17:32:28Z",
        "participants": [{"participantKey": "+14155552671", "type": "END_USER"}],
    })
}

async fn create_call(org: &TestOrg, vendor_call_key: &str) -> String {
    let answer = telephony(org, Method::POST, "voiceCalls", &good_token(org), inbound_call(vendor_call_key)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["errors"], json!([]));
    answer.body["voiceCallId"].as_str().expect("a voiceCallId").to_owned()
}

async fn voice_call_count(org: &TestOrg) -> usize {
    org.query("SELECT Id FROM VoiceCall").await.len()
}

#[tokio::test]
async fn a_well_signed_create_makes_a_voice_call_that_rest_and_soql_read() {
    let org = org_with_center().await;
    let id = create_call(&org, "CA-100").await;
    assert!(id.starts_with("0LQ"), "{id}");

    let record = org.get(&format!("sobjects/VoiceCall/{id}")).await;
    assert_eq!(record.status, 200, "{}", record.text);
    assert_eq!(record.body["VendorCallKey"], "CA-100");
    assert_eq!(record.body["CallType"], "Inbound");
    assert_eq!(record.body["FromPhoneNumber"], "+14155552671");
    assert_eq!(record.body["ToPhoneNumber"], "+14155550100");
    assert_eq!(record.body["CallDisposition"], "new");
    assert_eq!(record.body["Name"], "VC-00000001");
    assert!(record.body["CallStartDateTime"].as_str().unwrap().starts_with("2026-12-07T17:32:28"));

    let rows = org.query("SELECT Id, CallCenterId FROM VoiceCall WHERE VendorCallKey = 'CA-100'").await;
    assert_eq!(rows.len(), 1);
    let center = org.get(&format!("sobjects/CallCenter/{}", rows[0]["CallCenterId"].as_str().unwrap())).await;
    assert_eq!(center.body["InternalName"], CENTER);

    assert_eq!(org.sandbox.request_count(Some("POST"), "/telephony/v1/voiceCalls"), 1);
    let journal = org.sandbox.requests();
    let entry = journal.iter().find(|entry| entry.path == "/telephony/v1/voiceCalls").expect("journaled");
    assert_eq!(entry.headers.get("telephony-provider-name").map(String::as_str), Some(PROVIDER));
    assert_eq!(entry.status, Some(200));
}

#[tokio::test]
async fn a_patch_after_the_call_updates_the_voice_call_and_records_the_recording() {
    let org = org_with_center().await;
    let id = create_call(&org, "CA-200").await;
    let after_call = json!({
        "startTime": "2026-12-07T17:32:28Z",
        "endTime": "2026-12-07T17:34:43Z",
        "recordingLocation": "https://recordings.vendor.example/CA-200.wav",
        "agentInteractionDuration": 95,
        "totalHoldDuration": 20,
        "numberOfHolds": 2,
        "callAttributes": "{\"Description\": \"Asked about the invoice\"}",
        "isActiveCall": false,
    });
    let answer = telephony(&org, Method::PATCH, &format!("voiceCalls/{id}"), &good_token(&org), after_call).await;
    assert_eq!((answer.status, answer.body.clone()), (200, json!({"status": "pending"})), "{}", answer.text);

    let record = org.get(&format!("sobjects/VoiceCall/{id}")).await.body;
    assert_eq!(record["CallDurationInSeconds"], 135);
    assert!(record["CallEndDateTime"].as_str().unwrap().starts_with("2026-12-07T17:34:43"));
    assert_eq!(record["CallDisposition"], "completed");
    assert_eq!(record["CustomerHoldDuration"], 20);
    assert_eq!(record["NumberOfHolds"], 2);
    assert_eq!(record["Description"], "Asked about the invoice");
    assert_eq!(record["IsRecorded"], true);
    let recording =
        org.get(&format!("sobjects/VoiceCallRecording/{}", record["CallRecordingId"].as_str().unwrap())).await;
    assert_eq!(recording.body["VoiceCallId"], id.as_str());
    assert_eq!(recording.body["DurationInSeconds"], 115);
    assert_eq!(recording.body["RecordingLocation"], "https://recordings.vendor.example/CA-200.wav");

    // The vendor's own call key names the call too.
    let by_key =
        telephony(&org, Method::PATCH, "voiceCalls/CA-200", &good_token(&org), json!({"isActiveCall": true})).await;
    assert_eq!(by_key.status, 200, "{}", by_key.text);
    assert_eq!(org.get(&format!("sobjects/VoiceCall/{id}")).await.body["CallDisposition"], "in-progress");
    assert_eq!(voice_call_count(&org).await, 1);
}

/// `inbound_call` with one field changed (`Value::Null` removes it).
fn call_with(vendor_call_key: &str, field: &str, value: Value) -> Value {
    let mut body = inbound_call(vendor_call_key);
    let fields = body.as_object_mut().expect("an object");
    if value.is_null() {
        fields.remove(field);
    } else {
        fields.insert(field.to_owned(), value);
    }
    body
}

#[tokio::test]
async fn bad_tokens_unknown_centers_and_incomplete_bodies_are_refused_and_store_nothing() {
    let org = org_with_center().await;
    org.sandbox.set_contact_center("OtherCenter", &STRANGER.certificate_pem).expect("a valid certificate");
    let with = |change: fn(&mut Claims)| {
        let mut claims = good_claims(&org);
        change(&mut claims);
        sign(&VENDOR, &claims)
    };
    let refusals = [
        ("signed by another key", sign(&STRANGER, &good_claims(&org)), inbound_call("CA-1"), 401, "INVALID_JWT"),
        ("expired", with(|claims| claims.expires_in = -60), inbound_call("CA-2"), 401, "INVALID_JWT"),
        (
            "of another org",
            with(|claims| claims.iss = "00D000000000001AAA".to_owned()),
            inbound_call("CA-3"),
            401,
            "INVALID_JWT",
        ),
        (
            "for an unknown call center",
            with(|claims| claims.sub = "NoSuchCenter".to_owned()),
            inbound_call("CA-4"),
            401,
            "INVALID_JWT",
        ),
        (
            "with another center's sub",
            with(|claims| claims.sub = "OtherCenter".to_owned()),
            inbound_call("CA-5"),
            401,
            "INVALID_JWT",
        ),
        (
            "living past 24 hours",
            with(|claims| claims.expires_in = 25 * 60 * 60),
            inbound_call("CA-6"),
            401,
            "INVALID_JWT",
        ),
        ("not a JWT", "not-a-jwt".to_owned(), inbound_call("CA-7"), 401, "INVALID_JWT"),
        (
            "for another center's calls",
            good_token(&org),
            call_with("CA-8", "callCenterApiName", json!("OtherCenter")),
            403,
            "CALL_CENTER_MISMATCH",
        ),
        (
            "without vendorCallKey",
            good_token(&org),
            call_with("CA-9", "vendorCallKey", Value::Null),
            400,
            "MISSING_ARGUMENT",
        ),
        (
            "without participants",
            good_token(&org),
            call_with("CA-10", "participants", Value::Null),
            400,
            "MISSING_ARGUMENT",
        ),
        (
            "an outbound call",
            good_token(&org),
            call_with("CA-11", "initiationMethod", json!("Outbound")),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "a transfer without parent",
            good_token(&org),
            call_with("CA-12", "initiationMethod", json!("Transfer")),
            400,
            "MISSING_ARGUMENT",
        ),
    ];
    for (case, token, body, status, code) in refusals {
        let answer = telephony(&org, Method::POST, "voiceCalls", &token, body).await;
        assert_eq!((answer.status, answer.body["errorCode"].as_str()), (status, Some(code)), "{case}: {}", answer.text);
    }
    let missing =
        telephony(&org, Method::POST, "voiceCalls", &good_token(&org), call_with("CA-13", "to", Value::Null)).await;
    assert_eq!(missing.body["message"], "Required field is missing: to");
    assert_eq!(voice_call_count(&org).await, 0);

    let unknown = telephony(&org, Method::PATCH, "voiceCalls/0LQ000000000999AAA", &good_token(&org), json!({})).await;
    assert_eq!((unknown.status, unknown.body["errorCode"].as_str()), (404, Some("NOT_FOUND")), "{}", unknown.text);
    assert_eq!(voice_call_count(&org).await, 0);
}

#[tokio::test]
async fn a_repeated_vendor_call_key_answers_the_existing_call_and_creates_nothing() {
    let org = org_with_center().await;
    let first = create_call(&org, "CA-300").await;
    let again = create_call(&org, "CA-300").await;
    assert_eq!(again, first);
    assert_eq!(voice_call_count(&org).await, 1);

    // A transfer is the one way to put a second VoiceCall on the same key, linked to the first.
    let transfer = json!({"initiationMethod": "Transfer", "parentVoiceCallId": first});
    let mut body = inbound_call("CA-300");
    body.as_object_mut().unwrap().extend(transfer.as_object().unwrap().clone());
    let answer = telephony(&org, Method::POST, "voiceCalls", &good_token(&org), body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let second = answer.body["voiceCallId"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let parent = org.get(&format!("sobjects/VoiceCall/{first}")).await.body;
    let child = org.get(&format!("sobjects/VoiceCall/{second}")).await.body;
    assert_eq!(
        (parent["NextCallId"].as_str(), child["PreviousCallId"].as_str()),
        (Some(second.as_str()), Some(first.as_str()))
    );
    assert_eq!(child["CallType"], "Transfer");
}

#[tokio::test]
async fn a_replayed_token_id_is_refused() {
    let org = org_with_center().await;
    let token =
        sign(&VENDOR, &Claims { jti: Some("6af41080-8787-11f0-a7ad-736f74082154".to_owned()), ..good_claims(&org) });
    assert_eq!(telephony(&org, Method::POST, "voiceCalls", &token, inbound_call("CA-400")).await.status, 200);
    let replay = telephony(&org, Method::POST, "voiceCalls", &token, inbound_call("CA-401")).await;
    assert_eq!(replay.status, 401, "{}", replay.text);
    assert_eq!(voice_call_count(&org).await, 1);
}

#[tokio::test]
async fn a_patch_for_a_call_salesforce_never_saw_creates_its_voice_call() {
    let org = org_with_center().await;
    let missed =
        json!({"startTime": "2026-12-07T18:00:00Z", "endTime": "2026-12-07T18:00:30Z", "fromNumber": "+14155550173"});
    let answer = telephony(&org, Method::PATCH, "voiceCalls/CA-500", &good_token(&org), missed).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let rows = org.query("SELECT Id, FromPhoneNumber, CallDurationInSeconds, CallDisposition FROM VoiceCall WHERE VendorCallKey = 'CA-500'").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["FromPhoneNumber"].as_str(), rows[0]["CallDurationInSeconds"].as_i64()),
        (Some("+14155550173"), Some(30))
    );
    assert_eq!(rows[0]["CallDisposition"], "completed");
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_found_again_by_its_vendor_call_key() {
    let org = org_with_center().await;
    org.sandbox.inject(Fault::on("POST", "/telephony/v1/voiceCalls", FaultAction::ServiceUnavailable).times(1));
    let unavailable = telephony(&org, Method::POST, "voiceCalls", &good_token(&org), inbound_call("CA-600")).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(voice_call_count(&org).await, 0);

    org.sandbox.inject(Fault::on("POST", "/telephony/v1/voiceCalls", FaultAction::CommitThenDrop).times(1));
    let request =
        org.http.post(org.url("/telephony/v1/voiceCalls")).bearer_auth(good_token(&org)).json(&inbound_call("CA-600"));
    let lost = match request.send().await {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(lost, "the client sees a transport error");
    assert_eq!(voice_call_count(&org).await, 1, "the create committed");

    let retried = create_call(&org, "CA-600").await;
    let rows = org.query("SELECT Id FROM VoiceCall").await;
    assert_eq!((rows.len(), rows[0]["Id"].as_str()), (1, Some(retried.as_str())));
    assert_eq!(org.sandbox.request_count(Some("POST"), "/telephony/v1/voiceCalls"), 3);
    let journal = org.sandbox.requests();
    let faults: Vec<_> =
        journal.into_iter().filter(|entry| entry.path.starts_with("/telephony/")).map(|entry| entry.fault).collect();
    assert_eq!(faults, [Some("service_unavailable".to_owned()), Some("commit_then_drop".to_owned()), None]);
}

#[tokio::test]
async fn a_contact_center_needs_a_certificate_with_an_rsa_key() {
    let org = TestOrg::start().await;
    let refused = org
        .control(Method::PUT, &format!("contact-centers/{CENTER}"), Some(json!({"certificate": "not a certificate"})))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.body["error"].as_str().unwrap().contains("certificate"));
    assert_eq!(org.control(Method::GET, "contact-centers", None).await.body, json!([]));
    let token = sign(&VENDOR, &good_claims(&org));
    assert_eq!(telephony(&org, Method::POST, "voiceCalls", &token, inbound_call("CA-700")).await.status, 401);
}

#[tokio::test]
async fn field_errors_do_not_stop_the_create_and_are_reported_as_salesforce_does() {
    let org = org_with_center().await;
    let required = json!({"name": "Region__c", "required": true});
    assert_eq!(org.control(Method::POST, "schema/VoiceCall/fields", Some(required)).await.status, 204);
    let body = call_with("CA-800", "callAttributes", json!("{\"No_Such_Field__c\": \"x\"}"));
    let answer = telephony(&org, Method::POST, "voiceCalls", &good_token(&org), body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let errors = answer.body["errors"].as_str().expect("the errors as text");
    assert!(errors.starts_with("We created your voice call but there were some errors : "), "{errors}");
    assert!(errors.contains("No_Such_Field__c"), "{errors}");
    let id = answer.body["voiceCallId"].as_str().unwrap();
    let record = org.get(&format!("sobjects/VoiceCall/{id}")).await.body;
    assert_eq!((record["VendorCallKey"].as_str(), record["Region__c"].as_str()), (Some("CA-800"), None));
}
