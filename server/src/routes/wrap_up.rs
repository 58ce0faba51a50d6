//! After a call: the administrator's disposition list and after-call work, the agent's notes, disposition and
//! status, and the status the telephony side reads.
//!
//! - `GET/PUT /api/v1/settings/wrap-up` (administrators, like the integration options): the dispositions and the
//!   seconds of after-call work. A bad list is a 422 naming `dispositions[<index>]`, nothing stored.
//! - `GET /api/v1/agent/wrap-up-settings` (any signed-in user): the same, for the softphone's select and countdown.
//! - `PUT /api/v1/agent/calls/{call_id}/wrap-up` (the call's agent only; another's call is a 404): the notes (at
//!   most 32 KB) and a disposition from the list, stored with their outbox item so the call's Task gets them exactly
//!   once; `done` ends after-call work.
//! - `GET/PUT /api/v1/agent/status`: the agent's effective status and the one they choose.
//! - `GET /api/v1/agent-statuses` (the telephony side, by API key): every user's effective status, computed by
//!   `callpop_core::wrap_up::effective_status` with the server's clock.

use crate::auth::{ApiKeyAccount, SignedIn, require_role_for};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::state::AppState;
use crate::store::wrap_up::{StatusFacts, WrapUpSave};
use axum::Json;
use axum::extract::State;
use callpop_core::account::AdminTask;
use callpop_core::wire::{
    AgentStatusEntry, AgentStatusView, AgentStatuses, ApiErrorBody, CallWrapUp, CallWrapUpSaved, SetAgentStatus,
    WrapUpSettings,
};
use callpop_core::wrap_up::{
    AgentStatus, DispositionError, MAX_NOTES_BYTES, MAX_WRAP_UP_SECS, StatusInput, effective_status,
    validate_dispositions, wrap_up_secs_allowed,
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long an answered call that never ended keeps its agent busy (the telephony side lost its end).
const LIVE_CALL_WINDOW: Duration = Duration::hours(12);

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_wrap_up_settings, put_wrap_up_settings))
        .routes(routes!(agent_wrap_up_settings))
        .routes(routes!(save_call_wrap_up))
        .routes(routes!(get_agent_status, put_agent_status))
        .routes(routes!(list_agent_statuses))
}

/// The account's dispositions and after-call work.
#[utoipa::path(get, path = "/settings/wrap-up", tag = "settings", security(("session" = [])),
    responses((status = 200, body = WrapUpSettings), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn get_wrap_up_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<WrapUpSettings>> {
    require_role_for(&session, AdminTask::ReadIntegrationOptions)?;
    Ok(Json(state.store.wrap_up_settings(session.account.id).await?))
}

/// Replaces the account's dispositions and after-call work.
#[utoipa::path(put, path = "/settings/wrap-up", tag = "settings", request_body = WrapUpSettings, security(("session" = [])),
    responses((status = 200, body = WrapUpSettings), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn put_wrap_up_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<WrapUpSettings>,
) -> ApiResult<Json<WrapUpSettings>> {
    require_role_for(&session, AdminTask::ChangeIntegrationOptions)?;
    let dispositions = validate_dispositions(&body.dispositions).map_err(|error| {
        let field = match error {
            DispositionError::TooMany => "dispositions".to_owned(),
            DispositionError::Empty { index }
            | DispositionError::TooLong { index }
            | DispositionError::Repeated { index } => format!("dispositions[{index}]"),
        };
        ApiError::invalid(field, error.to_string())
    })?;
    if !wrap_up_secs_allowed(body.wrap_up_secs) {
        return Err(ApiError::invalid("wrap_up_secs", format!("`wrap_up_secs` is at most {MAX_WRAP_UP_SECS}")));
    }
    let settings = WrapUpSettings { dispositions, wrap_up_secs: body.wrap_up_secs };
    state.store.put_wrap_up_settings(session.account.id, session.user.id, &settings, Utc::now()).await?;
    Ok(Json(settings))
}

/// The account's dispositions and after-call work, for the softphone.
#[utoipa::path(get, path = "/agent/wrap-up-settings", tag = "softphone", security(("session" = [])),
    responses((status = 200, body = WrapUpSettings), (status = 401, body = ApiErrorBody)))]
async fn agent_wrap_up_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<WrapUpSettings>> {
    Ok(Json(state.store.wrap_up_settings(session.account.id).await?))
}

/// Saves the agent's notes and disposition for one of their calls; `done` ends after-call work.
#[utoipa::path(put, path = "/agent/calls/{call_id}/wrap-up", tag = "softphone", request_body = CallWrapUp,
    security(("session" = [])), params(("call_id" = String, Path, description = "The telephony side's call id")),
    responses((status = 200, body = CallWrapUpSaved), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn save_call_wrap_up(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(call_id): PathParam<String>,
    JsonBody(body): JsonBody<CallWrapUp>,
) -> ApiResult<Json<CallWrapUpSaved>> {
    if body.notes.len() > MAX_NOTES_BYTES {
        return Err(ApiError::invalid("notes", format!("`notes` is at most {MAX_NOTES_BYTES} bytes")));
    }
    // An unknown call is a 404 whatever the body holds; only then is the disposition checked against the list.
    if state.store.call_by_call_id(session.account.id, &call_id).await?.is_none() {
        return Err(ApiError::NotFound("call"));
    }
    let settings = state.store.wrap_up_settings(session.account.id).await?;
    let disposition = body.disposition.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    if let Some(value) = disposition.as_ref().filter(|value| !settings.dispositions.contains(value)) {
        return Err(ApiError::invalid("disposition", format!("{value:?} is not one of the account's dispositions")));
    }
    let now = Utc::now();
    let done_at = if body.done { Some(acted_at(&state, session.user.id, now).await?) } else { None };
    let save = WrapUpSave { call_id, notes: body.notes, disposition, done_at };
    let stored = state.store.save_call_wrap_up(&session.user, &save, now).await?.ok_or(ApiError::NotFound("call"))?;
    state.sync.wake();
    let status = status_view(&state.store.status_facts(session.user.id, now - LIVE_CALL_WINDOW).await?, &settings, now);
    Ok(Json(CallWrapUpSaved {
        call_id: stored.call_id,
        notes: stored.notes,
        disposition: stored.disposition,
        written_by: stored.written_by,
        written_at: rfc3339(stored.written_at),
        status,
    }))
}

/// The agent's effective status and the one they chose.
#[utoipa::path(get, path = "/agent/status", tag = "softphone", security(("session" = [])),
    responses((status = 200, body = AgentStatusView), (status = 401, body = ApiErrorBody)))]
async fn get_agent_status(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<AgentStatusView>> {
    Ok(Json(current_status(&state, session.user.id, session.account.id).await?))
}

/// Sets the status the agent chooses; it also ends after-call work.
#[utoipa::path(put, path = "/agent/status", tag = "softphone", request_body = SetAgentStatus, security(("session" = [])),
    responses((status = 200, body = AgentStatusView), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn put_agent_status(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<SetAgentStatus>,
) -> ApiResult<Json<AgentStatusView>> {
    let at = acted_at(&state, session.user.id, Utc::now()).await?;
    state.store.set_agent_status(session.user.id, body.status, at).await?;
    Ok(Json(current_status(&state, session.user.id, session.account.id).await?))
}

/// Every user of the account with their effective status, for the telephony side's routing.
#[utoipa::path(get, path = "/agent-statuses", tag = "telephony", security(("api_key" = [])),
    responses((status = 200, body = AgentStatuses), (status = 401, body = ApiErrorBody)))]
async fn list_agent_statuses(
    State(state): State<AppState>,
    ApiKeyAccount(account): ApiKeyAccount,
) -> ApiResult<Json<AgentStatuses>> {
    let settings = state.store.wrap_up_settings(account.id).await?;
    let now = Utc::now();
    let mut agents = Vec::new();
    for user in state.store.list_users(account.id).await? {
        let view = status_view(&state.store.status_facts(user.id, now - LIVE_CALL_WINDOW).await?, &settings, now);
        agents.push(AgentStatusEntry {
            agent: user.email,
            display_name: user.display_name,
            status: view.status,
            after_call_work_until: view.after_call_work_until,
        });
    }
    Ok(Json(AgentStatuses { agents }))
}

/// When the agent acted (chose a status, clicked Done), for the after-call work rule: now, or the end of their last
/// call when the telephony side's clock, which dates that end, runs ahead of the server's. An agent acts only on
/// calls the server has seen end, so a click always ends the after-call work it meant to.
async fn acted_at(state: &AppState, user_id: i64, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    let facts = state.store.status_facts(user_id, now - LIVE_CALL_WINDOW).await?;
    Ok(facts.last_call_ended_at.map_or(now, |ended| ended.max(now)))
}

async fn current_status(state: &AppState, user_id: i64, account_id: i64) -> ApiResult<AgentStatusView> {
    let settings = state.store.wrap_up_settings(account_id).await?;
    let now = Utc::now();
    Ok(status_view(&state.store.status_facts(user_id, now - LIVE_CALL_WINDOW).await?, &settings, now))
}

/// What core computes the agent's status from: the stored facts, the account's seconds and `now` (an agent who
/// never chose a status is available since the epoch).
pub(super) fn status_input(facts: &StatusFacts, settings: &WrapUpSettings, now: DateTime<Utc>) -> StatusInput {
    let (chosen, chosen_at) =
        facts.chosen.map_or((AgentStatus::Available, i64::MIN), |(status, at)| (status, at.timestamp_millis()));
    StatusInput {
        chosen,
        chosen_at,
        done_at: facts.done_at.map(|at| at.timestamp_millis()),
        on_call: facts.on_call,
        last_call_ended_at: facts.last_call_ended_at.map(|at| at.timestamp_millis()),
        wrap_up_secs: settings.wrap_up_secs,
        now: now.timestamp_millis(),
    }
}

/// The status core computes from the stored facts at `now`.
fn status_view(facts: &StatusFacts, settings: &WrapUpSettings, now: DateTime<Utc>) -> AgentStatusView {
    let input = status_input(facts, settings, now);
    let effective = effective_status(input);
    let until = effective.until.and_then(DateTime::from_timestamp_millis);
    AgentStatusView {
        status: effective.status,
        chosen: input.chosen,
        chosen_at: facts.chosen.map(|(_, at)| rfc3339(at)),
        after_call_work_until: until.map(rfc3339),
        after_call_work_remaining_secs: effective
            .until
            .map(|until| u32::try_from(((until - now.timestamp_millis()).max(0) + 999) / 1000).unwrap_or(u32::MAX)),
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
