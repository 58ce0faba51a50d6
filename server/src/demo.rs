//! The demo's telephony platform, mounted by `callpop demo` only (never by `callpop serve`).
//!
//! The local org's "Simulate a call" control (`sandbox/assets/demo-telephony.js`) asks it to ring the demo agent's
//! softphone with one of the demo's scenarios, and later to end that call. It does what a real telephony platform
//! does: it posts `ringing`, `answered` and `completed` events to this server's own `POST /api/v1/call-events` with
//! the demo account's API key, so a simulated call takes the whole real path (validation, storage, the agent's
//! stream, the sync engine, Salesforce).
//!
//! It is also the phone system behind the softphone's call controls: hold, resume, mute, transfer, digits and
//! hang-up reach it through the public command API and are obeyed (`DemoTelephony::start`, `simulate::Line`).
//!
//! The routes are not part of the documented API (`/api/v1`): they exist for a person trying the product, answer
//! CORS for the local org's origin only, and need no credentials because the demo listens on loopback only.

use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::simulate::{CallBook, Line};
use crate::store::Store;
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use callpop_core::call::CallState;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::CorsLayer;

/// One kind of caller the demo can ring with. The numbers are the local org's seeded ones
/// (`sandbox/src/seed.rs`); `tests/tests/demo.rs` checks that each scenario meets the records it describes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scenario {
    /// What the control sends back: `known-contact`, `known-lead`, `several-matches`, `new-caller`,
    /// `validation-rule`.
    pub id: &'static str,
    /// The button's label.
    pub label: &'static str,
    /// The caller's number, in E.164.
    pub caller_number: &'static str,
    /// The caller's name as caller ID gives it, if it does.
    pub caller_name: Option<&'static str>,
    /// What the newcomer will see, in one sentence.
    pub expect: &'static str,
}

/// The scenarios, in the order the control lists them.
pub const SCENARIOS: [Scenario; 5] = [
    Scenario {
        id: "known-contact",
        label: "Known Contact",
        caller_number: "+14155552671",
        caller_name: Some("Ada Lovelace"),
        expect: "Ada Lovelace's Contact record pops.",
    },
    Scenario {
        id: "known-lead",
        label: "Known Lead",
        caller_number: "+14155550173",
        caller_name: Some("Alan Turing"),
        expect: "Alan Turing's Lead record pops.",
    },
    Scenario {
        id: "several-matches",
        label: "Several matches",
        caller_number: "+14155550142",
        caller_name: None,
        expect: "Three records share the number: the softphone asks which one (when the multi-match dialog is on).",
    },
    Scenario {
        id: "new-caller",
        label: "New caller",
        caller_number: "+14155550123",
        caller_name: Some("Katherine Johnson"),
        expect: "Nobody has the number: callpop creates a Lead for the caller.",
    },
    Scenario {
        id: "validation-rule",
        label: "Trips a validation rule",
        caller_number: "+19005550199",
        caller_name: Some("Premium Line"),
        expect: "The org's validation rule rejects the new Lead: the call waits in the console's sync log.",
    },
];

/// The demo's telephony side: where to post events, with which key, for which agent, and the calls it has up.
#[derive(Debug, Clone)]
pub struct DemoTelephony {
    line: Line,
    agent: String,
    tracking_number: String,
}

#[derive(Debug, Deserialize)]
struct RingRequest {
    scenario: String,
}

#[derive(Debug, Serialize)]
struct RungCallBody {
    call_id: String,
    scenario: &'static str,
    label: &'static str,
    caller_number: &'static str,
    expect: &'static str,
}

/// How often the demo looks whether the agent answered its ringing calls.
const PICK_UP_POLL: Duration = Duration::from_millis(300);

impl DemoTelephony {
    /// The telephony side of the server at `server`, posting as the account whose key is `api_key`. Its calls go
    /// into `book`, which the click-to-dial loop shares, so the command loop controls both.
    pub fn new(server: &str, api_key: &str, agent: &str, tracking_number: &str, book: CallBook) -> Self {
        Self {
            line: Line::new(server, api_key, book),
            agent: agent.to_owned(),
            tracking_number: tracking_number.to_owned(),
        }
    }

    /// Starts the demo's phone system: it obeys the agents' call controls for its calls (`simulate::Line`), and it
    /// picks up a ringing call once the agent answered it in the softphone. callpop carries no audio and the demo
    /// has no desk phone, so the softphone's Answer stands for the agent picking up: the demo reads the call's pop
    /// from `store` and reports the call `answered`, as a phone system reports a call its agent picked up.
    pub fn start(&self, store: Arc<dyn Store>, account_id: i64) {
        tokio::spawn(self.line.clone().obey_commands());
        let line = self.line.clone();
        tokio::spawn(async move {
            let mut answered: HashSet<String> = HashSet::new();
            loop {
                tokio::time::sleep(PICK_UP_POLL).await;
                for call_id in line.book.ids() {
                    if answered.contains(&call_id) || !call_id.starts_with("demo-") {
                        continue;
                    }
                    let Ok(Some(call)) = store.call_by_call_id(account_id, &call_id).await else { continue };
                    if call.popped_at.is_some() && call.state == CallState::Ringing {
                        match line.post_event(&call_id, "answered").await {
                            Ok(()) => {
                                answered.insert(call_id);
                            }
                            Err(error) => tracing::warn!(%call_id, error = %error, "the demo could not pick up"),
                        }
                    }
                }
                answered.retain(|call_id| line.book.has(call_id));
            }
        });
    }

    /// The demo's routes, answering CORS for `org_origin` (the local org's pages call them).
    pub fn router(self, org_origin: &str) -> anyhow::Result<Router> {
        let origin = HeaderValue::from_str(org_origin).context("the local org's origin is not a header value")?;
        let cors = CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE]);
        Ok(Router::new()
            .route("/demo/scenarios", get(|| async { Json(SCENARIOS) }))
            .route("/demo/calls", post(ring))
            .route("/demo/calls/{call_id}", get(call_status))
            .route("/demo/calls/{call_id}/end", post(end))
            // A wrong method is the API's JSON 405. Set before the CORS layer, which must still answer the
            // browser's preflight (`OPTIONS`) itself: a fallback added outside it would refuse the preflight.
            .method_not_allowed_fallback(crate::routes::method_not_allowed)
            .layer(cors)
            .with_state(self))
    }
}

/// Rings the demo agent's softphone with a scenario's caller.
async fn ring(
    State(telephony): State<DemoTelephony>,
    JsonBody(request): JsonBody<RingRequest>,
) -> ApiResult<(StatusCode, Json<RungCallBody>)> {
    let scenario = SCENARIOS.iter().find(|scenario| scenario.id == request.scenario).ok_or_else(|| {
        let known: Vec<&str> = SCENARIOS.iter().map(|scenario| scenario.id).collect();
        ApiError::invalid(
            "scenario",
            format!("unknown scenario {:?}: use one of {}", request.scenario, known.join(", ")),
        )
    })?;
    let call_id = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let mut event = json!({
        "call_id": call_id, "direction": "inbound", "caller_number": scenario.caller_number,
        "tracking_number": telephony.tracking_number, "agent": telephony.agent, "tracking_source": "Google Ads",
        "campaign": "Spring Promo",
    });
    if let Some(name) = scenario.caller_name {
        event["caller_name"] = json!(name);
    }
    telephony.line.book.insert(&call_id, event);
    if let Err(error) = telephony.line.post_event(&call_id, "ringing").await {
        telephony.line.book.remove(&call_id);
        return Err(error.into());
    }
    let body = RungCallBody {
        call_id,
        scenario: scenario.id,
        label: scenario.label,
        caller_number: scenario.caller_number,
        expect: scenario.expect,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Whether a call the demo rang is still up: 204 while it is, 404 once it ended (the caller hung up, or the agent hung
/// up or transferred it from the softphone). The org page's "End call" control asks, so it never offers to end a call
/// that is already over.
async fn call_status(
    State(telephony): State<DemoTelephony>,
    PathParam(call_id): PathParam<String>,
) -> ApiResult<StatusCode> {
    if telephony.line.book.has(&call_id) { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::NotFound("demo call")) }
}

/// Ends a call the demo rang (the caller hangs up): reports it answered, then completed with its duration, as the
/// phone system would.
async fn end(State(telephony): State<DemoTelephony>, PathParam(call_id): PathParam<String>) -> ApiResult<StatusCode> {
    if !telephony.line.book.has(&call_id) {
        return Err(ApiError::NotFound("demo call"));
    }
    telephony.line.post_event(&call_id, "answered").await?;
    telephony.line.post_event(&call_id, "completed").await?;
    // Forgotten only once ended, so a failed attempt can be repeated.
    telephony.line.book.remove(&call_id);
    Ok(StatusCode::NO_CONTENT)
}
