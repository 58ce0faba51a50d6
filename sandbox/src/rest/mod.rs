//! The REST data API under `/services/data/`: authentication, the daily limit, and routing to the resources.
//!
//! Every call under `/services/data/vXX.X/` (any version from 40.0) needs `Authorization: Bearer <token>` (or the
//! older `OAuth <token>`); a missing, expired or revoked token gets 401 `INVALID_SESSION_ID` with
//! `WWW-Authenticate: Token`. Each authenticated call counts against the daily allocation and every answer carries
//! `Sforce-Limit-Info: api-usage=used/max`; past the allocation, calls get 403 `REQUEST_LIMIT_EXCEEDED`. The 401
//! carries no limit header, since the org cannot tell whose allocation it would be. `GET /services/data/` lists
//! the versions without auth, counting or header (§6.2).
//!
//! Routing is by hand over the path segments ([`execute`]), so composite subrequests run through exactly the same
//! code as top-level requests.

mod sobjects;

pub(crate) use sobjects::saved;

use crate::dml::WriteContext;
use crate::errors::{ApiError, rest_errors};
use crate::rules::DuplicateRuleHeader;
use crate::schema::ObjectDef;
use crate::{Org, OrgState, composite, soql, sosl};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use chrono::Utc;
use serde_json::{Map, Value, json};

/// The oldest API version the org serves.
pub const MIN_API_VERSION: f64 = 40.0;
/// The newest API version the org lists (`GET /services/data/`).
pub const LATEST_API_VERSION: &str = "64.0";

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/services/data", get(versions))
        .route("/services/data/", get(versions))
        .route("/services/data/{version}", any(data_root))
        .route("/services/data/{version}/", any(data_root))
        .route("/services/data/{version}/{*rest}", any(data))
}

/// `GET /services/data/`: every version from 40.0 to the latest. No auth, no limit header (§0).
async fn versions() -> Response {
    let latest: u32 = LATEST_API_VERSION.trim_end_matches(".0").parse().unwrap_or(64);
    let list: Vec<Value> = (MIN_API_VERSION as u32..=latest)
        .map(|major| json!({"label": format!("Release {major}"), "url": format!("/services/data/v{major}.0"), "version": format!("{major}.0")}))
        .collect();
    json_response(StatusCode::OK, Some(&Value::Array(list)))
}

/// A request to one REST resource, as a top-level call or a composite subrequest.
#[derive(Debug, Clone)]
pub struct RestRequest {
    pub method: Method,
    /// The API version without `v`, e.g. `62.0`.
    pub api_version: String,
    /// The path after `/services/data/vXX.X/`, split on `/` (percent-decoded).
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    /// The JSON body; `Err` holds the parser's complaint.
    pub body: Result<Option<Value>, String>,
    pub duplicate_header: DuplicateRuleHeader,
}

impl RestRequest {
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The body as a JSON object (what every write takes).
    pub fn object_body(&self) -> Result<Map<String, Value>, ApiError> {
        match &self.body {
            Ok(Some(Value::Object(fields))) => Ok(fields.clone()),
            Ok(Some(other)) => Err(ApiError::json_parser(format!(
                "Cannot deserialize instance of sobject from {} value or request may be missing a required field",
                if other.is_array() { "START_ARRAY" } else { "VALUE" }
            ))),
            Ok(None) => Err(ApiError::json_parser("No content to map due to end-of-input")),
            Err(message) => Err(ApiError::json_parser(message.clone())),
        }
    }
}

/// What a resource answers.
#[derive(Debug, Clone, PartialEq)]
pub struct RestResponse {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub location: Option<String>,
}

impl RestResponse {
    pub fn ok(body: Value) -> Self {
        Self { status: StatusCode::OK, body: Some(body), location: None }
    }

    pub fn with_status(status: StatusCode, body: Option<Value>) -> Self {
        Self { status, body, location: None }
    }

    pub fn no_content() -> Self {
        Self { status: StatusCode::NO_CONTENT, body: None, location: None }
    }

    /// An error answer: the first error's status and the REST array of all of them.
    pub fn errors(state: &OrgState, errors: &[ApiError]) -> Self {
        let status = errors.first().map_or(StatusCode::BAD_REQUEST, |error| error.status);
        Self::with_status(status, Some(rest_errors(errors, state.settings.duplicate_result_key)))
    }

    pub fn error(state: &OrgState, error: ApiError) -> Self {
        Self::errors(state, &[error])
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

fn json_response(status: StatusCode, body: Option<&Value>) -> Response {
    match body {
        Some(body) => {
            (status, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body.to_string()).into_response()
        }
        None => status.into_response(),
    }
}

/// `v62.0` → `62.0`, for versions the org serves.
fn parse_version(segment: &str) -> Option<String> {
    let number = segment.strip_prefix('v')?;
    let (major, minor) = number.split_once('.')?;
    let valid = major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok();
    (valid && number.parse::<f64>().ok()? >= MIN_API_VERSION).then(|| number.to_owned())
}

async fn data_root(
    State(org): State<Org>,
    Path(version): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    serve(&org, &version, "", method, &headers, query.as_deref(), &body)
}

async fn data(
    State(org): State<Org>,
    Path((version, rest)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    serve(&org, &version, &rest, method, &headers, query.as_deref(), &body)
}

/// Splits a resource path into decoded segments.
pub fn split_path(path: &str) -> Vec<String> {
    path.split('/').filter(|segment| !segment.is_empty()).map(percent_decode).collect()
}

fn percent_decode(text: &str) -> String {
    // `form_urlencoded` decodes `%XX`; a literal `+` in a path segment must stay a `+`.
    let protected = text.replace('+', "%2B");
    form_urlencoded::parse(format!("x={protected}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Parses a query string into its pairs.
pub fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// Parses a request body: empty is `None`, bad JSON is the parser's message.
pub fn parse_body(body: &[u8]) -> Result<Option<Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|error| format!("Unexpected character: {error}"))
}

#[allow(clippy::too_many_arguments)]
fn serve(
    org: &Org,
    version: &str,
    rest: &str,
    method: Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    let mut state = org.lock();
    let Some(api_version) = parse_version(version) else {
        return json_response(
            StatusCode::NOT_FOUND,
            Some(&rest_errors(&[ApiError::not_found()], state.settings.duplicate_result_key)),
        );
    };
    let now = Utc::now();
    let Some(user) = crate::oauth::bearer_token(headers).and_then(|token| state.token_user(token, now)) else {
        let body = rest_errors(&[ApiError::invalid_session()], state.settings.duplicate_result_key);
        let mut response = json_response(StatusCode::UNAUTHORIZED, Some(&body));
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        return response;
    };
    let mut response = if state.usage.used >= state.usage.max {
        let answer = RestResponse::error(&state, ApiError::request_limit_exceeded());
        json_response(answer.status, answer.body.as_ref())
    } else {
        state.usage.used += 1;
        let duplicate_header = headers
            .get("Sforce-Duplicate-Rule-Header")
            .and_then(|value| value.to_str().ok())
            .map(DuplicateRuleHeader::parse)
            .unwrap_or_default();
        let request = RestRequest {
            method,
            api_version: api_version.clone(),
            segments: split_path(rest),
            query: parse_query(query),
            body: parse_body(body),
            duplicate_header,
        };
        let context = WriteContext { now, user, duplicate_header, api_version };
        let answer = execute(&mut state, &request, &context);
        let mut response = json_response(answer.status, answer.body.as_ref());
        if let Some(location) = answer.location.and_then(|location| HeaderValue::from_str(&location).ok()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    };
    let usage = format!("api-usage={}/{}", state.usage.used, state.usage.max);
    if let Ok(usage) = HeaderValue::from_str(&usage) {
        response.headers_mut().insert("Sforce-Limit-Info", usage);
    }
    response
}

fn method_not_allowed(state: &OrgState, method: &Method, allowed: &str) -> RestResponse {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
    );
    RestResponse::error(state, error)
}

/// The object named in a URL, or 404 `NOT_FOUND` as Salesforce answers an unknown sObject type.
pub(crate) fn url_object(state: &OrgState, name: &str) -> Result<ObjectDef, RestResponse> {
    state
        .schema
        .object(name)
        .filter(|object| !object.tooling)
        .cloned()
        .ok_or_else(|| RestResponse::error(state, ApiError::not_found()))
}

/// Runs one REST resource. Composite requests call this for each subrequest, under the same lock.
pub fn execute(state: &mut OrgState, request: &RestRequest, context: &WriteContext) -> RestResponse {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let method = &request.method;
    match segments.as_slice() {
        [] => resources(request),
        ["limits"] => match *method {
            Method::GET => limits(state),
            _ => method_not_allowed(state, method, "GET,HEAD"),
        },
        ["sobjects", rest @ ..] => sobjects::route(state, request, rest, context),
        [resource @ ("query" | "queryAll")] => match *method {
            Method::GET => run_query(state, request, *resource == "queryAll", false),
            _ => method_not_allowed(state, method, "GET,HEAD"),
        },
        ["tooling", "query"] => match *method {
            Method::GET => run_query(state, request, false, true),
            _ => method_not_allowed(state, method, "GET,HEAD"),
        },
        ["search"] => match *method {
            Method::GET => run_search(state, request, context),
            _ => method_not_allowed(state, method, "GET,HEAD"),
        },
        ["composite"] => composite::composite(state, request, context),
        ["composite", "sobjects", rest @ ..] => composite::collections(state, request, rest, context),
        _ => RestResponse::error(state, ApiError::not_found()),
    }
}

fn resources(request: &RestRequest) -> RestResponse {
    let base = format!("/services/data/v{}", request.api_version);
    let names = ["sobjects", "query", "queryAll", "search", "composite", "limits", "tooling"];
    let resources: Map<String, Value> =
        names.iter().map(|name| ((*name).to_owned(), json!(format!("{base}/{name}")))).collect();
    RestResponse::ok(Value::Object(resources))
}

/// `GET limits`: the daily allocation, consistent with `Sforce-Limit-Info`, plus a few static ones.
fn limits(state: &OrgState) -> RestResponse {
    let usage = state.usage;
    let remaining = usage.max.saturating_sub(usage.used);
    RestResponse::ok(json!({
        "DailyApiRequests": {"Max": usage.max, "Remaining": remaining},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
        "SingleEmail": {"Max": 15, "Remaining": 15},
    }))
}

fn missing_query(state: &OrgState) -> RestResponse {
    RestResponse::error(state, ApiError::malformed_query("query: missing q parameter"))
}

fn run_query(state: &OrgState, request: &RestRequest, include_deleted: bool, tooling: bool) -> RestResponse {
    let Some(text) = request.query_param("q") else { return missing_query(state) };
    match soql::run(state, text, &request.api_version, include_deleted, tooling) {
        Ok(records) => RestResponse::ok(json!({"totalSize": records.len(), "done": true, "records": records})),
        Err(error) => RestResponse::error(state, error),
    }
}

fn run_search(state: &OrgState, request: &RestRequest, context: &WriteContext) -> RestResponse {
    let Some(text) = request.query_param("q") else {
        return RestResponse::error(state, ApiError::malformed_search("search: missing q parameter"));
    };
    match sosl::run(state, text, &request.api_version, context.now) {
        Ok(records) if state.settings.legacy_search_array => RestResponse::ok(Value::Array(records)),
        Ok(records) => RestResponse::ok(json!({"searchRecords": records})),
        Err(error) => RestResponse::error(state, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_40_are_served() {
        assert_eq!(parse_version("v62.0").as_deref(), Some("62.0"));
        assert_eq!(parse_version("v40.0").as_deref(), Some("40.0"));
        assert_eq!(parse_version("v39.0"), None);
        assert_eq!(parse_version("62.0"), None);
        assert_eq!(parse_version("vlatest"), None);
    }

    #[test]
    fn path_segments_are_decoded_but_keep_plus_signs() {
        assert_eq!(split_path("sobjects/Task/Call_Id__c/a%20b+c/"), ["sobjects", "Task", "Call_Id__c", "a b+c"]);
    }
}
