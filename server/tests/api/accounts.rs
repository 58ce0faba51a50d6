//! Accounts, users and credentials: sign-in, API keys shown once and revocable, the plan's Salesforce gate.

use crate::helpers::{api_test, assert_error, call_event};
use callpop_core::account::Plan;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

api_test! {
    async fn an_api_key_is_shown_once_listed_without_its_secret_and_refused_once_revoked(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let response = app.post_json(Some(&acme.admin.token), "/api/v1/api-keys", &json!({ "label": "PBX in Lyon" })).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        let key = created["api_key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("cpk_"));
        let (_, listed) = app.get_json(&acme.admin, "/api/v1/api-keys").await;
        assert!(!listed.to_string().contains(&key), "the list never shows a secret: {listed}");
        assert_eq!(listed["api_keys"][0]["label"], "PBX in Lyon");
        assert_eq!(listed["api_keys"][0]["prefix"], &key[..10]);
        let event = call_event("CA-1", "ringing", &acme.agent.email, 0, "Google Ads");
        assert_eq!(app.post_json(Some(&key), "/api/v1/call-events", &event).await.status(), StatusCode::ACCEPTED);
        let id = created["id"].as_i64().unwrap();
        let revoked = app.send_json(Method::DELETE, Some(&acme.admin.token), &format!("/api/v1/api-keys/{id}"), &json!({})).await;
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
        let refused = app.post_json(Some(&key), "/api/v1/call-events", &event).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let (_, listed) = app.get_json(&acme.admin, "/api/v1/api-keys").await;
        assert!(listed["api_keys"][0]["revoked_at"].is_string());
        let again = app.send_json(Method::DELETE, Some(&acme.admin.token), &format!("/api/v1/api-keys/{id}"), &json!({})).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
        for user in [&acme.agent, &acme.manager, &acme.reports] {
            let (status, body) = app.get_json(user, "/api/v1/api-keys").await;
            assert_error(status, &body, 403, "forbidden", None);
        }
    }
}

api_test! {
    async fn every_salesforce_feature_on_the_basic_plan_is_403_naming_the_plans_that_include_it(app: TestApp) {
        let basic = app.create_account("Corner Shop", Plan::Basic).await;
        app.ring(&basic, "CA-1", &basic.agent, 0, "Google Ads").await;
        let expected = "Salesforce is available on the Sales Engage, Enterprise and Connect plans; this account is on the Basic plan";
        for path in ["/api/v1/settings/salesforce", "/api/v1/settings/salesforce/changes", "/api/v1/call-center.xml", "/api/v1/calls/CA-1/salesforce"] {
            let (status, body) = app.get_json(&basic.admin, path).await;
            assert_error(status, &body, 403, "plan_excludes_salesforce", None);
            assert_eq!(body["message"], expected, "{path}");
        }
        let append = json!({ "call_id": "CA-1", "record_id": "003000000000001AAA", "record_type": "Contact", "chosen_by": "single_match" });
        let response = app.post_json(Some(&basic.agent.token), "/api/v1/activities", &append).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        // The call log and the telephony side work on every plan.
        let (status, _) = app.get_json(&basic.agent, "/api/v1/calls/CA-1").await;
        assert_eq!(status, StatusCode::OK);
        let (status, me) = app.get_json(&basic.admin, "/api/v1/me").await;
        assert_eq!((status, me["role"].as_str()), (StatusCode::OK, Some("administrator")));
    }
}

api_test! {
    async fn me_tells_the_console_the_plan_and_what_each_role_may_see_and_do(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let (status, me) = app.get_json(&acme.admin, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["account_name"], "Acme");
        assert_eq!((me["plan"].as_str(), me["plan_name"].as_str()), (Some("enterprise"), Some("Enterprise")));
        assert_eq!(me["salesforce_included"], true);
        assert_eq!(me["sees_all_calls"], true);
        assert_eq!(me["sees_salesforce_panel"], true);
        assert_eq!(
            me["may"],
            json!(["read_integration_options", "change_integration_options", "read_settings_history",
                "manage_api_keys", "download_call_center_definition", "manage_salesforce_link", "manage_triggers",
                "manage_sync_log", "manage_user_sessions", "manage_salesforce_voice"])
        );
        let (_, agent) = app.get_json(&acme.agent, "/api/v1/me").await;
        assert_eq!((agent["role"].as_str(), agent["sees_all_calls"].as_bool()), (Some("call_agent"), Some(false)));
        assert_eq!(agent["may"], json!([]));
        let (_, manager) = app.get_json(&acme.manager, "/api/v1/me").await;
        assert_eq!((manager["sees_all_calls"].as_bool(), manager["may"].clone()), (Some(true), json!([])));

        // Limit Data Access takes the panel from call managers and agents, not from report managers.
        let options = json!({ "legacy_mode": false, "local_number_format": false, "full_region_names": false,
            "edit_mode": false, "auto_create_classic": true, "multi_match_dialog": true, "limit_data_access": true });
        let response = app.send_json(Method::PUT, Some(&acme.admin.token), "/api/v1/settings/salesforce", &options).await;
        assert_eq!(response.status(), StatusCode::OK);
        for (user, sees) in [(&acme.agent, false), (&acme.manager, false), (&acme.reports, true), (&acme.admin, true)] {
            let (_, me) = app.get_json(user, "/api/v1/me").await;
            assert_eq!(me["sees_salesforce_panel"], sees, "{}", user.email);
        }

        let basic = app.create_account("Corner Shop", Plan::Basic).await;
        let (_, me) = app.get_json(&basic.admin, "/api/v1/me").await;
        assert_eq!((me["plan_name"].as_str(), me["salesforce_included"].as_bool()), (Some("Basic"), Some(false)));
        assert_eq!(me["sees_salesforce_panel"], false);
    }
}
