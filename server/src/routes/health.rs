//! Operations: `GET /healthz` (the process answers), `GET /readyz` (and so does its database) and `GET /metrics`
//! (Prometheus: request counts and latencies, outbox depth). None needs credentials: they hold no customer data.

use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use callpop_core::wire::ApiErrorBody;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(prometheus_metrics))
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// `ok` or `ready`.
    status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
}

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", database: None })
}

/// The process answers and its database does too.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 500, description = "the database does not answer", body = ApiErrorBody)))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.store.ping().await?;
    Ok(Json(Health { status: "ready", database: Some(state.store.backend()) }))
}

/// Prometheus metrics: `callpop_http_requests_total`, `callpop_http_request_duration_seconds`,
/// `callpop_outbox_depth`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String)))]
async fn prometheus_metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let depth = state.store.outbox_depth().await?;
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], crate::metrics::render(depth)).into_response())
}
