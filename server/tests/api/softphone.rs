//! The softphone as the server serves it: its page only with its Content-Security-Policy (no copy of it, or of any
//! other page, under `/static`), and its session: the partitioned cookie, where the cookie is accepted, and signing
//! out.

use crate::helpers::{api_test, assert_error};
use callpop_core::account::Plan;
use reqwest::StatusCode;
use serde_json::{Value, json};

api_test! {
    async fn the_softphone_page_has_its_policy_and_static_serves_no_page(app: TestApp) {
        let page = app.get(None, "/softphone/").await;
        assert_eq!(page.status(), StatusCode::OK);
        let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("frame-ancestors https://*.force.com"), "{policy}");
        for copy in ["/static/softphone/index.html", "/static/softphone/", "/static/softphone", "/static/softphone/index%2Ehtml",
            "/static/softphone/INDEX.HTML", "/static/console/index.html", "/static/console/"]
        {
            let response = app.get(None, copy).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or_else(|_| panic!("a JSON error for {copy}"));
            assert_error(status, &body, 404, "not_found", None);
        }
        let style = app.get(None, "/static/softphone/softphone.css").await;
        assert_eq!(style.status(), StatusCode::OK);
        let policy = style.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "a static file frames nowhere: {policy}");
    }
}

/// Signs in as the softphone does and returns the token and the `Set-Cookie` header.
async fn softphone_sign_in(app: &crate::helpers::TestApp, email: &str) -> (String, String) {
    let body = json!({ "email": email, "password": "correct horse battery", "session_cookie": true });
    let response = app.post_json(None, "/api/v1/sessions", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    (body["token"].as_str().unwrap().to_owned(), set_cookie)
}

/// `GET /api/v1/me` with the session cookie only, and the given request headers.
async fn me_by_cookie(app: &crate::helpers::TestApp, token: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut request =
        app.client.get(format!("{}/api/v1/me", app.base)).header("cookie", format!("callpop_session={token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status()
}

api_test! {
    async fn the_softphone_session_cookie_is_partitioned_and_accepted_only_from_its_own_origin(app: TestApp) {
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (token, set_cookie) = softphone_sign_in(&app, &account.agent.email).await;
        let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
        assert_eq!(attributes[0], format!("callpop_session={token}"));
        for wanted in ["HttpOnly", "SameSite=None", "Partitioned", "Secure", "Path=/api/", "Max-Age=43200"] {
            assert!(attributes.contains(&wanted), "{wanted} in {set_cookie}");
        }
        // The console signs in without asking for the cookie, and gets none.
        let plain = app.post_json(None, "/api/v1/sessions",
            &json!({ "email": account.admin.email, "password": "correct horse battery" })).await;
        assert!(plain.headers().get("set-cookie").is_none());

        assert_eq!(me_by_cookie(&app, &token, &[("sec-fetch-site", "same-origin")]).await, StatusCode::OK);
        // A page of another site (Salesforce's own, or any other) cannot use the cookie.
        for site in ["cross-site", "same-site", "none"] {
            assert_eq!(me_by_cookie(&app, &token, &[("sec-fetch-site", site)]).await, StatusCode::UNAUTHORIZED, "{site}");
        }
        // A browser that sends no fetch metadata: the Origin decides.
        let own_origin = app.base.clone();
        assert_eq!(me_by_cookie(&app, &token, &[("origin", &own_origin)]).await, StatusCode::OK);
        let other = me_by_cookie(&app, &token, &[("origin", "https://evil.example")]).await;
        assert_eq!(other, StatusCode::UNAUTHORIZED);
        assert_eq!(me_by_cookie(&app, &token, &[]).await, StatusCode::UNAUTHORIZED, "no proof of origin");
    }
}

api_test! {
    async fn signing_out_ends_the_session_on_the_server(app: TestApp) {
        let account = app.create_account("Acme", Plan::Enterprise).await;
        let (token, _) = softphone_sign_in(&app, &account.agent.email).await;
        assert_eq!(app.get(Some(&token), "/api/v1/me").await.status(), StatusCode::OK);
        let response = app.send_json(reqwest::Method::DELETE, Some(&token), "/api/v1/sessions/current", &json!({})).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let removal = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(removal.starts_with("callpop_session=;") && removal.contains("Max-Age=0"), "{removal}");
        assert!(removal.contains("Partitioned"), "the removal names the same partitioned cookie: {removal}");

        // The old token is refused everywhere, as a bearer token and as the cookie.
        let response = app.get(Some(&token), "/api/v1/me").await;
        let status = response.status();
        assert_error(status, &response.json().await.unwrap(), 401, "unauthorized", None);
        let ticket = app.post_json(Some(&token), "/api/v1/agent/stream-tickets", &json!({})).await;
        assert_eq!(ticket.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(me_by_cookie(&app, &token, &[("sec-fetch-site", "same-origin")]).await, StatusCode::UNAUTHORIZED);
        // Signing out again, or without a session, is a 401 with a JSON body.
        let again = app.send_json(reqwest::Method::DELETE, Some(&token), "/api/v1/sessions/current", &json!({})).await;
        let status = again.status();
        assert_error(status, &again.json().await.unwrap(), 401, "unauthorized", None);
        // Other sessions of the same agent (another browser) go on.
        assert_eq!(app.get(Some(&account.agent.token), "/api/v1/me").await.status(), StatusCode::OK);
    }
}
