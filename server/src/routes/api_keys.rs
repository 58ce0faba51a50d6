//! `GET/POST /api/v1/api-keys` and `DELETE /api/v1/api-keys/{key_id}`: the account's API keys for the telephony
//! side, administrators only. A new key is shown once, in the answer that creates it; callpop keeps its hash.

use crate::auth::{SignedIn, require_role_for};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::provision;
use crate::state::AppState;
use crate::validate::{required, text};
use crate::views::{ApiKeyList, ApiKeyView, CreatedApiKey};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::account::AdminTask;
use callpop_core::wire::ApiErrorBody;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_api_keys, create_api_key)).routes(routes!(revoke_api_key))
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApiKeyBody {
    /// What the key is for, e.g. `PBX in Lyon`: at most 255 characters, not blank.
    #[schema(required = true, value_type = String, max_length = 255, pattern = r"\S")]
    label: Option<String>,
}

/// The account's API keys (never their secrets).
#[utoipa::path(get, path = "/api-keys", tag = "api keys", security(("session" = [])),
    responses((status = 200, body = ApiKeyList), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn list_api_keys(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<Json<ApiKeyList>> {
    require_role_for(&session, AdminTask::ManageApiKeys)?;
    let keys = state.store.list_api_keys(session.account.id).await?;
    Ok(Json(ApiKeyList { api_keys: keys.into_iter().map(ApiKeyView::from).collect() }))
}

/// Creates an API key and shows it this once.
#[utoipa::path(post, path = "/api-keys", tag = "api keys", request_body = NewApiKeyBody, security(("session" = [])),
    responses((status = 201, body = CreatedApiKey), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn create_api_key(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<NewApiKeyBody>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    require_role_for(&session, AdminTask::ManageApiKeys)?;
    let label = required(text(body.label, "label")?, "label")?;
    let issued = provision::issue_api_key(state.store.as_ref(), session.account.id, &label).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { id: issued.id, label, api_key: issued.key })))
}

/// Revokes an API key: the telephony side using it gets 401 from the next request on.
#[utoipa::path(delete, path = "/api-keys/{key_id}", tag = "api keys", security(("session" = [])),
    params(("key_id" = i64, Path, description = "The key's id from the list")),
    responses((status = 204), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn revoke_api_key(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(key_id): PathParam<String>,
) -> ApiResult<StatusCode> {
    require_role_for(&session, AdminTask::ManageApiKeys)?;
    let key_id: i64 = key_id.parse().map_err(|_| ApiError::NotFound("API key"))?;
    if state.store.revoke_api_key(session.account.id, key_id, chrono::Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("API key"))
    }
}
