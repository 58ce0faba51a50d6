//! Health, readiness, metrics, and the OpenAPI document matching the routes.

use crate::helpers::api_test;
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

/// Every API route the server has, as `METHOD path`. The document must list exactly these.
const EVERY_ROUTE: &[&str] = &[
    "GET /api/v1/agent/history",
    "GET /api/v1/agent/stream",
    "POST /api/v1/agent/stream-tickets",
    "POST /api/v1/agent/calls/{call_id}/pop",
    "POST /api/v1/agent/calls/{call_id}/commands",
    "GET /api/v1/agent/calls/{call_id}/matches",
    "GET /api/v1/call-commands",
    "POST /api/v1/call-commands/{id}/ack",
    "POST /api/v1/agent/dial",
    "GET /api/v1/dial-requests",
    "POST /api/v1/activities",
    "GET /api/v1/api-keys",
    "POST /api/v1/api-keys",
    "DELETE /api/v1/api-keys/{key_id}",
    "GET /api/v1/call-center.xml",
    "POST /api/v1/call-events",
    "GET /api/v1/calls",
    "GET /api/v1/calls/{call_id}",
    "GET /api/v1/calls/{call_id}/salesforce",
    "GET /api/v1/me",
    "PUT /api/v1/me/password",
    "GET /api/v1/salesforce/connection",
    "POST /api/v1/salesforce/connection",
    "DELETE /api/v1/salesforce/connection",
    "GET /api/v1/salesforce/oauth/callback",
    "GET /api/v1/salesforce/preflight",
    "POST /api/v1/sessions",
    "DELETE /api/v1/sessions/current",
    "GET /api/v1/settings/salesforce",
    "PUT /api/v1/settings/salesforce",
    "GET /api/v1/settings/salesforce/changes",
    "GET /api/v1/settings/voice",
    "PUT /api/v1/settings/voice",
    "POST /api/v1/settings/voice/key-pair",
    "GET /api/v1/settings/voice/certificate",
    "GET /api/v1/softphone/config",
    "GET /api/v1/sync-log",
    "POST /api/v1/sync-log/retry",
    "POST /api/v1/sync-log/{id}/retry",
    "POST /api/v1/text-events",
    "GET /api/v1/texts",
    "GET /api/v1/texts/{message_id}",
    "GET /api/v1/texts/{message_id}/salesforce",
    "GET /api/v1/triggers",
    "POST /api/v1/triggers",
    "PUT /api/v1/triggers/order",
    "POST /api/v1/triggers/test",
    "PUT /api/v1/triggers/{id}",
    "DELETE /api/v1/triggers/{id}",
    "GET /api/v1/users/{user_id}/sessions",
    "DELETE /api/v1/users/{user_id}/sessions",
    "DELETE /api/v1/users/{user_id}/sessions/{session_id}",
    "GET /healthz",
    "GET /readyz",
    "GET /api/v1/settings/wrap-up",
    "PUT /api/v1/settings/wrap-up",
    "GET /api/v1/agent/wrap-up-settings",
    "PUT /api/v1/agent/calls/{call_id}/wrap-up",
    "GET /api/v1/agent/status",
    "PUT /api/v1/agent/status",
    "GET /api/v1/agent-statuses",
    "GET /api/v1/calls/export.csv",
    "GET /api/v1/texts/export.csv",
    "POST /api/v1/sync-log/{id}/dismiss",
    "GET /api/v1/settings/logging",
    "PUT /api/v1/settings/logging",
    "GET /api/v1/users",
    "PUT /api/v1/users/{user_id}/salesforce-user",
];

api_test! {
    async fn the_openapi_document_lists_every_route_and_every_route_it_lists_exists(app: TestApp) {
        let (status, document) = {
            let response = app.get(None, "/api/openapi.json").await;
            (response.status(), response.json::<Value>().await.unwrap())
        };
        assert_eq!(status, StatusCode::OK);
        assert!(document["openapi"].as_str().unwrap().starts_with("3."));
        let mut documented = BTreeSet::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        let mut expected: BTreeSet<String> = EVERY_ROUTE.iter().map(|route| (*route).to_owned()).collect();
        expected.insert("GET /metrics".to_owned());
        assert_eq!(documented, expected, "the OpenAPI document and the server's routes differ");
        // Every documented route is served: the router's own 404 (`route not found`) or a 405 would mean it is not.
        // Redirects are answers too (the OAuth callback's 303 to the console): they are not followed.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for route in &documented {
            let (method, path) = route.split_once(' ').unwrap();
            let path = path.replace("{call_id}", "CA-1").replace("{message_id}", "SMS-1").replace("{key_id}", "1").replace("{id}", "1").replace("{user_id}", "1").replace("{session_id}", "0123456789abcdef");
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let response = client.request(method, format!("{}{path}", app.base)).send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{route}");
            assert!(!body.contains("route not found"), "{route} is documented but not served");
            assert!(!status.is_server_error(), "{route}: {status} {body}");
        }
        let (status, body) = {
            let response = app.get(None, "/api/v1/no-such-thing").await;
            (response.status(), response.json::<Value>().await.unwrap())
        };
        assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    }
}

api_test! {
    async fn health_readiness_and_metrics_answer_with_request_counts_latencies_and_outbox_depth(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let health: Value = app.get(None, "/healthz").await.json().await.unwrap();
        assert_eq!(health["status"], "ok");
        let ready: Value = app.get(None, "/readyz").await.json().await.unwrap();
        let backend = match app.backend { crate::helpers::Backend::Sqlite => "sqlite", crate::helpers::Backend::Postgres => "postgres" };
        assert_eq!((ready["status"].as_str(), ready["database"].as_str()), (Some("ready"), Some(backend)));
        app.ring(&acme, "CA-1", &acme.agent, 0, "Google Ads").await;
        let response = app.get(None, "/metrics").await;
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let metrics = response.text().await.unwrap();
        let count_line = metrics
            .lines()
            .find(|line| line.starts_with("callpop_http_requests_total") && line.contains("route=\"/api/v1/call-events\"") && line.contains("status=\"202\""))
            .unwrap_or_else(|| panic!("no request count for call events in\n{metrics}"));
        assert!(count_line.contains("method=\"POST\""), "{count_line}");
        assert!(metrics.contains("callpop_http_request_duration_seconds_bucket"), "{metrics}");
        let depth: f64 = metrics
            .lines()
            .find_map(|line| line.strip_prefix("callpop_outbox_depth "))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no outbox depth in\n{metrics}"));
        assert!(depth >= 1.0, "the rung call waits in the outbox: {depth}");
        let response = app.get(None, "/healthz").await;
        assert!(response.headers().contains_key("x-request-id"), "every response carries its request id");
    }
}
