//! The control API's own operations: reset, state dump, tokens, limits, settings and schema switches.

use crate::helpers::TestOrg;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn reset_brings_back_a_fresh_seeded_org_and_keeps_tokens() {
    let org = TestOrg::start().await;
    org.create("Lead", json!({"LastName": "Temp", "Company": "T"})).await;
    org.control(Method::PUT, "limits", Some(json!({"used": 5, "max": 10}))).await;
    assert_eq!(org.control(Method::POST, "reset", Some(json!({"seed": true}))).await.status, 204);
    assert!(org.sandbox.records("Lead").iter().all(|lead| lead.text("LastName") != Some("Temp")));
    assert_eq!(org.sandbox.records("Lead").len(), 3, "the seed's three Leads");
    assert_eq!(org.sandbox.api_usage().used, 0);
    assert_eq!(org.get("limits").await.status, 200, "tokens survive a reset");

    org.control(Method::POST, "reset", Some(json!({"seed": false, "task_call_id_field": false}))).await;
    assert!(org.sandbox.records("Contact").is_empty());
    assert_eq!(org.patch("sobjects/Task/Call_Id__c/x", json!({})).await.status, 404);
    assert_eq!(org.control(Method::PUT, "task-call-id-field", Some(json!({"present": true}))).await.status, 204);
    assert_eq!(org.patch("sobjects/Task/Call_Id__c/x", json!({"Subject": "s"})).await.status, 201);
}

#[tokio::test]
async fn the_state_dump_shows_records_the_recycle_bin_and_configuration() {
    let org = TestOrg::start().await;
    let id = org.create("Contact", json!({"LastName": "Gone"})).await;
    org.call(Method::DELETE, &format!("sobjects/Contact/{id}"), None).await;
    let state = org.control(Method::GET, "state", None).await.body;
    assert_eq!(state["objects"]["Campaign"][0]["Name"], "Spring Promo");
    assert_eq!(state["recycle_bin"]["Contact"][0]["Id"], id);
    assert_eq!(state["settings"]["duplicate_result_key"], "duplicateResut");
    let deleted = org.control(Method::GET, "records?object=Contact&deleted=true", None).await.body;
    assert_eq!(deleted[0]["IsDeleted"], json!(true));
}

#[tokio::test]
async fn tokens_apps_settings_and_expiry_are_controllable_over_http() {
    let org = TestOrg::start().await;
    let app = json!({"client_id": "other", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:9/cb"]});
    assert_eq!(org.control(Method::POST, "connected-apps", Some(app)).await.status, 204);
    let tokens = org.control(Method::POST, "oauth/tokens", Some(json!({"client_id": "other"}))).await.body;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(org.call_with_token(&access, Method::GET, "limits", None).await.status, 200);
    assert_eq!(
        org.control(Method::POST, "oauth/expire", Some(json!({"token": access}))).await.body,
        json!({"expired": 1})
    );
    assert_eq!(org.call_with_token(&access, Method::GET, "limits", None).await.status, 401);
    assert_eq!(org.control(Method::POST, "oauth/tokens", Some(json!({"client_id": "nobody"}))).await.status, 400);

    let settings = org.control(Method::PUT, "settings", Some(json!({"access_token_ttl_secs": 60}))).await.body;
    assert_eq!((settings["access_token_ttl_secs"].as_u64(), settings["approval"].as_str()), (Some(60), Some("page")));
    assert_eq!(org.control(Method::PUT, "settings", Some(json!({"phone_match": "fuzzy"}))).await.status, 400);
    org.control(Method::POST, "oauth/revoke-all", None).await;
    assert_eq!(org.get("limits").await.status, 401);
}
