//! The sync log (administrators): outbox items that need attention (parked, failed) or are being retried, each
//! with Salesforce's own error and the caller it is about; retrying one item or every item with one error once the
//! org is fixed; and dismissing a parked or failed item with a reason (an item the administrator chose to leave
//! alone: it leaves the default view, the `dismissed` view lists it, and retrying it ends the dismissal).
//!
//! Pages are keyset pages by item id, newest first, with the count of the whole list, like the call log's.

use super::log::{org_url, page_info};
use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::phone;
use crate::state::AppState;
use crate::store::sync::{SYNC_LOG_STATUSES, SyncLogItem};
use crate::store::sync_log::{Dismissed, SyncLogSearch};
use crate::store::{LogCounts, PageFrom};
use crate::validate;
use crate::views::PageInfo;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::account::AdminTask;
use callpop_core::wire::ApiErrorBody;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Items per page of the sync log, and the most one page holds.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;
/// The longest reason a dismissal keeps.
const MAX_REASON_CHARS: usize = 500;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sync_log))
        .routes(routes!(retry_item))
        .routes(routes!(retry_items))
        .routes(routes!(dismiss_item))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SyncLogQuery {
    /// `retrying`, `parked` or `failed`; all three when left out.
    #[param(value_type = Option<String>, pattern = "^(retrying|parked|failed)?$")]
    status: Option<String>,
    /// `true` lists the dismissed items instead of the others.
    #[param(value_type = Option<bool>)]
    dismissed: Option<String>,
    /// The page older than this item: a page's `next_cursor`.
    #[param(value_type = Option<i64>, minimum = 1)]
    after: Option<String>,
    /// The page newer than this item: a page's `prev_cursor`.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// How many per page, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SyncLog {
    items: Vec<SyncLogItem>,
    #[serde(flatten)]
    page: PageInfo,
    /// The org's address for links to records (`{org_url}/{record id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    org_url: Option<String>,
}

fn cursor(raw: Option<&str>, field: &str) -> ApiResult<Option<i64>> {
    raw.map(|raw| {
        raw.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
            ApiError::invalid(field, format!("`{field}` is {raw:?}; pass a `next_cursor` or `prev_cursor` of a page"))
        })
    })
    .transpose()
}

fn search(account_id: i64, query: &SyncLogQuery) -> ApiResult<SyncLogSearch> {
    let statuses: Vec<&'static str> = match query.status.as_deref() {
        None | Some("") => Vec::new(),
        Some(status) => match SYNC_LOG_STATUSES.iter().find(|known| **known == status) {
            Some(known) => vec![*known],
            None => {
                return Err(ApiError::invalid(
                    "status",
                    format!("`status` is {status:?}; use retrying, parked or failed"),
                ));
            }
        },
    };
    let dismissed = match query.dismissed.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid("dismissed", format!("`dismissed` is {other:?}; use true or false")));
        }
    };
    let page = match (cursor(query.after.as_deref(), "after")?, cursor(query.before.as_deref(), "before")?) {
        (None, None) => PageFrom::Newest,
        (Some(after), None) => PageFrom::OlderThan(after),
        (None, Some(before)) => PageFrom::NewerThan(before),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("before", "`before` and `after` name opposite pages; send one"));
        }
    };
    let limit = match query.limit.as_deref() {
        None => DEFAULT_PAGE,
        Some(raw) => {
            raw.trim().parse::<i64>().ok().filter(|limit| (1..=MAX_PAGE).contains(limit)).ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("`limit` is {raw:?}; it must be a whole number from 1 to {MAX_PAGE}"),
                )
            })?
        }
    };
    Ok(SyncLogSearch { account_id, statuses, dismissed, page, limit })
}

/// Items that need attention or are being retried (or, with `dismissed=true`, those dismissed), newest first, a page
/// at a time.
#[utoipa::path(get, path = "/sync-log", tag = "sync", params(SyncLogQuery), security(("session" = [])),
    responses((status = 200, body = SyncLog), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn list_sync_log(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(query): QueryParams<SyncLogQuery>,
) -> ApiResult<Json<SyncLog>> {
    require_admin_with_salesforce(&session, AdminTask::ManageSyncLog)?;
    let search = search(session.account.id, &query)?;
    let mut items = state.store.sync_log_page(&search).await?;
    let (first, last) = (items.first().map(|item| item.id), items.last().map(|item| item.id));
    let counts = if items.is_empty() && search.page == PageFrom::Newest {
        LogCounts::default()
    } else {
        state.store.count_sync_log(&search, first, last).await?
    };
    for item in &mut items {
        item.caller_number = item.caller_number.take().map(|e164| phone::as_account_writes(&e164, &session.account));
    }
    let org_url = org_url(&state, session.account.id).await?;
    Ok(Json(SyncLog { items, page: page_info(counts, first, last), org_url }))
}

/// Sends one item again now (a dismissed one too, which ends its dismissal).
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

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Dismiss {
    /// Why the item is left alone (1 to 500 characters), kept with who dismissed it and when.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 500, pattern = r"\S")]
    reason: Option<String>,
}

/// Dismisses a parked or failed item: it leaves the default view, keeping who dismissed it, when and why.
#[utoipa::path(post, path = "/sync-log/{id}/dismiss", tag = "sync", request_body = Dismiss, security(("session" = [])),
    params(("id" = i64, Path, description = "The item's id from the sync log")),
    responses((status = 204, description = "dismissed"), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, description = "`not_dismissable`: the item is being retried, or is dismissed already", body = ApiErrorBody),
        (status = 413, body = ApiErrorBody), (status = 415, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn dismiss_item(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<Dismiss>,
) -> ApiResult<StatusCode> {
    require_admin_with_salesforce(&session, AdminTask::ManageSyncLog)?;
    let reason = validate::text_up_to(body.reason, "reason", MAX_REASON_CHARS)?
        .ok_or_else(|| ApiError::MissingField("reason".to_owned()))?;
    match state.store.dismiss_outbox_item(session.account.id, id, session.user.id, &reason, Utc::now()).await? {
        Dismissed::Done => Ok(StatusCode::NO_CONTENT),
        Dismissed::NotFound => Err(ApiError::NotFound("sync log item")),
        Dismissed::NotParkedOrFailed => Err(ApiError::Conflict {
            code: "not_dismissable",
            message: "only a parked or failed item can be dismissed; this one is being sent again".to_owned(),
        }),
        Dismissed::AlreadyDismissed => Err(ApiError::Conflict {
            code: "not_dismissable",
            message: "this item is dismissed already; retry it to bring it back".to_owned(),
        }),
    }
}
