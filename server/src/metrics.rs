//! Prometheus metrics, served at `GET /metrics`: request counts and latencies per route, the outbox depth, and the
//! sync engine's `callpop_salesforce_requests_total` and `callpop_sync_items_total{kind, outcome}` (outcome `done`,
//! `retrying`, `waiting`, `parked`, `failed`, `store_failed`), and on SQLite the group commit's
//! `callpop_sqlite_write_batches_total` and `callpop_sqlite_batched_writes_total` (writes per batch is their ratio).
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder), installed the first time an
//! `Application` is built. Routes are labelled by their pattern (`/api/v1/calls/{call_id}`), never by the raw path,
//! so ids do not multiply the series.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The process's Prometheus recorder, installed on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics will show only what callpop renders");
        }
        handle
    })
}

/// Counts each routed request and times it, labelled by method, route pattern and status.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("callpop_http_requests_total", &labels).increment(1);
    metrics::histogram!("callpop_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Sets the outbox depth gauge and renders every metric in Prometheus' text format.
pub fn render(outbox_depth: i64) -> String {
    let handle = prometheus();
    // Precision is not a concern: the depth is far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!("callpop_outbox_depth").set(outbox_depth as f64);
    handle.render()
}
