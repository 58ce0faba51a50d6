//! Credentials: account API keys for the telephony side, session tokens for people, passwords.
//!
//! A session is a bearer token. The softphone, which runs in a third-party iframe inside Salesforce where its storage
//! may be partitioned or missing, may also ask for it as a partitioned cookie (`Partitioned; Secure; SameSite=None;
//! HttpOnly`), which browsers keep per top-level site even with third-party cookies blocked, so a reload finds the
//! agent still signed in. A cookie is sent by the browser on its own, so it is accepted only on requests that a
//! page of another site cannot make: those the browser marks `Sec-Fetch-Site: same-origin`, or, from a browser
//! that sends no fetch metadata, those whose `Origin` is this server's public origin (ARCHITECTURE.md, "The
//! softphone's session"). Tokens, keys and tickets are 190 bits of randomness, stored as SHA-256 hashes; passwords
//! are argon2id hashes.

use crate::error::ApiError;
use crate::model::{Account, Session};
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use callpop_core::account::{AdminTask, may, role_needed_for};
use rand::Rng;

pub use crate::secrets::{hash_secret, new_secret};

/// The prefix of each kind of secret, so a leaked string says what it is.
pub const API_KEY_PREFIX: &str = "cpk_";
pub const SESSION_PREFIX: &str = "cps_";
pub const TICKET_PREFIX: &str = "cpt_";

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::rng().random::<[u8; 16]>()).map_err(|error| anyhow::anyhow!("{error}"))?;
    let hash =
        Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(hash.to_string())
}

/// Checks a password against its stored hash. A malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the email is unknown, so a failed sign-in takes as long either way.
pub fn decoy_password_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("callpop decoy password").unwrap_or_default())
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The account whose API key the request carries (`Authorization: Bearer cpk_…`): the telephony side.
#[derive(Debug, Clone)]
pub struct ApiKeyAccount(pub Account);

impl FromRequestParts<AppState> for ApiKeyAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = bearer_token(parts)
            .filter(|token| token.starts_with(API_KEY_PREFIX))
            .ok_or(ApiError::Unauthorized("send the account's API key as `Authorization: Bearer cpk_…`"))?;
        let account = state.store.account_by_api_key(&hash_secret(key)).await?;
        account.map(ApiKeyAccount).ok_or(ApiError::Unauthorized("this API key is unknown or has been revoked"))
    }
}

/// The name of the softphone's session cookie.
pub const SESSION_COOKIE: &str = "callpop_session";

/// The session cookie's value, if the request carries one.
fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// Whether a page of another site cannot have made this request: the browser says it came from this server's own
/// origin (`Sec-Fetch-Site`), or, from a browser without fetch metadata, its `Origin` is this server's.
fn from_own_origin(parts: &Parts, public_url: &str) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|value| value.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => header("origin").is_some_and(|origin| same_origin(origin, public_url)),
    }
}

fn same_origin(origin: &str, public_url: &str) -> bool {
    match (reqwest::Url::parse(origin), reqwest::Url::parse(public_url)) {
        (Ok(origin), Ok(public)) => origin.origin() == public.origin(),
        _ => false,
    }
}

/// The `Set-Cookie` value that keeps `token` in the browser's partition for the frame's top-level site, for as
/// long as the session lasts (`max_age`), or, with `None`, removes it.
pub fn session_cookie(token: Option<&str>, max_age: chrono::Duration) -> String {
    let age = cookie::time::Duration::seconds(if token.is_some() { max_age.num_seconds() } else { 0 });
    cookie::Cookie::build((SESSION_COOKIE, token.unwrap_or_default().to_owned()))
        .path("/api/")
        .secure(true)
        .http_only(true)
        .same_site(cookie::SameSite::None)
        .partitioned(true)
        .max_age(age)
        .build()
        .to_string()
}

/// The session a request carries, and how: the bearer token, or the softphone's cookie on a same-origin request.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session: Session,
    /// The stored form of its token, which names the session (signing out deletes it).
    pub token_hash: String,
}

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = match bearer_token(parts) {
            Some(token) => Some(token.to_owned()),
            None => cookie_token(parts).filter(|_| from_own_origin(parts, &state.public_url)),
        };
        let token = token
            .filter(|token| token.starts_with(SESSION_PREFIX))
            .ok_or(ApiError::Unauthorized("sign in and send the session token as `Authorization: Bearer cps_…`"))?;
        let token_hash = hash_secret(&token);
        let session = state.store.session(&token_hash, chrono::Utc::now()).await?;
        let session =
            session.ok_or(ApiError::Unauthorized("this session has expired or does not exist: sign in again"))?;
        Ok(Self { session, token_hash })
    }
}

/// The signed-in user the request carries (`Authorization: Bearer cps_…`, or the softphone's session cookie on a
/// same-origin request): an agent, manager or administrator.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        CurrentSession::from_request_parts(parts, state).await.map(|current| SignedIn(current.session))
    }
}

/// A 403 unless the signed-in user's role may do `task` (the rule is `callpop_core::account::may`).
pub fn require_role_for(session: &Session, task: AdminTask) -> Result<(), ApiError> {
    if may(session.user.role, task) {
        Ok(())
    } else {
        let role = role_needed_for(task).as_str();
        Err(ApiError::Forbidden {
            code: "forbidden",
            message: format!("this needs the {role} role; you are signed in as {}", session.user.role.as_str()),
        })
    }
}

/// A 403 unless the account's plan includes Salesforce and the user's role may do `task`.
pub fn require_admin_with_salesforce(session: &Session, task: AdminTask) -> Result<(), ApiError> {
    require_salesforce_plan(&session.account)?;
    require_role_for(session, task)
}

/// A 403 `plan_excludes_salesforce` unless the account's plan includes Salesforce.
pub fn require_salesforce_plan(account: &Account) -> Result<(), ApiError> {
    if account.plan.includes_salesforce() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "plan_excludes_salesforce",
            message: account.plan.salesforce_excluded_sentence(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horse ", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn secrets_are_distinct_and_hashed_deterministically() {
        let first = new_secret(API_KEY_PREFIX);
        assert_eq!(first.len(), API_KEY_PREFIX.len() + 32);
        assert_ne!(first, new_secret(API_KEY_PREFIX));
        assert_eq!(hash_secret(&first), hash_secret(&first));
        assert_ne!(hash_secret(&first), first);
    }
}
