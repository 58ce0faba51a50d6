//! The softphone's connection to the callpop server: JSON requests with the agent's bearer token, the agent's
//! event stream (Server-Sent Events, resumed after a drop), and the queue of activity appends that survives the
//! server being unreachable.

use crate::{dispatch, ui};
use callpop_core::adapter::{Connection, Event, ToServer};
use callpop_core::wire::{
    ActivityAppend, CallUpdate, DialResponse, LoginRequest, LoginResponse, PopClaim, StreamTicket,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{EventSource, Headers, MessageEvent, Request, RequestInit, Response};

const TOKEN_KEY: &str = "callpop.session";
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

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub(crate) fn token() -> Option<String> {
    storage()?.get_item(TOKEN_KEY).ok().flatten()
}

fn to_json<T: Serialize>(value: &T) -> Result<String, JsValue> {
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?;
    js_sys::JSON::stringify(&value).map(String::from)
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, JsValue> {
    Ok(serde_wasm_bindgen::from_value(js_sys::JSON::parse(text)?)?)
}

/// Sends a request to the callpop server (same origin as the softphone) and parses its JSON answer.
pub(crate) async fn request<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<T, RequestError> {
    let unavailable =
        |error: JsValue| RequestError::Unavailable(error.as_string().unwrap_or_else(|| format!("{error:?}")));
    let headers = Headers::new().map_err(unavailable)?;
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    if let Some(token) = token() {
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
        200..=299 => from_json(if text.is_empty() { "null" } else { &text }).map_err(unavailable),
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

/// Signs in, keeps the token, and starts the agent's stream.
pub(crate) async fn sign_in(email: String, password: String) -> Result<LoginResponse, RequestError> {
    let body =
        to_json(&LoginRequest { email, password }).map_err(|_| RequestError::Rejected(400, "bad input".to_owned()))?;
    let login: LoginResponse = request("POST", "/api/v1/sessions", Some(body)).await?;
    if let Some(storage) = storage() {
        let _ = storage.set_item(TOKEN_KEY, &login.token);
    }
    Ok(login)
}

/// Forgets the session and shows the sign-in form.
pub(crate) fn signed_out() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
    STREAM.with(|stream| stream.borrow_mut().take().map(|connection| connection.source.close()));
    ui::show_sign_in(Some("Your session has ended. Sign in again."));
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
    }
}

fn pending_appends() -> Vec<ActivityAppend> {
    storage()
        .and_then(|storage| storage.get_item(PENDING_KEY).ok().flatten())
        .and_then(|text| from_json(&text).ok())
        .unwrap_or_default()
}

fn save_pending(pending: &[ActivityAppend]) {
    if let (Some(storage), Ok(text)) = (storage(), to_json(&pending)) {
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

/// Opens the agent's event stream. After a drop it reconnects by itself and resumes after the last event it saw.
pub(crate) fn connect_stream() {
    spawn_local(async {
        let ticket = match request::<StreamTicket>("POST", "/api/v1/agent/stream-tickets", Some("{}".to_owned())).await
        {
            Ok(ticket) => ticket,
            Err(RequestError::SignedOut) => return signed_out(),
            Err(_) => return reconnect_later(),
        };
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
                Some(Ok(update)) => dispatch(Event::CallUpdated(update)),
                _ => web_sys::console::warn_1(&"the server sent a call the softphone cannot read".into()),
            }
        });
        let on_ready = Closure::<dyn FnMut(JsValue)>::new(|_| {
            FAILED_ATTEMPTS.set(0);
            dispatch(Event::Connection(Connection::Live));
            spawn_local(flush_appends());
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new(|_| {
            STREAM.with(|stream| stream.borrow_mut().take().map(|connection| connection.source.close()));
            dispatch(Event::Connection(Connection::Reconnecting));
            reconnect_later();
        });
        let _ = source.add_event_listener_with_callback("call", on_call.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        STREAM.with(|stream| {
            *stream.borrow_mut() = Some(StreamConnection { source, _listeners: vec![on_call, on_ready, on_error] });
        });
    });
}

/// Tries the stream again after 1, 2, 4 … up to 15 seconds.
fn reconnect_later() {
    let attempt = FAILED_ATTEMPTS.get();
    FAILED_ATTEMPTS.set(attempt.saturating_add(1));
    let delay_ms = (1_000_i32 << attempt.min(4)).min(15_000);
    let retry = Closure::once_into_js(connect_stream);
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay_ms);
}
