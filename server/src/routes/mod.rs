//! The HTTP surface: every route, and the layers every request goes through.

mod activities;
mod agent;
mod call_events;
mod health;
mod sessions;
mod softphone;

use crate::extract::MAX_JSON_BODY_BYTES;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(call_events::router())
        .merge(sessions::router())
        .merge(agent::router())
        .merge(activities::router())
        .merge(softphone::api_router());
    Router::new()
        .nest("/api/v1", api)
        .merge(health::router())
        .merge(softphone::page_router(&state.config))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request.headers().get(REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
            // The path only: query strings can carry stream tickets, which do not belong in logs.
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
