//! Linking an org: Salesforce's OAuth 2.0 web-server flow with PKCE and state, the code exchange, refreshing and
//! revoking (`salesforce-api.md` §1), on the `oauth2` crate.
//!
//! The `oauth2` crate is used without its default features: its `reqwest` feature pulls reqwest 0.12 next to the
//! server's 0.13 (two HTTP stacks, and ring next to aws-lc-rs). [`send`] adapts our reqwest client to its
//! `AsyncHttpClient` trait instead, and hands 5xx answers back as transport failures so they stay retryable.
//!
//! Salesforce's token response has no `expires_in` (the session timeout decides, and a 401 says so) but carries
//! `instance_url` (where every API call goes), `id` (the identity URL), `issued_at` (milliseconds, as a string) and
//! `signature`; all four are captured. A refresh usually returns no new refresh token, unless the connected app
//! rotates them, and may return a new `instance_url`: callers store whatever comes back.

use super::error::SalesforceError;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ErrorResponse, ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where users log in: production, sandbox, a My Domain, or the local org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginUrl(String);

/// Why a login URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a Salesforce login URL: use login, test, or the org's My Domain URL (https://<name>.my.salesforce.com)"
)]
pub struct InvalidLoginUrl(String);

impl LoginUrl {
    pub const PRODUCTION: &'static str = "https://login.salesforce.com";
    pub const SANDBOX: &'static str = "https://test.salesforce.com";

    /// `login` / `production`, `test` / `sandbox`, any `https://` origin (a My Domain), or `http://` on loopback
    /// (the local org in the demo and tests; plain HTTP anywhere else would expose tokens).
    pub fn parse(raw: &str) -> Result<Self, InvalidLoginUrl> {
        let trimmed = raw.trim().trim_end_matches('/');
        let url = match trimmed.to_ascii_lowercase().as_str() {
            "login" | "production" => Self::PRODUCTION.to_owned(),
            "test" | "sandbox" => Self::SANDBOX.to_owned(),
            _ => trimmed.to_owned(),
        };
        let parsed = reqwest::Url::parse(&url).map_err(|_| InvalidLoginUrl(raw.to_owned()))?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        let allowed = match parsed.scheme() {
            "https" => parsed.host_str().is_some(),
            "http" => loopback,
            _ => false,
        };
        if !allowed || parsed.path() != "/" || parsed.query().is_some() {
            return Err(InvalidLoginUrl(raw.to_owned()));
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A connected app's credentials and where the org sends the browser back.
#[derive(Clone)]
pub struct OAuthSettings {
    pub login_url: LoginUrl,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The callback URL registered on the connected app.
    pub redirect_url: String,
}

impl fmt::Debug for OAuthSettings {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("OAuthSettings")
            .field("login_url", &self.login_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

/// The fields Salesforce adds to the token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesforceTokenFields {
    pub instance_url: String,
    pub id: String,
    #[serde(default)]
    pub issued_at: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
}

impl ExtraTokenFields for SalesforceTokenFields {}

type TokenResponseBody = StandardTokenResponse<SalesforceTokenFields, BasicTokenType>;

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponseBody,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A token set from the token endpoint. The tokens are secrets: `Debug` shows them as redacted.
#[derive(Debug, Clone)]
pub struct SalesforceToken {
    pub access_token: SecretString,
    /// Present after the code exchange (with the `refresh_token` scope) and after a rotating refresh.
    pub refresh_token: Option<SecretString>,
    /// Where API calls go, e.g. `https://yourorg.my.salesforce.com`.
    pub instance_url: String,
    /// The identity URL, `https://login.salesforce.com/id/<orgId>/<userId>`.
    pub identity_url: String,
    /// When the token was issued, milliseconds since the epoch.
    pub issued_at_ms: Option<u64>,
    /// Base64 HMAC-SHA256 of `id` + `issued_at` keyed with the client secret.
    pub signature: Option<String>,
    pub scopes: Vec<String>,
}

impl SalesforceToken {
    /// The org id and user id from the identity URL.
    pub fn org_and_user(&self) -> Option<(&str, &str)> {
        let mut parts = self.identity_url.trim_end_matches('/').rsplit('/');
        let user = parts.next()?;
        let org = parts.next()?;
        Some((org, user))
    }
}

impl From<TokenResponseBody> for SalesforceToken {
    fn from(body: TokenResponseBody) -> Self {
        let extra = body.extra_fields().clone();
        Self {
            access_token: SecretString::from(body.access_token().secret().as_str()),
            refresh_token: body.refresh_token().map(|token| SecretString::from(token.secret().as_str())),
            instance_url: extra.instance_url.trim_end_matches('/').to_owned(),
            identity_url: extra.id,
            issued_at_ms: extra.issued_at.and_then(|text| text.parse().ok()),
            signature: extra.signature,
            scopes: body
                .scopes()
                .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect())
                .unwrap_or_default(),
        }
    }
}

/// The start of a link: send the browser to `url`, and keep `state` and `pkce_verifier` (server-side, e.g. with
/// the admin's session) to check the callback and exchange its code.
#[derive(Clone)]
pub struct AuthorizationStart {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
}

impl fmt::Debug for AuthorizationStart {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("AuthorizationStart").field("url", &self.url).finish_non_exhaustive()
    }
}

/// The scopes callpop asks for: the REST API, and a refresh token to keep syncing without the admin.
pub const SCOPES: [&str; 2] = ["api", "refresh_token"];

/// Why the adapter could not deliver a request to the token endpoints.
#[derive(Debug, thiserror::Error)]
pub enum OAuthTransportError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error("could not build the HTTP response: {0}")]
    Http(#[from] oauth2::http::Error),
    /// The endpoint answered 5xx: kept whole so it classifies as transient.
    #[error("the login server answered {status}")]
    Server { status: u16, content_type: Option<String>, body: Vec<u8> },
}

/// The adapter between `oauth2` and our reqwest 0.13 client.
async fn send(
    http: &reqwest::Client,
    counter: &AtomicU64,
    request: HttpRequest,
) -> Result<HttpResponse, OAuthTransportError> {
    let request = reqwest::Request::try_from(request)?;
    counter.fetch_add(1, Ordering::Relaxed);
    let response = http.execute(request).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    if status.is_server_error() {
        let content_type =
            headers.get(reqwest::header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).map(str::to_owned);
        return Err(OAuthTransportError::Server { status: status.as_u16(), content_type, body });
    }
    let mut builder = oauth2::http::Response::builder().status(status);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    Ok(builder.body(body)?)
}

/// The OAuth side of the Salesforce link.
/// The oauth2 crate's HTTP client over our reqwest client, counting requests. A named type rather than a closure:
/// the closure's higher-ranked future cannot be proven `Send`, which a token refresh on the sync worker needs.
struct TokenEndpointClient<'a> {
    http: &'a reqwest::Client,
    counter: &'a AtomicU64,
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenEndpointClient<'_> {
    type Error = OAuthTransportError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<HttpResponse, OAuthTransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.http, self.counter, request))
    }
}

#[derive(Debug, Clone)]
pub struct SalesforceOAuth {
    client: OAuthClient,
    http: reqwest::Client,
    revoke_url: String,
    requests: Arc<AtomicU64>,
}

impl SalesforceOAuth {
    /// Endpoints are `{login}/services/oauth2/{authorize,token,revoke}`. The client id and secret travel in the
    /// form body (Salesforce's documented way), not in a Basic header.
    pub fn new(settings: &OAuthSettings, http: reqwest::Client) -> Result<Self, InvalidLoginUrl> {
        let login = settings.login_url.as_str();
        let endpoint = |path: &str| format!("{login}/services/oauth2/{path}");
        let invalid = |_| InvalidLoginUrl(login.to_owned());
        let client = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(settings.client_secret.expose_secret().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(endpoint("authorize")).map_err(invalid)?)
            .set_token_uri(TokenUrl::new(endpoint("token")).map_err(invalid)?)
            .set_redirect_uri(
                RedirectUrl::new(settings.redirect_url.clone())
                    .map_err(|_| InvalidLoginUrl(settings.redirect_url.clone()))?,
            );
        Ok(Self { client, http, revoke_url: endpoint("revoke"), requests: Arc::new(AtomicU64::new(0)) })
    }

    /// How many requests went to the OAuth endpoints.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The URL to send the admin's browser to, with a fresh state and PKCE (S256) challenge.
    pub fn authorize(&self) -> AuthorizationStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(SCOPES.iter().map(|scope| Scope::new((*scope).to_owned())))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizationStart {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    /// Exchanges the callback's code (after the caller checked its `state`).
    pub async fn exchange_code(&self, code: &str, pkce_verifier: &str) -> Result<SalesforceToken, SalesforceError> {
        let http = TokenEndpointClient { http: &self.http, counter: &self.requests };
        self.client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map(SalesforceToken::from)
            .map_err(token_error)
    }

    /// Gets a new access token. Keep the old refresh token unless the answer carries a new one.
    pub async fn refresh(&self, refresh_token: &str) -> Result<SalesforceToken, SalesforceError> {
        let http = TokenEndpointClient { http: &self.http, counter: &self.requests };
        let token = RefreshToken::new(refresh_token.to_owned());
        self.client
            .exchange_refresh_token(&token)
            .request_async(&http)
            .await
            .map(SalesforceToken::from)
            .map_err(token_error)
    }

    /// Revokes a token; revoking the refresh token also revokes every access token issued from it.
    ///
    /// Sent by hand (`POST {login}/services/oauth2/revoke`, form `token=…`): the `oauth2` crate insists on an
    /// HTTPS revocation URL, which the local org on loopback does not have.
    pub async fn revoke(&self, token: &str) -> Result<(), SalesforceError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .http
            .post(&self.revoke_url)
            .form(&[("token", token)])
            .send()
            .await
            .map_err(|error| SalesforceError::transport(&error))?;
        let status = response.status().as_u16();
        if status == 200 {
            return Ok(());
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|error| SalesforceError::transport(&error))?;
        Err(SalesforceError::from_response(status, content_type.as_deref(), &body))
    }
}

/// Turns the `oauth2` crate's error into ours, keeping Salesforce's `error` and `error_description`.
fn token_error<T: ErrorResponse + serde::Serialize + 'static>(
    error: RequestTokenError<OAuthTransportError, T>,
) -> SalesforceError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let body = serde_json::to_vec(&response).unwrap_or_default();
            SalesforceError::from_response(400, Some("application/json"), &body)
        }
        RequestTokenError::Request(OAuthTransportError::Server { status, content_type, body }) => {
            SalesforceError::from_response(status, content_type.as_deref(), &body)
        }
        RequestTokenError::Request(OAuthTransportError::Request(error)) => SalesforceError::transport(&error),
        RequestTokenError::Request(other) => SalesforceError::Decode(other.to_string()),
        RequestTokenError::Parse(error, body) => {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            SalesforceError::Decode(format!("{error}: {excerpt}"))
        }
        RequestTokenError::Other(message) => SalesforceError::Decode(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_urls_are_the_known_hosts_a_my_domain_or_loopback() {
        assert_eq!(LoginUrl::parse("login").unwrap().as_str(), "https://login.salesforce.com");
        assert_eq!(LoginUrl::parse(" Sandbox ").unwrap().as_str(), "https://test.salesforce.com");
        assert_eq!(
            LoginUrl::parse("https://acme--uat.sandbox.my.salesforce.com/").unwrap().as_str(),
            "https://acme--uat.sandbox.my.salesforce.com"
        );
        assert_eq!(LoginUrl::parse("http://127.0.0.1:8081").unwrap().as_str(), "http://127.0.0.1:8081");
        for bad in ["http://acme.my.salesforce.com", "ftp://x", "https://login.salesforce.com/path", "nonsense"] {
            assert!(LoginUrl::parse(bad).is_err(), "{bad}");
        }
    }

    fn oauth() -> SalesforceOAuth {
        let settings = OAuthSettings {
            login_url: LoginUrl::parse("login").unwrap(),
            client_id: "3MVG9client".to_owned(),
            client_secret: "s3cret".into(),
            redirect_url: "https://callpop.example/api/v1/salesforce/callback".to_owned(),
        };
        SalesforceOAuth::new(&settings, reqwest::Client::new()).unwrap()
    }

    #[test]
    fn the_authorize_url_carries_state_pkce_and_scopes() {
        let start = oauth().authorize();
        let url = reqwest::Url::parse(&start.url).unwrap();
        assert_eq!(url.origin().ascii_serialization(), "https://login.salesforce.com");
        assert_eq!(url.path(), "/services/oauth2/authorize");
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "3MVG9client");
        assert_eq!(query["redirect_uri"], "https://callpop.example/api/v1/salesforce/callback");
        assert_eq!(query["scope"], "api refresh_token");
        assert_eq!(query["state"], start.state);
        assert_eq!(query["code_challenge_method"], "S256");
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(start.pkce_verifier.clone()));
        assert_eq!(&query["code_challenge"], challenge.as_str());
        assert_ne!(start.state, oauth().authorize().state, "each link gets its own state");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let token = SalesforceToken {
            access_token: "00Dxx!SECRET".into(),
            refresh_token: Some("5Aep-SECRET".into()),
            instance_url: "https://acme.my.salesforce.com".to_owned(),
            identity_url: "https://login.salesforce.com/id/00D7F0000001I8vUAE/0057F000000XXXXQAA".to_owned(),
            issued_at_ms: Some(1_508_000_000_000),
            signature: None,
            scopes: vec![],
        };
        assert!(!format!("{token:?}").contains("SECRET"));
        assert_eq!(token.org_and_user(), Some(("00D7F0000001I8vUAE", "0057F000000XXXXQAA")));
        assert!(!format!("{:?}", oauth()).contains("s3cret"));
    }
}
