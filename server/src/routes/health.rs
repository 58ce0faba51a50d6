//! `GET /healthz` (the process answers) and `GET /readyz` (and so does its database).

use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.store.latest_agent_event_id(0).await?;
    Ok(Json(json!({ "status": "ready", "database": state.store.backend() })))
}
