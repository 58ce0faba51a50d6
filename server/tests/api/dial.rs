//! Click-to-dial: an agent's dial request, the telephony side collecting it, and the outbound call that takes it.

use crate::helpers::{TestAccount, TestApp, api_test, assert_error, at};
use callpop_core::account::Plan;
use serde_json::{Value, json};

const ADA: &str = "003000000000001AAA";

async fn dial(app: &TestApp, account: &TestAccount, number: &str) -> i64 {
    let body = json!({ "number": number, "record_id": ADA, "record_type": "Contact" });
    let response = app.post_json(Some(&account.agent.token), "/api/v1/agent/dial", &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let answer: Value = response.json().await.unwrap();
    answer["dial_request_id"].as_i64().expect("a dial request id")
}

async fn pending(app: &TestApp, account: &TestAccount) -> Vec<Value> {
    let response = app.get(Some(&account.api_key), "/api/v1/dial-requests").await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

fn outbound(call_id: &str, kind: &str, account: &TestAccount, dial_request_id: i64) -> Value {
    json!({ "call_id": call_id, "kind": kind, "direction": "outbound", "caller_number": "+14155552671",
        "tracking_number": "+14155550100", "agent": account.agent.email, "dial_request_id": dial_request_id,
        "occurred_at": at(0) })
}

api_test! {
    async fn a_dial_request_waits_for_its_own_accounts_telephony_side_only(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        let id = dial(&app, &acme, "(415) 555-2671").await;
        let waiting = pending(&app, &acme).await;
        assert_eq!(waiting.len(), 1);
        assert_eq!((waiting[0]["id"].as_i64(), waiting[0]["number"].as_str()), (Some(id), Some("+14155552671")));
        assert_eq!((waiting[0]["agent"].as_str(), waiting[0]["record_id"].as_str()), (Some(acme.agent.email.as_str()), Some(ADA)));
        assert_eq!(pending(&app, &globex).await, Vec::<Value>::new(), "another account sees none of it");
    }
}

api_test! {
    async fn placing_a_dial_request_logs_the_outbound_call_to_the_record_once(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let id = dial(&app, &acme, "+14155552671").await;
        for _ in 0..2 {
            // The telephony side retries: the call and its append are stored once.
            let response = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &outbound("OUT-1", "ringing", &acme, id)).await;
            assert_eq!(response.status().as_u16(), 202);
        }
        assert_eq!(pending(&app, &acme).await, Vec::<Value>::new(), "the request is taken");
        let (status, call) = app.get_json(&acme.admin, "/api/v1/calls/OUT-1").await;
        assert_eq!((status.as_u16(), call["direction"].as_str()), (200, Some("outbound")));
        let (_, panel) = app.get_json(&acme.admin, "/api/v1/calls/OUT-1/salesforce").await;
        let appends = panel["appends"].as_array().cloned().unwrap_or_default();
        assert_eq!(appends.len(), 1, "{panel}");
        assert_eq!((appends[0]["record_id"].as_str(), appends[0]["chosen_by"].as_str()), (Some(ADA), Some("click_to_dial")));
    }
}

api_test! {
    async fn a_call_naming_a_dial_request_it_cannot_take_is_refused_and_stores_nothing(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        let globex_request = dial(&app, &globex, "+14155552671").await;
        let response = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &outbound("OUT-2", "ringing", &acme, globex_request)).await;
        let status = response.status();
        let body = response.json().await.unwrap();
        assert_error(status, &body, 409, "unknown_dial_request", None);
        assert!(body["message"].as_str().unwrap().contains("dial_request_id"), "{body}");

        let own_request = dial(&app, &acme, "+14155552671").await;
        let mut inbound = outbound("OUT-3", "ringing", &acme, own_request);
        inbound["direction"] = json!("inbound");
        let response = app.post_json(Some(&acme.api_key), "/api/v1/call-events", &inbound).await;
        let status = response.status();
        assert_error(status, &response.json().await.unwrap(), 422, "invalid_field", Some("direction"));

        let (_, calls) = app.get_json(&acme.admin, "/api/v1/calls").await;
        assert_eq!(calls["calls"], json!([]), "no call was stored");
        assert_eq!(pending(&app, &acme).await.len(), 1, "the account's own request still waits");
        assert_eq!(pending(&app, &globex).await.len(), 1);
    }
}
