//! `/composite` and sObject Collections (`/composite/sobjects`), §4.1 and §4.3.
//!
//! Composite runs up to 25 subrequests (at most 5 of them queries) in order through the same code as top-level
//! requests (`rest::execute`), under one lock, so nothing else interleaves. `@{ref.path}` references (with `.field`
//! and `[n]` steps, e.g. `@{q.records[0].Id}`) are resolved in each subrequest's URL and body from the earlier
//! responses. With `allOrNone`, the first failure rolls back every subrequest's writes (a snapshot of the records
//! is restored) and every other subrequest answers 400 `PROCESSING_HALTED` "The transaction was rolled back…";
//! without it, a subrequest whose reference cannot be resolved answers `PROCESSING_HALTED` "Invalid reference
//! specified…" and the others still commit. The top level always answers 200 and counts as one API call.
//! `collateSubrequests` is accepted and ignored: subrequests always run in the order given.
//!
//! Collections create or update up to 200 records of mixed types (at most 10 type chunks), answering SaveResults
//! whose errors are keyed `statusCode`; with `allOrNone`, one failure rolls back all and the others answer
//! `ALL_OR_NONE_OPERATION_ROLLED_BACK`. Delete (`?ids=`) and retrieve (`GET /composite/sobjects/{T}?ids=`) too.

use crate::OrgState;
use crate::dml::WriteContext;
use crate::errors::{ApiError, failed_save_result};
use crate::rest::{RestRequest, RestResponse, execute, parse_query, split_path, url_object};
use crate::rules::DuplicateRuleHeader;
use axum::http::{Method, StatusCode};
use callpop_core::record::RecordId;
use serde_json::{Map, Value, json};

/// The most subrequests a composite request may hold.
pub const MAX_SUBREQUESTS: usize = 25;
/// The most query subrequests a composite request may hold.
pub const MAX_QUERY_SUBREQUESTS: usize = 5;
/// The most records one collection call may hold.
pub const MAX_COLLECTION_RECORDS: usize = 200;
/// The most runs of one type ("chunks") one collection call may hold.
pub const MAX_COLLECTION_CHUNKS: usize = 10;

const ROLLED_BACK: &str = "The transaction was rolled back since another operation in the same transaction failed.";
/// Headers a subrequest must not set: they come from the top-level request (§4.1).
const FORBIDDEN_SUBREQUEST_HEADERS: [&str; 3] = ["Accept", "Authorization", "Content-Type"];

fn bad_input(state: &OrgState, message: impl Into<String>) -> RestResponse {
    // The code of these whole-request refusals is not in the reference (unverified).
    RestResponse::error(state, ApiError::bad_request("INVALID_API_INPUT", message))
}

fn processing_halted(message: &str) -> RestResponse {
    RestResponse::with_status(
        StatusCode::BAD_REQUEST,
        Some(json!([{"errorCode": "PROCESSING_HALTED", "message": message}])),
    )
}

/// One subrequest as the request gives it.
#[derive(Debug, Clone)]
struct Subrequest {
    method: Method,
    url: String,
    reference_id: String,
    body: Option<Value>,
    duplicate_header: Option<DuplicateRuleHeader>,
}

fn valid_reference_id(reference_id: &str) -> bool {
    reference_id.chars().next().is_some_and(|first| first.is_ascii_alphanumeric())
        && reference_id.chars().all(|character| character.is_ascii_alphanumeric() || character == '_')
}

fn parse_subrequest(value: &Value) -> Result<Subrequest, String> {
    let field =
        |name: &str| value.get(name).and_then(Value::as_str).ok_or_else(|| format!("subrequest is missing '{name}'"));
    let method =
        Method::from_bytes(field("method")?.to_ascii_uppercase().as_bytes()).map_err(|error| error.to_string())?;
    let reference_id = field("referenceId")?.to_owned();
    if !valid_reference_id(&reference_id) {
        return Err(format!(
            "Provided referenceId ('{reference_id}') must start with a letter or a number, and it can contain only \
             letters, numbers and underscores ('_')."
        ));
    }
    let mut duplicate_header = None;
    if let Some(headers) = value.get("httpHeaders").and_then(Value::as_object) {
        for (name, header) in headers {
            if FORBIDDEN_SUBREQUEST_HEADERS.iter().any(|forbidden| forbidden.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "The header '{name}' is not allowed in a subrequest: it is set on the composite request"
                ));
            }
            if name.eq_ignore_ascii_case("Sforce-Duplicate-Rule-Header") {
                duplicate_header = header.as_str().map(DuplicateRuleHeader::parse);
            }
        }
    }
    Ok(Subrequest {
        method,
        url: field("url")?.to_owned(),
        reference_id,
        body: value.get("body").cloned(),
        duplicate_header,
    })
}

/// A reference's path: `newLead.id` → `["newLead", "id"]`, `q.records[0].Id` → `["q", "records", "0", "Id"]`.
fn reference_steps(path: &str) -> Vec<String> {
    path.replace('[', ".").replace(']', "").split('.').filter(|step| !step.is_empty()).map(str::to_owned).collect()
}

/// Why a reference could not be resolved: the PROCESSING_HALTED message of §4.1.
fn invalid_reference(path: &str) -> String {
    let reference_id = path.split(['.', '[']).next().unwrap_or(path);
    format!(
        "Invalid reference specified. No value for {path} found in {reference_id}. Provided referenceId ('{path}') \
         must start with a letter or a number, and it can contain only letters, numbers and underscores ('_')."
    )
}

struct References<'a> {
    done: &'a [(String, RestResponse)],
    /// From API v52.0, a reference to a field that is null resolves to null instead of failing (§4.1).
    null_resolves: bool,
}

impl References<'_> {
    fn lookup(&self, path: &str) -> Result<Value, String> {
        let steps = reference_steps(path);
        let (reference_id, steps) = steps.split_first().ok_or_else(|| invalid_reference(path))?;
        let (_, response) =
            self.done.iter().find(|(known, _)| known == reference_id).ok_or_else(|| invalid_reference(path))?;
        if !response.is_success() {
            return Err(invalid_reference(path));
        }
        let mut current = response.body.clone().unwrap_or(Value::Null);
        for step in steps {
            current = match (&current, step.parse::<usize>()) {
                (Value::Array(items), Ok(index)) => items.get(index).cloned(),
                (Value::Object(fields), _) => fields.get(step).cloned(),
                _ => None,
            }
            .ok_or_else(|| invalid_reference(path))?;
        }
        if current.is_null() && !self.null_resolves {
            return Err(invalid_reference(path));
        }
        Ok(current)
    }

    /// Replaces every `@{…}` in `text`. A text that is exactly one reference takes the value as it is (a number
    /// stays a number); otherwise the values are spliced in as text.
    fn resolve_text(&self, text: &str) -> Result<Value, String> {
        if let Some(path) =
            text.strip_prefix("@{").and_then(|rest| rest.strip_suffix('}')).filter(|path| !path.contains('}'))
        {
            return self.lookup(path);
        }
        let mut resolved = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("@{") {
            let end =
                rest[start..].find('}').map(|end| start + end).ok_or_else(|| invalid_reference(&rest[start + 2..]))?;
            resolved.push_str(&rest[..start]);
            match self.lookup(&rest[start + 2..end])? {
                Value::String(value) => resolved.push_str(&value),
                Value::Null => resolved.push_str("null"),
                other => resolved.push_str(&other.to_string()),
            }
            rest = &rest[end + 1..];
        }
        resolved.push_str(rest);
        Ok(Value::String(resolved))
    }

    fn resolve(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => self.resolve_text(text)?,
            Value::Array(items) => Value::Array(items.iter().map(|item| self.resolve(item)).collect::<Result<_, _>>()?),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), self.resolve(value)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// A subrequest URL taken apart: the API version, the resource's segments and the query parameters.
type SplitUrl = (String, Vec<String>, Vec<(String, String)>);

/// `/services/data/v62.0/sobjects/Lead?x=y` → the version, the segments and the query; `None` for other URLs.
fn split_url(url: &str) -> Option<SplitUrl> {
    let (path, query) = url.split_once('?').map_or((url, None), |(path, query)| (path, Some(query)));
    let rest = path.strip_prefix("/services/data/v")?;
    let (version, resource) = rest.split_once('/').unwrap_or((rest, ""));
    Some((version.to_owned(), split_path(resource), parse_query(query)))
}

/// Whether composite runs this resource (sObjects, query, collections; not search, §4.1).
fn allowed_in_composite(segments: &[String]) -> bool {
    match segments.first().map(String::as_str) {
        Some("sobjects" | "query" | "queryAll") => true,
        Some("composite") => segments.get(1).map(String::as_str) == Some("sobjects"),
        _ => false,
    }
}

fn run_subrequest(
    state: &mut OrgState,
    subrequest: &Subrequest,
    references: &References<'_>,
    all_or_none: bool,
    context: &WriteContext,
) -> RestResponse {
    let resolved = references.resolve_text(&subrequest.url).and_then(|url| {
        let body = subrequest.body.as_ref().map(|body| references.resolve(body)).transpose()?;
        Ok((url, body))
    });
    let (url, mut body) = match resolved {
        Ok((Value::String(url), body)) => (url, body),
        Ok((other, body)) => (other.to_string(), body),
        Err(message) => return processing_halted(&message),
    };
    let Some((api_version, segments, query)) =
        split_url(&url).filter(|(_, segments, _)| allowed_in_composite(segments))
    else {
        return RestResponse::error(state, ApiError::not_found());
    };
    // A composite allOrNone overrides the allOrNone of an embedded collection (§4.1).
    if all_or_none
        && segments.first().map(String::as_str) == Some("composite")
        && let Some(Value::Object(fields)) = &mut body
    {
        fields.insert("allOrNone".to_owned(), json!(true));
    }
    let duplicate_header = subrequest.duplicate_header.unwrap_or(context.duplicate_header);
    let request = RestRequest {
        method: subrequest.method.clone(),
        api_version: api_version.clone(),
        segments,
        query,
        body: Ok(body),
        duplicate_header,
    };
    let context = WriteContext { duplicate_header, api_version, ..context.clone() };
    execute(state, &request, &context)
}

/// `POST /composite`.
pub fn composite(state: &mut OrgState, request: &RestRequest, context: &WriteContext) -> RestResponse {
    if request.method != Method::POST {
        let error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{}' not allowed. Allowed are POST", request.method),
        );
        return RestResponse::error(state, error);
    }
    let body = match request.object_body() {
        Ok(body) => body,
        Err(error) => return RestResponse::error(state, error),
    };
    let all_or_none = body.get("allOrNone").and_then(Value::as_bool).unwrap_or(false);
    let Some(items) = body.get("compositeRequest").and_then(Value::as_array) else {
        return RestResponse::error(
            state,
            ApiError::json_parser("compositeRequest: a list of subrequests is required"),
        );
    };
    if items.len() > MAX_SUBREQUESTS {
        // Code and message unverified: the reference only gives the limit.
        let message = format!(
            "Limit Exceeded: the composite request has {} subrequests; at most {MAX_SUBREQUESTS} are allowed",
            items.len()
        );
        return RestResponse::error(state, ApiError::bad_request("LIMIT_EXCEEDED", message));
    }
    let subrequests = match items.iter().map(parse_subrequest).collect::<Result<Vec<_>, _>>() {
        Ok(subrequests) => subrequests,
        Err(message) => return bad_input(state, message),
    };
    let queries = subrequests
        .iter()
        .filter(|subrequest| subrequest.method == Method::GET && subrequest.url.contains("/query"))
        .count();
    if queries > MAX_QUERY_SUBREQUESTS {
        return bad_input(
            state,
            format!("a composite request may hold at most {MAX_QUERY_SUBREQUESTS} queries, this one holds {queries}"),
        );
    }
    if let Some(duplicate) = subrequests.iter().enumerate().find_map(|(index, subrequest)| {
        subrequests[..index]
            .iter()
            .any(|earlier| earlier.reference_id == subrequest.reference_id)
            .then_some(&subrequest.reference_id)
    }) {
        return bad_input(state, format!("Duplicate referenceId '{duplicate}' provided"));
    }
    let snapshot = all_or_none.then(|| state.records.clone());
    let null_resolves = request.api_version.parse::<f64>().is_ok_and(|version| version >= 52.0);
    let mut done: Vec<(String, RestResponse)> = Vec::new();
    let mut failed = None;
    for (index, subrequest) in subrequests.iter().enumerate() {
        let response = if all_or_none && failed.is_some() {
            processing_halted(ROLLED_BACK)
        } else {
            let references = References { done: &done, null_resolves };
            run_subrequest(state, subrequest, &references, all_or_none, context)
        };
        if !response.is_success() && failed.is_none() {
            failed = Some(index);
        }
        done.push((subrequest.reference_id.clone(), response));
    }
    if let (Some(snapshot), Some(failed)) = (snapshot, failed) {
        state.records.roll_back_to(snapshot);
        for (index, (_, response)) in done.iter_mut().enumerate() {
            if index != failed {
                *response = processing_halted(ROLLED_BACK);
            }
        }
    }
    let composite_response: Vec<Value> = done
        .into_iter()
        .map(|(reference_id, response)| {
            let headers = response.location.map_or_else(|| json!({}), |location| json!({"Location": location}));
            json!({"body": response.body, "httpHeaders": headers, "httpStatusCode": response.status.as_u16(), "referenceId": reference_id})
        })
        .collect();
    RestResponse::ok(json!({"compositeResponse": composite_response}))
}

/// `/composite/sobjects[/{T}]`.
pub fn collections(state: &mut OrgState, request: &RestRequest, rest: &[&str], context: &WriteContext) -> RestResponse {
    match (&request.method, rest) {
        (&Method::POST, []) => save_many(state, request, Save::Create, context),
        (&Method::PATCH, []) => save_many(state, request, Save::Update, context),
        (&Method::DELETE, []) => delete_many(state, request, context),
        (&Method::GET, [object]) => retrieve_many(state, request, object),
        _ => RestResponse::error(state, ApiError::not_found()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Save {
    Create,
    Update,
}

/// Runs `operation` on each item; with `all_or_none`, one failure rolls all back. Returns the SaveResults.
fn each_or_none<T>(
    state: &mut OrgState,
    items: &[T],
    all_or_none: bool,
    mut operation: impl FnMut(&mut OrgState, &T) -> Result<Value, Vec<ApiError>>,
) -> Vec<Value> {
    let snapshot = all_or_none.then(|| state.records.clone());
    let outcomes: Vec<Result<Value, Vec<ApiError>>> = items.iter().map(|item| operation(state, item)).collect();
    let any_failed = outcomes.iter().any(Result::is_err);
    if let (Some(snapshot), true) = (snapshot, any_failed) {
        state.records.roll_back_to(snapshot);
        let rolled_back = ApiError::bad_request(
            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "Record rolled back because not all records were valid and the request was using AllOrNone header",
        );
        return outcomes
            .into_iter()
            .map(|outcome| failed_save_result(&outcome.err().unwrap_or_else(|| vec![rolled_back.clone()])))
            .collect();
    }
    outcomes.into_iter().map(|outcome| outcome.unwrap_or_else(|errors| failed_save_result(&errors))).collect()
}

fn chunk_count(records: &[Value]) -> usize {
    let types: Vec<Option<&str>> =
        records.iter().map(|record| record.pointer("/attributes/type").and_then(Value::as_str)).collect();
    types.windows(2).filter(|pair| pair[0] != pair[1]).count() + usize::from(!types.is_empty())
}

fn save_many(state: &mut OrgState, request: &RestRequest, save: Save, context: &WriteContext) -> RestResponse {
    let body = match request.object_body() {
        Ok(body) => body,
        Err(error) => return RestResponse::error(state, error),
    };
    let all_or_none = body.get("allOrNone").and_then(Value::as_bool).unwrap_or(false);
    let Some(records) = body.get("records").and_then(Value::as_array) else {
        return RestResponse::error(state, ApiError::json_parser("records: a list of records is required"));
    };
    if records.len() > MAX_COLLECTION_RECORDS {
        let message = "record limit reached. cannot submit more than 200 records into this call";
        return RestResponse::error(state, ApiError::bad_request("EXCEEDED_ID_LIMIT", message));
    }
    if chunk_count(records) > MAX_COLLECTION_CHUNKS {
        return bad_input(
            state,
            "Cannot have more than 10 chunks in a single operation. Please rearrange the data to reduce chunking.",
        );
    }
    let results = each_or_none(state, records, all_or_none, |state, record| save_one(state, record, save, context));
    RestResponse::ok(Value::Array(results))
}

fn save_one(state: &mut OrgState, record: &Value, save: Save, context: &WriteContext) -> Result<Value, Vec<ApiError>> {
    let mut fields: Map<String, Value> = record.as_object().cloned().unwrap_or_default();
    let object_name = record.pointer("/attributes/type").and_then(Value::as_str).unwrap_or_default();
    let object = state.schema.object(object_name).filter(|object| !object.tooling).cloned().ok_or_else(|| {
        vec![ApiError::bad_request(
            "INVALID_TYPE",
            "Must send a concrete entity type: attributes.type is missing or unknown",
        )]
    })?;
    let id_key = fields.keys().find(|key| key.eq_ignore_ascii_case("id")).cloned();
    let id = id_key.and_then(|key| fields.remove(&key)).and_then(|id| id.as_str().map(str::to_owned));
    let id = match (save, id) {
        (Save::Create, None) => {
            return state.create_record(&object, &fields, context).map(|id| crate::rest::saved(&id));
        }
        (Save::Create, Some(_)) => {
            return Err(vec![ApiError::bad_request(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "cannot specify Id in an insert call",
            )]);
        }
        (Save::Update, None) => {
            return Err(vec![ApiError::bad_request("MISSING_ARGUMENT", "Id not specified in an update call")]);
        }
        (Save::Update, Some(id)) => id,
    };
    let id = state.locate(&object, &id).map(|record| record.id.clone()).map_err(|error| vec![error])?;
    state.update_record(&object, &id, &fields, context)?;
    Ok(crate::rest::saved(&id))
}

fn id_list(request: &RestRequest) -> Vec<String> {
    request
        .query_param("ids")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

fn delete_many(state: &mut OrgState, request: &RestRequest, context: &WriteContext) -> RestResponse {
    let ids = id_list(request);
    if ids.len() > MAX_COLLECTION_RECORDS {
        let message = "record limit reached. cannot submit more than 200 records into this call";
        return RestResponse::error(state, ApiError::bad_request("EXCEEDED_ID_LIMIT", message));
    }
    let all_or_none = request.query_param("allOrNone") == Some("true");
    let results = each_or_none(state, &ids, all_or_none, |state, raw_id| {
        let parsed = RecordId::parse(raw_id)
            .map_err(|_| vec![ApiError::bad_request("MALFORMED_ID", format!("malformed id {raw_id}"))])?;
        let object =
            state.schema.object_by_prefix(parsed.key_prefix()).cloned().ok_or_else(|| vec![ApiError::not_found()])?;
        state.delete_record(&object, &parsed, context.now).map_err(|error| vec![error])?;
        Ok(crate::rest::saved(&parsed))
    });
    RestResponse::ok(Value::Array(results))
}

fn retrieve_many(state: &OrgState, request: &RestRequest, object: &str) -> RestResponse {
    let object = match url_object(state, object) {
        Ok(object) => object,
        Err(response) => return response,
    };
    let fields: Option<Vec<String>> =
        request.query_param("fields").map(|list| list.split(',').map(|name| name.trim().to_owned()).collect());
    if let Some(unknown) = fields.iter().flatten().find(|name| object.field(name).is_none()) {
        return RestResponse::error(state, ApiError::no_such_column(unknown, &object.name));
    }
    let canonical: Option<Vec<String>> = fields
        .map(|names| names.iter().filter_map(|name| object.field(name)).map(|field| field.name.clone()).collect());
    let records: Vec<Value> = id_list(request)
        .iter()
        .map(|raw_id| {
            state
                .locate(&object, raw_id)
                .map_or(Value::Null, |record| record.rest_json(&object, &request.api_version, canonical.as_deref()))
        })
        .collect();
    RestResponse::ok(Value::Array(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(reference_id: &str, status: StatusCode, body: Value) -> (String, RestResponse) {
        (reference_id.to_owned(), RestResponse::with_status(status, Some(body)))
    }

    #[test]
    fn references_index_into_earlier_results() {
        let done = [
            done("newLead", StatusCode::CREATED, json!({"id": "00Q5g0000000001AAA", "success": true})),
            done("q", StatusCode::OK, json!({"records": [{"Id": "701x", "Count": 3}]})),
        ];
        let references = References { done: &done, null_resolves: true };
        assert_eq!(references.resolve_text("@{newLead.id}").unwrap(), json!("00Q5g0000000001AAA"));
        assert_eq!(references.resolve_text("@{q.records[0].Count}").unwrap(), json!(3));
        assert_eq!(
            references.resolve_text("/services/data/v62.0/sobjects/Lead/@{newLead.id}?fields=Id").unwrap(),
            json!("/services/data/v62.0/sobjects/Lead/00Q5g0000000001AAA?fields=Id")
        );
    }

    #[test]
    fn references_to_failed_or_missing_values_halt_with_the_documented_message() {
        let done = [done("newLead", StatusCode::BAD_REQUEST, json!([{"errorCode": "REQUIRED_FIELD_MISSING"}]))];
        let references = References { done: &done, null_resolves: true };
        assert_eq!(
            references.resolve_text("@{newLead.id}").unwrap_err(),
            "Invalid reference specified. No value for newLead.id found in newLead. Provided referenceId \
             ('newLead.id') must start with a letter or a number, and it can contain only letters, numbers and \
             underscores ('_')."
        );
        assert!(references.resolve_text("@{other.id}").is_err());
    }

    #[test]
    fn null_references_resolve_only_from_version_52() {
        let done = [done("lead", StatusCode::OK, json!({"Email": null}))];
        assert_eq!(References { done: &done, null_resolves: true }.resolve_text("@{lead.Email}").unwrap(), Value::Null);
        assert!(References { done: &done, null_resolves: false }.resolve_text("@{lead.Email}").is_err());
    }

    #[test]
    fn chunks_are_runs_of_one_type() {
        let records: Vec<Value> =
            ["A", "A", "C", "A"].iter().map(|kind| json!({"attributes": {"type": kind}})).collect();
        assert_eq!(chunk_count(&records), 3);
        assert_eq!(chunk_count(&[]), 0);
    }

    #[test]
    fn reference_ids_must_be_letters_digits_and_underscores() {
        assert!(valid_reference_id("new_Lead1"));
        assert!(!valid_reference_id("_lead"));
        assert!(!valid_reference_id("new-lead"));
    }
}
