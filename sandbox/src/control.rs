//! The control API (`/__control/…`): how tests, benchmarks and the demo seed the org, read its state and its log
//! of Open CTI calls, and configure it. It exists only on the local org; a real org has nothing like it. Bodies
//! are JSON; a refused change answers 400 `{"error": "…"}`. In-process tests can use the same operations through
//! the typed methods of `Sandbox`.
//!
//! | endpoint | what it does |
//! |---|---|
//! | `GET /__control/records?object=Lead[&deleted=true]` | the records of an object (or its recycle bin) |
//! | `GET /__control/records/{id}` | one record |
//! | `POST /__control/objects/{object}/records` | inserts a record as is, with no checks (seeding) |
//! | `GET /__control/state` | every object's records, the recycle bin, settings, usage, rules and faults |
//! | `POST /__control/reset` `{"seed": true, "task_call_id_field": true}` | a fresh org's data and configuration; apps, tokens and the journal stay |
//! | `POST /__control/seed` | adds the demo records (`seed`) |
//! | `GET`/`POST /__control/connected-apps` | lists or registers (replaces) a connected app (`oauth::ConnectedApp`) |
//! | `POST /__control/oauth/tokens` `{"client_id": …}` | issues tokens without the browser flow (default app when left out) |
//! | `POST /__control/oauth/expire` `{"token": …}` | expires one access token, or all when left out; refresh tokens stay |
//! | `POST /__control/oauth/revoke-all` | revokes every code, access and refresh token |
//! | `GET`/`PUT /__control/limits` `{"used": n, "max": m}` | the daily API usage |
//! | `GET`/`PUT /__control/settings` | the org's switches (`settings::OrgSettings`); `PUT` changes the keys it names |
//! | `POST /__control/schema/{object}/fields` | adds a custom field (`schema::CustomField`), e.g. a required `Region__c` |
//! | `DELETE /__control/schema/{object}/fields/{field}` | deletes a custom field and its values |
//! | `PUT /__control/task-call-id-field` `{"present": bool}` | adds or removes Task's `Call_Id__c` external id |
//! | `GET`/`POST /__control/validation-rules`, `DELETE …/{name}` | validation rules (`rules::ValidationRule`) |
//! | `GET`/`POST /__control/duplicate-rules`, `DELETE …/{name}` | duplicate rules (`rules::DuplicateRule`) |
//! | `GET`/`POST`/`DELETE /__control/faults`, `DELETE …/{id}` | failure-injection rules (`faults::Fault`) |
//! | `GET`/`DELETE /__control/requests` | the request journal (`faults::JournalEntry`) |
//! | `GET /__control/requests/counts[?method=POST&path=/services/data/*/composite]` | requests per endpoint, or one count |
//! | `GET`/`POST`/`DELETE /__control/opencti-log`, `PUT /__control/call-center` | the page's Open CTI log and adapter URL |
//! | `GET /__control/contact-centers` | the Salesforce Voice contact centers (`telephony::ContactCenter`) |
//! | `PUT /__control/contact-centers/{apiName}` `{"certificate": "-----BEGIN CERTIFICATE-----…", "name": …}` | imports (replaces) a contact center with the vendor's certificate; a bad certificate is refused |
//! | `DELETE /__control/contact-centers/{apiName}` | removes a contact center (its `CallCenter` row stays) |
//!
//! A reset removes the contact centers too: they are the org's configuration, like its custom fields.

use crate::faults::Fault;
use crate::oauth::{ConnectedApp, DEFAULT_CLIENT_ID};
use crate::rules::{DuplicateRule, ValidationRule};
use crate::schema::{CustomField, TASK_CALL_ID_FIELD};
use crate::settings::{ApiUsage, OrgSettings};
use crate::telephony::{ContactCenter, ContactCenterDefinition};
use crate::{ConfigError, OPEN_CTI_API_VERSION, OpenCtiLogEntry, Org, seed};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
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
        .route("/__control/state", get(dump_state))
        .route("/__control/reset", post(reset))
        .route("/__control/seed", post(add_seed))
        .route("/__control/connected-apps", get(list_apps).post(register_app))
        .route("/__control/oauth/tokens", post(issue_tokens))
        .route("/__control/oauth/expire", post(expire_tokens))
        .route("/__control/oauth/revoke-all", post(revoke_all))
        .route("/__control/limits", get(read_limits).put(set_limits))
        .route("/__control/settings", get(read_settings).put(change_settings))
        .route("/__control/schema/{object}/fields", post(add_field))
        .route("/__control/schema/{object}/fields/{field}", delete(remove_field))
        .route("/__control/task-call-id-field", put(set_task_call_id_field))
        .route("/__control/validation-rules", get(list_validation_rules).post(add_validation_rule))
        .route("/__control/validation-rules/{name}", delete(remove_validation_rule))
        .route("/__control/duplicate-rules", get(list_duplicate_rules).post(add_duplicate_rule))
        .route("/__control/duplicate-rules/{name}", delete(remove_duplicate_rule))
        .route("/__control/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/__control/faults/{id}", delete(remove_fault))
        .route("/__control/requests", get(read_journal).delete(clear_journal))
        .route("/__control/requests/counts", get(count_requests))
        .route("/__control/opencti-log", get(read_log).post(append_log).delete(clear_log))
        .route("/__control/call-center", put(set_call_center))
        .route("/__control/contact-centers", get(list_contact_centers))
        .route("/__control/contact-centers/{api_name}", put(set_contact_center).delete(remove_contact_center))
}

fn refused(message: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message.to_string()}))).into_response()
}

fn done(result: Result<(), ConfigError>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => refused(error),
    }
}

fn found(removed: bool) -> StatusCode {
    if removed { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }
}

#[derive(Debug, Deserialize)]
struct ObjectQuery {
    object: String,
    #[serde(default)]
    deleted: bool,
}

async fn list_records(State(org): State<Org>, Query(query): Query<ObjectQuery>) -> Json<Vec<Value>> {
    let state = org.lock();
    let records: Vec<Value> = if query.deleted {
        state.records.deleted_of(&query.object).map(|record| record.to_json(OPEN_CTI_API_VERSION)).collect()
    } else {
        state.records.of(&query.object).map(|record| record.to_json(OPEN_CTI_API_VERSION)).collect()
    };
    Json(records)
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
    let mut state = org.lock();
    let id = match state.schema.object(&object).map(|definition| definition.key_prefix.clone()) {
        Some(prefix) => state.records.insert_as(&object, &prefix, fields, Utc::now()),
        None => state.records.insert(&object, fields, Utc::now()),
    };
    (StatusCode::CREATED, Json(json!({ "id": id.as_str() })))
}

async fn dump_state(State(org): State<Org>) -> Json<Value> {
    let state = org.lock();
    let mut objects = Map::new();
    let mut recycle_bin = Map::new();
    for object in state.schema.objects() {
        let live: Vec<Value> =
            state.records.of(&object.name).map(|record| record.to_json(OPEN_CTI_API_VERSION)).collect();
        let deleted: Vec<Value> =
            state.records.deleted_of(&object.name).map(|record| record.to_json(OPEN_CTI_API_VERSION)).collect();
        if !live.is_empty() {
            objects.insert(object.name.clone(), Value::Array(live));
        }
        if !deleted.is_empty() {
            recycle_bin.insert(object.name.clone(), Value::Array(deleted));
        }
    }
    Json(json!({
        "objects": objects,
        "recycle_bin": recycle_bin,
        "settings": state.settings,
        "limits": state.usage,
        "validation_rules": state.validation_rules,
        "duplicate_rules": state.duplicate_rules,
        "faults": state.faults.rules(),
    }))
}

#[derive(Debug, Deserialize)]
struct Reset {
    #[serde(default = "yes")]
    seed: bool,
    #[serde(default = "yes")]
    task_call_id_field: bool,
}

fn yes() -> bool {
    true
}

async fn reset(State(org): State<Org>, body: Option<Json<Reset>>) -> StatusCode {
    let Reset { seed, task_call_id_field } =
        body.map_or(Reset { seed: true, task_call_id_field: true }, |Json(reset)| reset);
    org.lock().reset(seed, task_call_id_field);
    StatusCode::NO_CONTENT
}

async fn add_seed(State(org): State<Org>) -> StatusCode {
    seed::seed(&mut org.lock().records, Utc::now());
    StatusCode::NO_CONTENT
}

async fn list_apps(State(org): State<Org>) -> Json<Value> {
    let state = org.lock();
    let apps: Vec<Value> = state.auth.apps().iter().map(|app| serde_json::to_value(app).unwrap_or_default()).collect();
    Json(Value::Array(apps))
}

async fn register_app(State(org): State<Org>, Json(app): Json<ConnectedApp>) -> StatusCode {
    org.lock().auth.register(app);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

async fn issue_tokens(State(org): State<Org>, body: Option<Json<TokenRequest>>) -> Response {
    let request = body.map(|Json(request)| request).unwrap_or_default();
    let client_id = request.client_id.unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
    match org.lock().issue_tokens(&client_id, Utc::now()) {
        Some(tokens) => Json(tokens).into_response(),
        None => refused(format!("no connected app has client_id {client_id}")),
    }
}

async fn expire_tokens(State(org): State<Org>, body: Option<Json<TokenRequest>>) -> Json<Value> {
    let request = body.map(|Json(request)| request).unwrap_or_default();
    let mut state = org.lock();
    let expired = match request.token {
        Some(token) => usize::from(state.auth.expire_access_token(&token)),
        None => state.auth.expire_all_access_tokens(),
    };
    Json(json!({"expired": expired}))
}

async fn revoke_all(State(org): State<Org>) -> StatusCode {
    org.lock().auth.revoke_all();
    StatusCode::NO_CONTENT
}

async fn read_limits(State(org): State<Org>) -> Json<ApiUsage> {
    Json(org.lock().usage)
}

async fn set_limits(State(org): State<Org>, Json(usage): Json<ApiUsage>) -> StatusCode {
    org.lock().usage = usage;
    StatusCode::NO_CONTENT
}

async fn read_settings(State(org): State<Org>) -> Json<OrgSettings> {
    Json(org.lock().settings.clone())
}

/// Changes the settings the body names, keeping the others.
async fn change_settings(State(org): State<Org>, Json(changes): Json<Map<String, Value>>) -> Response {
    let mut state = org.lock();
    let mut merged = serde_json::to_value(&state.settings).unwrap_or_default();
    if let Value::Object(current) = &mut merged {
        current.extend(changes);
    }
    match serde_json::from_value::<OrgSettings>(merged) {
        Ok(settings) => {
            state.apply_settings(settings);
            Json(state.settings.clone()).into_response()
        }
        Err(error) => refused(error),
    }
}

async fn add_field(State(org): State<Org>, Path(object): Path<String>, Json(field): Json<CustomField>) -> Response {
    done(org.lock().add_custom_field(&object, field))
}

async fn remove_field(State(org): State<Org>, Path((object, field)): Path<(String, String)>) -> Response {
    done(org.lock().remove_custom_field(&object, &field))
}

#[derive(Debug, Deserialize)]
struct Presence {
    present: bool,
}

async fn set_task_call_id_field(State(org): State<Org>, Json(presence): Json<Presence>) -> Response {
    let mut state = org.lock();
    let has = state.schema.object("Task").and_then(|task| task.field(TASK_CALL_ID_FIELD)).is_some();
    match (has, presence.present) {
        (false, true) => done(state.add_custom_field("Task", CustomField::task_call_id())),
        (true, false) => done(state.remove_custom_field("Task", TASK_CALL_ID_FIELD)),
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn list_validation_rules(State(org): State<Org>) -> Json<Vec<ValidationRule>> {
    Json(org.lock().validation_rules.clone())
}

async fn add_validation_rule(State(org): State<Org>, Json(rule): Json<ValidationRule>) -> Response {
    done(org.lock().add_validation_rule(rule))
}

async fn remove_validation_rule(State(org): State<Org>, Path(name): Path<String>) -> StatusCode {
    found(org.lock().remove_validation_rule(&name))
}

async fn list_duplicate_rules(State(org): State<Org>) -> Json<Vec<DuplicateRule>> {
    Json(org.lock().duplicate_rules.clone())
}

async fn add_duplicate_rule(State(org): State<Org>, Json(rule): Json<DuplicateRule>) -> Response {
    done(org.lock().add_duplicate_rule(rule))
}

async fn remove_duplicate_rule(State(org): State<Org>, Path(name): Path<String>) -> StatusCode {
    found(org.lock().remove_duplicate_rule(&name))
}

async fn list_faults(State(org): State<Org>) -> Json<Vec<Value>> {
    Json(org.lock().faults.rules())
}

async fn add_fault(State(org): State<Org>, Json(fault): Json<Fault>) -> (StatusCode, Json<Value>) {
    let id = org.lock().faults.add(fault);
    (StatusCode::CREATED, Json(json!({"id": id})))
}

async fn clear_faults(State(org): State<Org>) -> StatusCode {
    org.lock().faults.clear_rules();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(org): State<Org>, Path(id): Path<u64>) -> StatusCode {
    found(org.lock().faults.remove(id))
}

async fn read_journal(State(org): State<Org>) -> Json<Value> {
    Json(json!(org.lock().faults.journal()))
}

async fn clear_journal(State(org): State<Org>) -> StatusCode {
    org.lock().faults.clear_journal();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct CountQuery {
    method: Option<String>,
    path: Option<String>,
}

async fn count_requests(State(org): State<Org>, Query(query): Query<CountQuery>) -> Json<Value> {
    let state = org.lock();
    match query.path {
        Some(path) => Json(json!({"count": state.faults.count(query.method.as_deref(), &path)})),
        None => Json(json!(state.faults.counts())),
    }
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

async fn list_contact_centers(State(org): State<Org>) -> Json<Vec<ContactCenter>> {
    Json(org.lock().telephony.contact_centers().cloned().collect())
}

async fn set_contact_center(
    State(org): State<Org>,
    Path(api_name): Path<String>,
    Json(definition): Json<ContactCenterDefinition>,
) -> Response {
    done(org.lock().set_contact_center(&api_name, definition))
}

async fn remove_contact_center(State(org): State<Org>, Path(api_name): Path<String>) -> StatusCode {
    found(org.lock().remove_contact_center(&api_name))
}
