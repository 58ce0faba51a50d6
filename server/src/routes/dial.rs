//! Click-to-dial. The agent clicks a number in Salesforce; the softphone files a dial request
//! (`POST /api/v1/agent/dial`). The telephony side collects pending requests (`GET /api/v1/dial-requests`, API key),
//! places each call, and posts its events with `dial_request_id`. Those events log the call like an inbound one,
//! and append its activity to the record the agent dialled from.

use crate::auth::{ApiKeyAccount, SignedIn, require_salesforce_plan};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::phone;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::record::{RecordId, SObjectType};
use callpop_core::wire::{ApiErrorBody, DialRequest, DialResponse};
use chrono::Utc;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(request_dial)).routes(routes!(pending_dial_requests))
}

/// Asks the telephony side to call a number for the signed-in agent.
#[utoipa::path(post, path = "/agent/dial", tag = "softphone", request_body = DialRequest, security(("session" = [])),
    responses((status = 201, body = DialResponse), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn request_dial(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<DialRequest>,
) -> ApiResult<(StatusCode, Json<DialResponse>)> {
    require_salesforce_plan(&session.account)?;
    let number = phone::parse(&body.number, &session.account.default_region)
        .map_err(|error| ApiError::invalid("number", format!("`number`: {error}")))?;
    let record = match (&body.record_id, &body.record_type) {
        (None, _) => None,
        (Some(id), record_type) => {
            let id =
                RecordId::parse(id).map_err(|error| ApiError::invalid("record_id", format!("`record_id`: {error}")))?;
            let object = id.object();
            if record_type.as_deref().is_some_and(|name| SObjectType::from_api_name(name) != object) {
                return Err(ApiError::invalid("record_type", format!("`record_id` {id} is a {}", object.api_name())));
            }
            Some((id.as_str().to_owned(), object.api_name().to_owned()))
        }
    };
    let record = record.as_ref().map(|(id, object)| (id.as_str(), object.as_str()));
    let request = state.store.create_dial_request(&session.user, &phone::e164(&number), record, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(DialResponse { dial_request_id: request.id })))
}

/// A dial request as the telephony side reads it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PendingDial {
    id: i64,
    /// The number to call, E.164.
    number: String,
    /// The agent whose line places the call (their callpop email).
    agent: String,
    record_id: Option<String>,
    record_type: Option<String>,
    requested_at: String,
}

/// The dial requests no call has taken yet, oldest first. Post the call's events with `dial_request_id` to take one.
#[utoipa::path(get, path = "/dial-requests", tag = "telephony", security(("api_key" = [])),
    responses((status = 200, body = [PendingDial]), (status = 401, body = ApiErrorBody)))]
async fn pending_dial_requests(
    State(state): State<AppState>,
    ApiKeyAccount(account): ApiKeyAccount,
) -> ApiResult<Json<Vec<PendingDial>>> {
    let pending = state.store.pending_dial_requests(account.id, 100).await?;
    let body = pending
        .into_iter()
        .map(|request| PendingDial {
            id: request.id,
            number: request.number_e164,
            agent: request.agent_email,
            record_id: request.record_id,
            record_type: request.record_type,
            requested_at: request.requested_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .collect();
    Ok(Json(body))
}
