//! One error shape everywhere: wrong methods, unknown routes, bad query and path values and missing files each answer
//! the API's JSON error naming the problem; and the OpenAPI document matches the router: every declared operation
//! exists and answers only the statuses it documents.

use crate::helpers::{TestAccount, TestApp, api_test, assert_error};
use callpop_core::account::Plan;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// The status and JSON body of a response that must be the API's error, failing when it is not JSON.
async fn json_error(response: Response, what: &str) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|value| value.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(content_type.as_deref(), Some("application/json"), "{what}: {status} {text}");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
    (status, body)
}

async fn send(app: &TestApp, method: Method, token: Option<&str>, path: &str) -> Response {
    let mut request = app.client.request(method, format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

api_test! {
    async fn wrong_methods_unknown_routes_and_bad_parameters_are_json_errors_naming_the_problem(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        // A wrong method: 405 with the methods the path takes.
        for (method, path, allowed) in [
            (Method::DELETE, "/api/v1/call-events", "POST"),
            (Method::GET, "/api/v1/sessions", "POST"),
            (Method::PATCH, "/api/v1/triggers", "GET"),
            (Method::POST, "/api/openapi.json", "GET"),
            (Method::PUT, "/softphone/", "GET"),
        ] {
            let response = send(&app, method.clone(), Some(&acme.admin.token), path).await;
            let allow = response.headers().get("allow").map(|value| value.to_str().unwrap().to_owned());
            let (status, body) = json_error(response, &format!("{method} {path}")).await;
            assert_error(status, &body, 405, "method_not_allowed", None);
            assert!(body["message"].as_str().unwrap().contains(&format!("{method} is not allowed on {path}")), "{body}");
            assert!(allow.as_deref().is_some_and(|allow| allow.contains(allowed)), "{method} {path}: Allow {allow:?}");
        }
        // Unknown paths, under /api and elsewhere (the console's own page names answer its HTML "no such page").
        for path in ["/api/v1/no-such-route", "/api/v2/calls", "/no-such-page", "/static/no-such-file.js",
            "/static/console/pages/no-such-page.js"]
        {
            let (status, body) = json_error(send(&app, Method::GET, None, path).await, path).await;
            assert_error(status, &body, 404, "not_found", None);
            assert!(body["message"].as_str().unwrap().contains(&format!("GET {path}")), "{body}");
        }
        let console = send(&app, Method::GET, None, "/console/no-such-page").await;
        assert_eq!(console.status(), StatusCode::NOT_FOUND);
        assert!(console.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        // Query values of the wrong type, each naming its parameter.
        let ticket = app.post_json(Some(&acme.agent.token), "/api/v1/agent/stream-tickets", &json!({})).await;
        let ticket = ticket.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned();
        for (token, path, parameter) in [
            (None, format!("/api/v1/agent/stream?ticket={ticket}&after=abc"), "after"),
            (Some(&acme.admin.token), "/api/v1/calls?limit=abc".to_owned(), "limit"),
            (Some(&acme.admin.token), "/api/v1/texts?limit=-1x".to_owned(), "limit"),
            (Some(&acme.admin.token), "/api/v1/sync-log?status=parked&status=failed".to_owned(), "status"),
            (None, "/api/v1/salesforce/oauth/callback?code=a&code=b".to_owned(), "code"),
        ] {
            let (status, body) = json_error(send(&app, Method::GET, token.map(String::as_str), &path).await, &path).await;
            assert_error(status, &body, 422, "invalid_field", Some(parameter));
            assert!(body["message"].as_str().unwrap().contains(parameter), "{path}: {body}");
        }
        // A NUL character, which PostgreSQL cannot store in text, in a body field, a query value or a path value.
        let labelled = app.post_json(Some(&acme.admin.token), "/api/v1/api-keys", &json!({ "label": "PBX\u{0}" })).await;
        let (status, body) = json_error(labelled, "a NUL in a body").await;
        assert_error(status, &body, 422, "invalid_field", Some("label"));
        for (path, parameter) in [("/api/v1/calls?source=a%00b", "source"), ("/api/v1/calls/CA%001", "call_id")] {
            let (status, body) = json_error(app.get(Some(&acme.admin.token), path).await, path).await;
            assert_error(status, &body, 422, "invalid_field", Some(parameter));
        }
        let (_, keys) = app.get_json(&acme.admin, "/api/v1/api-keys").await;
        assert_eq!(keys["api_keys"].as_array().unwrap().len(), 1, "no key was made: {keys}");
        // Path values of the wrong type, each naming its parameter.
        for (method, path) in [
            (Method::PUT, "/api/v1/triggers/abc"),
            (Method::DELETE, "/api/v1/triggers/99999999999999999999"),
            (Method::POST, "/api/v1/sync-log/1.5/retry"),
        ] {
            let response = app.send_json(method.clone(), Some(&acme.admin.token), path, &json!({})).await;
            let (status, body) = json_error(response, path).await;
            assert_error(status, &body, 422, "invalid_field", Some("id"));
            assert!(body["message"].as_str().unwrap().contains("path parameter `id`"), "{method} {path}: {body}");
        }
    }
}

/// The credentials an operation's `security` names, from `account`.
fn credentials<'a>(operation: &Value, account: &'a TestAccount) -> Option<&'a str> {
    let schemes: Vec<&str> = operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|requirement| requirement.as_object())
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect();
    if schemes.contains(&"session") {
        Some(&account.admin.token)
    } else if schemes.contains(&"api_key") {
        Some(&account.api_key)
    } else {
        None
    }
}

api_test! {
    async fn every_documented_operation_exists_and_answers_only_documented_statuses(app: TestApp) {
        let acme = app.create_account("Acme", Plan::Enterprise).await;
        let document: Value = app.get(None, "/api/openapi.json").await.json().await.unwrap();
        let paths = document["paths"].as_object().expect("the document's paths");
        // Redirects are answers to check, not to follow (the OAuth callback's 303).
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut operations = 0;
        for (template, item) in paths {
            // Path parameters get a value of their documented type that names nothing that exists.
            let mut path = template.clone();
            for (name, parameter) in item.as_object().unwrap().values().flat_map(|operation| {
                operation["parameters"].as_array().cloned().unwrap_or_default().into_iter().filter_map(|parameter| {
                    (parameter["in"] == "path").then(|| (parameter["name"].as_str().unwrap().to_owned(), parameter))
                })
            }) {
                let value = if parameter["schema"]["type"] == "integer" { "987654" } else { "no-such-id" };
                path = path.replace(&format!("{{{name}}}"), value);
            }
            for (method, operation) in item.as_object().unwrap() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let documented: Vec<u16> = operation["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|status| status.parse().expect("a numeric status"))
                    .collect();
                let with_body = operation.get("requestBody").is_some();
                let token = credentials(operation, &acme);
                // Anonymous, then with the operation's credentials (and an empty JSON object for a body). The agent's
                // stream takes no bearer credentials (a ticket in its query), so it is only asked without a ticket.
                for token in [None, token] {
                    let mut request = client.request(method.clone(), format!("{}{path}", app.base));
                    if let Some(token) = token {
                        request = request.bearer_auth(token);
                    }
                    if with_body {
                        request = request.json(&json!({}));
                    }
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap();
                    let what = format!("{method} {path} ({})", if token.is_some() { "signed in" } else { "anonymous" });
                    assert!(documented.contains(&status), "{what} answered {status}, documented {documented:?}: {text}");
                    assert_ne!(status, 405, "{what}: the documented method is not routed");
                    if status >= 400 {
                        let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
                        assert!(body["error"].is_string() && body["message"].is_string(), "{what}: {body}");
                        assert!(!body["message"].as_str().unwrap().starts_with("there is no route"), "{what}: {body}");
                    }
                }
                operations += 1;
            }
        }
        assert!(operations >= 40, "only {operations} operations in the document");
    }
}
