//! Failure injection and the request journal, for every request to `/services/…` (OAuth and REST), `/id/…` and
//! `/telephony/…` (the Telephony Integration REST API).
//!
//! A fault rule matches a method (or any) and a path pattern (`*` within a segment, `**` across segments, e.g.
//! `/services/data/*/composite`), lets `after` matching requests through, then fires `times` times (or for ever),
//! on every matching request or, with `rate`, on each with that probability (for soak runs: a steady rate with no
//! pattern a client's retries could fall into step with).
//! What it does is a [`FaultAction`]: a canned Salesforce failure, added latency, a hang, or **commit-then-drop**,
//! which runs the request for real and then breaks the HTTP exchange, so the write is in the org while the client
//! sees a transport error (the lost-response hazard of salesforce-api.md §6.6), and **slow commit**, which runs the
//! request after a delay even when the client gave up waiting (a write that lands after the client's timeout).
//!
//! The journal keeps every request's method, path, query, headers, body and answer status, so tests can assert
//! "exactly N requests to /composite" (`Sandbox::request_count`, `GET /__control/requests`).

use crate::Org;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a fault does to the request it catches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// 503 `[{"errorCode": "SERVER_UNAVAILABLE", …}]`.
    ServiceUnavailable,
    /// 500 with a `text/html` page, as when the org is down for maintenance.
    HtmlError,
    /// 400 `UNABLE_TO_LOCK_ROW` (status unverified in the reference). With `times(k)`: fails k attempts.
    UnableToLockRow,
    /// 401 "This session is not valid for use with the REST API": an `INVALID_SESSION_ID` a refresh does not fix.
    SessionNotValidForRest,
    /// Waits, then handles the request normally.
    Latency { ms: u64 },
    /// Answers nothing for `ms` (a client timeout test), then handles the request normally.
    Hang { ms: u64 },
    /// Handles the request (writes commit), then aborts the connection instead of answering.
    CommitThenDrop,
    /// Waits `ms`, then handles the request even if the client has given up meanwhile: a write that commits after
    /// the client's timeout (Salesforce keeps running a request whose caller went away).
    SlowCommit { ms: u64 },
    /// A redirect (`status` 301, 302, 307 or 308) to `location`, as a proxy in front of the org or a hostile host could
    /// answer: a client that followed it would carry its bearer token to `location`.
    Redirect { status: u16, location: String },
    /// Any answer: status, content type (JSON when left out) and body text.
    Respond {
        status: u16,
        #[serde(default)]
        content_type: Option<String>,
        body: String,
    },
}

impl FaultAction {
    fn name(&self) -> &'static str {
        match self {
            Self::ServiceUnavailable => "service_unavailable",
            Self::HtmlError => "html_error",
            Self::UnableToLockRow => "unable_to_lock_row",
            Self::SessionNotValidForRest => "session_not_valid_for_rest",
            Self::Latency { .. } => "latency",
            Self::Hang { .. } => "hang",
            Self::CommitThenDrop => "commit_then_drop",
            Self::SlowCommit { .. } => "slow_commit",
            Self::Redirect { .. } => "redirect",
            Self::Respond { .. } => "respond",
        }
    }
}

/// A failure-injection rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// `GET`, `POST`, …; any method when `None`.
    #[serde(default)]
    pub method: Option<String>,
    /// A path pattern: `*` matches within one segment, `**` across segments.
    pub path: String,
    /// How many matching requests pass untouched before the rule fires (fire on the 3rd: `after: 2`).
    #[serde(default)]
    pub after: u32,
    /// How many times the rule fires; every time when `None`.
    #[serde(default)]
    pub times: Option<u32>,
    /// The probability, from 0 to 1, that the rule fires on a matching request (after `after`); 1 when `None`.
    #[serde(default)]
    pub rate: Option<f64>,
    pub action: FaultAction,
}

impl Fault {
    /// A rule for `method` requests to `path`, firing every time.
    pub fn on(method: &str, path: &str, action: FaultAction) -> Self {
        Self { method: Some(method.to_owned()), path: path.to_owned(), after: 0, times: None, rate: None, action }
    }

    /// A rule for requests of any method to `path`.
    pub fn any_method(path: &str, action: FaultAction) -> Self {
        Self { method: None, path: path.to_owned(), after: 0, times: None, rate: None, action }
    }

    /// Fires only `times` times.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Fires on each matching request with probability `rate` (0 to 1) only.
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = Some(rate.clamp(0.0, 1.0));
        self
    }

    /// Lets `requests` matching requests through first.
    pub fn after(mut self, requests: u32) -> Self {
        self.after = requests;
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
    }
}

/// Whether `path` matches `pattern`: `*` matches any run of characters but `/`, `**` any run at all.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_prefix("**") {
        Some(rest) => {
            (0..=path.len()).filter(|at| path.is_char_boundary(*at)).any(|at| path_matches(rest, &path[at..]))
        }
        None => match pattern.strip_prefix('*') {
            Some(rest) => {
                let segment_end = path.find('/').unwrap_or(path.len());
                (0..=segment_end).filter(|at| path.is_char_boundary(*at)).any(|at| path_matches(rest, &path[at..]))
            }
            None => match (pattern.chars().next(), path.chars().next()) {
                (None, None) => true,
                (Some(wanted), Some(found)) if wanted == found => {
                    path_matches(&pattern[wanted.len_utf8()..], &path[found.len_utf8()..])
                }
                _ => false,
            },
        },
    }
}

/// One request as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// 1 for the first request the org saw.
    pub seq: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The answer's status; `None` while the request is still running (or hanging).
    pub status: Option<u16>,
    /// The fault that caught the request, by kind (`commit_then_drop`, …).
    pub fault: Option<String>,
}

#[derive(Debug, Clone)]
struct FaultRule {
    id: u64,
    fault: Fault,
    matched: u32,
    fired: u32,
}

/// The fault rules and the journal.
#[derive(Debug, Clone, Default)]
pub struct FaultPlane {
    rules: Vec<FaultRule>,
    next_rule_id: u64,
    journal: Vec<JournalEntry>,
}

impl FaultPlane {
    /// Adds a rule; returns its id.
    pub fn add(&mut self, fault: Fault) -> u64 {
        self.next_rule_id += 1;
        self.rules.push(FaultRule { id: self.next_rule_id, fault, matched: 0, fired: 0 });
        self.next_rule_id
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|rule| rule.id != id);
        self.rules.len() != before
    }

    pub fn clear_rules(&mut self) {
        self.rules.clear();
    }

    /// The rules with their ids and how often each matched and fired.
    pub fn rules(&self) -> Vec<Value> {
        self.rules
            .iter()
            .map(|rule| json!({"id": rule.id, "fault": rule.fault, "matched": rule.matched, "fired": rule.fired}))
            .collect()
    }

    /// The action of the first rule that fires for this request, counting it.
    fn take(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        for rule in self.rules.iter_mut().filter(|rule| rule.fault.matches(method, path)) {
            rule.matched += 1;
            let due = rule.matched > rule.fault.after
                && rule.fault.times.is_none_or(|times| rule.fired < times)
                && rule.fault.rate.is_none_or(|rate| rand::random::<f64>() < rate);
            if due {
                rule.fired += 1;
                return Some(rule.fault.action.clone());
            }
        }
        None
    }

    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    pub fn clear_journal(&mut self) {
        self.journal.clear();
    }

    /// Journaled requests with this method (any when `None`) whose path matches `path_pattern`.
    pub fn count(&self, method: Option<&str>, path_pattern: &str) -> usize {
        self.journal
            .iter()
            .filter(|entry| method.is_none_or(|method| method.eq_ignore_ascii_case(&entry.method)))
            .filter(|entry| path_matches(path_pattern, &entry.path))
            .count()
    }

    /// Requests per `"METHOD /path"`.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for entry in &self.journal {
            *counts.entry(format!("{} {}", entry.method, entry.path)).or_insert(0) += 1;
        }
        counts
    }

    fn record(&mut self, mut entry: JournalEntry) -> u64 {
        entry.seq = self.journal.last().map_or(1, |last| last.seq + 1);
        let seq = entry.seq;
        self.journal.push(entry);
        seq
    }

    fn finish(&mut self, seq: u64, status: u16) {
        if let Some(entry) = self.journal.iter_mut().rev().find(|entry| entry.seq == seq) {
            entry.status = Some(status);
        }
    }

    fn name_fault(&mut self, seq: u64, fault: Option<&FaultAction>) {
        if let Some(entry) = self.journal.iter_mut().rev().find(|entry| entry.seq == seq) {
            entry.fault = fault.map(|fault| fault.name().to_owned());
        }
    }
}

/// The largest request body the org reads (Salesforce's own REST limit is far above what tests send).
const BODY_LIMIT: usize = 50 * 1024 * 1024;

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!([{"message": message, "errorCode": code}]).to_string();
    (status, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body).into_response()
}

/// The answer of a canned fault, or `None` for the actions that let the request run.
fn canned(action: &FaultAction, path: &str) -> Option<Response> {
    match action {
        FaultAction::ServiceUnavailable => Some(json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_UNAVAILABLE",
            "Server temporarily unavailable, please try again later.",
        )),
        FaultAction::HtmlError => Some(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html;charset=UTF-8")],
                "<html><head><title>An internal server error has occurred</title></head><body><h1>An internal \
                 server error has occurred</h1><p>An error has occurred while processing your request.</p></body></html>",
            )
                .into_response(),
        ),
        FaultAction::UnableToLockRow => {
            let record = path.rsplit('/').next().filter(|last| matches!(last.len(), 15 | 18)).unwrap_or("1 records");
            let message = format!("unable to obtain exclusive access to this record or {record}");
            Some(json_error(StatusCode::BAD_REQUEST, "UNABLE_TO_LOCK_ROW", &message))
        }
        FaultAction::SessionNotValidForRest => {
            let mut response = json_error(
                StatusCode::UNAUTHORIZED,
                "INVALID_SESSION_ID",
                "This session is not valid for use with the REST API",
            );
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Token"));
            Some(response)
        }
        FaultAction::Redirect { status, location } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
            Some((status, [(header::LOCATION, location.clone())]).into_response())
        }
        FaultAction::Respond { status, content_type, body } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let content_type = content_type.clone().unwrap_or_else(|| "application/json;charset=UTF-8".to_owned());
            Some((status, [(header::CONTENT_TYPE, content_type)], body.clone()).into_response())
        }
        FaultAction::Latency { .. }
        | FaultAction::Hang { .. }
        | FaultAction::CommitThenDrop
        | FaultAction::SlowCommit { .. } => None,
    }
}

/// Turns a finished response into one whose body fails before its first byte, so hyper aborts the connection and
/// the client sees a transport error although the request's writes are committed.
fn dropped(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    // A 204 has no body for hyper to fail on, so the exchange is given one to fail.
    if parts.status == StatusCode::NO_CONTENT {
        parts.status = StatusCode::OK;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let broken = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "commit-then-drop"))
    });
    Response::from_parts(parts, Body::from_stream(broken))
}

/// The middleware: journals the request, applies the first fault rule that fires, and runs the request.
pub(crate) async fn intercept(State(org): State<Org>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let entry = JournalEntry {
        seq: 0,
        at: crate::org::salesforce_datetime(Utc::now()),
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status: None,
        fault: None,
    };
    let (seq, action) = {
        let mut state = org.lock();
        let seq = state.faults.record(entry);
        let action = state.faults.take(&method, &path);
        // Named at once: a request whose client went away is never finished.
        state.faults.name_fault(seq, action.as_ref());
        (seq, action)
    };
    let response = match &action {
        Some(action) => match canned(action, &path) {
            Some(response) => response,
            None => {
                if let FaultAction::Latency { ms } | FaultAction::Hang { ms } = action {
                    tokio::time::sleep(Duration::from_millis(*ms)).await;
                }
                let request = Request::from_parts(parts, Body::from(body));
                match action {
                    // Detached, so the write still lands when the client drops the connection and this future with it.
                    FaultAction::SlowCommit { ms } => {
                        let ms = *ms;
                        let work = tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            next.run(request).await
                        });
                        work.await.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
                    }
                    _ => next.run(request).await,
                }
            }
        },
        None => next.run(Request::from_parts(parts, Body::from(body))).await,
    };
    org.lock().faults.finish(seq, response.status().as_u16());
    match action {
        Some(FaultAction::CommitThenDrop) => dropped(response),
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns_match_within_and_across_segments() {
        assert!(path_matches("/services/data/*/composite", "/services/data/v62.0/composite"));
        assert!(!path_matches("/services/data/*/composite", "/services/data/v62.0/composite/sobjects"));
        assert!(path_matches("/services/data/**", "/services/data/v62.0/composite/sobjects"));
        assert!(path_matches(
            "/services/data/*/sobjects/Task/*/*",
            "/services/data/v62.0/sobjects/Task/Call_Id__c/abc"
        ));
        assert!(!path_matches("/services/data/*/query", "/services/data/v62.0/queryAll"));
    }

    #[test]
    fn rules_let_requests_through_then_fire_a_number_of_times() {
        let mut plane = FaultPlane::default();
        plane.add(Fault::on("POST", "/x", FaultAction::ServiceUnavailable).after(1).times(2));
        let fired: Vec<bool> = (0..5).map(|_| plane.take("POST", "/x").is_some()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(plane.take("GET", "/x").is_none());
    }

    #[test]
    fn a_rule_with_a_rate_fires_on_about_that_share_of_requests() {
        let mut plane = FaultPlane::default();
        plane.add(Fault::on("POST", "/x", FaultAction::ServiceUnavailable).rate(0.2));
        let fired = (0..10_000).filter(|_| plane.take("POST", "/x").is_some()).count();
        assert!((1_700..2_300).contains(&fired), "{fired} of 10,000");
        let mut never = FaultPlane::default();
        never.add(Fault::on("POST", "/x", FaultAction::ServiceUnavailable).rate(0.0));
        assert!((0..100).all(|_| never.take("POST", "/x").is_none()));
    }
}
