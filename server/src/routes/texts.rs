//! Texts (SMS): `POST /api/v1/text-events` from the telephony side, and the text log: `GET /api/v1/texts`,
//! `GET /api/v1/texts/{message_id}` and its Salesforce panel.
//!
//! A text event is validated like a call event (every problem a 422 naming the field), stored with its outbox item
//! in one transaction, and only then acknowledged with 202. A retry of the same message id writes nothing.

use super::export::{ExportedLog, export_log, time_cell, wire_name};
use super::log::{LogParams, log_query, org_url, page_info, require_panel_access, shows_salesforce, visibility_for};
use crate::auth::{ApiKeyAccount, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::model::{NewTextEvent, Session, Text, User};
use crate::phone;
use crate::salesforce_panel::{SalesforcePanel, summarise};
use crate::state::AppState;
use crate::store::salesforce_audit::SyncSubject;
use crate::store::{LogCounts, LogQuery, Store};
use crate::validate::{self, required, text};
use crate::views::{AcceptedEvent, TextDetailView, TextPage, TextView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use callpop_core::account::Visibility;
use callpop_core::call::{CallId, Direction};
use callpop_core::wire::ApiErrorBody;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest message body accepted: ten SMS segments' worth, and well inside a Task's Description.
const MAX_BODY_CHARS: usize = 1600;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_text_event))
        .routes(routes!(list_texts))
        .routes(routes!(export_texts))
        .routes(routes!(get_text))
        .routes(routes!(get_text_salesforce_panel))
}

/// The body the telephony side posts for one text message. Every field is optional in Rust so that a missing one is
/// reported by name; the document marks the required ones required and states each field's limits.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextEventBody {
    /// The telephony side's id for the message (1 to 128 letters, digits and `. _ : -`).
    #[schema(required = true, value_type = String, min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9._:-]+$")]
    message_id: Option<String>,
    #[schema(required = true, value_type = Direction)]
    direction: Option<String>,
    /// Read in the account's default region when it has no country code.
    #[schema(required = true, value_type = String, format = "phone")]
    from_number: Option<String>,
    #[schema(required = true, value_type = String, format = "phone")]
    to_number: Option<String>,
    /// The message, at most 1,600 characters, not blank.
    #[schema(required = true, value_type = String, max_length = 1600, pattern = r"\S")]
    body: Option<String>,
    /// The agent's callpop email.
    #[schema(max_length = 255)]
    agent: Option<String>,
    #[schema(max_length = 255)]
    tracking_source: Option<String>,
    #[schema(max_length = 255)]
    campaign: Option<String>,
    /// When the message was sent or received, RFC 3339.
    /// Format `event-time`: an RFC 3339 date-time from 90 days before the server's clock to 15 minutes after it
    /// (`validate::event_time`).
    #[schema(required = true, value_type = String, format = "event-time")]
    occurred_at: Option<String>,
}

impl TextEventBody {
    fn into_event(self, default_region: &str) -> ApiResult<NewTextEvent> {
        let raw = serde_json::to_value(&self).map_err(anyhow::Error::from)?;
        let message_id = required(self.message_id, "message_id")?;
        CallId::parse(&message_id).map_err(|error| {
            ApiError::invalid(
                "message_id",
                format!("`message_id`: {}", error.to_string().replace("call id", "message id")),
            )
        })?;
        let direction = validate::direction(self.direction, "direction")?;
        let from = validate::phone_number(self.from_number, "from_number", default_region)?;
        let to = validate::phone_number(self.to_number, "to_number", default_region)?;
        // A message body keeps its inner spacing; only an empty one is refused.
        let body = validate::text_up_to(self.body, "body", MAX_BODY_CHARS)?
            .ok_or_else(|| ApiError::MissingField("body".to_owned()))?;
        Ok(NewTextEvent {
            message_id,
            direction,
            from_e164: phone::e164(&from),
            to_e164: phone::e164(&to),
            body,
            agent_ref: text(self.agent, "agent")?,
            tracking_source: text(self.tracking_source, "tracking_source")?,
            campaign: text(self.campaign, "campaign")?,
            occurred_at: validate::event_time(self.occurred_at, "occurred_at", chrono::Utc::now())?,
            raw,
        })
    }
}

/// Stores a text message sent or received, and queues it for Salesforce.
#[utoipa::path(post, path = "/text-events", tag = "telephony", request_body = TextEventBody, security(("api_key" = [])),
    responses((status = 202, body = AcceptedEvent), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 413, body = ApiErrorBody), (status = 415, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn record_text_event(
    State(state): State<AppState>,
    ApiKeyAccount(account): ApiKeyAccount,
    JsonBody(body): JsonBody<TextEventBody>,
) -> ApiResult<(StatusCode, Json<AcceptedEvent>)> {
    let event = body.into_event(&account.default_region)?;
    let agent = match &event.agent_ref {
        Some(reference) => state.store.user_by_reference(account.id, reference).await?,
        None => None,
    };
    let recorded = state.store.record_text_event(account.id, agent.as_ref(), &event, chrono::Utc::now()).await?;
    state.sync.wake();
    let accepted = AcceptedEvent {
        id: recorded.text.message_id,
        duplicate: recorded.duplicate,
        agent_known: recorded.text.agent_user_id.is_some(),
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

/// The account's texts (a call agent's own) that the search selects, newest first, a page at a time, with the count
/// of all of them and the cursors to the pages either side.
#[utoipa::path(get, path = "/texts", tag = "text log", params(LogParams), security(("session" = [])),
    responses((status = 200, body = TextPage), (status = 401, body = ApiErrorBody),
        (status = 403, description = "`sync_status` for someone who may not see the Salesforce panel", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn list_texts(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(params): QueryParams<LogParams>,
) -> ApiResult<Json<TextPage>> {
    let Some(query) = log_query(&state, &session, params).await? else {
        return Ok(Json(TextPage { texts: Vec::new(), page: page_info(LogCounts::default(), None, None) }));
    };
    let texts = state.store.list_texts(&query).await?;
    let (first, last) = (texts.first().map(|text| text.id), texts.last().map(|text| text.id));
    let counts = state.store.count_texts(&query.filter, first, last).await?;
    let users = state.store.list_users(session.account.id).await?;
    let views = texts.iter().map(|text| text_view(&session, &users, text)).collect();
    Ok(Json(TextPage { texts: views, page: page_info(counts, first, last) }))
}

fn text_view(session: &Session, users: &[User], found: &Text) -> TextView {
    let seen = visibility_for(session, found.account_id, found.agent_user_id);
    TextView::new(found, &session.account, users, shows_salesforce(session, seen))
}

/// The text log's CSV export.
struct TextExport;

impl ExportedLog for TextExport {
    type Row = Text;
    const NAME: &'static str = "texts";
    const COLUMNS: &'static [&'static str] = &[
        "message_id",
        "occurred_at",
        "direction",
        "from_number",
        "to_number",
        "body",
        "agent_email",
        "agent_name",
        "agent_ref",
        "tracking_source",
        "campaign",
        "received_at",
    ];

    fn rows<'a>(store: &'a dyn Store, query: &'a LogQuery) -> BoxFuture<'a, sqlx::Result<Vec<Text>>> {
        store.list_texts(query)
    }

    fn cells(session: &Session, users: &[User], found: &Text, with_sync_status: bool) -> (i64, Vec<String>) {
        (found.id, text_cells(text_view(session, users, found), with_sync_status))
    }
}

fn text_cells(view: TextView, with_sync_status: bool) -> Vec<String> {
    let (agent_email, agent_name) = view.agent.map(|agent| (agent.email, agent.display_name)).unwrap_or_default();
    let mut cells = vec![
        view.message_id,
        time_cell(Some(view.occurred_at)),
        wire_name(view.direction),
        view.from_number,
        view.to_number,
        view.body,
        agent_email,
        agent_name,
        view.agent_ref.unwrap_or_default(),
        view.tracking_source.unwrap_or_default(),
        view.campaign.unwrap_or_default(),
        time_cell(Some(view.received_at)),
    ];
    if with_sync_status {
        cells.push(view.sync_status.map(wire_name).unwrap_or_default());
    }
    cells
}

/// The texts the search selects, as a CSV download: every page of it, newest first, at most 100,000 rows. The
/// paging parameters are ignored.
#[utoipa::path(get, path = "/texts/export.csv", tag = "text log", params(LogParams), security(("session" = [])),
    responses((status = 200, description = "the CSV, an attachment", content_type = "text/csv", body = String),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "`sync_status` for someone who may not see the Salesforce panel", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
async fn export_texts(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(params): QueryParams<LogParams>,
) -> ApiResult<Response> {
    export_log::<TextExport>(&state, session, params).await
}

async fn visible_text(state: &AppState, session: &Session, message_id: &str) -> ApiResult<(Text, Visibility)> {
    let found =
        state.store.text_by_message_id(session.account.id, message_id).await?.ok_or(ApiError::NotFound("text"))?;
    match visibility_for(session, found.account_id, found.agent_user_id) {
        Visibility::Hidden => Err(ApiError::NotFound("text")),
        seen => Ok((found, seen)),
    }
}

async fn text_panel(state: &AppState, found: &Text) -> ApiResult<SalesforcePanel> {
    let trail = state.store.salesforce_audit(SyncSubject::Text(found.id)).await?;
    Ok(summarise(found.sync_status, &trail, &[]))
}

/// One text, and its Salesforce panel when the user may see it.
#[utoipa::path(get, path = "/texts/{message_id}", tag = "text log", security(("session" = [])),
    params(("message_id" = String, Path, description = "The telephony side's message id")),
    responses((status = 200, body = TextDetailView), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn get_text(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(message_id): PathParam<String>,
) -> ApiResult<Json<TextDetailView>> {
    let (found, seen) = visible_text(&state, &session, &message_id).await?;
    let users = state.store.list_users(session.account.id).await?;
    let shows_panel = shows_salesforce(&session, seen);
    let (salesforce, org_url) = if shows_panel {
        (Some(text_panel(&state, &found).await?), org_url(&state, session.account.id).await?)
    } else {
        (None, None)
    };
    Ok(Json(TextDetailView { text: TextView::new(&found, &session.account, &users, shows_panel), salesforce, org_url }))
}

/// What was sent to Salesforce for the text.
#[utoipa::path(get, path = "/texts/{message_id}/salesforce", tag = "text log", security(("session" = [])),
    params(("message_id" = String, Path, description = "The telephony side's message id")),
    responses((status = 200, body = SalesforcePanel), (status = 401, body = ApiErrorBody),
        (status = 403, description = "`limit_data_access` or `plan_excludes_salesforce`", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
async fn get_text_salesforce_panel(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(message_id): PathParam<String>,
) -> ApiResult<Json<SalesforcePanel>> {
    let (found, seen) = visible_text(&state, &session, &message_id).await?;
    require_panel_access(&session, seen, "text")?;
    Ok(Json(text_panel(&state, &found).await?))
}
