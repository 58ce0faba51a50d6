//! The call log: `GET /api/v1/calls` (the search, a page at a time), `GET /api/v1/calls/export.csv` (the same search
//! as CSV), `GET /api/v1/calls/{call_id}` and its Salesforce panel `GET /api/v1/calls/{call_id}/salesforce`. Nobody
//! sees another account's calls; a call agent sees only their own.
//!
//! `export.csv` is a path of its own, so a call whose id is `export.csv` is not reachable by id (ids are the
//! telephony side's; none the simulator or the known providers send look like a file name).

use super::export::{ExportedLog, export_log, time_cell, wire_name};
use super::log::{LogParams, log_query, org_url, page_info, require_panel_access, shows_salesforce, visibility_for};
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParam, QueryParams};
use crate::model::{Call, Session, User};
use crate::salesforce_panel::{SalesforcePanel, summarise};
use crate::state::AppState;
use crate::store::salesforce_audit::SyncSubject;
use crate::store::{LogCounts, LogQuery, Store};
use crate::views::{CallDetailView, CallEventView, CallPage, CallView};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use callpop_core::account::Visibility;
use callpop_core::wire::ApiErrorBody;
use futures_util::future::BoxFuture;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(export_calls))
        .routes(routes!(get_call))
        .routes(routes!(get_call_salesforce_panel))
}

/// The account's calls (a call agent's own) that the search selects, newest first, a page at a time, with the count
/// of all of them and the cursors to the pages either side.
#[utoipa::path(get, path = "/calls", tag = "call log", params(LogParams), security(("session" = [])),
    responses((status = 200, body = CallPage), (status = 401, body = ApiErrorBody),
        (status = 403, description = "`sync_status` for someone who may not see the Salesforce panel", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn list_calls(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(params): QueryParams<LogParams>,
) -> ApiResult<Json<CallPage>> {
    let Some(query) = log_query(&state, &session, params).await? else {
        return Ok(Json(CallPage { calls: Vec::new(), page: page_info(LogCounts::default(), None, None) }));
    };
    let calls = state.store.list_calls(&query).await?;
    let (first, last) = (calls.first().map(|call| call.id), calls.last().map(|call| call.id));
    let counts = state.store.count_calls(&query.filter, first, last).await?;
    let users = state.store.list_users(session.account.id).await?;
    let views = calls.iter().map(|call| call_view(&session, &users, call)).collect();
    Ok(Json(CallPage { calls: views, page: page_info(counts, first, last) }))
}

fn call_view(session: &Session, users: &[User], call: &Call) -> CallView {
    let seen = visibility_for(session, call.account_id, call.agent_user_id);
    CallView::new(call, &session.account, users, shows_salesforce(session, seen))
}

/// The call log's CSV export.
struct CallExport;

impl ExportedLog for CallExport {
    type Row = Call;
    const NAME: &'static str = "calls";
    const COLUMNS: &'static [&'static str] = &[
        "call_id",
        "started_at",
        "direction",
        "state",
        "caller_number",
        "caller_e164",
        "caller_name",
        "caller_city",
        "caller_region",
        "caller_country",
        "tracking_number",
        "tracking_source",
        "campaign",
        "agent_email",
        "agent_name",
        "agent_ref",
        "answered_at",
        "ended_at",
        "duration_secs",
        "disposition",
        "recording_url",
        "keywords",
        "tags",
    ];

    fn rows<'a>(store: &'a dyn Store, query: &'a LogQuery) -> BoxFuture<'a, sqlx::Result<Vec<Call>>> {
        store.list_calls(query)
    }

    fn cells(session: &Session, users: &[User], call: &Call, with_sync_status: bool) -> (i64, Vec<String>) {
        (call.id, call_cells(call_view(session, users, call), with_sync_status))
    }
}

fn call_cells(view: CallView, with_sync_status: bool) -> Vec<String> {
    let (agent_email, agent_name) = view.agent.map(|agent| (agent.email, agent.display_name)).unwrap_or_default();
    let mut cells = vec![
        view.call_id,
        time_cell(Some(view.started_at)),
        wire_name(view.direction),
        wire_name(view.state),
        view.caller_number,
        view.caller_e164,
        view.caller_name.unwrap_or_default(),
        view.caller_city.unwrap_or_default(),
        view.caller_region.unwrap_or_default(),
        view.caller_country.unwrap_or_default(),
        view.tracking_number,
        view.tracking_source.unwrap_or_default(),
        view.campaign.unwrap_or_default(),
        agent_email,
        agent_name,
        view.agent_ref.unwrap_or_default(),
        time_cell(view.answered_at),
        time_cell(view.ended_at),
        view.duration_secs.map(|secs| secs.to_string()).unwrap_or_default(),
        view.disposition.unwrap_or_default(),
        view.recording_url.unwrap_or_default(),
        view.keywords.join("; "),
        view.tags.join("; "),
    ];
    if with_sync_status {
        cells.push(view.sync_status.map(wire_name).unwrap_or_default());
    }
    cells
}

/// The calls the search selects, as a CSV download: every page of it, newest first, at most 100,000 rows. The
/// paging parameters are ignored.
#[utoipa::path(get, path = "/calls/export.csv", tag = "call log", params(LogParams), security(("session" = [])),
    responses((status = 200, description = "the CSV, an attachment", content_type = "text/csv", body = String),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "`sync_status` for someone who may not see the Salesforce panel", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn export_calls(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(params): QueryParams<LogParams>,
) -> ApiResult<Response> {
    export_log::<CallExport>(&state, session, params).await
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
    let (salesforce, org_url) = if shows_panel {
        (Some(call_panel(&state, &call).await?), org_url(&state, session.account.id).await?)
    } else {
        (None, None)
    };
    let call = CallView::new(&call, &session.account, &users, shows_panel);
    Ok(Json(CallDetailView { call, events, salesforce, org_url }))
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
