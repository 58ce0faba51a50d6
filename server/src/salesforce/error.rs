//! Salesforce's failures, parsed from whatever shape they come in, and classified into what the sync engine does
//! next (`salesforce-api.md` §2.6, §6.5, §7).
//!
//! Hand-written: no maintained crate models Salesforce's error bodies. The shapes handled:
//! - REST errors: a JSON array of `{"message", "errorCode", "fields"}`;
//! - SaveResults (collections, composite collection subrequests): `{"statusCode", "message", "fields"}`;
//! - duplicate rules: the same array with `duplicateResut` (Salesforce's misspelling) or `duplicateResult`, whose
//!   matched record ids are extracted;
//! - OAuth: `{"error", "error_description"}`;
//! - HTML pages (maintenance, a missing org) and other non-JSON bodies;
//! - 300 Multiple Choices from an upsert whose external id matches several records;
//! - transport failures (timeouts, refused connections).
//!
//! | class | what | examples |
//! |---|---|---|
//! | `Transient` | back off and retry (idempotent requests only: GET, upsert, all-upsert composites) | 5xx, `SERVER_UNAVAILABLE`, `UNABLE_TO_LOCK_ROW`, concurrent-request `REQUEST_LIMIT_EXCEEDED`, timeouts, connection errors |
//! | `Session` | refresh the token once, then replay | 401 `INVALID_SESSION_ID` (not "not valid for use with the REST API") |
//! | `Limit` | pause the account's sync until the daily window allows | 403 `REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit exceeded." |
//! | `Park` | no blind retry: park with Salesforce's message and fields | validation, required field, picklist, duplicates, invalid field, cross reference, converted lead, not found, 300, any other 3xx (a redirect, never followed), a 401 a refresh cannot fix, OAuth `invalid_grant` |

use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// The error code of an access token Salesforce refused (expired or revoked).
pub const INVALID_SESSION_ID: &str = "INVALID_SESSION_ID";

/// What the sync engine does with a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Back off (with jitter) and retry, if the request is idempotent.
    Transient,
    /// Refresh the access token once and replay; a second `Session` failure parks.
    Session,
    /// Pause the account's sync: the org's daily API allocation is used up.
    Limit,
    /// Do not retry: park the item with Salesforce's own message until an admin acts.
    Park,
}

/// One error Salesforce reported, from a REST error array or a SaveResult.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// `errorCode` (REST) or `statusCode` (SaveResult), e.g. `REQUIRED_FIELD_MISSING`.
    pub code: String,
    pub message: String,
    pub fields: Vec<String>,
    /// The duplicate rule's matches, when the error is `DUPLICATES_DETECTED` with details.
    pub duplicates: Option<DuplicateResult>,
}

/// What a duplicate rule matched (`duplicateResut` / `duplicateResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateResult {
    pub rule: Option<String>,
    pub allow_save: bool,
    /// The matched records, first match first: (object, id).
    pub matches: Vec<(String, String)>,
}

/// A failed Salesforce request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SalesforceError {
    /// The REST API answered with its error array (or a SaveResult's errors).
    #[error("Salesforce answered {status}: {}", summary(errors))]
    Api { status: u16, errors: Vec<ApiError> },
    /// The OAuth endpoints answered `{"error", "error_description"}`.
    #[error("Salesforce login answered {status}: {error}{}", description.as_deref().map(|text| format!(" ({text})")).unwrap_or_default())]
    OAuth { status: u16, error: String, description: Option<String> },
    /// 300: an upsert's external id matched several records; these are their URLs or ids.
    #[error("the external id matches {} records", records.len())]
    MultipleChoices { records: Vec<String> },
    /// A redirect, which the sync engine's client never follows: it would carry the bearer token to `location`.
    #[error(
        "Salesforce answered {status}, sending the request on to {location}; callpop sends no token anywhere it is \
         redirected (if the org moved, link it again)"
    )]
    Redirect { status: u16, location: String },
    /// A body that is not JSON (an HTML maintenance or error page, plain text); its first characters.
    #[error("Salesforce answered {status} with a {content_type} page: {excerpt}")]
    NotJson { status: u16, content_type: String, excerpt: String },
    /// The request never got an answer.
    #[error("no answer from Salesforce: {message}")]
    Transport { timeout: bool, message: String },
    /// A success whose body is not what the API documents.
    #[error("Salesforce's answer could not be read: {0}")]
    Decode(String),
}

fn summary(errors: &[ApiError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|error| match error.fields.as_slice() {
            [] => format!("{}: {}", error.code, error.message),
            fields => format!("{}: {} [{}]", error.code, error.message, fields.join(", ")),
        })
        .collect();
    if parts.is_empty() { "no error details".to_owned() } else { parts.join("; ") }
}

/// The `message` of a 401 that refreshing will not fix (session policy, IP restrictions), as jsforce lists them.
const NOT_REFRESHABLE: [&str; 3] = [
    "This session is not valid for use with the REST API",
    "Connected app is not attached to Agent",
    "BlackTab users cannot perform API operations",
];

/// Error codes worth retrying after a backoff.
const TRANSIENT_CODES: [&str; 3] = ["SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG"];

#[derive(Deserialize)]
struct RawApiError {
    #[serde(default, alias = "statusCode", rename = "errorCode")]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default, alias = "duplicateResut", rename = "duplicateResult")]
    duplicate: Option<RawDuplicateResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDuplicateResult {
    #[serde(default)]
    allow_save: bool,
    #[serde(default)]
    duplicate_rule: Option<String>,
    #[serde(default)]
    match_results: Vec<RawMatchResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMatchResult {
    #[serde(default)]
    entity_type: Option<String>,
    #[serde(default)]
    match_records: Vec<RawMatchRecord>,
}

#[derive(Deserialize)]
struct RawMatchRecord {
    #[serde(default)]
    record: Value,
}

impl From<RawApiError> for ApiError {
    fn from(raw: RawApiError) -> Self {
        let duplicates = raw.duplicate.map(|found| DuplicateResult {
            rule: found.duplicate_rule,
            allow_save: found.allow_save,
            matches: found
                .match_results
                .into_iter()
                .flat_map(|result| {
                    let entity = result.entity_type.unwrap_or_default();
                    result.match_records.into_iter().filter_map(move |matched| {
                        let id = matched.record.get("Id").and_then(Value::as_str)?.to_owned();
                        let object = matched
                            .record
                            .pointer("/attributes/type")
                            .and_then(Value::as_str)
                            .map_or_else(|| entity.clone(), str::to_owned);
                        Some((object, id))
                    })
                })
                .collect(),
        });
        Self {
            code: raw.code.unwrap_or_else(|| "UNKNOWN_ERROR".to_owned()),
            message: raw.message.unwrap_or_default(),
            fields: raw.fields.unwrap_or_default(),
            duplicates,
        }
    }
}

/// Parses a list of errors in either REST or SaveResult spelling; `None` when the value is not one.
pub(crate) fn parse_error_list(value: &Value) -> Option<Vec<ApiError>> {
    let items = value.as_array()?;
    let looks_like_errors = items.iter().all(|item| item.get("errorCode").or_else(|| item.get("statusCode")).is_some());
    if !looks_like_errors {
        return None;
    }
    let parsed: Vec<RawApiError> = serde_json::from_value(value.clone()).ok()?;
    Some(parsed.into_iter().map(ApiError::from).collect())
}

#[derive(Deserialize)]
struct RawOAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl SalesforceError {
    /// Reads a failed response: its status, `Content-Type` and body.
    pub fn from_response(status: u16, content_type: Option<&str>, body: &[u8]) -> Self {
        let content_type = content_type.unwrap_or("").to_ascii_lowercase();
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            let kind = if content_type.contains("html") || body.trim_ascii_start().starts_with(b"<") {
                "HTML"
            } else {
                "non-JSON"
            };
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect();
            return Self::NotJson { status, content_type: kind.to_owned(), excerpt };
        };
        if status == 300 {
            let records = value
                .as_array()
                .map(|items| items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            return Self::MultipleChoices { records };
        }
        if let Some(errors) = parse_error_list(&value) {
            return Self::Api { status, errors };
        }
        if let Ok(oauth) = serde_json::from_value::<RawOAuthError>(value.clone()) {
            return Self::OAuth { status, error: oauth.error, description: oauth.error_description };
        }
        // A single error object rather than an array (seen from some proxies and older endpoints).
        if let Some(errors) = parse_error_list(&Value::Array(vec![value.clone()])) {
            return Self::Api { status, errors };
        }
        let excerpt: String = value.to_string().chars().take(200).collect();
        Self::NotJson { status, content_type: "unexpected JSON".to_owned(), excerpt }
    }

    /// A transport failure from reqwest.
    pub fn transport(error: &reqwest::Error) -> Self {
        Self::Transport { timeout: error.is_timeout(), message: error.to_string() }
    }

    /// The HTTP status, when Salesforce answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::OAuth { status, .. }
            | Self::NotJson { status, .. }
            | Self::Redirect { status, .. } => Some(*status),
            Self::MultipleChoices { .. } => Some(300),
            Self::Transport { .. } | Self::Decode(_) => None,
        }
    }

    /// The reported errors (empty for failures that have none).
    pub fn errors(&self) -> &[ApiError] {
        match self {
            Self::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The first reported error's code; for a failure that carries none, callpop's name for it (`TIMEOUT`,
    /// `NO_ANSWER`, `OAUTH_ERROR`, `MULTIPLE_CHOICES`, `NOT_JSON`, `UNREADABLE_ANSWER`), as the sync log shows it.
    pub fn code(&self) -> &str {
        if let Some(first) = self.errors().first() {
            return &first.code;
        }
        match self {
            Self::Transport { timeout: true, .. } => "TIMEOUT",
            Self::Transport { .. } => "NO_ANSWER",
            Self::OAuth { .. } => "OAUTH_ERROR",
            Self::MultipleChoices { .. } => "MULTIPLE_CHOICES",
            Self::NotJson { .. } => "NOT_JSON",
            Self::Redirect { .. } => "REDIRECT",
            _ => "UNREADABLE_ANSWER",
        }
    }

    /// Whether the Telephony Integration API refused the request's token (401 `INVALID_JWT`): the certificate on
    /// the contact center is not the account's current one (regenerated but not uploaded), or the contact center or
    /// org is not the one the settings name. Retrying does not help; the administrator uploads the certificate.
    pub fn is_refused_telephony_token(&self) -> bool {
        self.status() == Some(401) && self.has_code("INVALID_JWT")
    }

    /// Whether any reported error has this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.errors().iter().any(|error| error.code == code)
    }

    /// Whether Salesforce refused one of `fields` because the operation may not set it: `INVALID_FIELD_FOR_INSERT_UPDATE`
    /// naming it (a create-only field sent in an update, or in an upsert that matched an existing record).
    pub fn refuses_field_on_write(&self, fields: &[&str]) -> bool {
        self.errors().iter().any(|error| {
            error.code == "INVALID_FIELD_FOR_INSERT_UPDATE"
                && error.fields.iter().any(|field| fields.contains(&field.as_str()))
        })
    }

    /// Whether a reference in the request names a record that is gone or never was (`INVALID_CROSS_REFERENCE_KEY`,
    /// `ENTITY_IS_DELETED`): an id remembered from an earlier lookup is stale.
    pub fn names_a_missing_record(&self) -> bool {
        self.has_code("INVALID_CROSS_REFERENCE_KEY") || self.has_code("ENTITY_IS_DELETED")
    }

    /// The records a duplicate rule matched, first match first: (object, id).
    pub fn duplicate_matches(&self) -> Vec<(String, String)> {
        self.errors()
            .iter()
            .filter_map(|error| error.duplicates.as_ref())
            .flat_map(|found| found.matches.clone())
            .collect()
    }

    /// Whether this is `DUPLICATE_VALUE "Already a campaign member."`, which means an earlier attempt succeeded.
    pub fn is_already_campaign_member(&self) -> bool {
        self.errors().iter().any(|error| {
            error.code == "DUPLICATE_VALUE" && error.message.to_ascii_lowercase().contains("campaign member")
        })
    }

    /// Whether the account's Salesforce link itself is broken: a 401 a refresh cannot fix, or a refresh token that
    /// Salesforce refuses. The admin has to link the org again.
    pub fn needs_relink(&self) -> bool {
        match self {
            Self::OAuth { error, .. } => error == "invalid_grant",
            Self::Api { status: 401, errors } => {
                errors.iter().any(|error| NOT_REFRESHABLE.iter().any(|text| error.message.contains(text)))
            }
            _ => false,
        }
    }

    /// What to do about it (the table in this module's documentation).
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Transport { .. } => RetryClass::Transient,
            // A redirect is parked: the admin sees where it pointed and links the org again if it moved.
            Self::Decode(_) | Self::MultipleChoices { .. } | Self::Redirect { .. } => RetryClass::Park,
            Self::OAuth { status, .. } if *status >= 500 => RetryClass::Transient,
            Self::OAuth { .. } => RetryClass::Park,
            Self::NotJson { status, .. } => status_class(*status),
            Self::Api { status, errors } => {
                if self.needs_relink() {
                    return RetryClass::Park;
                }
                let classes: Vec<RetryClass> =
                    errors.iter().filter(|error| error.code != "PROCESSING_HALTED").map(code_class).collect();
                // The most hopeful class wins only when every error allows it: one permanent error parks.
                if classes.contains(&RetryClass::Park) {
                    RetryClass::Park
                } else if let Some(class) = classes.first() {
                    *class
                } else {
                    status_class(*status)
                }
            }
        }
    }
}

/// The class of one reported error, by its code.
fn code_class(error: &ApiError) -> RetryClass {
    match error.code.as_str() {
        INVALID_SESSION_ID => RetryClass::Session,
        "REQUEST_LIMIT_EXCEEDED" if error.message.contains("TotalRequests") => RetryClass::Limit,
        // The concurrent long-request limit clears in seconds to minutes (`salesforce-api.md` §6.5).
        "REQUEST_LIMIT_EXCEEDED" if error.message.contains("Concurrent") => RetryClass::Transient,
        "REQUEST_LIMIT_EXCEEDED" => RetryClass::Limit,
        code if TRANSIENT_CODES.contains(&code) => RetryClass::Transient,
        _ => RetryClass::Park,
    }
}

/// The class of a response that carries no error code.
fn status_class(status: u16) -> RetryClass {
    match status {
        401 => RetryClass::Session,
        408 | 429 | 500..=599 => RetryClass::Transient,
        _ => RetryClass::Park,
    }
}

impl fmt::Display for RetryClass {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Transient => "transient",
            Self::Session => "session",
            Self::Limit => "limit",
            Self::Park => "park",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> SalesforceError {
        SalesforceError::from_response(status, Some("application/json;charset=UTF-8"), body.as_bytes())
    }

    #[test]
    fn a_rest_error_array_keeps_code_message_and_fields() {
        let error = parse(
            400,
            r#"[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]"#,
        );
        assert_eq!(error.errors()[0].code, "REQUIRED_FIELD_MISSING");
        assert_eq!(error.errors()[0].fields, ["LastName"]);
        assert_eq!(error.retry_class(), RetryClass::Park);
        assert_eq!(
            error.to_string(),
            "Salesforce answered 400: REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] [LastName]"
        );
    }

    #[test]
    fn save_result_errors_use_status_code() {
        let error =
            parse(400, r#"[{"statusCode":"DUPLICATE_VALUE","message":"Already a campaign member.","fields":[]}]"#);
        assert!(error.has_code("DUPLICATE_VALUE"));
        assert!(error.is_already_campaign_member());
    }

    #[test]
    fn duplicate_rule_matches_are_read_under_either_spelling() {
        // The payload of `salesforce-api.md` §7.2, with Salesforce's misspelled key and with the correct one.
        let body = r#"[{"duplicateResut":{"allowSave":false,"duplicateRule":"Standard_Lead_Duplicate_Rule",
            "duplicateRuleEntityType":"Lead","errorMessage":"Use one of these records?",
            "matchResults":[{"entityType":"Lead","errors":[],"matchEngine":"FuzzyMatchEngine",
              "matchRecords":[{"additionalInformation":[],"fieldDiffs":[],"matchConfidence":100.0,
                "record":{"attributes":{"type":"Lead","url":"/services/data/v54.0/sobjects/Lead/00Q5g00000AbCdEAAV"},
                          "Id":"00Q5g00000AbCdEAAV"}}],
              "rule":"Standard_Lead_Match_Rule_v1_0","size":1,"success":true},
             {"entityType":"Contact","matchRecords":[{"record":{"Id":"0035g00000XyZabAAB"}}]}]},
          "errorCode":"DUPLICATES_DETECTED","message":"Use one of these records?"}]"#;
        for body in [body.to_owned(), body.replace("duplicateResut", "duplicateResult")] {
            let error = parse(400, &body);
            assert_eq!(
                error.duplicate_matches(),
                [
                    ("Lead".to_owned(), "00Q5g00000AbCdEAAV".to_owned()),
                    ("Contact".to_owned(), "0035g00000XyZabAAB".to_owned())
                ]
            );
            assert_eq!(
                error.errors()[0].duplicates.as_ref().unwrap().rule.as_deref(),
                Some("Standard_Lead_Duplicate_Rule")
            );
            assert_eq!(error.retry_class(), RetryClass::Park);
        }
    }

    #[test]
    fn sessions_are_refreshed_unless_refreshing_cannot_help() {
        let expired = parse(401, r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#);
        assert_eq!(expired.retry_class(), RetryClass::Session);
        assert!(!expired.needs_relink());
        let policy = parse(
            401,
            r#"[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]"#,
        );
        assert_eq!(policy.retry_class(), RetryClass::Park);
        assert!(policy.needs_relink());
        let refused = parse(400, r#"{"error":"invalid_grant","error_description":"expired access/refresh token"}"#);
        assert_eq!(
            refused,
            SalesforceError::OAuth {
                status: 400,
                error: "invalid_grant".to_owned(),
                description: Some("expired access/refresh token".to_owned())
            }
        );
        assert!(refused.needs_relink());
        assert_eq!(refused.retry_class(), RetryClass::Park);
    }

    #[test]
    fn limits_pause_but_the_concurrent_limit_only_backs_off() {
        let daily = parse(403, r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#);
        assert_eq!(daily.retry_class(), RetryClass::Limit);
        let concurrent = parse(
            403,
            r#"[{"message":"ConcurrentPerOrgLongTxn Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        assert_eq!(concurrent.retry_class(), RetryClass::Transient);
    }

    #[test]
    fn transient_failures_are_retried() {
        let locked = parse(
            400,
            r#"[{"message":"unable to obtain exclusive access to this record or 1 records: 001xx","errorCode":"UNABLE_TO_LOCK_ROW","fields":[]}]"#,
        );
        assert_eq!(locked.retry_class(), RetryClass::Transient);
        let unavailable = parse(503, r#"[{"message":"Server unavailable","errorCode":"SERVER_UNAVAILABLE"}]"#);
        assert_eq!(unavailable.retry_class(), RetryClass::Transient);
        let timeout = SalesforceError::Transport { timeout: true, message: "timed out".to_owned() };
        assert_eq!(timeout.retry_class(), RetryClass::Transient);
    }

    #[test]
    fn html_pages_are_kept_as_an_excerpt_and_classified_by_status() {
        let page = b"<html>\n<head><title>Maintenance</title></head><body>  Down for   maintenance</body></html>";
        let error = SalesforceError::from_response(503, Some("text/html"), page);
        let SalesforceError::NotJson { content_type, excerpt, .. } = &error else { panic!("{error:?}") };
        assert_eq!(content_type, "HTML");
        assert!(excerpt.contains("Down for maintenance"), "{excerpt}");
        assert_eq!(error.retry_class(), RetryClass::Transient);
        assert_eq!(SalesforceError::from_response(404, None, b"<html>no org</html>").retry_class(), RetryClass::Park);
    }

    #[test]
    fn an_upsert_matching_several_records_lists_them() {
        let error = parse(
            300,
            r#"["/services/data/v62.0/sobjects/Task/00T000000000001AAA","/services/data/v62.0/sobjects/Task/00T000000000002AAA"]"#,
        );
        assert_eq!(
            error,
            SalesforceError::MultipleChoices {
                records: vec![
                    "/services/data/v62.0/sobjects/Task/00T000000000001AAA".to_owned(),
                    "/services/data/v62.0/sobjects/Task/00T000000000002AAA".to_owned()
                ]
            }
        );
        assert_eq!(error.retry_class(), RetryClass::Park);
    }

    #[test]
    fn permanent_codes_park_and_one_permanent_error_parks_the_lot() {
        for code in [
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "INVALID_FIELD",
            "INVALID_CROSS_REFERENCE_KEY",
            "CANNOT_UPDATE_CONVERTED_LEAD",
            "STRING_TOO_LONG",
            "ENTITY_IS_DELETED",
            "NOT_FOUND",
        ] {
            let error = parse(400, &format!(r#"[{{"message":"m","errorCode":"{code}"}}]"#));
            assert_eq!(error.retry_class(), RetryClass::Park, "{code}");
        }
        let mixed = parse(
            400,
            r#"[{"message":"a","errorCode":"UNABLE_TO_LOCK_ROW"},{"message":"b","errorCode":"INVALID_FIELD"}]"#,
        );
        assert_eq!(mixed.retry_class(), RetryClass::Park);
        let halted = parse(
            400,
            r#"[{"errorCode":"PROCESSING_HALTED","message":"The transaction was rolled back since another operation in the same transaction failed."}]"#,
        );
        assert_eq!(halted.retry_class(), RetryClass::Park, "a halted subrequest alone says nothing more hopeful");
    }
}
