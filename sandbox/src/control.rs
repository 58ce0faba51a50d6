//! The control API (`/__control/…`): how tests, benchmarks and the demo seed the org, read its state and its log
//! of Open CTI calls, and configure it. It exists only on the local org; a real org has nothing like it.

use crate::{OPEN_CTI_API_VERSION, OpenCtiLogEntry, Org};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use callpop_core::record::RecordId;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/__control/records", get(list_records))
        .route("/__control/records/{id}", get(get_record))
        .route("/__control/objects/{object}/records", post(create_record))
        .route("/__control/opencti-log", get(read_log).post(append_log).delete(clear_log))
        .route("/__control/call-center", put(set_call_center))
}

#[derive(Debug, Deserialize)]
struct ObjectQuery {
    object: String,
}

async fn list_records(State(org): State<Org>, Query(query): Query<ObjectQuery>) -> Json<Vec<Value>> {
    let state = org.lock();
    Json(state.records.of(&query.object).map(|record| record.to_json(OPEN_CTI_API_VERSION)).collect())
}

async fn get_record(State(org): State<Org>, Path(id): Path<String>) -> Result<Json<Value>, StatusCode> {
    let id = RecordId::parse(&id).map_err(|_| StatusCode::NOT_FOUND)?;
    let state = org.lock();
    state.records.get(&id).map(|record| Json(record.to_json(OPEN_CTI_API_VERSION))).ok_or(StatusCode::NOT_FOUND)
}

async fn create_record(
    State(org): State<Org>,
    Path(object): Path<String>,
    Json(fields): Json<Map<String, Value>>,
) -> (StatusCode, Json<Value>) {
    let id = org.lock().records.insert(&object, fields, Utc::now());
    (StatusCode::CREATED, Json(json!({ "id": id.as_str() })))
}

async fn read_log(State(org): State<Org>) -> Json<Vec<OpenCtiLogEntry>> {
    Json(org.lock().opencti_log.clone())
}

async fn append_log(State(org): State<Org>, Json(entry): Json<OpenCtiLogEntry>) -> StatusCode {
    org.lock().opencti_log.push(entry);
    StatusCode::NO_CONTENT
}

async fn clear_log(State(org): State<Org>) -> StatusCode {
    org.lock().opencti_log.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct CallCenter {
    adapter_url: String,
}

async fn set_call_center(State(org): State<Org>, Json(call_center): Json<CallCenter>) -> StatusCode {
    org.lock().adapter_url = Some(call_center.adapter_url);
    StatusCode::NO_CONTENT
}
