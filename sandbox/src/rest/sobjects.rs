//! The sObject resources: `sobjects` (describe global), `sobjects/{T}` (create), `sobjects/{T}/describe`,
//! `sobjects/{T}/{id}` (retrieve, update, delete) and `sobjects/{T}/{field}/{value}` (upsert or retrieve by
//! external id). The writes go through `dml`, which does every check.

use super::{RestRequest, RestResponse, method_not_allowed, url_object};
use crate::OrgState;
use crate::dml::{UpsertOutcome, WriteContext};
use crate::errors::ApiError;
use crate::schema::ObjectDef;
use axum::http::{Method, StatusCode};
use callpop_core::record::RecordId;
use serde_json::{Value, json};

pub(super) fn route(
    state: &mut OrgState,
    request: &RestRequest,
    rest: &[&str],
    context: &WriteContext,
) -> RestResponse {
    let method = &request.method;
    if rest.is_empty() {
        return match *method {
            Method::GET => describe_global(state, &request.api_version),
            _ => method_not_allowed(state, method, "GET,HEAD"),
        };
    }
    let object = match url_object(state, rest[0]) {
        Ok(object) => object,
        Err(response) => return response,
    };
    match (&rest[1..], method.clone()) {
        ([], Method::POST) | (["Id"], Method::POST) => create(state, request, &object, context),
        ([], Method::GET) => {
            RestResponse::ok(json!({"objectDescribe": object.describe(&request.api_version), "recentItems": []}))
        }
        ([], _) => method_not_allowed(state, method, "GET,HEAD,POST"),
        (["describe"], Method::GET) => RestResponse::ok(object.describe(&request.api_version)),
        (["describe"], _) => method_not_allowed(state, method, "GET,HEAD"),
        ([id], Method::GET) => retrieve(state, request, &object, id),
        ([id], Method::PATCH) => update(state, request, &object, id, context),
        ([id], Method::DELETE) => match state.locate(&object, id).map(|record| record.id.clone()) {
            Ok(id) => match state.delete_record(&object, &id, context.now) {
                Ok(()) => RestResponse::no_content(),
                Err(error) => RestResponse::error(state, error),
            },
            Err(error) => RestResponse::error(state, error),
        },
        ([_], _) => method_not_allowed(state, method, "GET,HEAD,PATCH,DELETE"),
        ([field, value], Method::PATCH) => upsert(state, request, &object, field, value, context),
        ([field, value], Method::GET) => retrieve_by_external_id(state, request, &object, field, value),
        ([_, _], _) => method_not_allowed(state, method, "GET,HEAD,PATCH"),
        _ => RestResponse::error(state, ApiError::not_found()),
    }
}

fn describe_global(state: &OrgState, api_version: &str) -> RestResponse {
    let sobjects: Vec<Value> = state
        .schema
        .objects()
        .filter(|object| !object.tooling)
        .map(|object| {
            json!({"name": object.name, "label": object.label, "labelPlural": object.label_plural,
                   "keyPrefix": object.key_prefix, "createable": object.createable, "queryable": true,
                   "urls": {"sobject": format!("/services/data/v{api_version}/sobjects/{}", object.name)}})
        })
        .collect();
    RestResponse::ok(json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects}))
}

/// The `Location` of a record, as a create answers it.
pub(crate) fn record_location(api_version: &str, object: &str, id: &RecordId) -> String {
    format!("/services/data/v{api_version}/sobjects/{object}/{id}")
}

/// A successful SaveResult.
pub(crate) fn saved(id: &RecordId) -> Value {
    json!({"id": id.as_str(), "success": true, "errors": []})
}

fn created(api_version: &str, object: &ObjectDef, id: &RecordId, body: Value) -> RestResponse {
    RestResponse {
        status: StatusCode::CREATED,
        body: Some(body),
        location: Some(record_location(api_version, &object.name, id)),
    }
}

fn create(state: &mut OrgState, request: &RestRequest, object: &ObjectDef, context: &WriteContext) -> RestResponse {
    let body = match request.object_body() {
        Ok(body) => body,
        Err(error) => return RestResponse::error(state, error),
    };
    match state.create_record(object, &body, context) {
        Ok(id) => created(&request.api_version, object, &id, saved(&id)),
        Err(errors) => RestResponse::errors(state, &errors),
    }
}

/// The field names of `?fields=a,b`, checked and spelled as the schema spells them.
fn requested_fields(object: &ObjectDef, request: &RestRequest) -> Result<Option<Vec<String>>, ApiError> {
    let Some(list) = request.query_param("fields") else { return Ok(None) };
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            object
                .field(name)
                .map(|field| field.name.clone())
                .ok_or_else(|| ApiError::no_such_column(name, &object.name))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn render(state: &OrgState, request: &RestRequest, object: &ObjectDef, id: &RecordId) -> RestResponse {
    let fields = match requested_fields(object, request) {
        Ok(fields) => fields,
        Err(error) => return RestResponse::error(state, error),
    };
    match state.records.get(id) {
        Some(record) => RestResponse::ok(record.rest_json(object, &request.api_version, fields.as_deref())),
        None => RestResponse::error(state, ApiError::not_found()),
    }
}

fn retrieve(state: &OrgState, request: &RestRequest, object: &ObjectDef, raw_id: &str) -> RestResponse {
    match state.locate(object, raw_id) {
        Ok(record) => render(state, request, object, &record.id.clone()),
        Err(error) => RestResponse::error(state, error),
    }
}

fn update(
    state: &mut OrgState,
    request: &RestRequest,
    object: &ObjectDef,
    raw_id: &str,
    context: &WriteContext,
) -> RestResponse {
    let (id, body) = match state
        .locate(object, raw_id)
        .map(|record| record.id.clone())
        .and_then(|id| Ok((id, request.object_body()?)))
    {
        Ok(found) => found,
        Err(error) => return RestResponse::error(state, error),
    };
    match state.update_record(object, &id, &body, context) {
        Ok(()) => RestResponse::no_content(),
        Err(errors) => RestResponse::errors(state, &errors),
    }
}

/// The 300 answer: the URLs of the records an external id matched.
fn multiple_choices(api_version: &str, object: &ObjectDef, ids: &[RecordId]) -> RestResponse {
    let urls: Vec<String> = ids.iter().map(|id| record_location(api_version, &object.name, id)).collect();
    RestResponse::with_status(StatusCode::MULTIPLE_CHOICES, Some(json!(urls)))
}

fn upsert(
    state: &mut OrgState,
    request: &RestRequest,
    object: &ObjectDef,
    field: &str,
    value: &str,
    context: &WriteContext,
) -> RestResponse {
    let body = match request.object_body() {
        Ok(body) => body,
        Err(error) => return RestResponse::error(state, error),
    };
    let update_only = request.query_param("updateOnly") == Some("true");
    match state.upsert_record(object, field, value, &body, update_only, context) {
        Ok(UpsertOutcome::Created(id)) => {
            let body = json!({"id": id.as_str(), "success": true, "errors": [], "created": true});
            created(&request.api_version, object, &id, body)
        }
        Ok(UpsertOutcome::Updated(_)) if state.settings.upsert_update_status == 204 => RestResponse::no_content(),
        Ok(UpsertOutcome::Updated(id)) => {
            RestResponse::ok(json!({"id": id.as_str(), "success": true, "errors": [], "created": false}))
        }
        Ok(UpsertOutcome::MultipleMatches(ids)) => multiple_choices(&request.api_version, object, &ids),
        Err(errors) => RestResponse::errors(state, &errors),
    }
}

fn retrieve_by_external_id(
    state: &OrgState,
    request: &RestRequest,
    object: &ObjectDef,
    field: &str,
    value: &str,
) -> RestResponse {
    let Some(external) = object.field(field).filter(|field| field.external_id) else {
        let message = format!("Provided external ID field does not exist or is not accessible: {field}");
        return RestResponse::error(state, ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", message));
    };
    match state.find_by_external_id(object, &external.name, value).as_slice() {
        [] => RestResponse::error(state, ApiError::not_found()),
        [id] => render(state, request, object, id),
        several => multiple_choices(&request.api_version, object, several),
    }
}
