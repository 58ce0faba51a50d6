//! `POST /api/v1/sessions`: sign in with email and password, get a bearer token (and, for the softphone, a
//! partitioned session cookie); `DELETE /api/v1/sessions/current`: sign out, ending the session on the server.
//! Failed sign-ins are throttled per email and client address (`callpop_core::sign_in`): a throttled attempt is a
//! 429 with `Retry-After`, refused before its password is checked.

use crate::auth::{
    CurrentSession, SESSION_PREFIX, SignedIn, decoy_password_hash, hash_secret, new_secret, session_cookie,
    verify_password,
};
use crate::client_address::ClientAddress;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::views::MeView;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use callpop_core::sign_in::{Failure, SignInVerdict, decide};
use callpop_core::wire::{ApiErrorBody, LoginRequest, LoginResponse};
use chrono::{Duration, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a session lasts: a long shift, so an agent signs in once a day.
pub(crate) const SESSION_LIFETIME: Duration = Duration::hours(12);

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in)).routes(routes!(who_am_i)).routes(routes!(sign_out))
}

/// Who the bearer token belongs to (the softphone checks a stored token with it), their account's plan, and what
/// they may see and do (the admin console lists only that).
#[utoipa::path(get, path = "/me", tag = "sessions", security(("session" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ApiErrorBody)))]
async fn who_am_i(SignedIn(session): SignedIn) -> Json<MeView> {
    Json(MeView::new(&session.user, &session.account))
}

/// Signs in with email and password; the answer's token goes in `Authorization: Bearer …`. With `session_cookie`,
/// the answer also sets it as a `Partitioned; Secure; SameSite=None; HttpOnly` cookie, accepted on same-origin
/// requests only.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = LoginRequest,
    responses((status = 201, body = LoginResponse), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody),
        (status = 429, body = ApiErrorBody, description = "too many failed sign-ins; `Retry-After` says when to try again")))]
async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(request): JsonBody<LoginRequest>,
) -> ApiResult<(StatusCode, HeaderMap, Json<LoginResponse>)> {
    let email = request.email.trim().to_lowercase();
    refuse_if_throttled(&state, &email, &client).await?;
    let found = state.store.user_by_email(&request.email).await?;
    let stored_hash = found.as_ref().map_or_else(|| decoy_password_hash().to_owned(), |(_, hash)| hash.clone());
    let (password, wants_cookie) = (request.password, request.session_cookie);
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers. Unknown emails are checked against a
    // decoy hash so that a wrong email and a wrong password take the same time.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored_hash))
        .await
        .map_err(anyhow::Error::from)?;
    let Some((user, _)) = found.filter(|_| matches) else {
        state.store.record_sign_in_failure(&email, &client.0, Utc::now()).await?;
        return Err(ApiError::Unauthorized("the email or the password is wrong"));
    };
    state.store.clear_sign_in_failures(&email, &client.0).await?;
    let account = state.store.account(user.account_id).await?.ok_or(ApiError::NotFound("account"))?;
    let token = new_secret(SESSION_PREFIX);
    let now = Utc::now();
    state.store.create_session(&hash_secret(&token), user.id, now, now + SESSION_LIFETIME).await?;
    let mut headers = HeaderMap::new();
    if wants_cookie {
        let cookie =
            HeaderValue::from_str(&session_cookie(Some(&token), SESSION_LIFETIME)).map_err(anyhow::Error::from)?;
        headers.insert(header::SET_COOKIE, cookie);
    }
    let response =
        LoginResponse { token, email: user.email, role: user.role.as_str().to_owned(), account_name: account.name };
    Ok((StatusCode::CREATED, headers, Json(response)))
}

/// Signs out: the session (named by the bearer token or the softphone's cookie) ends on the server, so its token is
/// refused from now on, and the cookie is removed.
#[utoipa::path(delete, path = "/sessions/current", tag = "sessions", security(("session" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, body = ApiErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    current: CurrentSession,
) -> ApiResult<(StatusCode, [(header::HeaderName, String); 1])> {
    state.store.delete_session(&current.token_hash).await?;
    // The session's open streams look at once, find it gone and end (other servers' within their poll).
    state.streams.notify(current.session.user.id);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session_cookie(None, SESSION_LIFETIME))]))
}

/// A 429 when this email or this client address has failed to sign in too often lately.
pub(super) async fn refuse_if_throttled(state: &AppState, email: &str, client: &ClientAddress) -> ApiResult<()> {
    let limits = state.config.sign_in_limits;
    let now = Utc::now();
    let since = now - Duration::seconds(limits.window_secs);
    let stored = state.store.sign_in_failures(email, &client.0, since).await?;
    let failures: Vec<Failure> = stored
        .iter()
        .map(|failure| Failure {
            at_secs: failure.failed_at.timestamp(),
            same_email: failure.email == email,
            same_client: failure.client == client.0,
        })
        .collect();
    match decide(limits, &failures, now.timestamp()) {
        SignInVerdict::Check => Ok(()),
        SignInVerdict::Throttled { by, retry_after_secs } => {
            tracing::warn!(client = %client.0, ?by, "sign-in throttled");
            Err(ApiError::TooManyRequests { message: by.sentence(), retry_after_secs })
        }
    }
}
