//! Salesforce's error shapes, in one place.
//!
//! The REST API answers errors with a JSON array of `{"message", "errorCode", "fields"}`. Inside a SaveResult (sObject
//! Collections, or a collection inside a composite request) the same error is keyed `statusCode` instead of
//! `errorCode` (salesforce-api.md §2.6). Duplicate-rule errors carry a `duplicateResut` object, misspelled as real
//! orgs send it (§7.2), unless the org is switched to the correct spelling.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The key under which a duplicate-rule error carries its detail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DuplicateResultKey {
    /// `duplicateResut`, the misspelling real REST responses carry.
    #[default]
    #[serde(rename = "duplicateResut")]
    Misspelled,
    /// `duplicateResult`, as some API versions reportedly spell it.
    #[serde(rename = "duplicateResult")]
    Correct,
}

impl DuplicateResultKey {
    pub fn key(self) -> &'static str {
        match self {
            Self::Misspelled => "duplicateResut",
            Self::Correct => "duplicateResult",
        }
    }
}

/// One error as Salesforce reports it, with the HTTP status it comes with when it is the whole answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// `None` when Salesforce leaves the `fields` key out.
    pub fields: Option<Vec<String>>,
    /// The duplicate rule's detail (§7.2), for `DUPLICATES_DETECTED`.
    pub duplicate_result: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: None, duplicate_result: None }
    }

    /// A 400 with this code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn with_fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "The requested resource does not exist")
    }

    /// 404 for a record in the recycle bin.
    pub fn entity_is_deleted() -> Self {
        Self::new(StatusCode::NOT_FOUND, "ENTITY_IS_DELETED", "entity is deleted").with_fields(Vec::<String>::new())
    }

    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::bad_request("INVALID_FIELD", message)
    }

    pub fn no_such_column(field: &str, object: &str) -> Self {
        Self::invalid_field(format!("No such column '{field}' on sobject of type {object}"))
    }

    pub fn required_fields_missing(fields: &[String]) -> Self {
        Self::bad_request("REQUIRED_FIELD_MISSING", format!("Required fields are missing: [{}]", fields.join(", ")))
            .with_fields(fields.iter().cloned())
    }

    pub fn json_parser(message: impl Into<String>) -> Self {
        Self::bad_request("JSON_PARSER_ERROR", message)
    }

    pub fn invalid_session() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID", "Session expired or invalid")
    }

    pub fn request_limit_exceeded() -> Self {
        Self::new(StatusCode::FORBIDDEN, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    }

    pub fn malformed_query(message: impl Into<String>) -> Self {
        Self::bad_request("MALFORMED_QUERY", message)
    }

    /// `MALFORMED_SEARCH` for bad SOSL. The code is what the reference expects; no source shows it (unverified).
    pub fn malformed_search(message: impl Into<String>) -> Self {
        Self::bad_request("MALFORMED_SEARCH", message)
    }

    pub fn invalid_type(object: &str) -> Self {
        Self::bad_request("INVALID_TYPE", format!("sObject type '{object}' is not supported."))
    }

    /// The REST form: `{"message", "errorCode", "fields"}`, plus the duplicate detail when there is one.
    pub fn to_rest(&self, duplicate_key: DuplicateResultKey) -> Value {
        let mut body = Map::new();
        if let Some(detail) = &self.duplicate_result {
            body.insert(duplicate_key.key().to_owned(), detail.clone());
        }
        body.insert("errorCode".to_owned(), json!(self.code));
        body.insert("message".to_owned(), json!(self.message));
        if let Some(fields) = &self.fields {
            body.insert("fields".to_owned(), json!(fields));
        }
        Value::Object(body)
    }

    /// The SaveResult form: `{"statusCode", "message", "fields"}`, with no duplicate detail (§7.2).
    pub fn to_save_result(&self) -> Value {
        json!({"statusCode": self.code, "message": self.message, "fields": self.fields.clone().unwrap_or_default()})
    }
}

/// The REST body for a list of errors: a JSON array.
pub fn rest_errors(errors: &[ApiError], duplicate_key: DuplicateResultKey) -> Value {
    Value::Array(errors.iter().map(|error| error.to_rest(duplicate_key)).collect())
}

/// A failed SaveResult: `{"success": false, "errors": [...]}`.
pub fn failed_save_result(errors: &[ApiError]) -> Value {
    json!({"success": false, "errors": errors.iter().map(ApiError::to_save_result).collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_errors_use_error_code_and_save_results_use_status_code() {
        let error = ApiError::required_fields_missing(&["LastName".to_owned()]);
        assert_eq!(
            error.to_rest(DuplicateResultKey::Misspelled),
            json!({"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]})
        );
        assert_eq!(
            error.to_save_result(),
            json!({"message": "Required fields are missing: [LastName]", "statusCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]})
        );
    }

    #[test]
    fn the_duplicate_detail_key_is_misspelled_unless_switched() {
        let mut error = ApiError::bad_request("DUPLICATES_DETECTED", "Use one of these records?");
        error.duplicate_result = Some(json!({"allowSave": false}));
        assert!(error.to_rest(DuplicateResultKey::Misspelled).get("duplicateResut").is_some());
        assert!(error.to_rest(DuplicateResultKey::Correct).get("duplicateResult").is_some());
        assert!(error.to_save_result().get("duplicateResut").is_none());
    }
}
