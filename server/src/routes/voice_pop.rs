//! `GET /api/v1/agent/calls/{call_id}/matches`: what the Salesforce Voice connector does about the caller's record
//! once the agent accepted a call. Under Open CTI the softphone searches the org through Salesforce's page; a
//! connector cannot, so the server searches with the account's link (`SyncEngine::search_caller`) and answers with
//! core's decision (`callpop_core::voice::voice_pop`): append the call to the one match, ask the agent about
//! several (the multi-match dialog, the record picked last time for this number first), or leave it to the server
//! (legacy mode, which names the record itself and costs no search here; nobody matched; the dialog is off).
//!
//! The connector appends the call to the record through `POST /api/v1/activities`, as the softphone does, and the
//! call's VoiceCall is then linked to it.

use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult};
use crate::extract::PathParam;
use crate::phone;
use crate::state::AppState;
use crate::sync::voice::CallerSearchError;
use axum::Json;
use axum::extract::State;
use callpop_core::call::Direction;
use callpop_core::record::RecordId;
use callpop_core::voice::{VoicePop, voice_pop, voice_pop_searches};
use callpop_core::wire::ApiErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(call_matches))
}

/// The caller's records for the connector, and what it does with them. 409 when the org is not linked or did not
/// answer the search: the call is logged all the same, by legacy mode, the triggers or the server's own rule.
#[utoipa::path(get, path = "/agent/calls/{call_id}/matches", tag = "softphone", security(("session" = [])),
    params(("call_id" = String, Path, description = "The telephony side's call id")),
    responses((status = 200, body = VoicePop), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
async fn call_matches(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(call_id): PathParam<String>,
) -> ApiResult<Json<VoicePop>> {
    let account = &session.account;
    let call = state
        .store
        .call_by_call_id(account.id, &call_id)
        .await?
        .filter(|call| call.agent_user_id == Some(session.user.id))
        .ok_or(ApiError::NotFound("call assigned to you"))?;
    let options = state.store.integration_options(account.id).await?.unwrap_or_default();
    let number = phone::as_account_writes(&call.caller_e164, account);
    // An outbound call is never popped; legacy mode names the record on the server: no search for either.
    if call.direction == Direction::Outbound || !voice_pop_searches(&options) {
        return Ok(Json(voice_pop(&options, &number, None, &[])));
    }
    let found = state.sync.search_caller(account.id, &call.caller_e164).await.map_err(|error| match error {
        CallerSearchError::Database(error) => ApiError::Database(error),
        CallerSearchError::NotLinked => ApiError::Conflict {
            code: "salesforce_not_linked",
            message: "the account's Salesforce org is not linked, so callpop cannot look up the caller: an \
                administrator links it on the console's Salesforce page"
                .to_owned(),
        },
        CallerSearchError::Salesforce(error) => ApiError::Conflict {
            code: "salesforce_search_failed",
            message: format!(
                "Salesforce did not answer the search for the caller ({error}); the call is logged all the same"
            ),
        },
    })?;
    let remembered = state
        .store
        .remembered_records(account.id, std::slice::from_ref(&call.caller_e164))
        .await?
        .remove(&call.caller_e164)
        .and_then(|id| RecordId::parse(&id).ok());
    Ok(Json(voice_pop(&options, &number, remembered.as_ref(), &found)))
}
