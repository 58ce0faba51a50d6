//! Authentication and the daily limit on every data call.

use crate::helpers::{TestOrg, VERSION};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_missing_or_unknown_token_is_an_invalid_session() {
    let org = TestOrg::start().await;
    let anonymous = TestOrg::answer(org.http.get(org.data("limits")).send().await.unwrap()).await;
    let unknown = org.call_with_token("00Dnope!AQxyz", Method::GET, "limits", None).await;
    for answer in [anonymous, unknown] {
        assert_eq!(answer.status, 401);
        assert_eq!(answer.header("www-authenticate"), Some("Token"));
        assert_eq!(answer.body, json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]));
    }
}

#[tokio::test]
async fn the_older_oauth_scheme_is_accepted() {
    let org = TestOrg::start().await;
    let response =
        org.http.get(org.data("limits")).header("Authorization", format!("OAuth {}", org.token)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn every_data_answer_reports_api_usage_and_the_versions_list_does_not() {
    let org = TestOrg::start().await;
    org.sandbox.set_api_usage(10, 1_000);
    let first = org.get("sobjects/Lead/describe").await;
    assert_eq!(first.header("sforce-limit-info"), Some("api-usage=11/1000"));
    let missing = org.get("sobjects/Lead/00Q5g0000000zzzAAA").await;
    assert_eq!(missing.header("sforce-limit-info"), Some("api-usage=12/1000"));
    let limits = org.get("limits").await;
    assert_eq!(limits.body["DailyApiRequests"], json!({"Max": 1000, "Remaining": 987}));

    let versions = TestOrg::answer(org.http.get(org.url("/services/data/")).send().await.unwrap()).await;
    assert_eq!(versions.status, 200);
    assert!(versions.header("sforce-limit-info").is_none());
    let listed: Vec<&str> =
        versions.body.as_array().unwrap().iter().filter_map(|version| version["version"].as_str()).collect();
    assert!(listed.contains(&"40.0") && listed.contains(&"62.0"));
    assert_eq!(org.sandbox.api_usage().used, 13, "the versions list is not counted");
}

#[tokio::test]
async fn past_the_daily_allocation_calls_are_refused_with_403() {
    let org = TestOrg::start().await;
    org.sandbox.set_api_usage(15_000, 15_000);
    let refused = org.get("limits").await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.body,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(refused.header("sforce-limit-info"), Some("api-usage=15000/15000"));
}

#[tokio::test]
async fn versions_before_40_do_not_exist() {
    let org = TestOrg::start().await;
    let url = org.url("/services/data/v39.0/limits");
    let answer = TestOrg::answer(org.http.get(url).bearer_auth(&org.token).send().await.unwrap()).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body[0]["errorCode"], "NOT_FOUND");
    assert_eq!(org.get("").await.body["sobjects"], format!("/services/data/{VERSION}/sobjects"));
}
