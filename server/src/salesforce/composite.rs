//! `/composite` requests (`salesforce-api.md` §4.1): up to 25 dependent subrequests in one round trip, later ones
//! referring to earlier results with `@{ref.field}`, all committed or none (`allOrNone`). Hand-written: the
//! builder checks Salesforce's rules before sending (count, reference ids), and the results are correlated by
//! `referenceId`, where a rolled-back subrequest reports `PROCESSING_HALTED` and the real cause sits elsewhere.

use super::error::{SalesforceError, parse_error_list};
use super::record::UpsertOutcome;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

/// The most subrequests one composite request may hold.
pub const MAX_SUBREQUESTS: usize = 25;

/// Characters left as they are in a URL path segment (RFC 3986 unreserved).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes one path segment (an id or external id value).
pub fn path_segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// Why a subrequest cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompositeBuildError {
    #[error("a composite request holds at most {MAX_SUBREQUESTS} subrequests")]
    TooMany,
    #[error("{0:?} is not a reference id: letters, digits and _, starting with a letter or digit")]
    BadReferenceId(String),
    #[error("the reference id {0:?} is used twice")]
    DuplicateReferenceId(String),
}

/// A subrequest's result, to refer to in later subrequests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    /// `@{ref.field}`: a field of the referenced result, e.g. `@{newLead.id}`.
    pub fn field(&self, field: &str) -> String {
        format!("@{{{}.{field}}}", self.0)
    }

    /// `@{ref.id}`: the id of the record the subrequest created.
    pub fn id(&self) -> String {
        self.field("id")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A composite request being built.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeRequest {
    api_version: String,
    all_or_none: bool,
    subrequests: Vec<Value>,
    reference_ids: Vec<String>,
}

impl CompositeRequest {
    /// An empty request for API version `api_version` (e.g. `62.0`).
    pub fn new(api_version: &str, all_or_none: bool) -> Self {
        Self { api_version: api_version.to_owned(), all_or_none, subrequests: Vec::new(), reference_ids: Vec::new() }
    }

    fn base(&self) -> String {
        format!("/services/data/v{}", self.api_version)
    }

    fn push(
        &mut self,
        reference_id: &str,
        method: &str,
        url: &str,
        body: Option<Map<String, Value>>,
    ) -> Result<Reference, CompositeBuildError> {
        if self.subrequests.len() >= MAX_SUBREQUESTS {
            return Err(CompositeBuildError::TooMany);
        }
        let valid = reference_id.chars().next().is_some_and(|first| first.is_ascii_alphanumeric())
            && reference_id.chars().all(|character| character.is_ascii_alphanumeric() || character == '_');
        if !valid {
            return Err(CompositeBuildError::BadReferenceId(reference_id.to_owned()));
        }
        if self.reference_ids.iter().any(|existing| existing == reference_id) {
            return Err(CompositeBuildError::DuplicateReferenceId(reference_id.to_owned()));
        }
        let mut subrequest = json!({"method": method, "url": url, "referenceId": reference_id});
        if let Some(body) = body {
            subrequest["body"] = Value::Object(body);
        }
        self.subrequests.push(subrequest);
        self.reference_ids.push(reference_id.to_owned());
        Ok(Reference(reference_id.to_owned()))
    }

    /// Creates a record (`POST /sobjects/{object}`).
    pub fn create(
        &mut self,
        reference_id: &str,
        object: &str,
        fields: Map<String, Value>,
    ) -> Result<Reference, CompositeBuildError> {
        let url = format!("{}/sobjects/{}", self.base(), path_segment(object));
        self.push(reference_id, "POST", &url, Some(fields))
    }

    /// Upserts a record by an external id (`PATCH /sobjects/{object}/{field}/{value}`).
    pub fn upsert(
        &mut self,
        reference_id: &str,
        object: &str,
        external_id_field: &str,
        external_id: &str,
        fields: Map<String, Value>,
    ) -> Result<Reference, CompositeBuildError> {
        let url = format!(
            "{}/sobjects/{}/{}/{}",
            self.base(),
            path_segment(object),
            path_segment(external_id_field),
            path_segment(external_id)
        );
        self.push(reference_id, "PATCH", &url, Some(fields))
    }

    /// Updates a record by id (`PATCH /sobjects/{object}/{id}`); the id may be a reference such as `@{lead.id}`.
    pub fn update(
        &mut self,
        reference_id: &str,
        object: &str,
        id: &str,
        fields: Map<String, Value>,
    ) -> Result<Reference, CompositeBuildError> {
        let id = if id.starts_with("@{") { id.to_owned() } else { path_segment(id) };
        let url = format!("{}/sobjects/{}/{id}", self.base(), path_segment(object));
        self.push(reference_id, "PATCH", &url, Some(fields))
    }

    /// Runs a SOQL query (`GET /query?q=…`); its records are `@{ref.records[0].Id}` and so on.
    pub fn query(&mut self, reference_id: &str, soql: &str) -> Result<Reference, CompositeBuildError> {
        let url = format!("{}/query/?q={}", self.base(), utf8_percent_encode(soql, PATH_SEGMENT));
        self.push(reference_id, "GET", &url, None)
    }

    /// Appends another request's subrequests (which refer only to each other), when they fit: at most
    /// `MAX_SUBREQUESTS` in all, and no reference id used twice.
    pub fn append(&mut self, other: &CompositeRequest) -> Result<(), CompositeBuildError> {
        if self.subrequests.len() + other.subrequests.len() > MAX_SUBREQUESTS {
            return Err(CompositeBuildError::TooMany);
        }
        if let Some(taken) = other.reference_ids.iter().find(|id| self.reference_ids.contains(id)) {
            return Err(CompositeBuildError::DuplicateReferenceId(taken.clone()));
        }
        self.subrequests.extend(other.subrequests.iter().cloned());
        self.reference_ids.extend(other.reference_ids.iter().cloned());
        Ok(())
    }

    /// How many subrequests the request holds.
    pub fn len(&self) -> usize {
        self.subrequests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subrequests.is_empty()
    }

    /// The request body. `collateSubrequests` is false: subrequests run in the order given.
    pub fn to_json(&self) -> Value {
        json!({"allOrNone": self.all_or_none, "collateSubrequests": false, "compositeRequest": self.subrequests})
    }
}

/// One subrequest's result.
#[derive(Debug, Clone, PartialEq)]
pub struct SubResult {
    pub reference_id: String,
    pub status: u16,
    pub body: Value,
    /// The `Location` header of a created record.
    pub location: Option<String>,
}

impl SubResult {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The id in the body (creates and upserts).
    pub fn id(&self) -> Option<&str> {
        self.body.get("id").and_then(Value::as_str)
    }

    /// The failure, when the subrequest failed.
    pub fn error(&self) -> Option<SalesforceError> {
        if self.is_success() {
            return None;
        }
        if self.status == 300 {
            return Some(SalesforceError::from_response(
                300,
                Some("application/json"),
                self.body.to_string().as_bytes(),
            ));
        }
        let errors = parse_error_list(&self.body).unwrap_or_default();
        Some(SalesforceError::Api { status: self.status, errors })
    }

    /// Whether the subrequest failed only because another one did (`PROCESSING_HALTED`).
    pub fn halted(&self) -> bool {
        self.error().is_some_and(|error| {
            !error.errors().is_empty() && error.errors().iter().all(|item| item.code == "PROCESSING_HALTED")
        })
    }

    /// What an upsert subrequest did.
    pub fn upsert_outcome(&self) -> Option<UpsertOutcome> {
        let id = self.id().map(str::to_owned);
        match self.status {
            201 => Some(UpsertOutcome::Created { id: id? }),
            200 | 204 => Some(UpsertOutcome::Updated { id }),
            _ => None,
        }
    }
}

/// The results of a composite request, by reference id.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeResults {
    pub results: Vec<SubResult>,
}

impl CompositeResults {
    /// Reads `{"compositeResponse": [...]}`.
    pub fn parse(body: &Value) -> Result<Self, SalesforceError> {
        let items = body
            .get("compositeResponse")
            .and_then(Value::as_array)
            .ok_or_else(|| SalesforceError::Decode("a composite response without compositeResponse".to_owned()))?;
        let results = items
            .iter()
            .map(|item| {
                let reference_id = item.get("referenceId").and_then(Value::as_str).unwrap_or_default().to_owned();
                let status = item.get("httpStatusCode").and_then(Value::as_u64).unwrap_or(0);
                SubResult {
                    reference_id,
                    status: u16::try_from(status).unwrap_or(0),
                    body: item.get("body").cloned().unwrap_or(Value::Null),
                    location: item.pointer("/httpHeaders/Location").and_then(Value::as_str).map(str::to_owned),
                }
            })
            .collect();
        Ok(Self { results })
    }

    /// The result of one subrequest.
    pub fn get(&self, reference: &Reference) -> Option<&SubResult> {
        self.results.iter().find(|result| result.reference_id == reference.as_str())
    }

    /// Whether every subrequest succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.results.iter().all(SubResult::is_success)
    }

    /// The failure that matters: the first one that is not `PROCESSING_HALTED` (the cause of a rollback), else the
    /// first halted one. With its reference id.
    pub fn root_failure(&self) -> Option<(&str, SalesforceError)> {
        let failed = || self.results.iter().filter(|result| !result.is_success());
        failed()
            .find(|result| !result.halted())
            .or_else(|| failed().next())
            .and_then(|result| result.error().map(|error| (result.reference_id.as_str(), error)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::record::fields;

    #[test]
    fn a_new_caller_is_one_request_with_references() {
        // The create branch of `salesforce-api.md` §4.4.
        let mut request = CompositeRequest::new("62.0", true);
        let lead = request
            .create("newLead", "Lead", fields(json!({"LastName": "Unknown Caller", "Company": "[not provided]"})))
            .unwrap();
        request
            .upsert("task", "Task", "Call_Id__c", "CA:1/2", fields(json!({"WhoId": lead.id(), "TaskSubtype": "Call"})))
            .unwrap();
        let body = request.to_json();
        assert_eq!(body["allOrNone"], true);
        assert_eq!(body["collateSubrequests"], false);
        assert_eq!(body["compositeRequest"][0]["url"], "/services/data/v62.0/sobjects/Lead");
        assert_eq!(body["compositeRequest"][1]["method"], "PATCH");
        assert_eq!(body["compositeRequest"][1]["url"], "/services/data/v62.0/sobjects/Task/Call_Id__c/CA%3A1%2F2");
        assert_eq!(body["compositeRequest"][1]["body"]["WhoId"], "@{newLead.id}");
    }

    #[test]
    fn salesforces_limits_on_subrequests_are_enforced_before_sending() {
        let mut request = CompositeRequest::new("62.0", false);
        assert_eq!(
            request.query("_bad", "SELECT Id FROM Lead"),
            Err(CompositeBuildError::BadReferenceId("_bad".to_owned()))
        );
        assert_eq!(request.query("has-dash", "x"), Err(CompositeBuildError::BadReferenceId("has-dash".to_owned())));
        request.query("q", "SELECT Id FROM Campaign WHERE Name = 'A B'").unwrap();
        assert_eq!(request.query("q", "x"), Err(CompositeBuildError::DuplicateReferenceId("q".to_owned())));
        for index in 1..MAX_SUBREQUESTS {
            request.query(&format!("q{index}"), "SELECT Id FROM Lead").unwrap();
        }
        assert_eq!(request.len(), MAX_SUBREQUESTS);
        assert_eq!(request.query("one_more", "x"), Err(CompositeBuildError::TooMany));
        assert_eq!(
            request.to_json()["compositeRequest"][0]["url"],
            "/services/data/v62.0/query/?q=SELECT%20Id%20FROM%20Campaign%20WHERE%20Name%20%3D%20%27A%20B%27"
        );
    }

    #[test]
    fn a_rollback_is_traced_to_the_subrequest_that_caused_it() {
        // Shapes from `salesforce-api.md` §4.1 (allOrNone true: the others report PROCESSING_HALTED).
        let body = json!({"compositeResponse": [
            {"body": [{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back since another operation in the same transaction failed."}],
             "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "newLead"},
            {"body": [{"message": "Required fields are missing: [Status]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Status"]}],
             "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "task"}
        ]});
        let results = CompositeResults::parse(&body).unwrap();
        assert!(!results.all_succeeded());
        let (reference, error) = results.root_failure().unwrap();
        assert_eq!(reference, "task");
        assert!(error.has_code("REQUIRED_FIELD_MISSING"));
        assert!(results.get(&Reference("newLead".to_owned())).unwrap().halted());
    }

    #[test]
    fn successes_give_ids_and_upsert_outcomes() {
        let body = json!({"compositeResponse": [
            {"body": {"id": "00Q000000000001AAA", "success": true, "errors": []},
             "httpHeaders": {"Location": "/services/data/v62.0/sobjects/Lead/00Q000000000001AAA"},
             "httpStatusCode": 201, "referenceId": "newLead"},
            {"body": {"id": "00T000000000001AAA", "success": true, "errors": [], "created": false},
             "httpHeaders": {}, "httpStatusCode": 200, "referenceId": "task"},
            {"body": null, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "old"}
        ]});
        let results = CompositeResults::parse(&body).unwrap();
        assert!(results.all_succeeded());
        assert_eq!(results.root_failure(), None);
        let lead = &results.results[0];
        assert_eq!(lead.upsert_outcome(), Some(UpsertOutcome::Created { id: "00Q000000000001AAA".to_owned() }));
        assert_eq!(lead.location.as_deref(), Some("/services/data/v62.0/sobjects/Lead/00Q000000000001AAA"));
        assert_eq!(
            results.results[1].upsert_outcome(),
            Some(UpsertOutcome::Updated { id: Some("00T000000000001AAA".to_owned()) })
        );
        assert_eq!(results.results[2].upsert_outcome(), Some(UpsertOutcome::Updated { id: None }));
    }
}
