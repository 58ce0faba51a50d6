//! The org's pages and the private API they use: the Lightning Experience page, its assets, our Open CTI library,
//! and `/__ui/…`, the JSON the page reads and writes records with (what Lightning's own UI API is to Salesforce).

use crate::errors::{ApiError, DuplicateResultKey, rest_errors};
use crate::org::{Record, phone_fields};
use crate::{OPEN_CTI_API_VERSION, Org};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use callpop_core::record::RecordId;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};

const LIGHTNING_PAGE: &str = include_str!("../assets/lightning.html");
const LIGHTNING_JS: &str = include_str!("../assets/lightning.js");
const ORG_CSS: &str = include_str!("../assets/org.css");
const OPENCTI_JS: &str = include_str!("../assets/opencti.js");
const DEMO_TELEPHONY_JS: &str = include_str!("../assets/demo-telephony.js");

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/lightning/page/home") }))
        .route("/lightning", get(lightning_page))
        .route("/lightning/{*rest}", get(lightning_page))
        .route("/assets/lightning.js", get(|| async { asset("text/javascript", LIGHTNING_JS) }))
        .route("/assets/org.css", get(|| async { asset("text/css", ORG_CSS) }))
        .route("/assets/demo-telephony.js", get(|| async { asset("text/javascript", DEMO_TELEPHONY_JS) }))
        .route("/support/api/{version}/lightning/opencti_min.js", get(opencti_library))
        .route("/support/api/{version}/lightning/opencti.js", get(opencti_library))
        .route("/__ui/records/{id}", get(ui_record).patch(ui_update_record))
        .route("/__ui/objects/{object}/records", post(ui_create_record))
        .route("/__ui/phone-search", get(ui_phone_search))
        .route("/__ui/search", get(ui_search))
        .route("/__ui/recent", get(ui_recent))
}

pub(crate) fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Text safe inside a `<script type="application/json">` element: `<` is escaped so no `</script>` can end it.
pub(crate) fn json_for_script(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

async fn lightning_page(State(org): State<Org>) -> Html<String> {
    page_with_config(LIGHTNING_PAGE, &org)
}

/// A page template with the org's configuration (origin, the call center's adapter URL) filled in.
pub(crate) fn page_with_config(template: &str, org: &Org) -> Html<String> {
    let state = org.lock();
    let config = json!({
        "orgOrigin": state.origin,
        "adapterUrl": state.adapter_url,
        "demoTelephony": state.demo_telephony,
        "apiVersion": OPEN_CTI_API_VERSION,
    });
    Html(template.replace("{{CONFIG}}", &json_for_script(&config)))
}

/// Our `sforce.opencti` library. The real one accepts only Salesforce's domains as `sfdcIframeOrigin`; ours also
/// accepts this org's own origin, because the local org runs on loopback, not on a Salesforce domain.
async fn opencti_library(State(org): State<Org>, Path(version): Path<String>) -> Response {
    library_script(OPENCTI_JS, &org, &version)
}

/// One of the org's Open CTI libraries with its API version (the major number of `62.0`) and the org's origin
/// filled in; 404 for a version that is not `NN.0`.
pub(crate) fn library_script(template: &str, org: &Org, version: &str) -> Response {
    let Some(major) = version.strip_suffix(".0").and_then(|major| major.parse::<u32>().ok()) else {
        return (StatusCode::NOT_FOUND, "unknown API version").into_response();
    };
    let origin = org.lock().origin.clone();
    let script = template
        .replace("/*API_VERSION*/0", &major.to_string())
        .replace("/*ORG_ORIGIN*/\"\"", &Value::String(origin).to_string());
    ([(header::CONTENT_TYPE, "text/javascript"), (header::CACHE_CONTROL, "no-cache")], script).into_response()
}

/// A record as the page shows it, with its Activity History (the Tasks whose `WhoId` or `WhatId` it is).
fn record_view(state: &crate::OrgState, record: &Record) -> Value {
    let mut tasks: Vec<Value> = state
        .records
        .of("Task")
        .filter(|task| [task.text("WhoId"), task.text("WhatId")].contains(&Some(record.id.as_str())))
        .map(|task| task.to_json(OPEN_CTI_API_VERSION))
        .collect();
    tasks.reverse();
    json!({
        "object": record.object,
        "name": record.display_name(),
        "record": record.to_json(OPEN_CTI_API_VERSION),
        "tasks": tasks,
    })
}

async fn ui_record(State(org): State<Org>, Path(id): Path<String>) -> Result<Json<Value>, StatusCode> {
    let id = RecordId::parse(&id).map_err(|_| StatusCode::NOT_FOUND)?;
    let state = org.lock();
    let record = state.records.get(&id).ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(record_view(&state, record)))
}

/// Salesforce's own required fields for the objects the page can create (the REST API enforces the same).
fn required_fields(object: &str) -> &'static [&'static str] {
    match object {
        "Lead" => &["LastName", "Company"],
        "Contact" => &["LastName"],
        "Account" => &["Name"],
        _ => &[],
    }
}

fn missing_required(object: &str, fields: &Map<String, Value>) -> Vec<&'static str> {
    required_fields(object)
        .iter()
        .copied()
        .filter(|field| fields.get(*field).and_then(Value::as_str).is_none_or(|value| value.trim().is_empty()))
        .collect()
}

/// What a save from the page must pass, as in Salesforce's record pages: the required fields, then the admin's
/// active validation rules (every rule that fires is listed). The error body is the REST API's.
fn check_page_save(
    state: &crate::OrgState,
    object: &str,
    fields: &Map<String, Value>,
) -> Result<(), (StatusCode, Json<Value>)> {
    let missing: Vec<String> = missing_required(object, fields).into_iter().map(str::to_owned).collect();
    let errors = if missing.is_empty() {
        state.fired_validation_rules(object, fields)
    } else {
        vec![ApiError::required_fields_missing(&missing)]
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err((StatusCode::BAD_REQUEST, Json(rest_errors(&errors, DuplicateResultKey::default()))))
    }
}

async fn ui_create_record(
    State(org): State<Org>,
    Path(object): Path<String>,
    Json(fields): Json<Map<String, Value>>,
) -> (StatusCode, Json<Value>) {
    let mut state = org.lock();
    if let Err(refused) = check_page_save(&state, &object, &fields) {
        return refused;
    }
    let id = state.records.insert(&object, fields, Utc::now());
    (StatusCode::CREATED, Json(json!({ "id": id.as_str(), "success": true, "errors": [] })))
}

async fn ui_update_record(
    State(org): State<Org>,
    Path(id): Path<String>,
    Json(changes): Json<Map<String, Value>>,
) -> (StatusCode, Json<Value>) {
    let Ok(id) = RecordId::parse(&id) else { return (StatusCode::NOT_FOUND, Json(json!([]))) };
    let mut state = org.lock();
    let Some(object) = state.records.get(&id).map(|record| record.object.clone()) else {
        return (StatusCode::NOT_FOUND, Json(json!([])));
    };
    let mut merged = state.records.get(&id).map(|record| record.fields.clone()).unwrap_or_default();
    merged.extend(changes.clone());
    if let Err(refused) = check_page_save(&state, &object, &merged) {
        return refused;
    }
    state.records.update(&id, changes, Utc::now());
    (StatusCode::NO_CONTENT, Json(Value::Null))
}

#[derive(Debug, Deserialize)]
struct TermQuery {
    term: String,
}

/// What a phone search returns per record: Lightning's `searchAndScreenPop` keys plus the layout's display fields.
fn search_hit(record: &Record) -> Value {
    let phone = phone_fields(&record.object).iter().find_map(|field| record.text(field));
    json!({
        "Id": record.id.as_str(),
        "Name": record.display_name(),
        "RecordType": record.object,
        "LastModifiedDate": record.text("LastModifiedDate"),
        "Phone": phone,
        "Company": record.text("Company"),
        "Title": record.text("Title"),
    })
}

async fn ui_phone_search(State(org): State<Org>, Query(query): Query<TermQuery>) -> Json<Vec<Value>> {
    let state = org.lock();
    Json(state.records.search_phone(&query.term).into_iter().map(search_hit).collect())
}

async fn ui_search(State(org): State<Org>, Query(query): Query<TermQuery>) -> Json<Vec<Value>> {
    let state = org.lock();
    let mut hits = state.records.search_phone(&query.term);
    for record in state.records.search_name(&query.term) {
        if !hits.iter().any(|hit| hit.id == record.id) {
            hits.push(record);
        }
    }
    Json(hits.into_iter().map(search_hit).collect())
}

async fn ui_recent(State(org): State<Org>) -> Json<Vec<Value>> {
    let state = org.lock();
    let mut recent: Vec<&Record> =
        ["Contact", "Lead"].into_iter().flat_map(|object| state.records.of(object)).collect();
    recent.sort_by(|left, right| right.text("LastModifiedDate").cmp(&left.text("LastModifiedDate")));
    Json(
        recent
            .into_iter()
            .filter(|record| record.fields.get("IsConverted") != Some(&Value::Bool(true)))
            .map(search_hit)
            .collect(),
    )
}
