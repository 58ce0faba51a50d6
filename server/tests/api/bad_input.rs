//! Bad input on every write route: missing fields, wrong types, oversized bodies, no or wrong credentials, the
//! wrong role. Each is a 4xx JSON error (never a 5xx), and nothing of it is stored.

use crate::helpers::{TestApp, TestUser, api_test, call_event, text_event};
use callpop_core::account::Plan;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A write: method, path, the credentials to send, a valid body.
struct WriteRoute {
    method: Method,
    path: &'static str,
    token: String,
    valid: Value,
    required: &'static [&'static str],
}

/// Sends `body` and asserts a 4xx JSON error with `status` naming `field` (when given).
async fn expect_refusal(
    app: &TestApp,
    route: &WriteRoute,
    token: Option<&str>,
    body: &Value,
    status: u16,
    field: Option<&str>,
) {
    let response = app.send_json(route.method.clone(), token, route.path, body).await;
    let actual = response.status();
    let text = response.text().await.unwrap();
    let error: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{} {}: not JSON: {text}", route.method, route.path));
    assert_eq!(actual.as_u16(), status, "{} {} with {body}: {error}", route.method, route.path);
    assert!(error["error"].is_string() && error["message"].is_string(), "{error}");
    if let Some(field) = field {
        assert_eq!(error["field"], field, "{} {}: {error}", route.method, route.path);
    }
}

fn with(body: &Value, field: &str, value: Value) -> Value {
    let mut body = body.clone();
    body[field] = value;
    body
}

fn without(body: &Value, field: &str) -> Value {
    let mut body = body.clone();
    body.as_object_mut().unwrap().remove(field);
    body
}

api_test! {
    async fn every_write_route_answers_bad_input_with_4xx_json_and_stores_nothing(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        app.ring(&acme, "CA-1", &acme.agent, 0, "Google Ads").await;
        let depth_before = app.outbox_depth().await;
        let options = json!({ "legacy_mode": true, "local_number_format": false, "full_region_names": false, "edit_mode": false,
            "auto_create_classic": true, "multi_match_dialog": true, "limit_data_access": false });
        let routes = [
            WriteRoute { method: Method::POST, path: "/api/v1/call-events", token: acme.api_key.clone(),
                valid: call_event("CA-2", "ringing", &acme.agent.email, 1, "Google Ads"),
                required: &["call_id", "kind", "direction", "caller_number", "tracking_number", "occurred_at"] },
            WriteRoute { method: Method::POST, path: "/api/v1/text-events", token: acme.api_key.clone(),
                valid: text_event("SMS-1", &acme.agent.email, 1),
                required: &["message_id", "direction", "from_number", "to_number", "body", "occurred_at"] },
            WriteRoute { method: Method::PUT, path: "/api/v1/settings/salesforce", token: acme.admin.token.clone(),
                valid: options.clone(), required: &["legacy_mode", "limit_data_access"] },
            WriteRoute { method: Method::POST, path: "/api/v1/activities", token: acme.agent.token.clone(),
                valid: json!({ "call_id": "CA-1", "record_id": "003000000000001AAA", "record_type": "Contact", "chosen_by": "single_match" }),
                required: &["call_id", "record_id", "record_type", "chosen_by"] },
            WriteRoute { method: Method::POST, path: "/api/v1/api-keys", token: acme.admin.token.clone(),
                valid: json!({ "label": "PBX" }), required: &["label"] },
            WriteRoute { method: Method::POST, path: "/api/v1/agent/dial", token: acme.agent.token.clone(),
                valid: json!({ "number": "+14155552671", "record_id": "003000000000001AAA", "record_type": "Contact" }),
                required: &["number"] },
            WriteRoute { method: Method::POST, path: "/api/v1/triggers", token: acme.admin.token.clone(),
                valid: json!({ "name": "Calls", "event": "call_started", "actions": [{"type": "log_task"}] }),
                required: &["name", "event", "actions"] },
            WriteRoute { method: Method::PUT, path: "/api/v1/triggers/order", token: acme.admin.token.clone(),
                valid: json!({ "ids": [] }), required: &["ids"] },
            WriteRoute { method: Method::POST, path: "/api/v1/sessions", token: String::new(),
                valid: json!({ "email": acme.agent.email, "password": "correct horse battery" }), required: &["email", "password"] },
        ];
        let oversized = "x".repeat(70 * 1024);
        for route in &routes {
            let token = Some(route.token.as_str()).filter(|token| !token.is_empty());
            for field in route.required {
                expect_refusal(&app, route, token, &without(&route.valid, field), 422, Some(field)).await;
            }
            let first = route.required[0];
            expect_refusal(&app, route, token, &with(&route.valid, first, json!({ "an": "object" })), 422, Some(first)).await;
            expect_refusal(&app, route, token, &with(&route.valid, "colour", json!("red")), 422, Some("colour")).await;
            expect_refusal(&app, route, token, &with(&route.valid, first, json!(oversized)), 413, None).await;
            let response = app.client.request(route.method.clone(), format!("{}{}", app.base, route.path))
                .bearer_auth(&route.token).header("content-type", "application/json").body("{not json").send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{}", route.path);
            if token.is_some() {
                expect_refusal(&app, route, None, &route.valid, 401, None).await;
                expect_refusal(&app, route, Some("cps_not-a-real-token"), &route.valid, 401, None).await;
            }
        }
        // Field-level checks of the telephony events, each naming its field.
        let telephony = &routes[0];
        for (field, value) in [("caller_number", "call me maybe"), ("kind", "exploded"), ("direction", "sideways"),
            ("occurred_at", "yesterday"), ("call_id", "has spaces"), ("recording_url", "ftp://x"), ("tracking_source", &"y".repeat(256))] {
            expect_refusal(&app, telephony, Some(&acme.api_key), &with(&telephony.valid, field, json!(value)), 422, Some(field)).await;
        }
        let dials = &routes[5];
        for (field, value) in [("number", "12"), ("record_id", "003<script>"), ("record_type", "Lead")] {
            expect_refusal(&app, dials, Some(&acme.agent.token), &with(&dials.valid, field, json!(value)), 422, Some(field)).await;
        }
        let texts = &routes[1];
        for (field, value) in [("from_number", "12"), ("body", "   "), ("body", &"z".repeat(1601)), ("message_id", "")] {
            expect_refusal(&app, texts, Some(&acme.api_key), &with(&texts.valid, field, json!(value)), 422, Some(field)).await;
        }
        // The wrong role on every administrator write, and the right role from the wrong account.
        let globex = app.create_account("Globex", Plan::Enterprise).await;
        let wrong_roles: [&TestUser; 3] = [&acme.agent, &acme.manager, &acme.reports];
        for user in wrong_roles {
            expect_refusal(&app, &routes[2], Some(&user.token), &routes[2].valid, 403, None).await;
            expect_refusal(&app, &routes[4], Some(&user.token), &routes[4].valid, 403, None).await;
            expect_refusal(&app, &routes[6], Some(&user.token), &routes[6].valid, 403, None).await;
        }
        expect_refusal(&app, &routes[3], Some(&globex.agent.token), &routes[3].valid, 404, None).await;
        // Nothing was stored: no second call, no text, no append, settings and keys unchanged, no outbox item.
        let (_, calls) = app.get_json(&acme.admin, "/api/v1/calls").await;
        assert_eq!(calls["calls"].as_array().unwrap().len(), 1, "{calls}");
        let (_, texts) = app.get_json(&acme.admin, "/api/v1/texts").await;
        assert_eq!(texts["texts"], json!([]));
        let (_, panel) = app.get_json(&acme.admin, "/api/v1/calls/CA-1/salesforce").await;
        assert_eq!(panel["appends"], json!([]));
        let (_, settings) = app.get_json(&acme.admin, "/api/v1/settings/salesforce").await;
        assert_eq!(settings["legacy_mode"], false);
        let (_, history) = app.get_json(&acme.admin, "/api/v1/settings/salesforce/changes").await;
        assert_eq!(history["changes"], json!([]));
        let (_, keys) = app.get_json(&acme.admin, "/api/v1/api-keys").await;
        assert_eq!(keys["api_keys"].as_array().unwrap().len(), 1);
        let waiting = app.get(Some(&acme.api_key), "/api/v1/dial-requests").await.json::<Value>().await.unwrap();
        assert_eq!(waiting, json!([]), "no dial request");
        let (_, triggers) = app.get_json(&acme.admin, "/api/v1/triggers").await;
        assert_eq!(triggers["triggers"], json!([]), "no trigger");
        assert_eq!(app.outbox_depth().await, depth_before);
    }
}
