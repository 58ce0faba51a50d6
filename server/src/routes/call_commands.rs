//! Call controls over the API. The agent's softphone posts a command for one of their live calls
//! (`POST /api/v1/agent/calls/{call_id}/commands`, session); the telephony side reads the account's pending
//! commands, oldest first (`GET /api/v1/call-commands`, API key, optionally waiting up to `wait_secs` for one), and
//! acknowledges each (`POST /api/v1/call-commands/{id}/ack`, `done` or `failed` with a reason).
//!
//! This is a poll with acknowledgement, like the dial requests, rather than a stream: a phone system polls an HTTP
//! API from behind its firewall with nothing but its API key, a missed or repeated read loses nothing (a command
//! stays pending until acknowledged), and acknowledging twice the same way is harmless. The long poll keeps the
//! delay low without a connection per account held open: the handler looks again every quarter second.
//!
//! The softphone shows only what an acknowledgement confirmed: each command and each acknowledgement writes a
//! stream notice, and the call's update carries its confirmed state and pending command (`ControlState`).

use crate::auth::{ApiKeyAccount, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::model::{Account, Call};
use crate::phone;
use crate::state::AppState;
use crate::store::call_commands::{AckResult, CommandOutcome, NewCommand, StoredCommand, StoredControl};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::control::{AckStatus, Command, CommandKind, CommandRequest, ControlState, TransferTarget};
use callpop_core::wire::ApiErrorBody;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest a telephony side's read waits for a command.
const MAX_WAIT_SECS: u64 = 30;
/// How often a waiting read looks again.
const WAIT_STEP: Duration = Duration::from_millis(250);
/// What a failed command shows when the telephony side gave no reason.
const NO_REASON_GIVEN: &str = "the phone system gave no reason";
/// How many commands one read returns.
const READ_LIMIT: i64 = 100;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_command))
        .routes(routes!(pending_commands))
        .routes(routes!(acknowledge_command))
}

/// A command as the telephony side reads it, and as the agent's post answers it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
struct CallCommand {
    id: i64,
    /// The telephony side's id of the call.
    call_id: String,
    command: CommandKind,
    /// The agent who asked (their callpop email).
    agent: String,
    /// A transfer to a number: the number, E.164.
    to_number: Option<String>,
    /// A transfer to another agent of the account: their callpop email.
    to_agent: Option<String>,
    /// `send_digits`: the DTMF digits (`,` and `w` are pauses).
    digits: Option<String>,
    /// `pending`, `done` or `failed`.
    status: String,
    /// Why it failed, as the telephony side said.
    reason: Option<String>,
    requested_at: String,
}

impl From<StoredCommand> for CallCommand {
    fn from(command: StoredCommand) -> Self {
        Self {
            id: command.id,
            call_id: command.call_id,
            command: command.kind,
            agent: command.agent_email,
            to_number: command.to_number_e164,
            to_agent: command.to_agent_email,
            digits: command.digits,
            status: command.status.as_str().to_owned(),
            reason: command.reason,
            requested_at: command.requested_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// Asks the telephony side to act on one of the agent's live calls. The call's update on the agent's stream
/// shows the command pending, then the state the telephony side confirmed.
#[utoipa::path(post, path = "/agent/calls/{call_id}/commands", tag = "softphone", request_body = CommandRequest,
    security(("session" = [])),
    params(("call_id" = String, Path, description = "The telephony side's call id")),
    responses((status = 201, body = CallCommand), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn send_command(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(call_id): PathParam<String>,
    JsonBody(request): JsonBody<CommandRequest>,
) -> ApiResult<(StatusCode, Json<CallCommand>)> {
    let command =
        Command::from_request(&request).map_err(|problem| ApiError::invalid(problem.field, problem.message))?;
    let mut new = NewCommand { kind: command.kind(), to_number_e164: None, to_user_id: None, digits: None };
    match &command {
        Command::Transfer(TransferTarget::Number(number)) => {
            let parsed = phone::parse(number, &session.account.default_region)
                .map_err(|error| ApiError::invalid("to_number", format!("`to_number`: {error}")))?;
            new.to_number_e164 = Some(phone::e164(&parsed));
        }
        Command::Transfer(TransferTarget::Agent(email)) => {
            let users = state.store.list_users(session.account.id).await?;
            let target = users
                .into_iter()
                .find(|user| user.email.eq_ignore_ascii_case(email))
                .ok_or_else(|| ApiError::invalid("to_agent", "`to_agent`: no user of this account has that email"))?;
            if target.id == session.user.id {
                return Err(ApiError::invalid("to_agent", "`to_agent`: the call is already yours"));
            }
            new.to_user_id = Some(target.id);
        }
        Command::SendDigits(digits) => new.digits = Some(digits.as_str().to_owned()),
        Command::HangUp | Command::Hold | Command::Resume | Command::Mute | Command::Unmute => {}
    }
    match state.store.create_call_command(&session.user, &call_id, &new, Utc::now()).await? {
        CommandOutcome::Queued(stored) => {
            state.streams.notify(session.user.id);
            Ok((StatusCode::CREATED, Json(stored.into())))
        }
        CommandOutcome::NotFound => Err(ApiError::NotFound("live call assigned to you")),
        CommandOutcome::Refused(refusal) => {
            Err(ApiError::invalid("command", format!("`{}` is not allowed now: {refusal}", new.kind.as_str())))
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PendingQuery {
    /// Wait up to this many seconds (at most 30) for a command when none is pending; 0 or absent answers at once.
    #[param(maximum = 30)]
    wait_secs: Option<u64>,
}

/// The account's commands waiting for the telephony side, oldest first (at most 100). Acknowledge each with
/// `POST /api/v1/call-commands/{id}/ack`; until then it is read again.
#[utoipa::path(get, path = "/call-commands", tag = "telephony", security(("api_key" = [])), params(PendingQuery),
    responses((status = 200, body = [CallCommand]), (status = 401, body = ApiErrorBody)))]
async fn pending_commands(
    State(state): State<AppState>,
    ApiKeyAccount(account): ApiKeyAccount,
    QueryParams(query): QueryParams<PendingQuery>,
) -> ApiResult<Json<Vec<CallCommand>>> {
    let wait_secs = query.wait_secs.unwrap_or(0);
    if wait_secs > MAX_WAIT_SECS {
        return Err(ApiError::invalid("wait_secs", format!("`wait_secs` is at most {MAX_WAIT_SECS}")));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait_secs);
    loop {
        let pending = state.store.pending_call_commands(account.id, READ_LIMIT).await?;
        if !pending.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(pending.into_iter().map(CallCommand::from).collect()));
        }
        tokio::time::sleep(WAIT_STEP).await;
    }
}

/// The telephony side's word on a command.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommandAck {
    /// `done`: carried out (the call's state changes); `failed`: not carried out, with `reason`.
    status: AckStatus,
    /// Why it failed, in a sentence the agent reads (without one, the agent reads that no reason was given); not kept
    /// with `done`.
    #[serde(default)]
    reason: Option<String>,
}

/// The longest reason kept.
const MAX_REASON_CHARS: usize = 200;

/// Acknowledges a command: `done` confirms it to the agent's softphone, `failed` shows the reason there. The same
/// acknowledgement again answers the same; a contradicting one is a 409.
#[utoipa::path(post, path = "/call-commands/{id}/ack", tag = "telephony", request_body = CommandAck,
    security(("api_key" = [])),
    params(("id" = i64, Path, description = "The command's id")),
    responses((status = 200, body = CallCommand), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn acknowledge_command(
    State(state): State<AppState>,
    ApiKeyAccount(account): ApiKeyAccount,
    PathParam(id): PathParam<i64>,
    JsonBody(ack): JsonBody<CommandAck>,
) -> ApiResult<Json<CallCommand>> {
    let reason = ack.reason.as_deref().map(str::trim).filter(|reason| !reason.is_empty());
    if reason.is_some_and(|reason| reason.chars().count() > MAX_REASON_CHARS) {
        return Err(ApiError::invalid("reason", format!("`reason` has at most {MAX_REASON_CHARS} characters")));
    }
    // A phone system that cannot say why a command failed still reports the failure: the agent then reads that no
    // reason was given. A reason sent with `done` means nothing to the agent and is not kept.
    let reason = match ack.status {
        AckStatus::Failed => Some(reason.unwrap_or(NO_REASON_GIVEN)),
        AckStatus::Done => None,
    };
    match state.store.acknowledge_call_command(account.id, id, ack.status, reason, Utc::now()).await? {
        AckResult::Applied { notify } => {
            for user_id in notify {
                state.streams.notify(user_id);
            }
        }
        AckResult::Repeat => {}
        AckResult::Contradicts(recorded) => {
            return Err(ApiError::Conflict {
                code: "contradicts_ack",
                message: format!("command {id} was already acknowledged as `{}`", recorded.as_str()),
            });
        }
        AckResult::NotFound => return Err(ApiError::NotFound("call command")),
    }
    let stored = state.store.call_command(account.id, id).await?.ok_or(ApiError::NotFound("call command"))?;
    Ok(Json(stored.into()))
}

/// The call's controls as `agent`'s softphone shows them: the confirmed state, the pending command and the last
/// failure (`stored`, none for a call without a stored state or command). A call handed to another agent shows, to
/// the agent who had it, who has it now (`names`: the account's users' display names).
pub(super) fn control_for(
    call: &Call,
    account: &Account,
    agent: i64,
    names: &HashMap<i64, String>,
    stored: Option<&StoredControl>,
) -> ControlState {
    if let Some(current) = call.agent_user_id.filter(|current| *current != agent) {
        let name = names.get(&current).cloned().unwrap_or_else(|| "another agent".to_owned());
        return ControlState { transferred_to: Some(name), ..ControlState::default() };
    }
    let Some(stored) = stored else { return ControlState::default() };
    let mut control = stored.state.clone();
    control.transferred_to = stored.transferred_to_e164.as_deref().map(|e164| phone::as_account_writes(e164, account));
    control
}
