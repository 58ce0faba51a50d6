//! The softphone's connection to the callpop server: JSON requests with the agent's session, the agent's event
//! stream (Server-Sent Events, resumed after a drop), and the queue of activity appends that survives the server
//! being unreachable.
//!
//! The session lives in two places, neither of them the page's storage (which Salesforce's frame may not have):
//! the bearer token in memory, for as long as the page lives, and a partitioned HttpOnly cookie the server sets,
//! which the browser keeps across reloads where it keeps anything for a third-party frame. The append queue is
//! kept in memory and mirrored to `localStorage` when the browser allows it; reading or writing storage that throws
//! costs nothing but the mirror.
//!
//! This module draws nothing: when the session ends under it, it tells `crate::session_ended`, and signing out
//! answers with its outcome, for `lib.rs` to show.

use crate::dispatch;
use callpop_core::adapter::{Connection, Event, ToServer};
use callpop_core::wire::{
    ActivityAppend, CallUpdate, DialResponse, LoginRequest, LoginResponse, Me, PopClaim, StreamTicket,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{EventSource, Headers, MessageEvent, Request, RequestInit, Response};

const PENDING_KEY: &str = "callpop.pending-appends";

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// The session is missing or expired: the agent must sign in again.
    SignedOut,
    /// The server refused the request for good (4xx): resending it will not help.
    Rejected(u16, String),
    /// The server could not be reached, or failed (5xx): worth trying again later.
    Unavailable(String),
}

fn window() -> web_sys::Window {
    web_sys::window().expect("the softphone runs in a window")
}

/// The page's `localStorage`, or `None` where the browser refuses it (a `SecurityError` in a third-party frame with
/// cookies blocked).
fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

thread_local! {
    /// The session's bearer token, for the life of the page.
    static TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn token() -> Option<String> {
    TOKEN.with(|token| token.borrow().clone())
}

fn set_token(value: Option<String>) {
    TOKEN.with(|token| *token.borrow_mut() = value);
}

/// A value as JSON text (a request's body, the page's storage), written in Wasm by `serde_json`'s writer, as the
/// browser's `JSON.stringify` would write it; none of `serde_json`'s reader comes along.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(value)
}

/// Why a JSON text could not be read. Without a message: serde's messages format the unexpected value (a float
/// among them), and that formatting was the bundle's largest single piece (PERFORMANCE.md).
#[derive(Debug)]
pub(crate) struct Unreadable;

/// A value read from JSON text (a response's body, the page's storage), by `serde-json-core`, whose errors carry no
/// message. Strings are unescaped into a buffer as long as the text, which no unescaped string can outgrow. A
/// character beyond the Basic Multilingual Plane written as two `\u` escapes (a surrogate pair) is refused: the
/// server's `serde_json` and the browser's `JSON.stringify` (the page's storage) write such characters as they are.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, Unreadable> {
    let mut unescaped = vec![0; text.len()];
    serde_json_core::from_str_escaped(text, &mut unescaped).map(|(value, _)| value).map_err(|_| Unreadable)
}

/// Sends a request to the callpop server (same origin as the softphone) and parses its JSON answer.
pub(crate) async fn request<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<T, RequestError> {
    request_as(method, path, body, token()).await
}

/// Sends a request with `token` as its bearer token, or with only the session cookie the browser may hold.
async fn request_as<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<String>,
) -> Result<T, RequestError> {
    let text = exchange(method, path, body, token).await?;
    from_json(if text.is_empty() { "null" } else { &text })
        .map_err(|_| RequestError::Unavailable("the server's answer could not be read".to_owned()))
}

/// A request that failed in the browser (no network, a refused connection): its error's message.
fn unavailable(error: JsValue) -> RequestError {
    let message = match error.dyn_into::<js_sys::Error>() {
        Ok(error) => Some(String::from(error.message())),
        Err(other) => other.as_string(),
    };
    RequestError::Unavailable(message.unwrap_or_else(|| "the request failed".to_owned()))
}

/// Sends a request and returns the body of a 2xx answer. Not generic, so the Wasm holds one copy of it rather than
/// one per answer type (PERFORMANCE.md).
async fn exchange(
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<String>,
) -> Result<String, RequestError> {
    let headers = Headers::new().map_err(unavailable)?;
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(unavailable)?;
    let response: Response =
        JsFuture::from(window().fetch_with_request(&request)).await.map_err(unavailable)?.unchecked_into();
    let text = JsFuture::from(response.text().map_err(unavailable)?)
        .await
        .map_err(unavailable)?
        .as_string()
        .unwrap_or_default();
    match response.status() {
        200..=299 => Ok(text),
        401 => Err(RequestError::SignedOut),
        status @ 400..=499 if status != 408 && status != 429 => {
            Err(RequestError::Rejected(status, error_message(&text)))
        }
        status => Err(RequestError::Unavailable(format!("the server answered {status}"))),
    }
}

/// The sentence of an API error body, or the body itself.
fn error_message(text: &str) -> String {
    from_json::<callpop_core::wire::ApiErrorBody>(text).map(|body| body.message).unwrap_or_else(|_| text.to_owned())
}

/// A sign-in, and whether the browser kept its session cookie (so a reload finds the agent signed in).
pub(crate) struct SignedIn {
    pub(crate) login: LoginResponse,
    pub(crate) kept_across_reloads: bool,
}

/// Signs in, keeps the token in memory, asks the server for the session cookie too, and checks that the browser
/// kept it: a request with the cookie alone must be recognised.
pub(crate) async fn sign_in(email: String, password: String) -> Result<SignedIn, RequestError> {
    let body = to_json(&LoginRequest { email, password, session_cookie: true })
        .map_err(|_| RequestError::Rejected(400, "bad input".to_owned()))?;
    let login: LoginResponse = request_as("POST", "/api/v1/sessions", Some(body), None).await?;
    set_token(Some(login.token.clone()));
    let kept_across_reloads = signed_in_by_cookie().await.is_ok();
    Ok(SignedIn { login, kept_across_reloads })
}

/// Who the session cookie the browser holds belongs to (after a reload, the only trace of a sign-in).
pub(crate) async fn signed_in_by_cookie() -> Result<Me, RequestError> {
    request_as("GET", "/api/v1/me", None, None).await
}

/// A stream ticket for the session the browser's cookie holds: asked for at boot alongside `signed_in_by_cookie`,
/// so the stream opens without a request of its own.
pub(crate) async fn stream_ticket_by_cookie() -> Result<StreamTicket, RequestError> {
    request_as("POST", "/api/v1/agent/stream-tickets", Some("{}".to_owned()), None).await
}

/// How a session ended without the agent signing out here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionEnd {
    /// A request was refused (401): the session expired or is unknown.
    Refused,
    /// The stream said the session was ended: signed out in another tab, by an administrator, or by a password
    /// change.
    EndedElsewhere,
}

fn close_stream() {
    STREAM.with(|stream| stream.borrow_mut().take().map(|connection| connection.source.close()));
}

/// Forgets the session in the page and closes the stream.
fn forget_session() {
    set_token(None);
    close_stream();
}

/// The session ended under the softphone: forget it, and let the shell say so.
fn signed_out() {
    forget_session();
    crate::session_ended(SessionEnd::Refused);
}

/// The agent signs out: the server ends the session (its token and cookie are refused from now on). The stream is
/// closed first, so its own `ended` event does not report this sign-out as something that happened elsewhere.
pub(crate) async fn sign_out() -> Result<(), RequestError> {
    close_stream();
    // 204, no body.
    let ended = request::<Option<serde_json_value::Ignored>>("DELETE", "/api/v1/sessions/current", None).await;
    forget_session();
    match ended {
        Ok(_) | Err(RequestError::SignedOut) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Carries out a request the adapter asked for.
pub(crate) fn send(request_to_server: ToServer) {
    match request_to_server {
        ToServer::ClaimPop { call_id } => spawn_local(async move {
            let path = format!("/api/v1/agent/calls/{}/pop", js_sys::encode_uri_component(&call_id));
            let claimed = match request::<PopClaim>("POST", &path, Some("{}".to_owned())).await {
                Ok(claim) => claim.claimed,
                Err(RequestError::SignedOut) => return signed_out(),
                Err(RequestError::Rejected(..)) => false,
                // The server is unreachable but the agent answered: popping beats showing nothing. Without the
                // server no other tab can be told, so this is the one case where two tabs might both pop.
                Err(RequestError::Unavailable(_)) => true,
            };
            dispatch(Event::PopClaimed { call_id, claimed });
        }),
        ToServer::AppendActivity(append) => {
            queue_append(append);
            spawn_local(flush_appends());
        }
        ToServer::Dial(dial) => spawn_local(async move {
            let Ok(body) = to_json(&dial) else { return };
            match request::<DialResponse>("POST", "/api/v1/agent/dial", Some(body)).await {
                Ok(_) => {} // The outbound call arrives on the stream.
                Err(RequestError::SignedOut) => signed_out(),
                Err(RequestError::Rejected(_, message) | RequestError::Unavailable(message)) => {
                    dispatch(Event::DialFailed { message });
                }
            }
        }),
        ToServer::CallCommand { call_id, command } => spawn_local(async move {
            let Ok(body) = to_json(&command) else { return };
            let path = format!("/api/v1/agent/calls/{}/commands", js_sys::encode_uri_component(&call_id));
            // The command's progress arrives on the stream; only a refusal comes back here.
            match exchange("POST", &path, Some(body), token()).await {
                Ok(_) => {}
                Err(RequestError::SignedOut) => signed_out(),
                Err(RequestError::Rejected(_, message) | RequestError::Unavailable(message)) => {
                    dispatch(Event::CommandRefused { call_id, message });
                }
            }
        }),
    }
}

thread_local! {
    /// The appends the server does not have yet; `None` until read back from storage (a reload's leftovers).
    static PENDING: RefCell<Option<Vec<ActivityAppend>>> = const { RefCell::new(None) };
}

fn pending_appends() -> Vec<ActivityAppend> {
    PENDING.with(|pending| {
        pending
            .borrow_mut()
            .get_or_insert_with(|| {
                storage()
                    .and_then(|storage| storage.get_item(PENDING_KEY).ok().flatten())
                    .and_then(|text| from_json(&text).ok())
                    .unwrap_or_default()
            })
            .clone()
    })
}

/// Keeps the queue in memory, and mirrors it to storage where there is any.
fn save_pending(queue: &[ActivityAppend]) {
    PENDING.with(|pending| *pending.borrow_mut() = Some(queue.to_vec()));
    if let (Some(storage), Ok(text)) = (storage(), to_json(&queue)) {
        let _ = storage.set_item(PENDING_KEY, &text);
    }
}

/// Keeps an append in the browser until the server has it (the server stores each (call, record) pair once).
fn queue_append(append: ActivityAppend) {
    let mut pending = pending_appends();
    if !pending.contains(&append) {
        pending.push(append);
        save_pending(&pending);
    }
}

thread_local! {
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
}

/// Sends the queued appends, oldest first, stopping at the first that cannot reach the server.
pub(crate) async fn flush_appends() {
    if FLUSHING.replace(true) {
        return;
    }
    while let Some(append) = pending_appends().into_iter().next() {
        let Ok(body) = to_json(&append) else { break };
        match request::<serde_json_value::Ignored>("POST", "/api/v1/activities", Some(body)).await {
            Ok(_) => {}
            Err(RequestError::Rejected(status, message)) => {
                web_sys::console::warn_1(
                    &format!("the server refused an activity append ({status}): {message}").into(),
                );
            }
            Err(RequestError::SignedOut) | Err(RequestError::Unavailable(_)) => break,
        }
        let mut pending = pending_appends();
        pending.retain(|queued| queued != &append);
        save_pending(&pending);
    }
    FLUSHING.set(false);
}

/// A response body the softphone does not need.
mod serde_json_value {
    #[derive(Debug, serde::Deserialize)]
    pub(crate) struct Ignored {}
}

/// The open event stream, with the closures it calls (dropped together when it closes).
struct StreamConnection {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(JsValue)>>,
}

thread_local! {
    static STREAM: RefCell<Option<StreamConnection>> = const { RefCell::new(None) };
    static LAST_EVENT_ID: RefCell<Option<String>> = const { RefCell::new(None) };
    static FAILED_ATTEMPTS: Cell<u32> = const { Cell::new(0) };
}

/// Opens the agent's event stream, with `ticket` when the boot already holds one. After a drop it reconnects by
/// itself and resumes after the last event it saw.
pub(crate) fn connect_stream(ticket: Option<StreamTicket>) {
    match ticket {
        Some(ticket) => open_stream(&ticket),
        None => spawn_local(async {
            match request::<StreamTicket>("POST", "/api/v1/agent/stream-tickets", Some("{}".to_owned())).await {
                Ok(ticket) => open_stream(&ticket),
                Err(RequestError::SignedOut) => signed_out(),
                Err(_) => reconnect_later(),
            }
        }),
    }
}

fn open_stream(ticket: &StreamTicket) {
    let mut url = format!("/api/v1/agent/stream?ticket={}", js_sys::encode_uri_component(&ticket.ticket));
    if let Some(last) = LAST_EVENT_ID.with(|last| last.borrow().clone()) {
        url.push_str(&format!("&after={}", js_sys::encode_uri_component(&last)));
    }
    let Ok(source) = EventSource::new(&url) else { return reconnect_later() };
    let on_call = Closure::<dyn FnMut(JsValue)>::new(|event: JsValue| {
        let event: MessageEvent = event.unchecked_into();
        let id = event.last_event_id();
        if !id.is_empty() {
            LAST_EVENT_ID.with(|last| *last.borrow_mut() = Some(id));
        }
        match event.data().as_string().map(|data| from_json::<CallUpdate>(&data)) {
            Some(Ok(update)) => dispatch(Event::CallUpdated(Box::new(update))),
            _ => web_sys::console::warn_1(&"the server sent a call the softphone cannot read".into()),
        }
    });
    let on_ready = Closure::<dyn FnMut(JsValue)>::new(|_| {
        FAILED_ATTEMPTS.set(0);
        dispatch(Event::Connection(Connection::Live));
        spawn_local(flush_appends());
    });
    let on_ended = Closure::<dyn FnMut(JsValue)>::new(|_| {
        forget_session();
        crate::session_ended(SessionEnd::EndedElsewhere);
    });
    let on_error = Closure::<dyn FnMut(JsValue)>::new(|_| {
        STREAM.with(|stream| stream.borrow_mut().take().map(|connection| connection.source.close()));
        dispatch(Event::Connection(Connection::Reconnecting));
        reconnect_later();
    });
    let _ = source.add_event_listener_with_callback("call", on_call.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("ended", on_ended.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    STREAM.with(|stream| {
        *stream.borrow_mut() =
            Some(StreamConnection { source, _listeners: vec![on_call, on_ready, on_ended, on_error] });
    });
}

/// Tries the stream again after 1, 2, 4 … up to 15 seconds.
fn reconnect_later() {
    let attempt = FAILED_ATTEMPTS.get();
    FAILED_ATTEMPTS.set(attempt.saturating_add(1));
    let delay_ms = (1_000_i32 << attempt.min(4)).min(15_000);
    let retry = Closure::once_into_js(|| connect_stream(None));
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay_ms);
}
