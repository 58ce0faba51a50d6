//! Wire-format tests of the REST client and the OAuth flow, over real HTTP on loopback.
//!
//! STUB, NOT AN EMULATOR: the server below answers each request with a canned, Salesforce-shaped response copied
//! from `salesforce-api.md` (the section is named next to each) and records what it received. It checks that the
//! client sends what Salesforce expects and reads what Salesforce answers; it models no org. Behaviour against a
//! stateful org belongs to the sandbox's REST emulator.

use super::client::{SalesforceClient, Session};
use super::composite::CompositeRequest;
use super::error::{RetryClass, SalesforceError};
use super::limits::ApiUsage;
use super::oauth::{LoginUrl, OAuthSettings, SalesforceOAuth};
use super::record::{SaveOutcome, UpsertOutcome, fields};
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the stub received.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: String,
    authorization: String,
    body: String,
}

type Journal = Arc<Mutex<Vec<Seen>>>;

const V: &str = "/services/data/v62.0";

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert("sforce-limit-info", "api-usage=18/15000".parse().unwrap());
    response
}

fn salesforce_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!([{"message": message, "errorCode": code, "fields": []}]))
}

fn form_value(body: &str, name: &str) -> Option<String> {
    url_decode_pairs(body).into_iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

fn url_decode_pairs(text: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn token_body(instance_url: &str, refresh_token: Option<&str>) -> Value {
    // The real response quoted in `salesforce-api.md` §1.2 (no `expires_in`).
    let mut body = json!({"access_token": "00D7F0000001I8v!ARgAQ.access", "signature": "FzsgawxKkt67Wpcf=",
        "scope": "refresh_token api full", "instance_url": instance_url,
        "id": "https://login.salesforce.com/id/00D7F0000001I8vUAE/0057F000000XXXXQAA", "token_type": "Bearer",
        "issued_at": "1508000000000"});
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    body
}

async fn stub(State(journal): State<Journal>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = String::from_utf8_lossy(&to_bytes(body, 1 << 20).await.unwrap_or_default()).into_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let authorization =
        parts.headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    journal.lock().unwrap().push(Seen {
        method: parts.method.clone(),
        path: path.clone(),
        query,
        authorization,
        body: body.clone(),
    });
    let rest = path.strip_prefix(V).unwrap_or(&path);
    match (parts.method, rest) {
        // §3.1: the search response, current shape.
        (Method::GET, "/search/") => json_response(
            StatusCode::OK,
            json!({"searchRecords": [
            {"attributes": {"type": "Lead", "url": "/services/data/v62.0/sobjects/Lead/00Q000000000001AAA"},
             "Id": "00Q000000000001AAA", "Name": "Ann Lee", "Phone": "(415) 555-1212", "IsConverted": false}]}),
        ),
        // §2.1: create, and a required field missing.
        (Method::POST, "/sobjects/Lead/") => {
            json_response(StatusCode::CREATED, json!({"id": "00Q000000000009AAA", "errors": [], "success": true}))
        }
        (Method::POST, "/sobjects/Contact/") => json_response(
            StatusCode::BAD_REQUEST,
            json!([{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}]),
        ),
        // §2.4: upsert by external id, each documented answer.
        (Method::PATCH, "/sobjects/Task/Call_Id__c/new") => json_response(
            StatusCode::CREATED,
            json!({"id": "00T000000000001AAA", "errors": [], "success": true, "created": true}),
        ),
        (Method::PATCH, "/sobjects/Task/Call_Id__c/again") => json_response(
            StatusCode::OK,
            json!({"id": "00T000000000001AAA", "errors": [], "success": true, "created": false}),
        ),
        (Method::PATCH, "/sobjects/Task/Call_Id__c/old") => StatusCode::NO_CONTENT.into_response(),
        (Method::PATCH, "/sobjects/Task/Call_Id__c/twice") => json_response(
            StatusCode::MULTIPLE_CHOICES,
            json!([
                "/services/data/v62.0/sobjects/Task/00T000000000001AAA",
                "/services/data/v62.0/sobjects/Task/00T000000000002AAA"
            ]),
        ),
        // §2.2, §2.5: update and delete answer 204 with no body.
        (Method::PATCH | Method::DELETE, "/sobjects/Lead/00Q000000000009AAA") => StatusCode::NO_CONTENT.into_response(),
        // §1.6: an expired session.
        (Method::GET, "/sobjects/Lead/00Q000000000009AAA") => {
            let mut response =
                salesforce_error(StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID", "Session expired or invalid");
            response.headers_mut().insert(header::WWW_AUTHENTICATE, "Token".parse().unwrap());
            response
        }
        // §0: a maintenance page in HTML.
        (Method::GET, "/sobjects/Account/001000000000001AAA") => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>Down for maintenance</body></html>",
        )
            .into_response(),
        (Method::GET, "/sobjects/Account/001000000000002AAA") => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            StatusCode::OK.into_response()
        }
        // §3.3: a query in two pages.
        (Method::GET, "/query/") => json_response(
            StatusCode::OK,
            json!({"totalSize": 2, "done": false,
            "nextRecordsUrl": "/services/data/v62.0/query/01gD0000002HU6KIAW-1",
            "records": [{"attributes": {"type": "Campaign"}, "Id": "701000000000001AAA", "Name": "Spring"}]}),
        ),
        (Method::GET, "/query/01gD0000002HU6KIAW-1") => json_response(
            StatusCode::OK,
            json!({"totalSize": 2, "done": true,
            "records": [{"attributes": {"type": "Campaign"}, "Id": "701000000000002AAA", "Name": "Spring"}]}),
        ),
        // §4.1: composite, answered per referenceId.
        (Method::POST, "/composite") => {
            let request: Value = serde_json::from_str(&body).unwrap_or_default();
            let results: Vec<Value> = request["compositeRequest"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(index, sub)| {
                    json!({"body": {"id": format!("00Q00000000000{index}AAA"), "success": true, "errors": []},
                       "httpHeaders": {}, "httpStatusCode": 201, "referenceId": sub["referenceId"]})
                })
                .collect();
            json_response(StatusCode::OK, json!({"compositeResponse": results}))
        }
        // §4.3: a collection with one success and one SaveResult failure.
        (Method::POST, "/composite/sobjects") => json_response(
            StatusCode::OK,
            json!([
            {"id": "00T000000000003AAA", "success": true, "errors": []},
            {"success": false, "errors": [{"statusCode": "DUPLICATE_VALUE", "message": "Already a campaign member.", "fields": []}]}]),
        ),
        // §1.2, §1.3, §1.5: the OAuth endpoints.
        (Method::POST, "/services/oauth2/token") => oauth_token(&body),
        (Method::POST, "/services/oauth2/revoke") if form_value(&body, "token").as_deref() == Some("bogus") => {
            json_response(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_token", "error_description": "invalid token"}),
            )
        }
        (Method::POST, "/services/oauth2/revoke") => StatusCode::OK.into_response(),
        _ => salesforce_error(StatusCode::NOT_FOUND, "NOT_FOUND", "The requested resource does not exist"),
    }
}

fn oauth_token(body: &str) -> Response {
    let invalid_grant = |description: &str| {
        json_response(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant", "error_description": description}))
    };
    match (form_value(body, "grant_type").as_deref(), form_value(body, "code"), form_value(body, "refresh_token")) {
        (Some("authorization_code"), Some(code), _) if code == "good" => {
            json_response(StatusCode::OK, token_body("https://acme.my.salesforce.com", Some("5Aep8613hy0.refresh")))
        }
        (Some("authorization_code"), _, _) => invalid_grant("authentication failure"),
        (Some("refresh_token"), _, Some(token)) if token == "down" => {
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html")], "<html>maintenance</html>")
                .into_response()
        }
        (Some("refresh_token"), _, Some(token)) if token == "5Aep8613hy0.refresh" => {
            json_response(StatusCode::OK, token_body("https://acme2.my.salesforce.com/", None))
        }
        _ => invalid_grant("expired access/refresh token"),
    }
}

async fn start_stub() -> (String, Journal) {
    let journal: Journal = Arc::default();
    let app = axum::Router::new().fallback(stub).with_state(journal.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, journal)
}

async fn client() -> (SalesforceClient, Journal) {
    let (base, journal) = start_stub().await;
    let http = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    (SalesforceClient::new(http, Session { instance_url: base, access_token: "00Dtoken".into() }), journal)
}

fn last(journal: &Journal) -> Seen {
    journal.lock().unwrap().last().cloned().unwrap()
}

#[tokio::test]
async fn a_search_sends_the_sosl_encoded_and_reads_the_hits_and_the_usage() {
    let (client, journal) = client().await;
    let sosl = "FIND {4155551212 OR 14155551212} IN PHONE FIELDS RETURNING Lead(Id, Phone)";
    let records = client.search(sosl).await.unwrap();
    assert_eq!(records[0].id.as_deref(), Some("00Q000000000001AAA"));
    let seen = last(&journal);
    assert_eq!(seen.path, format!("{V}/search/"));
    assert_eq!(url_decode_pairs(&seen.query), [("q".to_owned(), sosl.to_owned())]);
    assert!(!seen.query.contains('{'), "braces are percent-encoded: {}", seen.query);
    assert_eq!(seen.authorization, "Bearer 00Dtoken");
    assert_eq!(client.api_usage(), Some(ApiUsage { used: 18, max: 15000 }));
    assert_eq!(client.request_count(), 1);
}

#[tokio::test]
async fn records_are_created_updated_and_deleted() {
    let (client, journal) = client().await;
    let lead = fields(json!({"LastName": "Unknown Caller", "Company": "[not provided]"}));
    assert_eq!(client.create("Lead", &lead).await.unwrap(), "00Q000000000009AAA");
    assert_eq!(serde_json::from_str::<Value>(&last(&journal).body).unwrap(), Value::Object(lead));
    client.update("Lead", "00Q000000000009AAA", &fields(json!({"Status": "Working"}))).await.unwrap();
    assert_eq!(last(&journal).method, Method::PATCH);
    client.delete("Lead", "00Q000000000009AAA").await.unwrap();
    let error = client.create("Contact", &Map::new()).await.unwrap_err();
    assert!(error.has_code("REQUIRED_FIELD_MISSING"));
    assert_eq!(error.retry_class(), RetryClass::Park);
    assert_eq!(client.request_count(), 4);
}

#[tokio::test]
async fn an_upsert_accepts_each_documented_answer() {
    let (client, _) = client().await;
    let task = fields(json!({"Subject": "Inbound call"}));
    let upsert = |value: &'static str| {
        let client = &client;
        let task = &task;
        async move { client.upsert("Task", "Call_Id__c", value, task).await }
    };
    assert_eq!(upsert("new").await.unwrap(), UpsertOutcome::Created { id: "00T000000000001AAA".to_owned() });
    assert_eq!(upsert("again").await.unwrap(), UpsertOutcome::Updated { id: Some("00T000000000001AAA".to_owned()) });
    assert_eq!(upsert("old").await.unwrap(), UpsertOutcome::Updated { id: None });
    let error = upsert("twice").await.unwrap_err();
    assert!(matches!(&error, SalesforceError::MultipleChoices { records } if records.len() == 2), "{error:?}");
    assert_eq!(error.retry_class(), RetryClass::Park);
}

#[tokio::test]
async fn failures_are_classified_from_what_arrives() {
    let (client, _) = client().await;
    let expired = client.get("Lead", "00Q000000000009AAA", &["Id"]).await.unwrap_err();
    assert_eq!(expired.retry_class(), RetryClass::Session);
    let maintenance = client.get("Account", "001000000000001AAA", &[]).await.unwrap_err();
    assert!(matches!(&maintenance, SalesforceError::NotJson { status: 503, .. }), "{maintenance:?}");
    assert_eq!(maintenance.retry_class(), RetryClass::Transient);
    let slow = client.get("Account", "001000000000002AAA", &[]).await.unwrap_err();
    assert!(matches!(slow, SalesforceError::Transport { timeout: true, .. }), "{slow:?}");
    assert_eq!(slow.retry_class(), RetryClass::Transient);
}

#[tokio::test]
async fn a_query_follows_next_records_url() {
    let (client, journal) = client().await;
    let records = client.query("SELECT Id, Name FROM Campaign WHERE Name = 'Spring'").await.unwrap();
    let ids: Vec<_> = records.iter().filter_map(|record| record.id.as_deref()).collect();
    assert_eq!(ids, ["701000000000001AAA", "701000000000002AAA"]);
    assert_eq!(last(&journal).path, format!("{V}/query/01gD0000002HU6KIAW-1"));
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn a_composite_is_one_request_correlated_by_reference() {
    let (client, journal) = client().await;
    let mut request = CompositeRequest::new(client.api_version(), true);
    let lead = request.create("newLead", "Lead", fields(json!({"LastName": "Unknown Caller"}))).unwrap();
    let task = request.upsert("task", "Task", "Call_Id__c", "CA-1", fields(json!({"WhoId": lead.id()}))).unwrap();
    let results = client.composite(&request).await.unwrap();
    assert!(results.all_succeeded());
    assert_eq!(results.get(&task).and_then(|result| result.id()), Some("00Q000000000001AAA"));
    let sent: Value = serde_json::from_str(&last(&journal).body).unwrap();
    assert_eq!(sent["compositeRequest"][1]["body"]["WhoId"], "@{newLead.id}");
    assert_eq!(client.request_count(), 1);
}

#[tokio::test]
async fn a_collection_gives_one_outcome_per_record() {
    let (client, journal) = client().await;
    let records =
        [("Task", fields(json!({"Subject": "x"}))), ("CampaignMember", fields(json!({"Status": "Responded"})))];
    let outcomes = client.create_collection(&records, false).await.unwrap();
    assert_eq!(outcomes[0], SaveOutcome::Saved { id: "00T000000000003AAA".to_owned() });
    assert!(matches!(&outcomes[1], SaveOutcome::Failed(error) if error.is_already_campaign_member()));
    let sent: Value = serde_json::from_str(&last(&journal).body).unwrap();
    assert_eq!(sent["records"][1]["attributes"]["type"], "CampaignMember");
    assert_eq!(sent["allOrNone"], false);
}

async fn oauth() -> (SalesforceOAuth, Journal) {
    let (base, journal) = start_stub().await;
    let settings = OAuthSettings {
        login_url: LoginUrl::parse(&base).unwrap(),
        client_id: "3MVG9client".to_owned(),
        client_secret: "s3cret".into(),
        redirect_url: "https://callpop.example/api/v1/salesforce/callback".to_owned(),
    };
    (SalesforceOAuth::new(&settings, reqwest::Client::new()).unwrap(), journal)
}

#[tokio::test]
async fn the_code_exchange_sends_the_verifier_and_captures_salesforces_fields() {
    let (oauth, journal) = oauth().await;
    let start = oauth.authorize();
    let token = oauth.exchange_code("good", &start.pkce_verifier).await.unwrap();
    assert_eq!(token.instance_url, "https://acme.my.salesforce.com");
    assert_eq!(token.refresh_token.as_ref().map(ExposeSecret::expose_secret), Some("5Aep8613hy0.refresh"));
    assert_eq!(token.issued_at_ms, Some(1_508_000_000_000));
    assert_eq!(token.signature.as_deref(), Some("FzsgawxKkt67Wpcf="));
    assert_eq!(token.scopes, ["refresh_token", "api", "full"]);
    let sent = last(&journal);
    assert_eq!(sent.path, "/services/oauth2/token");
    for (name, value) in [
        ("grant_type", "authorization_code"),
        ("code", "good"),
        ("code_verifier", start.pkce_verifier.as_str()),
        ("client_id", "3MVG9client"),
        ("client_secret", "s3cret"),
        ("redirect_uri", "https://callpop.example/api/v1/salesforce/callback"),
    ] {
        assert_eq!(form_value(&sent.body, name).as_deref(), Some(value), "{name}");
    }
    assert_eq!(sent.authorization, "", "credentials go in the body, not a Basic header");
    let refused = oauth.exchange_code("stale", &start.pkce_verifier).await.unwrap_err();
    assert_eq!(refused.to_string(), "Salesforce login answered 400: invalid_grant (authentication failure)");
}

#[tokio::test]
async fn a_refresh_keeps_working_without_a_new_refresh_token_and_reports_refusals() {
    let (oauth, journal) = oauth().await;
    let token = oauth.refresh("5Aep8613hy0.refresh").await.unwrap();
    assert!(token.refresh_token.is_none());
    assert_eq!(token.instance_url, "https://acme2.my.salesforce.com", "a refresh can move the org");
    let revoked = oauth.refresh("revoked").await.unwrap_err();
    assert!(revoked.needs_relink());
    assert_eq!(revoked.retry_class(), RetryClass::Park);
    let down = oauth.refresh("down").await.unwrap_err();
    assert_eq!(down.retry_class(), RetryClass::Transient);
    oauth.revoke("5Aep8613hy0.refresh").await.unwrap();
    let sent = last(&journal);
    assert_eq!(
        (sent.path.as_str(), form_value(&sent.body, "token").as_deref()),
        ("/services/oauth2/revoke", Some("5Aep8613hy0.refresh"))
    );
    let refused = oauth.revoke("bogus").await.unwrap_err();
    assert!(matches!(&refused, SalesforceError::OAuth { error, .. } if error == "invalid_token"), "{refused:?}");
    assert_eq!(oauth.request_count(), 5);
}
