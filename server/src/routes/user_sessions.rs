//! Sessions as things people can end: an administrator lists and revokes the sessions of the account's users
//! (`/api/v1/users/{user_id}/sessions`), and anyone signed in changes their own password (`PUT /api/v1/me/password`),
//! which ends every session they had and answers with a new one.
//!
//! A revoked session's token is refused (401) from its next request on; its unused stream tickets go with it, and its
//! open event streams end (`routes/agent.rs`).

use super::sessions::{SESSION_LIFETIME, refuse_if_throttled};
use crate::auth::{
    SESSION_PREFIX, SignedIn, hash_password, hash_secret, new_secret, require_role_for, verify_password,
};
use crate::client_address::ClientAddress;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::{Session, User};
use crate::state::AppState;
use crate::store::accounts::SessionInfo;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::account::AdminTask;
use callpop_core::wire::{ApiErrorBody, LoginResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The shortest password callpop accepts (NIST SP 800-63B asks for at least 8; agents' accounts open customer
/// records, so callpop asks for more).
const MIN_PASSWORD_CHARS: usize = 12;
/// The longest: argon2 hashes any length, but an unbounded one is a way to burn the server's CPU.
const MAX_PASSWORD_CHARS: usize = 256;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, revoke_all_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(change_password))
}

/// One of a user's sessions, never its token.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionView {
    /// The session's id, to revoke it.
    id: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// A user's unexpired sessions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionList {
    sessions: Vec<SessionView>,
}

/// How many sessions a revocation ended.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RevokedSessions {
    revoked: u64,
}

/// `PUT /api/v1/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    current_password: String,
    /// 12 to 256 characters. It may be the current one again: the change still ends every other session (a way to
    /// sign out everywhere).
    #[schema(min_length = 12, max_length = 256)]
    new_password: String,
}

impl From<SessionInfo> for SessionView {
    fn from(info: SessionInfo) -> Self {
        Self { id: info.id, created_at: info.created_at, expires_at: info.expires_at }
    }
}

/// The account's user `user_id`, for an administrator of that account; users of other accounts are not found.
async fn user_of_account(state: &AppState, session: &Session, user_id: &str) -> ApiResult<User> {
    require_role_for(session, AdminTask::ManageUserSessions)?;
    let user_id: i64 = user_id.parse().map_err(|_| ApiError::NotFound("user"))?;
    let users = state.store.list_users(session.account.id).await?;
    users.into_iter().find(|user| user.id == user_id).ok_or(ApiError::NotFound("user"))
}

/// The user's unexpired sessions.
#[utoipa::path(get, path = "/users/{user_id}/sessions", tag = "sessions", security(("session" = [])),
    params(("user_id" = i64, Path, description = "The user's id")),
    responses((status = 200, body = SessionList), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
async fn list_sessions(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(user_id): PathParam<String>,
) -> ApiResult<Json<SessionList>> {
    let user = user_of_account(&state, &session, &user_id).await?;
    let sessions = state.store.list_sessions(user.id, Utc::now()).await?;
    Ok(Json(SessionList { sessions: sessions.into_iter().map(SessionView::from).collect() }))
}

/// Ends every session of the user: each of their browsers must sign in again.
#[utoipa::path(delete, path = "/users/{user_id}/sessions", tag = "sessions", security(("session" = [])),
    params(("user_id" = i64, Path, description = "The user's id")),
    responses((status = 200, body = RevokedSessions), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
async fn revoke_all_sessions(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(user_id): PathParam<String>,
) -> ApiResult<Json<RevokedSessions>> {
    let user = user_of_account(&state, &session, &user_id).await?;
    let revoked = state.store.revoke_sessions(user.id).await?;
    state.streams.notify(user.id); // Their open streams end.
    tracing::info!(by = session.user.id, user = user.id, revoked, "sessions revoked");
    Ok(Json(RevokedSessions { revoked }))
}

/// Ends one session of the user.
#[utoipa::path(delete, path = "/users/{user_id}/sessions/{session_id}", tag = "sessions", security(("session" = [])),
    params(("user_id" = i64, Path, description = "The user's id"),
        ("session_id" = String, Path, description = "The session's id from the list")),
    responses((status = 204), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
async fn revoke_session(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam((user_id, session_id)): PathParam<(String, String)>,
) -> ApiResult<StatusCode> {
    let user = user_of_account(&state, &session, &user_id).await?;
    if state.store.revoke_session(user.id, &session_id).await? {
        state.streams.notify(user.id); // Its open streams end.
        tracing::info!(by = session.user.id, user = user.id, "session revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("session"))
    }
}

/// Changes the signed-in user's password. Every session they had ends (a stolen token stops working); the answer
/// carries a new session for the browser that made the change.
#[utoipa::path(put, path = "/me/password", tag = "sessions", request_body = PasswordChange, security(("session" = [])),
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody, description = "the current password is wrong"), (status = 422, body = ApiErrorBody),
        (status = 429, body = ApiErrorBody, description = "too many wrong current passwords; `Retry-After` says when to try again")))]
async fn change_password(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    client: ClientAddress,
    JsonBody(change): JsonBody<PasswordChange>,
) -> ApiResult<Json<LoginResponse>> {
    let length = change.new_password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        return Err(ApiError::invalid(
            "new_password",
            format!("the new password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long"),
        ));
    }
    let email = session.user.email.to_lowercase();
    // Wrong current passwords are throttled like sign-ins, but counted apart: someone guessing through this endpoint
    // (with a stolen session) is stopped, and the user's own sign-ins are not.
    let attempts_of = format!("password change of {email}");
    refuse_if_throttled(&state, &attempts_of, &client).await?;
    let (_, stored_hash) = state.store.user_by_email(&email).await?.ok_or(ApiError::NotFound("user"))?;
    let PasswordChange { current_password, new_password } = change;
    let new_hash = tokio::task::spawn_blocking(move || {
        verify_password(&current_password, &stored_hash).then(|| hash_password(&new_password)).transpose()
    })
    .await
    .map_err(anyhow::Error::from)??;
    let Some(new_hash) = new_hash else {
        state.store.record_sign_in_failure(&attempts_of, &client.0, Utc::now()).await?;
        return Err(ApiError::Forbidden {
            code: "wrong_password",
            message: "the current password is wrong".to_owned(),
        });
    };
    state.store.change_password(session.user.id, &new_hash).await?;
    state.streams.notify(session.user.id); // The ended sessions' open streams end.
    let token = new_secret(SESSION_PREFIX);
    let now = Utc::now();
    state.store.create_session(&hash_secret(&token), session.user.id, now, now + SESSION_LIFETIME).await?;
    Ok(Json(LoginResponse {
        token,
        email: session.user.email,
        role: session.user.role.as_str().to_owned(),
        account_name: session.account.name,
    }))
}
