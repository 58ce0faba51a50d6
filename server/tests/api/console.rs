//! The admin console's pages as the server serves them: the HTML shell with a strict Content-Security-Policy for
//! every page that has a module, a 404 for any other, and none of them in the OpenAPI document.

use crate::helpers::api_test;
use reqwest::StatusCode;
use serde_json::Value;

api_test! {
    async fn every_console_page_is_the_shell_with_a_strict_policy_and_unknown_pages_are_404(app: TestApp) {
        for page in ["/console/", "/console/sign-in", "/console/calls", "/console/texts", "/console/options",
            "/console/history", "/console/call-center", "/console/api-keys"]
        {
            let response = app.get(None, page).await;
            assert_eq!(response.status(), StatusCode::OK, "{page}");
            let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
            assert!(policy.contains("script-src 'self';") && policy.contains("frame-ancestors 'none'"), "{policy}");
            assert_eq!(response.headers()["x-frame-options"], "DENY");
            let html = response.text().await.unwrap();
            assert!(html.contains(r#"<script type="module" src="/static/console/app.js">"#), "{page}");
            assert!(!html.contains("<script>") && !html.contains("style="), "no inline script or style: {page}");
        }
        for missing in ["/console/no-such-page", "/console/home", "/console/..%2Fsoftphone", "/console/Calls"] {
            let response = app.get(None, missing).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
        }
        let redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = redirect.get(format!("{}/console", app.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(response.headers()["location"], "/console/");
        let module = app.get(None, "/static/console/pages/options.js").await;
        assert_eq!(module.status(), StatusCode::OK);
        assert!(module.headers()["content-type"].to_str().unwrap().contains("javascript"));
        let document: Value = app.get(None, "/api/openapi.json").await.json().await.unwrap();
        let paths = document["paths"].as_object().unwrap();
        assert!(paths.keys().all(|path| !path.contains("console")), "HTML pages are not API routes");
    }
}
