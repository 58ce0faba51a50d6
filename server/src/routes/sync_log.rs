//! The sync log (administrators): outbox items that need attention (parked, failed) or are being retried, each
//! with Salesforce's own error, and retrying one item or every item with one error once the org is fixed.

use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::state::AppState;
use crate::store::sync::{SYNC_LOG_STATUSES, SyncLogItem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::account::AdminTask;
use callpop_core::wire::ApiErrorBody;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_sync_log)).routes(routes!(retry_item)).routes(routes!(retry_items))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SyncLogQuery {
    /// `retrying`, `parked` or `failed`; all three when left out.
    #[param(value_type = Option<String>, pattern = "^(retrying|parked|failed)?$")]
    status: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SyncLog {
    items: Vec<SyncLogItem>,
}

/// Items that need attention or are being retried, newest first.
#[utoipa::path(get, path = "/sync-log", tag = "sync", params(SyncLogQuery), security(("session" = [])),
    responses((status = 200, body = SyncLog), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn list_sync_log(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(query): QueryParams<SyncLogQuery>,
) -> ApiResult<Json<SyncLog>> {
    require_admin_with_salesforce(&session, AdminTask::ManageSyncLog)?;
    let statuses: Vec<&str> = match query.status.as_deref() {
        None | Some("") => Vec::new(),
        Some(status) if SYNC_LOG_STATUSES.contains(&status) => vec![status],
        Some(other) => {
            return Err(ApiError::invalid("status", format!("`status` is {other:?}; use retrying, parked or failed")));
        }
    };
    let items = state.store.sync_log(session.account.id, &statuses, 200).await?;
    Ok(Json(SyncLog { items }))
}

/// Sends one item again now.
#[utoipa::path(post, path = "/sync-log/{id}/retry", tag = "sync", security(("session" = [])),
    params(("id" = i64, Path, description = "The item's id from the sync log")),
    responses((status = 202, description = "queued again"), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn retry_item(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(id): PathParam<i64>,
) -> ApiResult<StatusCode> {
    require_admin_with_salesforce(&session, AdminTask::ManageSyncLog)?;
    if state.store.retry_outbox_item(session.account.id, id, Utc::now()).await? {
        state.sync.wake();
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::NotFound("sync log item"))
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RetryAll {
    /// Only the items parked or failed with this Salesforce error code (e.g. `FIELD_CUSTOM_VALIDATION_EXCEPTION`);
    /// every parked or failed item when left out.
    #[serde(default)]
    error_code: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Retried {
    retried: u64,
}

/// Sends again every parked or failed item (of one error code).
#[utoipa::path(post, path = "/sync-log/retry", tag = "sync", request_body = RetryAll, security(("session" = [])),
    responses((status = 202, body = Retried), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn retry_items(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<RetryAll>,
) -> ApiResult<(StatusCode, Json<Retried>)> {
    require_admin_with_salesforce(&session, AdminTask::ManageSyncLog)?;
    let retried = state.store.retry_outbox_items(session.account.id, body.error_code.as_deref(), Utc::now()).await?;
    state.sync.wake();
    Ok((StatusCode::ACCEPTED, Json(Retried { retried })))
}
