//! The call log: `GET /api/v1/calls`, `GET /api/v1/calls/{call_id}` and its Salesforce panel
//! `GET /api/v1/calls/{call_id}/salesforce`. Nobody sees another account's calls; a call agent sees only their own.

use super::log::{LogParams, log_query, next_cursor, require_panel_access, shows_salesforce, visibility_for};
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParam, QueryParams};
use crate::model::Call;
use crate::salesforce_panel::{SalesforcePanel, summarise};
use crate::state::AppState;
use crate::store::salesforce_audit::SyncSubject;
use crate::views::{CallDetailView, CallEventView, CallPage, CallView};
use axum::Json;
use axum::extract::State;
use callpop_core::account::Visibility;
use callpop_core::wire::ApiErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
        .routes(routes!(get_call_salesforce_panel))
}

/// The account's calls (a call agent's own), newest first, a page at a time.
#[utoipa::path(get, path = "/calls", tag = "call log", params(LogParams), security(("session" = [])),
    responses((status = 200, body = CallPage), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn list_calls(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(params): QueryParams<LogParams>,
) -> ApiResult<Json<CallPage>> {
    let Some(query) = log_query(&state, &session, params).await? else {
        return Ok(Json(CallPage { calls: Vec::new(), next_cursor: None }));
    };
    let calls = state.store.list_calls(&query).await?;
    let users = state.store.list_users(session.account.id).await?;
    let views = calls
        .iter()
        .map(|call| {
            let seen = visibility_for(&session, call.account_id, call.agent_user_id);
            CallView::new(call, &session.account, &users, shows_salesforce(&session, seen))
        })
        .collect();
    let next_cursor = next_cursor(calls.len(), &query, calls.last().map(|call| call.id));
    Ok(Json(CallPage { calls: views, next_cursor }))
}

/// The call, if the signed-in user may see it, with what they may see of it.
async fn visible_call(
    state: &AppState,
    session: &crate::model::Session,
    call_id: &str,
) -> ApiResult<(Call, Visibility)> {
    let call = state.store.call_by_call_id(session.account.id, call_id).await?.ok_or(ApiError::NotFound("call"))?;
    match visibility_for(session, call.account_id, call.agent_user_id) {
        Visibility::Hidden => Err(ApiError::NotFound("call")),
        seen => Ok((call, seen)),
    }
}

async fn call_panel(state: &AppState, call: &Call) -> ApiResult<SalesforcePanel> {
    let trail = state.store.salesforce_audit(SyncSubject::Call(call.id)).await?;
    let appends = state.store.activities_for_call(call.id).await?;
    Ok(summarise(call.sync_status, &trail, &appends))
}

/// One call with its events, and its Salesforce panel when the user may see it.
#[utoipa::path(get, path = "/calls/{call_id}", tag = "call log", security(("session" = [])),
    params(("call_id" = String, Path, description = "The telephony side's call id")),
    responses((status = 200, body = CallDetailView), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn get_call(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(call_id): PathParam<String>,
) -> ApiResult<Json<CallDetailView>> {
    let (call, seen) = visible_call(&state, &session, &call_id).await?;
    let users = state.store.list_users(session.account.id).await?;
    let shows_panel = shows_salesforce(&session, seen);
    let events = state.store.call_events(call.id).await?.into_iter().map(CallEventView::from).collect();
    let salesforce = if shows_panel { Some(call_panel(&state, &call).await?) } else { None };
    Ok(Json(CallDetailView { call: CallView::new(&call, &session.account, &users, shows_panel), events, salesforce }))
}

/// What was sent to Salesforce for the call: records, Task, fields, status, errors, and every step in order.
#[utoipa::path(get, path = "/calls/{call_id}/salesforce", tag = "call log", security(("session" = [])),
    params(("call_id" = String, Path, description = "The telephony side's call id")),
    responses((status = 200, body = SalesforcePanel), (status = 401, body = ApiErrorBody),
        (status = 403, description = "`limit_data_access` or `plan_excludes_salesforce`", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
async fn get_call_salesforce_panel(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(call_id): PathParam<String>,
) -> ApiResult<Json<SalesforcePanel>> {
    let (call, seen) = visible_call(&state, &session, &call_id).await?;
    require_panel_access(&session, seen, "call")?;
    Ok(Json(call_panel(&state, &call).await?))
}
