//! `GET/PUT /api/v1/settings/salesforce` and its history.

use crate::helpers::{api_test, assert_error};
use callpop_core::account::Plan;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn all_options(overrides: &Value) -> Value {
    let mut options = json!({ "legacy_mode": false, "local_number_format": false, "full_region_names": false,
        "edit_mode": false, "auto_create_classic": true, "multi_match_dialog": true, "limit_data_access": false });
    for (name, value) in overrides.as_object().unwrap() {
        options[name] = value.clone();
    }
    options
}

api_test! {
    async fn administrators_read_the_documented_defaults_and_nobody_else_reads_them(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let (status, options) = app.get_json(&acme.admin, "/api/v1/settings/salesforce").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(options, all_options(&json!({})));
        for user in [&acme.agent, &acme.manager, &acme.reports] {
            let (status, body) = app.get_json(user, "/api/v1/settings/salesforce").await;
            assert_error(status, &body, 403, "forbidden", None);
            let response = app.send_json(Method::PUT, Some(&user.token), "/api/v1/settings/salesforce", &all_options(&json!({ "legacy_mode": true }))).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            let (status, _) = app.get_json(user, "/api/v1/settings/salesforce/changes").await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        let (_, options) = app.get_json(&acme.admin, "/api/v1/settings/salesforce").await;
        assert_eq!(options["legacy_mode"], false, "refused changes change nothing");
    }
}

api_test! {
    async fn a_change_is_recorded_with_who_when_old_and_new_and_applies_to_the_next_call(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.ring(&acme, "BEFORE", &acme.agent, 0, "Google Ads").await;
        let (_, before) = app.get_json(&acme.admin, "/api/v1/calls/BEFORE").await;
        assert_eq!(before["caller_number"], "+14155552671");
        let changed = all_options(&json!({ "local_number_format": true, "multi_match_dialog": false }));
        let response = app.send_json(Method::PUT, Some(&acme.admin.token), "/api/v1/settings/salesforce", &changed).await;
        assert_eq!(response.status(), StatusCode::OK);
        let (_, options) = app.get_json(&acme.admin, "/api/v1/settings/salesforce").await;
        assert_eq!(options, changed);
        let (_, history) = app.get_json(&acme.admin, "/api/v1/settings/salesforce/changes").await;
        let changes = history["changes"].as_array().unwrap();
        let summary: Vec<(&str, &Value, &Value, &str)> = changes
            .iter()
            .map(|change| (change["setting"].as_str().unwrap(), &change["old_value"], &change["new_value"], change["changed_by"].as_str().unwrap()))
            .collect();
        let admin = acme.admin.email.as_str();
        assert_eq!(summary, [("multi_match_dialog", &json!(true), &json!(false), admin), ("local_number_format", &json!(false), &json!(true), admin)]);
        assert!(changes[0]["changed_at"].as_str().is_some());
        // No restart: the very next read formats the number the new way.
        let (_, after) = app.get_json(&acme.admin, "/api/v1/calls/BEFORE").await;
        assert_eq!(after["caller_number"], "(415) 555-2671");
        // Saving the same options again records nothing.
        app.send_json(Method::PUT, Some(&acme.admin.token), "/api/v1/settings/salesforce", &changed).await;
        let (_, history) = app.get_json(&acme.admin, "/api/v1/settings/salesforce/changes").await;
        assert_eq!(history["changes"].as_array().unwrap().len(), 2);
    }
}
