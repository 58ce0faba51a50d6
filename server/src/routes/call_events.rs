//! `POST /api/v1/call-events`: the telephony side reports a call's life (ringing, answered, completed).
//!
//! The event is validated, stored durably with what it causes (the agent's stream notice, the sync engine's outbox
//! item) in one transaction, and only then acknowledged with 202. A retry of an event already stored changes nothing
//! and is acknowledged the same way, flagged `duplicate`.

use crate::auth::ApiKeyAccount;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::model::{Call, CallEventOutcome, NewActivity, NewCallEvent};
use crate::phone;
use crate::state::AppState;
use crate::store::dial::DialRequest;
use crate::validate::{self, required, text, text_list};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use callpop_core::call::{CallId, CallState, Contradiction, Direction};
use callpop_core::wire::{ApiErrorBody, ChoiceReason};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_call_event))
}

/// The body the telephony side posts. Every field is optional in Rust so that a missing one is reported by name; the
/// document marks the required ones required and states each field's limits, as `into_event` checks them.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallEventBody {
    /// The telephony side's id for the call: 1 to 128 letters, digits and `. _ : -`.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9._:-]+$")]
    call_id: Option<String>,
    #[schema(required = true, value_type = CallState)]
    kind: Option<String>,
    #[schema(required = true, value_type = Direction)]
    direction: Option<String>,
    /// The caller's number; read in the account's default region when it has no country code.
    #[schema(required = true, value_type = String, format = "phone")]
    caller_number: Option<String>,
    #[schema(max_length = 255)]
    caller_name: Option<String>,
    #[schema(max_length = 255)]
    caller_city: Option<String>,
    #[schema(max_length = 255)]
    caller_region: Option<String>,
    #[schema(max_length = 255)]
    caller_country: Option<String>,
    /// The number the caller dialled; read like `caller_number`.
    #[schema(required = true, value_type = String, format = "phone")]
    tracking_number: Option<String>,
    #[schema(max_length = 255)]
    tracking_source: Option<String>,
    #[schema(max_length = 255)]
    campaign: Option<String>,
    /// The agent's callpop email (or id).
    #[schema(max_length = 255)]
    agent: Option<String>,
    /// When this step happened, RFC 3339.
    /// Format `event-time`: an RFC 3339 date-time from 90 days before the server's clock to 15 minutes after it
    /// (`validate::event_time`).
    #[schema(required = true, value_type = String, format = "event-time")]
    occurred_at: Option<String>,
    duration_secs: Option<u32>,
    #[schema(max_length = 255)]
    disposition: Option<String>,
    /// An http or https URL.
    #[schema(max_length = 255, pattern = r"^\s*(https?://[\s\S]*)?$")]
    recording_url: Option<String>,
    /// At most 50, each at most 255 characters.
    #[schema(schema_with = validate::text_list_schema)]
    keywords: Option<Vec<String>>,
    /// At most 50, each at most 255 characters.
    #[schema(schema_with = validate::text_list_schema)]
    tags: Option<Vec<String>>,
    /// At most 50 fields and 8 KB in all.
    #[schema(schema_with = custom_fields_schema)]
    custom_fields: Option<Map<String, Value>>,
    /// For an outbound call placed from a click-to-dial request: the request's id (`GET /api/v1/dial-requests`).
    dial_request_id: Option<i64>,
}

/// `custom_fields` in the document: an object of at most 50 fields (its 8 KB limit is in the description), or null.
fn custom_fields_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .max_properties(Some(50))
        .description(Some("Any JSON fields to keep with the call: at most 50, and 8 KB in all"))
        .build()
}

impl CallEventBody {
    fn into_event(self, default_region: &str) -> ApiResult<NewCallEvent> {
        let raw = serde_json::to_value(&self).map_err(anyhow::Error::from)?;
        let call_id = required(self.call_id, "call_id")?;
        CallId::parse(&call_id).map_err(|error| ApiError::invalid("call_id", format!("`call_id`: {error}")))?;
        let kind = required(self.kind, "kind")?;
        let state = CallState::parse(&kind).ok_or_else(|| {
            ApiError::invalid("kind", format!("`kind` is {kind:?}; it must be ringing, answered or completed"))
        })?;
        let direction = validate::direction(self.direction, "direction")?;
        let caller = validate::phone_number(self.caller_number, "caller_number", default_region)?;
        let tracking = validate::phone_number(self.tracking_number, "tracking_number", default_region)?;
        let occurred_at = validate::event_time(self.occurred_at, "occurred_at", chrono::Utc::now())?;
        let recording_url = text(self.recording_url, "recording_url")?;
        if let Some(url) = &recording_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ApiError::invalid("recording_url", "`recording_url` must be an http or https URL"));
        }
        let custom_fields = self.custom_fields.unwrap_or_default();
        if custom_fields.len() > 50 || serde_json::to_string(&custom_fields).map_or(0, |text| text.len()) > 8 * 1024 {
            return Err(ApiError::invalid("custom_fields", "`custom_fields` holds at most 50 fields and 8 KB"));
        }
        Ok(NewCallEvent {
            call_id,
            state,
            direction,
            caller_country: text(self.caller_country, "caller_country")?.or_else(|| phone::region_of(&caller)),
            caller_e164: phone::e164(&caller),
            caller_name: text(self.caller_name, "caller_name")?,
            caller_city: text(self.caller_city, "caller_city")?,
            caller_region: text(self.caller_region, "caller_region")?,
            tracking_number: phone::e164(&tracking),
            tracking_source: text(self.tracking_source, "tracking_source")?,
            campaign: text(self.campaign, "campaign")?,
            agent_ref: text(self.agent, "agent")?,
            occurred_at,
            duration_secs: self.duration_secs.map(i64::from),
            disposition: text(self.disposition, "disposition")?,
            recording_url,
            keywords: text_list(self.keywords, "keywords")?,
            tags: text_list(self.tags, "tags")?,
            custom_fields,
            raw,
        })
    }
}

/// The 409 naming the field when a later event of a known call says it is another call (core's
/// `call::contradiction`, checked by the store inside the writing transaction).
fn contradicts_call(call_id: &str, contradiction: &Contradiction) -> ApiError {
    let field = contradiction.fact.field();
    ApiError::Conflict {
        code: "contradicts_call",
        message: format!(
            "call {call_id} is known with another `{field}` ({} from {}): events of one call must agree on the caller \
             and the direction; use a new call id for another call",
            contradiction.known, contradiction.sent
        ),
    }
}

/// Marks a dial request placed by `call` and appends the call's activity to the record the agent dialled from.
async fn place_dial_request(
    state: &AppState,
    request: &DialRequest,
    call: &Call,
    now: chrono::DateTime<Utc>,
) -> ApiResult<()> {
    state.store.mark_dial_request_placed(request.id, call.id, now).await?;
    let (Some(record_id), Some(record_type)) = (&request.record_id, &request.record_type) else { return Ok(()) };
    let Some(agent) = state.store.user_by_reference(request.account_id, &request.agent_email).await? else {
        return Ok(());
    };
    let activity = NewActivity {
        call_id: call.call_id.clone(),
        record_id: record_id.clone(),
        record_type: record_type.clone(),
        chosen_by: ChoiceReason::ClickToDial.as_str().to_owned(),
    };
    state.store.append_activity(&agent, &activity, now).await?;
    Ok(())
}

/// Stores one step of a call's life (`ringing`, `answered`, `completed`) and queues it for Salesforce.
#[utoipa::path(post, path = "/call-events", tag = "telephony", request_body = CallEventBody, security(("api_key" = [])),
    responses((status = 202, description = "stored (`duplicate` when it had been before)", body = serde_json::Value),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody), (status = 413, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the event contradicts the known call's caller or direction \
            (`contradicts_call`), or `dial_request_id` names no dial request of this account"),
        (status = 415, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn record_call_event(
    State(state): State<AppState>,
    ApiKeyAccount(account): ApiKeyAccount,
    JsonBody(body): JsonBody<CallEventBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let dial_request_id = body.dial_request_id;
    let event = body.into_event(&account.default_region)?;
    let dial_request = match dial_request_id {
        Some(id) => {
            // A well-formed id that names no dial request of this account: the event conflicts with what the server
            // holds (the document cannot tell which ids exist), so 409 like other references to the server's state.
            let request = state.store.dial_request(account.id, id).await?.ok_or_else(|| ApiError::Conflict {
                code: "unknown_dial_request",
                message: format!("`dial_request_id` {id} is not one of this account's dial requests"),
            })?;
            if event.direction != Direction::Outbound {
                return Err(ApiError::invalid("direction", "a call placed for a dial request is `outbound`"));
            }
            Some(request)
        }
        None => None,
    };
    let agent = match &event.agent_ref {
        Some(reference) => state.store.user_by_reference(account.id, reference).await?,
        None => None,
    };
    let now = Utc::now();
    let recorded = match state.store.record_call_event(account.id, agent.as_ref(), &event, now).await? {
        CallEventOutcome::Recorded(recorded) => *recorded,
        CallEventOutcome::Contradicts(contradiction) => return Err(contradicts_call(&event.call_id, &contradiction)),
    };
    if let Some(request) = dial_request {
        // A separate step, idempotent like the event itself: a retried event completes it if it was interrupted.
        place_dial_request(&state, &request, &recorded.call, now).await?;
    }
    if let Some(user_id) = recorded.call.agent_user_id {
        state.streams.notify(user_id);
    }
    state.sync.wake();
    let body = json!({
        "call_id": recorded.call.call_id,
        "state": recorded.call.state.as_str(),
        "duplicate": recorded.duplicate,
        "agent_known": recorded.call.agent_user_id.is_some(),
    });
    Ok((StatusCode::ACCEPTED, Json(body)))
}
