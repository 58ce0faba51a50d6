//! OAuth 2.0: the web server flow with PKCE, refresh with and without rotation, revocation, expiry, identity.

use crate::helpers::TestOrg;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use callpop_sandbox::oauth::ConnectedApp;
use callpop_sandbox::settings::Approval;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const CLIENT_ID: &str = "3MVG9test.client";
const SECRET: &str = "test-secret";
const CALLBACK: &str = "http://127.0.0.1:9/callback";

async fn org_with_app(rotate: bool) -> TestOrg {
    let org = TestOrg::start().await;
    org.sandbox.register_connected_app(ConnectedApp {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        redirect_uris: vec![CALLBACK.into()],
        rotate_refresh_tokens: rotate,
        ..ConnectedApp::default_app()
    });
    org.sandbox.update_settings(|settings| settings.approval = Approval::Immediate);
    org
}

/// The query parameters of a redirect's `Location`.
fn redirect_parameters(answer: &crate::helpers::Answer) -> HashMap<String, String> {
    let location = answer.header("location").expect("a redirect");
    let query = location.split_once('?').map(|(_, query)| query).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

async fn authorize(org: &TestOrg, extra: &[(&str, &str)]) -> crate::helpers::Answer {
    let mut parameters =
        vec![("response_type", "code"), ("client_id", CLIENT_ID), ("redirect_uri", CALLBACK), ("state", "s-1")];
    parameters.extend_from_slice(extra);
    let response = org.http.get(org.url("/services/oauth2/authorize")).query(&parameters).send().await.unwrap();
    TestOrg::answer(response).await
}

async fn token(org: &TestOrg, form: &[(&str, &str)]) -> crate::helpers::Answer {
    TestOrg::answer(org.http.post(org.url("/services/oauth2/token")).form(form).send().await.unwrap()).await
}

async fn code_for(org: &TestOrg, extra: &[(&str, &str)]) -> String {
    let answer = authorize(org, extra).await;
    assert_eq!(answer.status, 302, "{}", answer.text);
    let parameters = redirect_parameters(&answer);
    assert_eq!(parameters["state"], "s-1");
    parameters["code"].clone()
}

async fn exchange(org: &TestOrg, code: &str, verifier: Option<&str>) -> crate::helpers::Answer {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("redirect_uri", CALLBACK),
    ];
    form.extend(verifier.map(|verifier| ("code_verifier", verifier)));
    token(org, &form).await
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test]
async fn the_web_server_flow_with_pkce_issues_signed_tokens_without_expires_in() {
    let org = org_with_app(false).await;
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghijk";
    let code = code_for(&org, &[("code_challenge", &challenge(verifier)), ("code_challenge_method", "S256")]).await;

    let answer = exchange(&org, &code, Some(verifier)).await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("content-type"), Some("application/json;charset=UTF-8"));
    let body = &answer.body;
    assert!(body.get("expires_in").is_none());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], org.sandbox.base_url());
    assert_eq!(body["scope"], "api refresh_token");
    let access_token = body["access_token"].as_str().unwrap();
    assert!(access_token.starts_with("00D") && access_token.contains('!'), "{access_token}");
    assert!(body["refresh_token"].is_string());
    let issued_at = body["issued_at"].as_str().unwrap();
    assert!(issued_at.len() == 13 && issued_at.chars().all(|character| character.is_ascii_digit()));
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with(&format!("{}/id/00D", org.sandbox.base_url())), "{id}");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{id}{issued_at}").as_bytes());
    assert_eq!(body["signature"], STANDARD.encode(mac.finalize().into_bytes()));

    // The token works on the data API, and the identity URL names the integration user.
    assert_eq!(org.call_with_token(access_token, Method::GET, "limits", None).await.status, 200);
    let identity = TestOrg::answer(org.http.get(id).bearer_auth(access_token).send().await.unwrap()).await;
    assert_eq!(identity.status, 200);
    assert_eq!(identity.body["display_name"], "Integration User");
    assert_eq!(identity.body["username"], "integration@acme.example");
    let anonymous = TestOrg::answer(org.http.get(id).send().await.unwrap()).await;
    assert_eq!((anonymous.status, anonymous.text.as_str()), (403, "Bad_OAuth_Token"));
}

#[tokio::test]
async fn codes_are_single_use_and_bound_to_their_redirect_uri() {
    let org = org_with_app(false).await;
    let code = code_for(&org, &[]).await;
    assert_eq!(exchange(&org, &code, None).await.status, 200);
    let again = exchange(&org, &code, None).await;
    assert_eq!(
        (again.status, &again.body),
        (400, &json!({"error": "invalid_grant", "error_description": "invalid authorization code"}))
    );

    let code = code_for(&org, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("redirect_uri", "http://127.0.0.1:9/other"),
    ];
    let mismatch = token(&org, &form).await;
    assert_eq!(
        mismatch.body,
        json!({"error": "redirect_uri_mismatch", "error_description": "redirect_uri must match configuration"})
    );
}

#[tokio::test]
async fn pkce_mistakes_are_refused_as_documented() {
    let org = org_with_app(false).await;
    let code = code_for(&org, &[("code_challenge", &challenge("the-right-verifier"))]).await;
    let wrong = exchange(&org, &code, Some("another-verifier")).await;
    assert_eq!((wrong.status, wrong.body["error"].as_str()), (400, Some("invalid_request")));

    let code = code_for(&org, &[("code_challenge", &challenge("the-right-verifier"))]).await;
    let missing = exchange(&org, &code, None).await;
    assert_eq!((missing.status, missing.body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn bad_clients_and_denials_are_refused() {
    let org = org_with_app(false).await;
    let code = code_for(&org, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("client_id", CLIENT_ID),
        ("client_secret", "wrong"),
        ("redirect_uri", CALLBACK),
    ];
    assert_eq!(
        token(&org, &form).await.body,
        json!({"error": "invalid_client", "error_description": "invalid client credentials"})
    );
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("client_id", "nobody")];
    assert_eq!(
        token(&org, &form).await.body,
        json!({"error": "invalid_client_id", "error_description": "client identifier invalid"})
    );
    assert_eq!(token(&org, &[("grant_type", "password")]).await.body["error"], "unsupported_grant_type");
    assert_eq!(
        token(&org, &[]).await.body,
        json!({"error": "invalid_request", "error_description": "grant type is missing"})
    );

    let unregistered = org
        .http
        .get(org.url("/services/oauth2/authorize"))
        .query(&[("response_type", "code"), ("client_id", CLIENT_ID), ("redirect_uri", "http://evil.example/")])
        .send()
        .await
        .unwrap();
    let unregistered = TestOrg::answer(unregistered).await;
    assert_eq!(unregistered.status, 400);
    assert!(unregistered.text.contains("redirect_uri_mismatch"));

    org.sandbox.update_settings(|settings| settings.approval = Approval::Deny);
    let denied = redirect_parameters(&authorize(&org, &[]).await);
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "s-1");
}

#[tokio::test]
async fn a_person_can_click_through_the_approval_page() {
    let org = org_with_app(false).await;
    org.sandbox.update_settings(|settings| settings.approval = Approval::Page);
    let page = authorize(&org, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Allow Access?") && page.text.contains("value=\"allow\""));

    let form = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("state", "s-1"),
        ("decision", "allow"),
    ];
    let allowed =
        TestOrg::answer(org.http.post(org.url("/services/oauth2/authorize")).form(&form).send().await.unwrap()).await;
    let code = redirect_parameters(&allowed)["code"].clone();
    assert_eq!(exchange(&org, &code, None).await.status, 200);
}

async fn tokens(org: &TestOrg) -> Value {
    let code = code_for(org, &[]).await;
    exchange(org, &code, None).await.body
}

async fn refresh(org: &TestOrg, refresh_token: &str) -> crate::helpers::Answer {
    token(
        org,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ],
    )
    .await
}

#[tokio::test]
async fn refreshing_without_rotation_keeps_the_refresh_token() {
    let org = org_with_app(false).await;
    let first = tokens(&org).await;
    let refresh_token = first["refresh_token"].as_str().unwrap();
    let refreshed = refresh(&org, refresh_token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert!(refreshed.body.get("refresh_token").is_none());
    assert!(refreshed.body.get("expires_in").is_none());
    let new_token = refreshed.body["access_token"].as_str().unwrap();
    assert_ne!(new_token, first["access_token"].as_str().unwrap());
    assert_eq!(org.call_with_token(new_token, Method::GET, "limits", None).await.status, 200);
    assert_eq!(refresh(&org, refresh_token).await.status, 200);
}

#[tokio::test]
async fn rotation_replaces_the_refresh_token_and_retires_the_old_one() {
    let org = org_with_app(true).await;
    let first = tokens(&org).await;
    let old = first["refresh_token"].as_str().unwrap();
    let rotated = refresh(&org, old).await;
    let new = rotated.body["refresh_token"].as_str().expect("a new refresh token");
    assert_ne!(new, old);
    let reused = refresh(&org, old).await;
    assert_eq!(
        (reused.status, &reused.body),
        (400, &json!({"error": "invalid_grant", "error_description": "expired access/refresh token"}))
    );
    assert_eq!(refresh(&org, new).await.status, 200);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens() {
    let org = org_with_app(false).await;
    let issued = tokens(&org).await;
    let (access, refresh_token) = (issued["access_token"].as_str().unwrap(), issued["refresh_token"].as_str().unwrap());
    let refreshed_access = refresh(&org, refresh_token).await.body["access_token"].as_str().unwrap().to_owned();

    let revoked =
        org.http.post(org.url("/services/oauth2/revoke")).form(&[("token", refresh_token)]).send().await.unwrap();
    assert_eq!(revoked.status().as_u16(), 200);

    for token in [access, refreshed_access.as_str()] {
        let answer = org.call_with_token(token, Method::GET, "limits", None).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.body, json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]));
    }
    assert_eq!(refresh(&org, refresh_token).await.body["error"], "invalid_grant");
    let unknown = TestOrg::answer(
        org.http.post(org.url("/services/oauth2/revoke")).form(&[("token", "nope")]).send().await.unwrap(),
    )
    .await;
    assert_eq!((unknown.status, unknown.body["error"].as_str()), (400, Some("invalid_token")));
}

#[tokio::test]
async fn access_tokens_expire_by_ttl_or_on_demand_and_refresh_still_works() {
    let org = org_with_app(false).await;
    let issued = tokens(&org).await;
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(org.sandbox.expire_all_tokens(), 2, "the harness's token and this one");
    assert_eq!(org.call_with_token(access, Method::GET, "limits", None).await.status, 401);
    let refreshed = refresh(&org, issued["refresh_token"].as_str().unwrap()).await;
    let renewed = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(org.call_with_token(renewed, Method::GET, "limits", None).await.status, 200);

    org.sandbox.update_settings(|settings| settings.access_token_ttl_secs = Some(1));
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let expired = org.call_with_token(renewed, Method::GET, "limits", None).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.header("www-authenticate"), Some("Token"));
}
