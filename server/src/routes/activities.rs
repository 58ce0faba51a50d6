//! `POST /api/v1/activities`: the softphone appends a call's activity to the Salesforce record chosen in the browser.
//!
//! Idempotent: the same (call, record) pair is stored once, however often the softphone sends it (it retries after
//! being offline). Stored with its outbox item before the 202; the sync engine writes the Task afterwards.

use crate::auth::SignedIn;
use crate::auth::require_salesforce_plan;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::model::NewActivity;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::record::{RecordId, SObjectType};
use callpop_core::wire::{ActivityAppend, ApiErrorBody};
use chrono::Utc;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(append_activity))
}

/// Appends the call's activity to a record the softphone chose; stored before the 202, synced afterwards.
#[utoipa::path(post, path = "/activities", tag = "softphone", request_body = ActivityAppend, security(("session" = [])),
    responses((status = 202, description = "stored (`duplicate` when it had been before)", body = serde_json::Value),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn append_activity(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<ActivityAppend>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_salesforce_plan(&session.account)?;
    let record = RecordId::parse(&body.record_id)
        .map_err(|error| ApiError::invalid("record_id", format!("`record_id`: {error}")))?;
    let object = SObjectType::from_api_name(&body.record_type);
    if !matches!(object, SObjectType::Lead | SObjectType::Contact | SObjectType::Account) {
        return Err(ApiError::invalid("record_type", "`record_type` must be Lead, Contact or Account"));
    }
    if record.object() != object {
        return Err(ApiError::invalid(
            "record_type",
            format!("`record_id` {record} is a {}, not a {}", record.object().api_name(), object.api_name()),
        ));
    }
    let activity = NewActivity {
        call_id: body.call_id,
        record_id: record.as_str().to_owned(),
        record_type: object.api_name().to_owned(),
        chosen_by: body.chosen_by.as_str().to_owned(),
    };
    let recorded =
        state.store.append_activity(&session.user, &activity, Utc::now()).await?.ok_or(ApiError::NotFound("call"))?;
    state.sync.wake();
    let body = json!({ "activity_id": recorded.activity_id, "duplicate": recorded.duplicate });
    Ok((StatusCode::ACCEPTED, Json(body)))
}
