//! `SalesforceClient`: the REST requests the sync engine makes, each one counted, each response's
//! `Sforce-Limit-Info` recorded, and every failure parsed into a [`SalesforceError`] with its retry class.
//!
//! The client sends what it is asked and reports what happened; it does not retry, refresh or wait. The sync
//! engine does that from the error's [`RetryClass`](super::RetryClass), replacing the session after a refresh
//! with [`SalesforceClient::set_session`].

use super::composite::{CompositeRequest, CompositeResults, path_segment};
use super::error::SalesforceError;
use super::limits::ApiUsage;
use super::record::{Record, SaveOutcome, UpsertOutcome, parse_save_result};
use super::search::parse_search_response;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

/// The API version callpop pins (Spring '25 era; composite, upsert `created` and `searchRecords` all exist).
pub const API_VERSION: &str = "62.0";

/// The most pages one query follows through `nextRecordsUrl` (2,000 records a page by default).
pub const MAX_QUERY_PAGES: usize = 50;

/// The org a client talks to and the token it uses (a secret: `Debug` shows it redacted).
#[derive(Debug, Clone)]
pub struct Session {
    /// `instance_url` from the token response, e.g. `https://acme.my.salesforce.com`.
    pub instance_url: String,
    pub access_token: SecretString,
}

/// A REST client for one org.
#[derive(Debug)]
pub struct SalesforceClient {
    http: reqwest::Client,
    api_version: String,
    session: RwLock<Session>,
    requests: AtomicU64,
    usage: Mutex<Option<ApiUsage>>,
}

impl SalesforceClient {
    /// A client on `http` (configure its timeouts there) for `session`, at [`API_VERSION`].
    pub fn new(http: reqwest::Client, session: Session) -> Self {
        Self {
            http,
            api_version: API_VERSION.to_owned(),
            session: RwLock::new(session),
            requests: AtomicU64::new(0),
            usage: Mutex::new(None),
        }
    }

    /// The same client at another API version, e.g. `58.0`.
    pub fn with_api_version(mut self, api_version: &str) -> Self {
        api_version.clone_into(&mut self.api_version);
        self
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// Replaces the token (and the instance URL, which a refresh may change).
    pub fn set_session(&self, session: Session) {
        *self.session.write().unwrap_or_else(PoisonError::into_inner) = session;
    }

    /// How many REST requests this client has sent (a composite counts once, as it does for Salesforce's limit).
    /// The sync engine reads it before and after logging a call.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The org's API usage from the latest response that reported it.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        *self.usage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn data_path(&self, rest: &str) -> String {
        format!("/services/data/v{}/{rest}", self.api_version)
    }

    /// Sends one request to `path` (from `/services/...`); returns the status and the JSON body (`Null` when empty).
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), SalesforceError> {
        let session = self.session.read().unwrap_or_else(PoisonError::into_inner).clone();
        let mut request = self
            .http
            .request(method, format!("{}{path}", session.instance_url.trim_end_matches('/')))
            .bearer_auth(session.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(|error| SalesforceError::transport(&error))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
        if let Some(usage) = header(ApiUsage::HEADER).as_deref().and_then(ApiUsage::parse) {
            *self.usage.lock().unwrap_or_else(PoisonError::into_inner) = Some(usage);
        }
        if (301..400).contains(&status) {
            // 300 is an upsert's several matches (below); any other 3xx is a redirect, which this client never follows.
            let location = header("location").unwrap_or_else(|| "an address it did not name".to_owned());
            return Err(SalesforceError::Redirect { status, location });
        }
        let content_type = header("content-type");
        let bytes = response.bytes().await.map_err(|error| SalesforceError::transport(&error))?;
        if !(200..300).contains(&status) {
            return Err(SalesforceError::from_response(status, content_type.as_deref(), &bytes));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok((status, Value::Null));
        }
        let value = serde_json::from_slice(&bytes).map_err(|error| SalesforceError::Decode(error.to_string()))?;
        Ok((status, value))
    }

    /// Runs a SOSL search (`GET /search/?q=`); reqwest URL-encodes the query.
    pub async fn search(&self, sosl: &str) -> Result<Vec<Record>, SalesforceError> {
        let (_, body) = self.send(Method::GET, &self.data_path("search/"), &[("q", sosl)], None).await?;
        parse_search_response(body)
    }

    /// Creates a record; returns its id.
    pub async fn create(&self, object: &str, fields: &Map<String, Value>) -> Result<String, SalesforceError> {
        let path = self.data_path(&format!("sobjects/{}/", path_segment(object)));
        let (status, body) = self.send(Method::POST, &path, &[], Some(&Value::Object(fields.clone()))).await?;
        match parse_save_result(&body, status) {
            SaveOutcome::Saved { id } => Ok(id),
            SaveOutcome::Failed(error) => Err(error),
        }
    }

    /// Retrieves a record, with only `fields` when given.
    pub async fn get(&self, object: &str, id: &str, fields: &[&str]) -> Result<Record, SalesforceError> {
        let path = self.data_path(&format!("sobjects/{}/{}", path_segment(object), path_segment(id)));
        let joined = fields.join(",");
        let query: Vec<(&str, &str)> = if fields.is_empty() { Vec::new() } else { vec![("fields", joined.as_str())] };
        let (_, body) = self.send(Method::GET, &path, &query, None).await?;
        Record::from_value(body)
    }

    /// Updates a record's fields (204).
    pub async fn update(&self, object: &str, id: &str, fields: &Map<String, Value>) -> Result<(), SalesforceError> {
        let path = self.data_path(&format!("sobjects/{}/{}", path_segment(object), path_segment(id)));
        self.send(Method::PATCH, &path, &[], Some(&Value::Object(fields.clone()))).await.map(|_| ())
    }

    /// Deletes a record (204).
    pub async fn delete(&self, object: &str, id: &str) -> Result<(), SalesforceError> {
        let path = self.data_path(&format!("sobjects/{}/{}", path_segment(object), path_segment(id)));
        self.send(Method::DELETE, &path, &[], None).await.map(|_| ())
    }

    /// Upserts by an external id: 201 created, 200 `{"created": false}` or 204 updated; 300 when the value matches
    /// several records ([`SalesforceError::MultipleChoices`]). Leave the external id field out of `fields`.
    pub async fn upsert(
        &self,
        object: &str,
        external_id_field: &str,
        external_id: &str,
        fields: &Map<String, Value>,
    ) -> Result<UpsertOutcome, SalesforceError> {
        let path = self.data_path(&format!(
            "sobjects/{}/{}/{}",
            path_segment(object),
            path_segment(external_id_field),
            path_segment(external_id)
        ));
        let (status, body) = self.send(Method::PATCH, &path, &[], Some(&Value::Object(fields.clone()))).await?;
        let id = body.get("id").and_then(Value::as_str).map(str::to_owned);
        let created = body.get("created").and_then(Value::as_bool);
        match (status, id) {
            (201, Some(id)) => Ok(UpsertOutcome::Created { id }),
            (200, Some(id)) if created == Some(true) => Ok(UpsertOutcome::Created { id }),
            (200 | 204, id) => Ok(UpsertOutcome::Updated { id }),
            (other, _) => Err(SalesforceError::Decode(format!("an upsert answered {other} without an id"))),
        }
    }

    /// Runs a SOQL query and follows `nextRecordsUrl` until `done` (at most [`MAX_QUERY_PAGES`] pages).
    pub async fn query(&self, soql: &str) -> Result<Vec<Record>, SalesforceError> {
        let (_, mut page) = self.send(Method::GET, &self.data_path("query/"), &[("q", soql)], None).await?;
        let mut records = Vec::new();
        for _ in 0..MAX_QUERY_PAGES {
            let items = page.get_mut("records").map(Value::take).unwrap_or(Value::Null);
            let Value::Array(items) = items else {
                return Err(SalesforceError::Decode("a query response without records".to_owned()));
            };
            for item in items {
                records.push(Record::from_value(item)?);
            }
            let done = page.get("done").and_then(Value::as_bool).unwrap_or(true);
            let next = page.get("nextRecordsUrl").and_then(Value::as_str).map(str::to_owned);
            match next {
                Some(next) if !done => page = self.send(Method::GET, &next, &[], None).await?.1,
                _ => return Ok(records),
            }
        }
        Err(SalesforceError::Decode(format!("a query with more than {MAX_QUERY_PAGES} pages")))
    }

    /// An object's describe (`GET /sobjects/{object}/describe`): its fields and what each allows.
    pub async fn describe(&self, object: &str) -> Result<Value, SalesforceError> {
        let path = self.data_path(&format!("sobjects/{}/describe", crate::salesforce::composite::path_segment(object)));
        Ok(self.send(Method::GET, &path, &[], None).await?.1)
    }

    /// A Tooling API query (`GET /tooling/query/?q=`), for setup metadata such as validation rules; one page.
    pub async fn tooling_query(&self, soql: &str) -> Result<Vec<Record>, SalesforceError> {
        let (_, mut body) = self.send(Method::GET, &self.data_path("tooling/query/"), &[("q", soql)], None).await?;
        let Value::Array(items) = body.get_mut("records").map(Value::take).unwrap_or(Value::Null) else {
            return Err(SalesforceError::Decode("a tooling query response without records".to_owned()));
        };
        items.into_iter().map(Record::from_value).collect()
    }

    /// Sends a composite request; the answer is 200 even when subrequests failed, so read the results.
    pub async fn composite(&self, request: &CompositeRequest) -> Result<CompositeResults, SalesforceError> {
        let (_, body) = self.send(Method::POST, &self.data_path("composite"), &[], Some(&request.to_json())).await?;
        CompositeResults::parse(&body)
    }

    /// Creates up to 200 records of any types in one request (`/composite/sobjects`), in order; one outcome each.
    /// Not for Tasks that must not be duplicated on replay: a collection cannot upsert.
    pub async fn create_collection(
        &self,
        records: &[(&str, Map<String, Value>)],
        all_or_none: bool,
    ) -> Result<Vec<SaveOutcome>, SalesforceError> {
        let records: Vec<Value> = records
            .iter()
            .map(|(object, fields)| {
                let mut record = fields.clone();
                record.insert("attributes".to_owned(), json!({"type": object}));
                Value::Object(record)
            })
            .collect();
        let body = json!({"allOrNone": all_or_none, "records": records});
        let (status, answer) = self.send(Method::POST, &self.data_path("composite/sobjects"), &[], Some(&body)).await?;
        let Value::Array(results) = answer else {
            return Err(SalesforceError::Decode("a collection response that is not a list".to_owned()));
        };
        Ok(results.iter().map(|result| parse_save_result(result, status)).collect())
    }
}
