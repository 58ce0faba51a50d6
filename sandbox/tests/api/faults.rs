//! Failure injection: canned failures, lock errors for k attempts, latency, hangs, commit-then-drop, and the
//! request journal that counts what the client sent.

use crate::helpers::{TestOrg, VERSION};
use callpop_sandbox::faults::{Fault, FaultAction};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_503_fires_once_and_the_journal_counts_every_attempt() {
    let org = TestOrg::start().await;
    org.sandbox.inject(Fault::on("POST", "/services/data/*/composite", FaultAction::ServiceUnavailable).times(1));
    let body = json!({"compositeRequest": [{"method": "GET", "url": format!("/services/data/{VERSION}/limits"), "referenceId": "l"}]});
    let first = org.post("composite", body.clone()).await;
    assert_eq!((first.status, first.body[0]["errorCode"].as_str()), (503, Some("SERVER_UNAVAILABLE")));
    assert_eq!(org.post("composite", body).await.status, 200);
    assert_eq!(org.sandbox.request_count(Some("POST"), "/services/data/*/composite"), 2);
    assert_eq!(org.sandbox.request_count(None, "/services/data/**"), 2);
    let journal = org.sandbox.requests();
    assert_eq!(journal[0].fault.as_deref(), Some("service_unavailable"));
    assert_eq!(journal[0].status, Some(503));
    assert!(journal[1].body.contains("compositeRequest"));
    assert!(journal[1].headers.contains_key("authorization"));
}

#[tokio::test]
async fn an_html_500_and_a_lock_error_for_two_attempts() {
    let org = TestOrg::start().await;
    org.sandbox.inject(Fault::on("GET", "/services/data/*/limits", FaultAction::HtmlError).times(1));
    let html = org.get("limits").await;
    assert_eq!(html.status, 500);
    assert!(html.header("content-type").unwrap().starts_with("text/html"));
    assert!(html.text.starts_with("<html>"));

    org.sandbox.inject(
        Fault::on("PATCH", "/services/data/*/sobjects/Task/Call_Id__c/*", FaultAction::UnableToLockRow).times(2),
    );
    let statuses = [
        org.patch("sobjects/Task/Call_Id__c/CA-1", json!({"Subject": "x"})).await,
        org.patch("sobjects/Task/Call_Id__c/CA-1", json!({"Subject": "x"})).await,
        org.patch("sobjects/Task/Call_Id__c/CA-1", json!({"Subject": "x"})).await,
    ];
    assert_eq!(statuses[0].body[0]["errorCode"], "UNABLE_TO_LOCK_ROW");
    assert_eq!(statuses.iter().map(|answer| answer.status).collect::<Vec<_>>(), [400, 400, 201]);
}

/// Sends a PATCH and reads the whole answer; the error, if any, says whether it came before or after the headers.
async fn patch_through_a_drop(org: &TestOrg, resource: &str, body: serde_json::Value) -> Result<(), String> {
    let sent = org.http.patch(org.data(resource)).bearer_auth(&org.token).json(&body).send().await;
    let response = sent.map_err(|error| format!("no answer at all: {error}"))?;
    response.bytes().await.map(drop).map_err(|error| format!("headers, then a broken body: {error}"))
}

#[tokio::test]
async fn commit_then_drop_writes_the_record_but_the_client_sees_a_transport_error() {
    let org = TestOrg::start().await;
    org.sandbox.inject(
        Fault::on("PATCH", "/services/data/*/sobjects/Task/Call_Id__c/*", FaultAction::CommitThenDrop).times(1),
    );
    let outcome =
        patch_through_a_drop(&org, "sobjects/Task/Call_Id__c/CA-LOST", json!({"Subject": "Inbound call"})).await;
    assert!(outcome.is_err(), "the client must see a transport error");
    let tasks: Vec<_> =
        org.sandbox.records("Task").into_iter().filter(|task| task.text("Call_Id__c") == Some("CA-LOST")).collect();
    assert_eq!(tasks.len(), 1, "the write committed");

    // The replay updates the same Task: the upsert is idempotent.
    let replay = org.patch("sobjects/Task/Call_Id__c/CA-LOST", json!({"Subject": "Inbound call"})).await;
    assert_eq!((replay.status, replay.body["created"].as_bool()), (200, Some(false)));
    assert_eq!(org.sandbox.requests()[0].fault.as_deref(), Some("commit_then_drop"));
}

#[tokio::test]
async fn commit_then_drop_also_breaks_a_204() {
    let org = TestOrg::start().await;
    let lead = org.sandbox.records("Lead")[0].id.to_string();
    org.sandbox.inject(Fault::any_method("/services/data/*/sobjects/Lead/*", FaultAction::CommitThenDrop).times(1));
    let outcome = patch_through_a_drop(&org, &format!("sobjects/Lead/{lead}"), json!({"Title": "Dropped"})).await;
    assert!(outcome.is_err());
    assert_eq!(org.sandbox.record(&lead).unwrap().text("Title"), Some("Dropped"));
}

#[tokio::test]
async fn latency_delays_and_a_hang_outlasts_a_client_timeout() {
    let org = TestOrg::start().await;
    org.sandbox.inject(Fault::on("GET", "/services/data/*/limits", FaultAction::Latency { ms: 300 }).times(1));
    let started = Instant::now();
    assert_eq!(org.get("limits").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    org.sandbox.inject(Fault::on("GET", "/services/data/*/limits", FaultAction::Hang { ms: 5_000 }).times(1));
    let hung =
        org.http.get(org.data("limits")).bearer_auth(&org.token).timeout(Duration::from_millis(300)).send().await;
    assert!(hung.unwrap_err().is_timeout());
}

#[tokio::test]
async fn faults_can_be_set_over_http_and_skip_the_first_requests() {
    let org = TestOrg::start().await;
    let fault = json!({"method": "GET", "path": "/services/data/*/limits", "after": 1, "times": 1, "action": {"kind": "session_not_valid_for_rest"}});
    let added = org.control(Method::POST, "faults", Some(fault)).await;
    assert_eq!(added.status, 201);
    assert_eq!(org.get("limits").await.status, 200);
    let refused = org.get("limits").await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.body,
        json!([{"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}])
    );
    assert_eq!(org.get("limits").await.status, 200);

    let custom = json!({"path": "/services/oauth2/token", "action": {"kind": "respond", "status": 400, "body": "{\"error\":\"invalid_grant\",\"error_description\":\"expired access/refresh token\"}"}});
    org.control(Method::POST, "faults", Some(custom)).await;
    let refresh = TestOrg::answer(
        org.http.post(org.url("/services/oauth2/token")).form(&[("grant_type", "refresh_token")]).send().await.unwrap(),
    )
    .await;
    assert_eq!(refresh.body["error_description"], "expired access/refresh token");

    let counts = org.control(Method::GET, "requests/counts", None).await.body;
    assert_eq!(counts[format!("GET /services/data/{VERSION}/limits")], 3);
    let one = org.control(Method::GET, "requests/counts?method=POST&path=/services/oauth2/token", None).await.body;
    assert_eq!(one, json!({"count": 1}));
    assert_eq!(org.control(Method::DELETE, "faults", None).await.status, 204);
    assert_eq!(org.control(Method::DELETE, "requests", None).await.status, 204);
    assert!(org.sandbox.requests().is_empty());
}
