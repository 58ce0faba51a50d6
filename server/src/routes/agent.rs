//! The softphone's side of the API: the agent's event stream and pop claims.
//!
//! `GET /api/v1/agent/stream` is Server-Sent Events. Each event's id is a stream notice id and its data the call's
//! current state (`CallUpdate`). A softphone that reconnects with `Last-Event-ID` (or `?after=`) gets every call that
//! changed since; one that connects fresh (a reload) gets the calls that are still ringing or live, and those that
//! ended and are still in the agent's after-call work (`callpop_core::wrap_up::after_call_work_covers`), marked
//! so; each of these with the notes and disposition the agent saved for it, so a card drawn anew shows them.
//! `EventSource` cannot send headers, so the connection is authorised by a single-use ticket from
//! `POST /api/v1/agent/stream-tickets`.
//!
//! A ticket and a stream belong to the session that asked for the ticket. When that session ends (the agent signs
//! out, an administrator ends it, a password change ends them all, or it expires), an unused ticket is refused and
//! the open stream sends one `ended` event and closes: the softphone then asks the agent to sign in again.

use crate::auth::{CurrentSession, SignedIn, TICKET_PREFIX, hash_secret, new_secret};
use crate::calls::call_update;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParam, QueryParams};
use crate::model::{Account, Call, PopClaimOutcome, Session};
use crate::state::AppState;
use crate::store::call_commands::StoredControl;
use crate::streams::SentNotices;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use callpop_core::call::Direction;
use callpop_core::wire::{ApiErrorBody, CallUpdate, PopClaim, SavedWrapUp, StreamTicket};
use callpop_core::wrap_up::after_call_work_covers;
use chrono::{Duration, Utc};
use futures_util::Stream;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a stream ticket is valid.
const TICKET_LIFETIME: Duration = Duration::seconds(60);
/// How far back a fresh softphone looks for calls that are still live.
const LIVE_CALL_WINDOW: Duration = Duration::hours(12);

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_stream_ticket)).routes(routes!(stream_events)).routes(routes!(claim_pop))
}

/// A single-use ticket, valid 60 s, that opens one event-stream connection.
#[utoipa::path(post, path = "/agent/stream-tickets", tag = "softphone", security(("session" = [])),
    responses((status = 201, body = StreamTicket), (status = 401, body = ApiErrorBody)))]
async fn create_stream_ticket(
    State(state): State<AppState>,
    current: CurrentSession,
) -> ApiResult<(StatusCode, Json<StreamTicket>)> {
    let ticket = new_secret(TICKET_PREFIX);
    let (user_id, expires_at) = (current.session.user.id, Utc::now() + TICKET_LIFETIME);
    state.store.create_stream_ticket(&hash_secret(&ticket), user_id, &current.token_hash, expires_at).await?;
    let expires_in_secs = u32::try_from(TICKET_LIFETIME.num_seconds()).unwrap_or(60);
    Ok((StatusCode::CREATED, Json(StreamTicket { ticket, expires_in_secs })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// The ticket from `POST /api/v1/agent/stream-tickets`.
    ticket: Option<String>,
    /// Resume after this event id, for clients that cannot set `Last-Event-ID`.
    after: Option<i64>,
}

/// One event of the agent's stream, as its fields: a `call` event (its `id` a stream notice id, its `data` a
/// `CallUpdate` as JSON), the one `ready` event (`data` `{}`) once the calls the softphone missed are sent, or the
/// last, `ended` (`data` `{"reason":"session_ended"}`), when the session ended and the stream closes.
/// Written by hand: it documents what `send_call` and `feed_stream_inner` write with axum's `Event`.
struct StreamEvent;

impl utoipa::PartialSchema for StreamEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = |description: &str| ObjectBuilder::new().schema_type(Type::String).description(Some(description));
        let named = |name: &str| ObjectBuilder::new().schema_type(Type::String).enum_values(Some([name]));
        let call = ObjectBuilder::new()
            .property("event", named("call"))
            .property("id", text("the stream notice id: reconnect with it as `Last-Event-ID` (or `?after=`)"))
            .property(
                "data",
                text("the call's current state, a `CallUpdate` as JSON").content_media_type("application/json"),
            )
            .required("event")
            .required("id")
            .required("data");
        let ready =
            ObjectBuilder::new().property("event", named("ready")).property("data", named("{}")).required("event");
        let ended = ObjectBuilder::new()
            .property("event", named("ended"))
            .property("data", named(r#"{"reason":"session_ended"}"#))
            .required("event");
        OneOfBuilder::new().item(call).item(ready).item(ended).into()
    }
}

impl utoipa::ToSchema for StreamEvent {}

/// The agent's calls as Server-Sent Events (`StreamEvent`s); comments keep the connection alive.
#[utoipa::path(get, path = "/agent/stream", tag = "softphone", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = StreamEvent), (status = 401, body = ApiErrorBody)))]
async fn stream_events(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let ticket =
        query.ticket.ok_or(ApiError::Unauthorized("open the stream with `?ticket=` from /agent/stream-tickets"))?;
    let (session, session_hash) =
        state.store.redeem_stream_ticket(&hash_secret(&ticket), Utc::now()).await?.ok_or(ApiError::Unauthorized(
            "this stream ticket is unknown, used or expired, or its session ended: ask for a new one",
        ))?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<i64>().ok())
        .or(query.after);
    let (sender, receiver) = mpsc::channel(64);
    tokio::spawn(feed_stream(state, Watched { session, session_hash }, last_event_id, sender));
    Ok(Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::default()))
}

type EventSender = mpsc::Sender<Result<Event, Infallible>>;

/// The session a stream serves, and its token's hash, to notice when it ends.
struct Watched {
    session: Session,
    session_hash: String,
}

/// Writes the agent's stream until the client goes away or the session ends.
async fn feed_stream(state: AppState, watched: Watched, last_event_id: Option<i64>, sender: EventSender) {
    if let Err(error) = feed_stream_inner(&state, &watched, last_event_id, &sender).await {
        tracing::warn!(user_id = watched.session.user.id, error = %error, "agent stream ended on an error");
    }
}

async fn feed_stream_inner(
    state: &AppState,
    watched: &Watched,
    last_event_id: Option<i64>,
    sender: &EventSender,
) -> anyhow::Result<()> {
    let session = &watched.session;
    let user_id = session.user.id;
    // Registered for wake-ups, and for the server's watchman, which wakes it for what no wake-up announced.
    let mut open = state.streams.open_stream(user_id, &watched.session_hash);
    let cursor = match last_event_id {
        Some(after) => after,
        None => {
            let high_water = state.store.latest_agent_event_id(user_id).await?;
            let account = state.store.account(session.account.id).await?.unwrap_or_else(|| session.account.clone());
            let now = Utc::now();
            let live = state.store.live_calls_for_agent(user_id, now - LIVE_CALL_WINDOW).await?;
            let mut calls: Vec<(i64, Call, bool)> = live.into_iter().map(|(id, call)| (id, call, false)).collect();
            let ended = calls_in_after_call_work(state, user_id, account.id, now).await?;
            calls.extend(ended.into_iter().map(|(id, call)| (id, call, true)));
            calls.sort_by_key(|(event_id, ..)| *event_id);
            let call_row_ids: Vec<i64> = calls.iter().map(|(_, call, _)| call.id).collect();
            let mut saved_wrap_ups: HashMap<i64, SavedWrapUp> = state
                .store
                .call_wrap_ups(&call_row_ids)
                .await?
                .into_iter()
                .map(|saved| (saved.call_row_id, SavedWrapUp { notes: saved.notes, disposition: saved.disposition }))
                .collect();
            let mut last = high_water;
            let listed: Vec<&Call> = calls.iter().map(|(_, call, _)| call).collect();
            let rendering = Rendering::load(state, &account, user_id, &listed).await?;
            for (event_id, call, after_call_work) in calls {
                let mut update = rendering.render(&call, &account, user_id);
                update.after_call_work = after_call_work;
                update.saved_wrap_up = saved_wrap_ups.remove(&call.id);
                send_call(sender, event_id, &update).await?;
                last = last.max(event_id);
            }
            last
        }
    };
    sender.send(Ok(Event::default().event("ready").data("{}"))).await?;
    let mut sent = SentNotices::after(cursor);
    loop {
        // Each look first checks the session: one that ended ends its stream. Sign-out, an administrator ending
        // the session and a password change wake the user's streams at once, here or on another server; the
        // watchman wakes them for an expired session or a lost wake-up.
        if state.store.session(&watched.session_hash, Utc::now()).await?.is_none() {
            sender.send(Ok(Event::default().event("ended").data(r#"{"reason":"session_ended"}"#))).await?;
            return Ok(());
        }
        // Read from below what was sent: on PostgreSQL a notice can commit after a higher one (`SentNotices`).
        let now = Instant::now();
        let after = sent.floor(now);
        let limit = 200 + i64::try_from(sent.already_sent()).unwrap_or(i64::MAX - 200);
        let notices: Vec<(i64, i64)> = state
            .store
            .agent_events_after(user_id, after, limit)
            .await?
            .into_iter()
            .filter(|(event_id, _)| sent.take(*event_id, now))
            .collect();
        if !notices.is_empty() {
            let account = state.store.account(session.account.id).await?.unwrap_or_else(|| session.account.clone());
            // Several notices for one call in a batch: the call's current state is sent once, with the last id.
            let mut newest_per_call: Vec<(i64, i64)> = Vec::new();
            for (event_id, call_row_id) in notices {
                newest_per_call.retain(|(_, row)| *row != call_row_id);
                newest_per_call.push((event_id, call_row_id));
            }
            let row_ids: Vec<i64> = newest_per_call.iter().map(|(_, row)| *row).collect();
            let calls = state.store.calls_by_row_ids(&row_ids).await?;
            let rendering = Rendering::load(state, &account, user_id, &calls.iter().collect::<Vec<_>>()).await?;
            for (event_id, call_row_id) in newest_per_call {
                if let Some(call) = calls.iter().find(|call| call.id == call_row_id) {
                    send_call(sender, event_id, &rendering.render(call, &account, user_id)).await?;
                }
            }
            continue;
        }
        open.read_through(sent.highest());
        // Waits for this user's wake-up: no poll.
        tokio::select! {
            () = sender.closed() => return Ok(()),
            () = open.woken() => {}
        }
    }
}

/// The calls the agent answered that ended and are still in their after-call work at `now`, as core decides it
/// from their status and the account's seconds, with each call's newest notice id.
async fn calls_in_after_call_work(
    state: &AppState,
    user_id: i64,
    account_id: i64,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Vec<(i64, Call)>> {
    let settings = state.store.wrap_up_settings(account_id).await?;
    let facts = state.store.status_facts(user_id, now - LIVE_CALL_WINDOW).await?;
    let input = super::wrap_up::status_input(&facts, &settings, now);
    let since = now - Duration::seconds(i64::from(settings.wrap_up_secs));
    let ended = state.store.answered_calls_ended_since(user_id, since).await?;
    Ok(ended
        .into_iter()
        .filter(|(_, call)| call.ended_at.is_some_and(|at| after_call_work_covers(at.timestamp_millis(), input)))
        .collect())
}

/// What drawing a batch of calls for one agent reads, read once per batch rather than per call (a softphone that
/// connects with 2,500 ringing calls costs a handful of queries, not three per call): the account's users' names
/// (for a call another agent popped, or was handed to), each live call's control state, the record an agent picked
/// last time for each live inbound caller, and the records callpop created for those calls.
struct Rendering {
    names: HashMap<i64, String>,
    controls: HashMap<i64, StoredControl>,
    remembered: HashMap<String, String>,
    created: HashSet<(i64, String)>,
}

impl Rendering {
    async fn load(state: &AppState, account: &Account, agent: i64, calls: &[&Call]) -> anyhow::Result<Self> {
        let others = |user: Option<i64>| user.is_some_and(|user| user != agent);
        let needs_names = calls.iter().any(|call| others(call.popped_by_user_id) || others(call.agent_user_id));
        let names = match needs_names {
            true => {
                state.store.list_users(account.id).await?.into_iter().map(|user| (user.id, user.display_name)).collect()
            }
            false => HashMap::new(),
        };
        let live: Vec<i64> = calls.iter().filter(|call| call.state.is_live()).map(|call| call.id).collect();
        let inbound: Vec<&&Call> =
            calls.iter().filter(|call| call.direction == Direction::Inbound && call.state.is_live()).collect();
        let mut numbers: Vec<String> = inbound.iter().map(|call| call.caller_e164.clone()).collect();
        numbers.sort();
        numbers.dedup();
        // Only a call whose record the server named can have had it created by callpop.
        let named: Vec<i64> =
            inbound.iter().filter(|call| call.salesforce_record_id.is_some()).map(|call| call.id).collect();
        Ok(Self {
            names,
            controls: state.store.call_controls(&live).await?,
            remembered: state.store.remembered_records(account.id, &numbers).await?,
            created: state.store.records_created_for_calls(&named).await?.into_iter().collect(),
        })
    }

    /// The call as `agent`'s softphone receives it: its current state, who popped it when that was another agent,
    /// plus, for a live inbound call, the record an agent picked for this number last time (the dialog offers it
    /// first), and whether the record the server named is one it created for this call (Lightning opens a new Lead
    /// in its Edit form).
    fn render(&self, call: &Call, account: &Account, agent: i64) -> CallUpdate {
        let mut update = call_update(call, account);
        if let Some(popper) = call.popped_by_user_id.filter(|popper| *popper != agent) {
            update.popped_by_other_agent = self.names.get(&popper).cloned();
        }
        if call.state.is_live() {
            update.control =
                super::call_commands::control_for(call, account, agent, &self.names, self.controls.get(&call.id));
        }
        if call.direction == Direction::Inbound && call.state.is_live() {
            update.remembered_record = self.remembered.get(&call.caller_e164).cloned();
            if let Some(named) = update.record.as_mut() {
                named.created = self.created.contains(&(call.id, named.id.clone()));
            }
        }
        update
    }
}

async fn send_call(sender: &EventSender, event_id: i64, update: &callpop_core::wire::CallUpdate) -> anyhow::Result<()> {
    let event = Event::default().id(event_id.to_string()).event("call").json_data(update)?;
    sender.send(Ok(event)).await?;
    Ok(())
}

/// Asks to pop a call: the first of the agent's softphones wins.
#[utoipa::path(post, path = "/agent/calls/{call_id}/pop", tag = "softphone", security(("session" = [])),
    params(("call_id" = String, Path, description = "The telephony side's call id")),
    responses((status = 200, body = PopClaim), (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn claim_pop(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(call_id): PathParam<String>,
) -> ApiResult<Json<PopClaim>> {
    match state.store.claim_pop(&session.user, &call_id, Utc::now()).await? {
        PopClaimOutcome::Claimed => {
            state.streams.notify(session.user.id);
            Ok(Json(PopClaim { claimed: true }))
        }
        PopClaimOutcome::AlreadyPopped => Ok(Json(PopClaim { claimed: false })),
        PopClaimOutcome::NotFound => Err(ApiError::NotFound("call assigned to you")),
    }
}
