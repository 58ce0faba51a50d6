//! `GET /api/v1/agent/history`: the signed-in agent's recent calls and texts for the softphone's Recent list, each
//! with the record it was logged to (`store::history` says which record that is). What the softphone shows for each
//! row, which calls count as missed and what a click does is core's `history`.

use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::phone;
use crate::state::AppState;
use crate::store::history::HistoryRow;
use axum::Json;
use axum::extract::State;
use callpop_core::history::HISTORY_LIMIT;
use callpop_core::record::RecordId;
use callpop_core::wire::{ApiErrorBody, HistoryEntry, RecordRef};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(agent_history))
}

/// The agent's 50 most recent calls and texts together, newest first.
#[utoipa::path(get, path = "/agent/history", tag = "softphone", security(("session" = [])),
    responses((status = 200, body = [HistoryEntry]), (status = 401, body = ApiErrorBody)))]
async fn agent_history(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let limit = i64::try_from(HISTORY_LIMIT).unwrap_or(50);
    let rows = state.store.agent_history(session.account.id, session.user.id, limit).await?;
    let entries = rows
        .into_iter()
        .map(|row| {
            let HistoryRow { kind, id, direction, number_e164, name, at, state, answered, record_id } = row;
            let record = record_id.and_then(|id| RecordId::parse(&id).ok()).map(|id| RecordRef {
                object: id.object().api_name().to_owned(),
                id: id.as_str().to_owned(),
                created: false,
            });
            HistoryEntry {
                kind,
                id,
                direction,
                number: phone::as_account_writes(&number_e164, &session.account),
                number_e164,
                name,
                at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                state,
                answered,
                record,
            }
        })
        .collect();
    Ok(Json(entries))
}
