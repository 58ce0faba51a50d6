//! OAuth 2.0 as Salesforce does it (salesforce-api.md §1): the web server flow with optional PKCE, the refresh
//! token flow with optional rotation, revocation, and the identity URL.
//!
//! - `GET /services/oauth2/authorize`: checks `client_id` and `redirect_uri` against a registered connected app,
//!   then (per `OrgSettings::approval`) shows an "Allow Access?" page, redirects at once with a code, or redirects
//!   with `error=access_denied`. `POST` to the same path is the page's Allow/Deny form.
//! - `POST /services/oauth2/token`: `authorization_code` (single use, bound to its `redirect_uri`, PKCE S256) and
//!   `refresh_token`. Success is `{access_token, refresh_token?, signature, scope, instance_url, id, token_type,
//!   issued_at}` with **no `expires_in`**; errors are 400 `{"error", "error_description"}`.
//! - `POST /services/oauth2/revoke` (form `token=`): revoking a refresh token revokes every access token issued
//!   from it.
//! - `GET /id/{org}/{user}`: the identity document of the token's user (the seeded "Integration User").
//!
//! The org serves as its own login host, so `instance_url` and the identity URL are the org's base URL.

use crate::settings::Approval;
use crate::{Org, OrgState};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use callpop_core::record::RecordId;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The default connected app's consumer key. Tests and the demo may register their own.
pub const DEFAULT_CLIENT_ID: &str = "3MVG9callpop.local.org.default.connected.app";
/// The default connected app's consumer secret.
pub const DEFAULT_CLIENT_SECRET: &str = "callpop-local-org-consumer-secret";
/// The default connected app's callback URL: the callpop server's, on the demo's port.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8080/salesforce/oauth/callback";
/// The integration user's username; every token the org issues belongs to this user.
pub const INTEGRATION_USERNAME: &str = "integration@acme.example";

/// A connected app: the client the org knows by `client_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectedApp {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    /// Every refresh returns a new refresh token and invalidates the old one.
    #[serde(default)]
    pub rotate_refresh_tokens: bool,
    /// "Require Secret for Refresh Token Flow" (on by default in Salesforce).
    #[serde(default = "yes")]
    pub require_secret_for_refresh: bool,
    /// "Require Secret for Web Server Flow" (on by default; a PKCE-only public client turns it off).
    #[serde(default = "yes")]
    pub require_secret_for_web_server: bool,
    /// The scopes granted when the authorize request names none.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_scopes() -> Vec<String> {
    vec!["api".to_owned(), "refresh_token".to_owned()]
}

impl ConnectedApp {
    /// The default app: `DEFAULT_CLIENT_ID`, `DEFAULT_CLIENT_SECRET`, `DEFAULT_REDIRECT_URI`, no rotation.
    pub fn default_app() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            redirect_uris: vec![DEFAULT_REDIRECT_URI.to_owned()],
            rotate_refresh_tokens: false,
            require_secret_for_refresh: true,
            require_secret_for_web_server: true,
            scopes: default_scopes(),
        }
    }
}

#[derive(Debug, Clone)]
struct AuthorizationCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    scopes: Vec<String>,
    issued: DateTime<Utc>,
}

/// An access token the org issued.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub client_id: String,
    pub user: RecordId,
    pub issued: DateTime<Utc>,
    /// The refresh token it came from, so revoking that one revokes this one.
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone)]
struct RefreshToken {
    client_id: String,
    user: RecordId,
    scopes: Vec<String>,
}

/// The org's OAuth state: connected apps, pending codes, live tokens.
#[derive(Debug, Clone)]
pub struct AuthState {
    apps: Vec<ConnectedApp>,
    codes: HashMap<String, AuthorizationCode>,
    access_tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshToken>,
    /// The organization id (`00D…`).
    pub org_id: RecordId,
}

impl Default for AuthState {
    fn default() -> Self {
        Self {
            apps: vec![ConnectedApp::default_app()],
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            org_id: RecordId::mint("00D", 1),
        }
    }
}

/// A token endpoint success body, as the org sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub signature: String,
    pub scope: String,
    pub instance_url: String,
    pub id: String,
    pub token_type: String,
    pub issued_at: String,
}

/// A token endpoint failure: 400 `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: &'static str,
}

impl OAuthError {
    const fn new(error: &'static str, description: &'static str) -> Self {
        Self { error, description }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({"error": self.error, "error_description": self.description})))
            .into_response()
    }
}

const INVALID_CLIENT_ID: OAuthError = OAuthError::new("invalid_client_id", "client identifier invalid");
const INVALID_CLIENT: OAuthError = OAuthError::new("invalid_client", "invalid client credentials");
const EXPIRED_TOKEN: OAuthError = OAuthError::new("invalid_grant", "expired access/refresh token");

fn random_text(length: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(length).map(char::from).collect()
}

/// Base64 HMAC-SHA256 of `id` + `issued_at`, keyed by the consumer secret (§1.2).
pub fn token_signature(client_secret: &str, id: &str, issued_at: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(id.as_bytes());
    mac.update(issued_at.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl AuthState {
    pub fn apps(&self) -> &[ConnectedApp] {
        &self.apps
    }

    pub fn app(&self, client_id: &str) -> Option<&ConnectedApp> {
        self.apps.iter().find(|app| app.client_id == client_id)
    }

    /// Registers a connected app, replacing one with the same `client_id`.
    pub fn register(&mut self, app: ConnectedApp) {
        self.apps.retain(|known| known.client_id != app.client_id);
        self.apps.push(app);
    }

    /// The live access token `token`, if it has not expired under `ttl`.
    pub fn access_token(&self, token: &str, now: DateTime<Utc>, ttl: Option<Duration>) -> Option<&AccessToken> {
        self.access_tokens.get(token).filter(|access| ttl.is_none_or(|ttl| access.issued + ttl > now))
    }

    /// Expires every access token at once (refresh tokens stay valid, as when sessions time out).
    pub fn expire_all_access_tokens(&mut self) -> usize {
        let expired = self.access_tokens.len();
        self.access_tokens.clear();
        expired
    }

    /// Expires one access token; true when it was live.
    pub fn expire_access_token(&mut self, token: &str) -> bool {
        self.access_tokens.remove(token).is_some()
    }

    /// Revokes an access or refresh token; a refresh token takes its access tokens with it.
    pub fn revoke(&mut self, token: &str) -> bool {
        if self.access_tokens.remove(token).is_some() {
            return true;
        }
        if self.refresh_tokens.remove(token).is_none() {
            return false;
        }
        self.access_tokens.retain(|_, access| access.refresh_token.as_deref() != Some(token));
        true
    }

    /// Revokes everything the org ever issued.
    pub fn revoke_all(&mut self) {
        self.access_tokens.clear();
        self.refresh_tokens.clear();
        self.codes.clear();
    }

    /// How many access and refresh tokens are live (issued and not revoked).
    pub fn live_tokens(&self) -> usize {
        self.access_tokens.len() + self.refresh_tokens.len()
    }

    fn identity_url(&self, origin: &str, user: &RecordId) -> String {
        format!("{origin}/id/{}/{user}", self.org_id)
    }

    /// Issues an access token (and a refresh token when the scopes allow it, or `keep_refresh` says which).
    fn issue(
        &mut self,
        origin: &str,
        app: &ConnectedApp,
        user: RecordId,
        scopes: &[String],
        refresh: &RefreshIssue,
        now: DateTime<Utc>,
    ) -> TokenResponse {
        let access_token = format!("{}!AQ{}", self.org_id.short(), random_text(96));
        let refresh_token = match refresh {
            RefreshIssue::New if scopes.iter().any(|scope| scope == "refresh_token" || scope == "offline_access") => {
                let token = format!("5Aep861{}", random_text(80));
                let entry =
                    RefreshToken { client_id: app.client_id.clone(), user: user.clone(), scopes: scopes.to_vec() };
                self.refresh_tokens.insert(token.clone(), entry);
                Some(token)
            }
            RefreshIssue::New => None,
            RefreshIssue::Existing(token) => Some(token.clone()),
        };
        let parent = refresh_token.clone();
        let id = self.identity_url(origin, &user);
        let issued_at = now.timestamp_millis().to_string();
        let access = AccessToken { client_id: app.client_id.clone(), user, issued: now, refresh_token: parent };
        self.access_tokens.insert(access_token.clone(), access);
        TokenResponse {
            signature: token_signature(&app.client_secret, &id, &issued_at),
            access_token,
            refresh_token: match refresh {
                RefreshIssue::Existing(_) => None,
                RefreshIssue::New => refresh_token,
            },
            scope: scopes.join(" "),
            instance_url: origin.to_owned(),
            id,
            token_type: "Bearer".to_owned(),
            issued_at,
        }
    }
}

/// Whether a token response brings a new refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RefreshIssue {
    New,
    /// A refresh without rotation: the access token hangs off the refresh token the client already has.
    Existing(String),
}

impl OrgState {
    /// The integration user every token belongs to, created when the org has none (an unseeded org).
    pub fn integration_user(&mut self) -> RecordId {
        let found = self.records.of("User").find(|user| user.text("Username") == Some(INTEGRATION_USERNAME));
        if let Some(user) = found {
            return user.id.clone();
        }
        let fields = json!({"FirstName": "Integration", "LastName": "User", "Username": INTEGRATION_USERNAME,
                            "Email": INTEGRATION_USERNAME, "IsActive": true});
        self.records.insert("User", fields.as_object().cloned().unwrap_or_default(), Utc::now())
    }

    fn access_token_ttl(&self) -> Option<Duration> {
        self.settings.access_token_ttl_secs.map(|seconds| Duration::seconds(seconds as i64))
    }

    /// The user behind a live access token.
    pub fn token_user(&self, token: &str, now: DateTime<Utc>) -> Option<RecordId> {
        self.auth.access_token(token, now, self.access_token_ttl()).map(|access| access.user.clone())
    }

    /// Issues tokens for the integration user through `client_id`'s app, skipping the browser (for tests).
    pub fn issue_tokens(&mut self, client_id: &str, now: DateTime<Utc>) -> Option<TokenResponse> {
        let app = self.auth.app(client_id)?.clone();
        let user = self.integration_user();
        let origin = self.origin.clone();
        Some(self.auth.issue(&origin, &app, user, &app.scopes.clone(), &RefreshIssue::New, now))
    }
}

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/services/oauth2/authorize", get(authorize).post(decide))
        .route("/services/oauth2/token", post(token))
        .route("/services/oauth2/revoke", post(revoke).get(revoke))
        .route("/id/{org}/{user}", get(identity))
}

#[derive(Debug, Clone, Deserialize, Serialize)]
struct AuthorizeRequest {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code_challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code_challenge_method: Option<String>,
    /// The approval page's answer: `allow` or `deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decision: Option<String>,
}

/// A 302 to `redirect_uri` with the parameters appended, as Salesforce redirects.
fn redirect_with(redirect_uri: &str, parameters: &[(&str, &str)]) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in parameters {
        query.append_pair(name, value);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", query.finish());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn redirect_error(request: &AuthorizeRequest, error: &str, description: &str) -> Response {
    let mut parameters = vec![("error", error), ("error_description", description)];
    if let Some(state) = &request.state {
        parameters.push(("state", state));
    }
    redirect_with(&request.redirect_uri, &parameters)
}

/// The error page Salesforce shows instead of redirecting when it cannot trust the redirect URI.
fn error_page(error: &str, description: &str) -> Response {
    let text = format!("error={error}&error_description={description}");
    let page = format!(
        "<!doctype html><title>Remote Access Authorization Error</title><h1>Remote Access Authorization Error</h1>\
         <p>There was a problem in setting up your remote access.</p><pre>{}</pre>",
        text.replace('&', "&amp;").replace('<', "&lt;")
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// Checks an authorize request: an error response, or the app it is for.
fn check_authorize(state: &OrgState, request: &AuthorizeRequest) -> Result<ConnectedApp, Box<Response>> {
    let Some(app) = state.auth.app(&request.client_id) else {
        return Err(Box::new(error_page("invalid_client_id", "client identifier invalid")));
    };
    if !app.redirect_uris.contains(&request.redirect_uri) {
        return Err(Box::new(error_page("redirect_uri_mismatch", "redirect_uri must match configuration")));
    }
    if request.response_type != "code" {
        return Err(Box::new(redirect_error(request, "unsupported_response_type", "response type not supported")));
    }
    if request.code_challenge_method.as_deref().is_some_and(|method| method != "S256") {
        return Err(Box::new(redirect_error(request, "invalid_request", "invalid code_challenge_method")));
    }
    Ok(app.clone())
}

fn grant_code(state: &mut OrgState, app: &ConnectedApp, request: &AuthorizeRequest) -> Response {
    let scopes = match &request.scope {
        Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
        None => app.scopes.clone(),
    };
    let code = format!("aPrx{}==", random_text(60));
    let pending = AuthorizationCode {
        client_id: app.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        scopes,
        issued: Utc::now(),
    };
    state.auth.codes.insert(code.clone(), pending);
    let mut parameters = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        parameters.push(("state", state));
    }
    redirect_with(&request.redirect_uri, &parameters)
}

const DENIED: &str = "end-user denied authorization";

async fn authorize(State(org): State<Org>, Query(request): Query<AuthorizeRequest>) -> Response {
    let mut state = org.lock();
    let app = match check_authorize(&state, &request) {
        Ok(app) => app,
        Err(response) => return *response,
    };
    match state.settings.approval {
        Approval::Immediate => grant_code(&mut state, &app, &request),
        Approval::Deny => redirect_error(&request, "access_denied", DENIED),
        Approval::Page => approval_page(&request),
    }
}

/// The "Allow Access?" page: two buttons posting the request back with `decision`.
fn approval_page(request: &AuthorizeRequest) -> Response {
    let escape = |text: &str| text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let hidden: String = serde_json::to_value(request)
        .ok()
        .and_then(|value| value.as_object().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|(name, value)| value.as_str().map(|value| (name.clone(), value.to_owned())))
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(&name), escape(&value)))
        .collect();
    let page = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Allow Access?</title><link rel=\"stylesheet\" href=\"/assets/org.css\">\
         <main class=\"oauth-approval\"><h1>Allow Access?</h1>\
         <p>The app <strong>{}</strong> is asking to access your data in this org as the Integration User.</p>\
         <form method=\"post\" action=\"/services/oauth2/authorize\">{hidden}\
         <button name=\"decision\" value=\"deny\">Deny</button> <button name=\"decision\" value=\"allow\">Allow</button>\
         </form></main>",
        escape(&request.client_id)
    );
    Html(page).into_response()
}

async fn decide(State(org): State<Org>, body: String) -> Response {
    let Ok(request) = serde_urlencoded_form::<AuthorizeRequest>(&body) else {
        return error_page("invalid_request", "bad request");
    };
    let mut state = org.lock();
    let app = match check_authorize(&state, &request) {
        Ok(app) => app,
        Err(response) => return *response,
    };
    if request.decision.as_deref() == Some("allow") {
        grant_code(&mut state, &app, &request)
    } else {
        redirect_error(&request, "access_denied", DENIED)
    }
}

/// Parses a form body into `T` (through a JSON object of its string pairs; later pairs win).
fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, serde_json::Error> {
    let pairs: serde_json::Map<String, Value> =
        form_urlencoded::parse(body.as_bytes()).map(|(name, value)| (name.into_owned(), json!(value))).collect();
    serde_json::from_value(Value::Object(pairs))
}

/// The token endpoint's parameters: from the form body, or the query string (Salesforce accepts both).
fn parameters(query: Option<&str>, body: &str) -> HashMap<String, String> {
    let from_query = form_urlencoded::parse(query.unwrap_or_default().as_bytes());
    from_query
        .chain(form_urlencoded::parse(body.as_bytes()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

async fn token(State(org): State<Org>, RawQuery(query): RawQuery, body: String) -> Response {
    let parameters = parameters(query.as_deref(), &body);
    let get = |name: &str| parameters.get(name).map(String::as_str).filter(|value| !value.is_empty());
    let mut state = org.lock();
    let now = Utc::now();
    let result = match get("grant_type") {
        None => Err(OAuthError::new("invalid_request", "grant type is missing")),
        Some("authorization_code") => exchange_code(&mut state, &get, now),
        Some("refresh_token") => refresh(&mut state, &get, now),
        Some(_) => Err(OAuthError::new("unsupported_grant_type", "grant type not supported")),
    };
    let result = result.map(|mut tokens| {
        if let Some(instance_url) = &state.settings.token_instance_url {
            tokens.instance_url.clone_from(instance_url);
        }
        tokens
    });
    match result {
        Ok(tokens) => (
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            serde_json::to_string(&tokens).unwrap_or_default(),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

/// The app named by `client_id`, with its secret checked when `secret_required`.
fn client<'a>(
    state: &OrgState,
    get: &impl Fn(&str) -> Option<&'a str>,
    secret_required: impl Fn(&ConnectedApp) -> bool,
) -> Result<ConnectedApp, OAuthError> {
    let app = get("client_id").and_then(|client_id| state.auth.app(client_id)).ok_or(INVALID_CLIENT_ID)?;
    match get("client_secret") {
        Some(secret) if secret != app.client_secret => Err(INVALID_CLIENT),
        None if secret_required(app) => Err(INVALID_CLIENT),
        _ => Ok(app.clone()),
    }
}

fn exchange_code<'a>(
    state: &mut OrgState,
    get: &impl Fn(&str) -> Option<&'a str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let app = client(state, get, |app| app.require_secret_for_web_server)?;
    let code = get("code").ok_or(OAuthError::new("invalid_request", "authorization code is missing"))?;
    // A code is good for one exchange, whatever its outcome from here on.
    let pending =
        state.auth.codes.remove(code).ok_or(OAuthError::new("invalid_grant", "invalid authorization code"))?;
    let lifetime = Duration::seconds(state.settings.authorization_code_ttl_secs as i64);
    if pending.client_id != app.client_id {
        return Err(OAuthError::new("invalid_grant", "invalid authorization code"));
    }
    if pending.issued + lifetime < now {
        return Err(OAuthError::new("invalid_grant", "expired authorization code"));
    }
    if get("redirect_uri") != Some(pending.redirect_uri.as_str()) {
        return Err(OAuthError::new("redirect_uri_mismatch", "redirect_uri must match configuration"));
    }
    if let Some(challenge) = &pending.code_challenge {
        // §1.2: a verifier that does not match is `invalid_request`; a missing one is `invalid_grant`.
        let verifier = get("code_verifier").ok_or(OAuthError::new("invalid_grant", "invalid code verifier"))?;
        if pkce_challenge(verifier) != *challenge {
            return Err(OAuthError::new("invalid_request", "invalid code verifier"));
        }
    }
    let user = state.integration_user();
    let origin = state.origin.clone();
    Ok(state.auth.issue(&origin, &app, user, &pending.scopes, &RefreshIssue::New, now))
}

fn refresh<'a>(
    state: &mut OrgState,
    get: &impl Fn(&str) -> Option<&'a str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let app = client(state, get, |app| app.require_secret_for_refresh)?;
    let presented = get("refresh_token").ok_or(OAuthError::new("invalid_request", "refresh token is missing"))?;
    let known = state.auth.refresh_tokens.get(presented).filter(|known| known.client_id == app.client_id);
    let RefreshToken { user, scopes, .. } = known.cloned().ok_or(EXPIRED_TOKEN)?;
    let origin = state.origin.clone();
    let mut response = if app.rotate_refresh_tokens {
        state.auth.refresh_tokens.remove(presented);
        state.auth.issue(&origin, &app, user, &scopes, &RefreshIssue::New, now)
    } else {
        state.auth.issue(&origin, &app, user, &scopes, &RefreshIssue::Existing(presented.to_owned()), now)
    };
    // An org moved to another instance since it was linked: the refresh names the new one.
    if let Some(instance_url) = &state.settings.refreshed_instance_url {
        response.instance_url.clone_from(instance_url);
    }
    Ok(response)
}

async fn revoke(State(org): State<Org>, RawQuery(query): RawQuery, body: String) -> Response {
    let parameters = parameters(query.as_deref(), &body);
    let Some(token) = parameters.get("token").filter(|token| !token.is_empty()) else {
        return OAuthError::new("unsupported_token_type", "this token type is not supported").into_response();
    };
    if org.lock().auth.revoke(token) {
        StatusCode::OK.into_response()
    } else {
        OAuthError::new("invalid_token", "invalid token").into_response()
    }
}

/// The bearer token of a request (`Bearer` or the older `OAuth` scheme).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("Bearer") || scheme.eq_ignore_ascii_case("OAuth")).then(|| token.trim())
}

/// The identity document. A missing or dead token gets 403 `Bad_OAuth_Token`, as Salesforce's identity service
/// answers (from memory of real orgs; not in the reference).
async fn identity(
    State(org): State<Org>,
    Path((org_id, user_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let state = org.lock();
    let now = Utc::now();
    if bearer_token(&headers).and_then(|token| state.token_user(token, now)).is_none() {
        return (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response();
    }
    let user =
        RecordId::parse(&user_id).ok().and_then(|id| state.records.get(&id)).filter(|user| user.object == "User");
    let (true, Some(user)) = (RecordId::parse(&org_id).ok().as_ref() == Some(&state.auth.org_id), user) else {
        return (StatusCode::NOT_FOUND, "Bad_Id").into_response();
    };
    let origin = &state.origin;
    let rest = |path: &str| format!("{origin}/services/data/v{{version}}/{path}");
    Json(json!({
        "id": state.auth.identity_url(origin, &user.id),
        "asserted_user": true,
        "user_id": user.id.as_str(),
        "organization_id": state.auth.org_id.as_str(),
        "username": user.text("Username"),
        "nick_name": user.text("Username").and_then(|name| name.split('@').next()),
        "display_name": user.display_name(),
        "email": user.text("Email").or(user.text("Username")),
        "first_name": user.text("FirstName"),
        "last_name": user.text("LastName"),
        "active": user.fields.get("IsActive").cloned().unwrap_or(json!(true)),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "last_modified_date": user.text("LastModifiedDate"),
        "is_app_installed": true,
        "urls": {
            "rest": rest(""), "sobjects": rest("sobjects/"), "search": rest("search/"), "query": rest("query/"),
            "profile": format!("{origin}/{}", user.id.short()),
        },
    }))
    .into_response()
}
