//! The call log: who sees which calls, paging and filters, and that no route reaches another account's data.

use crate::helpers::{api_test, assert_error, at, text_event};
use callpop_core::account::Plan;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn call_ids(page: &Value) -> Vec<String> {
    page["calls"]
        .as_array()
        .expect("a calls array")
        .iter()
        .map(|call| call["call_id"].as_str().unwrap().to_owned())
        .collect()
}

api_test! {
    async fn a_call_agent_sees_only_their_own_calls_and_managers_and_above_see_the_accounts(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.ring(&acme, "MINE", &acme.agent, 0, "Google Ads").await;
        app.ring(&acme, "THEIRS", &acme.other_agent, 1, "Google Ads").await;
        let (status, page) = app.get_json(&acme.agent, "/api/v1/calls").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(call_ids(&page), ["MINE"]);
        let (_, page) = app.get_json(&acme.agent, &format!("/api/v1/calls?agent={}", acme.other_agent.email)).await;
        assert_eq!(call_ids(&page), Vec::<String>::new(), "a call agent cannot filter their way to another's calls");
        let (status, body) = app.get_json(&acme.agent, "/api/v1/calls/THEIRS").await;
        assert_error(status, &body, 404, "not_found", None);
        for user in [&acme.manager, &acme.reports, &acme.admin] {
            let (_, page) = app.get_json(user, "/api/v1/calls").await;
            assert_eq!(call_ids(&page), ["THEIRS", "MINE"], "{:?} sees the account's calls, newest first", user.role);
        }
        let (_, detail) = app.get_json(&acme.manager, "/api/v1/calls/MINE").await;
        assert_eq!(detail["agent"]["email"], acme.agent.email.as_str());
        assert_eq!(detail["tracking_source"], "Google Ads");
        assert_eq!(detail["caller_number"], "+14155552671");
        assert_eq!(detail["events"], json!([{ "kind": "ringing", "occurred_at": at(0).replace("+00:00", "Z"), "received_at": detail["events"][0]["received_at"] }]));
    }
}

api_test! {
    async fn the_call_log_pages_and_filters_by_agent_date_range_and_source(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        for minute in 0..5 {
            let source = if minute % 2 == 0 { "Google Ads" } else { "Billboard" };
            let agent = if minute < 3 { &acme.agent } else { &acme.other_agent };
            app.ring(&acme, &format!("CA-{minute}"), agent, minute, source).await;
        }
        let (_, first) = app.get_json(&acme.manager, "/api/v1/calls?limit=2").await;
        assert_eq!(call_ids(&first), ["CA-4", "CA-3"]);
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let (_, second) = app.get_json(&acme.manager, &format!("/api/v1/calls?limit=2&cursor={cursor}")).await;
        assert_eq!(call_ids(&second), ["CA-2", "CA-1"]);
        let cursor = second["next_cursor"].as_str().expect("a last page");
        let (_, last) = app.get_json(&acme.manager, &format!("/api/v1/calls?limit=2&cursor={cursor}")).await;
        assert_eq!(call_ids(&last), ["CA-0"]);
        assert_eq!(last["next_cursor"], Value::Null);
        let (_, by_source) = app.get_json(&acme.manager, "/api/v1/calls?source=Billboard").await;
        assert_eq!(call_ids(&by_source), ["CA-3", "CA-1"]);
        let (_, by_agent) = app.get_json(&acme.manager, &format!("/api/v1/calls?agent={}", acme.other_agent.email)).await;
        assert_eq!(call_ids(&by_agent), ["CA-4", "CA-3"]);
        let range = format!("/api/v1/calls?from={}&to={}", at(1).replace('+', "%2B"), at(3).replace('+', "%2B"));
        let (status, by_range) = app.get_json(&acme.manager, &range).await;
        assert_eq!(status, StatusCode::OK, "{by_range}");
        assert_eq!(call_ids(&by_range), ["CA-2", "CA-1"]);
        for (query, field) in [("limit=0", "limit"), ("limit=ten", "limit"), ("from=yesterday", "from"), ("cursor=x", "cursor"), ("colour=red", "colour")] {
            let (status, body) = app.get_json(&acme.manager, &format!("/api/v1/calls?{query}")).await;
            assert_error(status, &body, 422, "invalid_field", Some(field));
        }
    }
}

api_test! {
    /// Two accounts with the same call and message ids: every route answers with the caller's own account's data,
    /// or 404, never the other's.
    async fn no_route_reaches_another_accounts_calls_texts_keys_or_settings(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        app.ring(&acme, "SHARED", &acme.agent, 0, "Acme Ads").await;
        app.ring(&acme, "ACME-ONLY", &acme.agent, 1, "Acme Ads").await;
        app.text(&acme, "SMS-ACME", &acme.agent, 0).await;
        app.ring(&globex, "SHARED", &globex.agent, 2, "Globex Ads").await;
        for user in [&globex.agent, &globex.manager, &globex.reports, &globex.admin] {
            let (_, page) = app.get_json(user, "/api/v1/calls").await;
            assert_eq!(call_ids(&page), ["SHARED"]);
            assert_eq!(page["calls"][0]["tracking_source"], "Globex Ads");
            let (_, shared) = app.get_json(user, "/api/v1/calls/SHARED").await;
            assert_eq!(shared["tracking_source"], "Globex Ads");
            for path in ["/api/v1/calls/ACME-ONLY", "/api/v1/calls/ACME-ONLY/salesforce", "/api/v1/texts/SMS-ACME", "/api/v1/texts/SMS-ACME/salesforce"] {
                let (status, body) = app.get_json(user, path).await;
                assert_error(status, &body, 404, "not_found", None);
            }
            let (_, texts) = app.get_json(user, "/api/v1/texts").await;
            assert_eq!(texts["texts"], json!([]));
            let (_, by_agent) = app.get_json(user, &format!("/api/v1/calls?agent={}", acme.agent.email)).await;
            assert_eq!(call_ids(&by_agent), Vec::<String>::new());
        }
        // Writes: an append and a pop claim for Acme's call, revoking Acme's key, changing settings.
        let append = json!({ "call_id": "ACME-ONLY", "record_id": "003000000000001AAA", "record_type": "Contact", "chosen_by": "single_match" });
        let response = app.post_json(Some(&globex.admin.token), "/api/v1/activities", &append).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = app.post_json(Some(&globex.agent.token), "/api/v1/agent/calls/ACME-ONLY/pop", &json!({})).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let (_, acme_keys) = app.get_json(&acme.admin, "/api/v1/api-keys").await;
        let acme_key_id = acme_keys["api_keys"][0]["id"].as_i64().unwrap();
        let response = app.send_json(Method::DELETE, Some(&globex.admin.token), &format!("/api/v1/api-keys/{acme_key_id}"), &json!({})).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        app.ring(&acme, "STILL-WORKS", &acme.agent, 5, "Acme Ads").await;
        let options = json!({ "legacy_mode": true, "local_number_format": true, "full_region_names": true, "edit_mode": true,
            "auto_create_classic": false, "multi_match_dialog": false, "limit_data_access": true });
        let response = app.send_json(Method::PUT, Some(&globex.admin.token), "/api/v1/settings/salesforce", &options).await;
        assert_eq!(response.status(), StatusCode::OK);
        let (_, acme_options) = app.get_json(&acme.admin, "/api/v1/settings/salesforce").await;
        assert_eq!(acme_options["legacy_mode"], false, "Globex's change must not touch Acme");
        let (_, acme_history) = app.get_json(&acme.admin, "/api/v1/settings/salesforce/changes").await;
        assert_eq!(acme_history["changes"], json!([]));
        // A text posted with Globex's key lands in Globex, even with Acme's message id.
        let response = app.post_json(Some(&globex.api_key), "/api/v1/text-events", &text_event("SMS-ACME", &globex.agent.email, 9)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let (_, acme_text) = app.get_json(&acme.admin, "/api/v1/texts/SMS-ACME").await;
        assert_eq!(acme_text["agent"]["email"], acme.agent.email.as_str());
    }
}

api_test! {
    async fn the_same_activity_append_twice_is_one_append_shown_in_the_panel(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.ring(&acme, "CA-1", &acme.agent, 0, "Google Ads").await;
        let depth_before = app.outbox_depth().await;
        let append = json!({ "call_id": "CA-1", "record_id": "003000000000001AAA", "record_type": "Contact", "chosen_by": "agent_choice" });
        let first: Value = app.post_json(Some(&acme.agent.token), "/api/v1/activities", &append).await.json().await.unwrap();
        let second: Value = app.post_json(Some(&acme.agent.token), "/api/v1/activities", &append).await.json().await.unwrap();
        assert_eq!((first["duplicate"].clone(), second["duplicate"].clone()), (json!(false), json!(true)));
        assert_eq!(first["activity_id"], second["activity_id"]);
        let (_, panel) = app.get_json(&acme.admin, "/api/v1/calls/CA-1/salesforce").await;
        assert_eq!(panel["appends"].as_array().unwrap().len(), 1, "{panel}");
        assert_eq!(panel["appends"][0]["chosen_by"], "agent_choice");
        assert_eq!(panel["appends"][0]["sent_by"], acme.agent.email.as_str());
        // One outbox item for the one append. Other tests' apps share the process-wide gauge only between scrapes.
        assert_eq!(app.outbox_depth().await - depth_before, 1);
    }
}
