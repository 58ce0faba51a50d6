//! The Telephony Integration REST API client (Salesforce Voice with Partner Telephony): creates and updates
//! `VoiceCall` records as the telephony vendor, under `https://{MyDomain}.my.salesforce-scrt.com/telephony/v1`.
//!
//! Every request carries a fresh RS256 JWT (`jsonwebtoken`) signed with the account's private key, whose
//! certificate the administrator put on the contact center: `iss` the linked org's id, `sub` the contact center's
//! API name, `iat` now, `exp` [`TOKEN_LIFETIME`] later, and a new random `jti`, so that Salesforce's replay check
//! never refuses a retry of a request whose answer was lost.
//!
//! Exactly once: [`TelephonyClient::create_voice_call`] sends callpop's call id as the `vendorCallKey`, and
//! Salesforce answers a repeated key with the existing call's id instead of creating a second one. So a create whose
//! answer was lost is simply sent again. As with [`SalesforceClient`](super::SalesforceClient), this client sends
//! what it is asked and reports what happened; it does not retry or wait. Its `reqwest` client carries the sync
//! engine's timeouts and follows no redirects, and each failure is a [`SalesforceError`] whose
//! [`RetryClass`](super::RetryClass) tells the caller what to do: a lost answer is `Transient` (send it again), a
//! refused token (401 `INVALID_JWT`: most often a certificate regenerated in callpop but not yet uploaded to the
//! contact center, see [`SalesforceError::is_refused_telephony_token`]) parks until an administrator acts.

use super::error::SalesforceError;
use chrono::{DateTime, SecondsFormat, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

/// How long each token lives: long enough for one request and its timeout, far below Salesforce's 24 hours.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// How a voice call began (the API creates only these two: "Outbound calls aren't supported").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InitiationMethod {
    Inbound,
    Transfer,
}

/// One participant of a new voice call (`participantKey`: the caller's number for the customer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub participant_key: String,
    /// `END_USER` for the customer, as Salesforce's demo connector sends it.
    #[serde(rename = "type")]
    pub kind: String,
}

impl Participant {
    /// The customer on the line, keyed by their number.
    pub fn caller(number: &str) -> Self {
        Self { participant_key: number.to_owned(), kind: "END_USER".to_owned() }
    }
}

/// The body of `POST /voiceCalls`, without `callCenterApiName` (the client adds its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewVoiceCall {
    /// callpop's call id: a retried create with the same key answers the same voice call.
    pub vendor_call_key: String,
    pub from: String,
    pub to: String,
    pub initiation_method: InitiationMethod,
    #[serde(serialize_with = "iso_time")]
    pub start_time: DateTime<Utc>,
    pub participants: Vec<Participant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_voice_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_origin: Option<String>,
}

/// The body of `PATCH /voiceCalls/{id}`: only the fields that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceCallUpdate {
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_iso_time")]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_iso_time")]
    pub end_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_iso_time")]
    pub accept_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_iso_time")]
    pub enqueue_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_number: Option<String>,
    /// Seconds on hold, all holds together. A recording field: Salesforce wants `recording_location` with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_hold_duration: Option<i64>,
    /// Where the call's recording is; required with any recording field (`total_hold_duration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_hold_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_holds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_origin: Option<String>,
    /// More VoiceCall fields (custom ones, such as `Callpop_Disposition__c`), as a string holding a JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_attributes: Option<String>,
    /// `false` (Salesforce's default) completes the call; `true` keeps it in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active_call: Option<bool>,
}

/// Salesforce's ISO 8601 form, in UTC with milliseconds.
fn iso_time<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn optional_iso_time<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => iso_time(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// Who the client signs as: the org, the contact center and the private key.
pub struct TelephonyIdentity {
    /// The linked org's id (the token's `iss`).
    pub org_id: String,
    /// The contact center's API name (the token's `sub` and the body's `callCenterApiName`).
    pub contact_center_api_name: String,
    /// The PKCS#8 PEM RSA private key.
    pub private_key_pem: String,
}

impl fmt::Debug for TelephonyIdentity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TelephonyIdentity")
            .field("org_id", &self.org_id)
            .field("contact_center_api_name", &self.contact_center_api_name)
            .field("private_key_pem", &"<redacted>")
            .finish()
    }
}

/// A Telephony Integration client for one account's contact center.
pub struct TelephonyClient {
    http: reqwest::Client,
    base_url: String,
    org_id: String,
    contact_center_api_name: String,
    key: EncodingKey,
}

impl fmt::Debug for TelephonyClient {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TelephonyClient")
            .field("base_url", &self.base_url)
            .field("org_id", &self.org_id)
            .field("contact_center_api_name", &self.contact_center_api_name)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The claims of one request's token.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

impl TelephonyClient {
    /// A client on `http` (configure its timeouts there, and no redirects) for the API at `base_url`
    /// (`…/telephony/v1`). Fails when the private key is not an RSA PEM key.
    pub fn new(http: reqwest::Client, base_url: &str, identity: TelephonyIdentity) -> Result<Self, SalesforceError> {
        let key = EncodingKey::from_rsa_pem(identity.private_key_pem.as_bytes())
            .map_err(|error| SalesforceError::Decode(format!("the Telephony Integration private key: {error}")))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            org_id: identity.org_id,
            contact_center_api_name: identity.contact_center_api_name,
            key,
        })
    }

    /// A fresh token for one request.
    fn token(&self, now: DateTime<Utc>) -> Result<String, SalesforceError> {
        let lifetime = i64::try_from(TOKEN_LIFETIME.as_secs()).unwrap_or(300);
        let claims = Claims {
            iss: &self.org_id,
            sub: &self.contact_center_api_name,
            iat: now.timestamp(),
            exp: now.timestamp() + lifetime,
            jti: hex::encode(rand::random::<[u8; 16]>()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|error| SalesforceError::Decode(format!("signing the Telephony Integration token: {error}")))
    }

    /// Sends one request to `path` (from `/voiceCalls`) and returns the JSON answer (`Null` when empty).
    async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Value, SalesforceError> {
        let token = self.token(Utc::now())?;
        let response = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .header("Telephony-Provider-Name", "callpop")
            .json(body)
            .send()
            .await
            .map_err(|error| SalesforceError::transport(&error))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let location = response.headers().get("location").and_then(|value| value.to_str().ok());
            let location = location.unwrap_or("an address it did not name").to_owned();
            return Err(SalesforceError::Redirect { status, location });
        }
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let bytes = response.bytes().await.map_err(|error| SalesforceError::transport(&error))?;
        if !(200..300).contains(&status) {
            return Err(SalesforceError::from_response(status, content_type.as_deref(), &bytes));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|error| SalesforceError::Decode(error.to_string()))
    }

    /// Creates the voice call (or, for a `vendorCallKey` Salesforce already has, finds it); returns its id.
    pub async fn create_voice_call(&self, call: &NewVoiceCall) -> Result<String, SalesforceError> {
        let mut body = serde_json::to_value(call).map_err(|error| SalesforceError::Decode(error.to_string()))?;
        body["callCenterApiName"] = json!(self.contact_center_api_name);
        let answer = self.send(Method::POST, "/voiceCalls", &body).await?;
        answer.get("voiceCallId").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
            SalesforceError::Decode(format!("a voice call create answered without a voiceCallId: {answer}"))
        })
    }

    /// Updates the voice call `voice_call_id` (a voiceCallId, or the vendor call key). Salesforce applies it
    /// asynchronously and answers `{"status": "pending"}`.
    pub async fn update_voice_call(
        &self,
        voice_call_id: &str,
        update: &VoiceCallUpdate,
    ) -> Result<(), SalesforceError> {
        let body = serde_json::to_value(update).map_err(|error| SalesforceError::Decode(error.to_string()))?;
        let path = format!("/voiceCalls/{}", super::composite::path_segment(voice_call_id));
        self.send(Method::PATCH, &path, &body).await.map(|_| ())
    }
}

/// Checks a Telephony Integration base URL as the admin typed it: absolute HTTPS, or plain HTTP on loopback (the
/// local org), with no credentials, query or fragment in it. Returns it without a trailing slash; the error is a
/// sentence naming the problem.
pub fn check_base_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|_| format!("{raw:?} is not an absolute URL"))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let allowed = match parsed.scheme() {
        "https" => parsed.host_str().is_some_and(|host| !host.is_empty()),
        "http" => loopback,
        _ => false,
    };
    if !allowed {
        return Err(format!(
            "{raw:?}: the Telephony Integration URL must be https://… (in production \
             https://<My Domain>.my.salesforce-scrt.com/telephony/v1); http:// is accepted only on loopback"
        ));
    }
    let has_user_info = !parsed.username().is_empty() || parsed.password().is_some();
    if has_user_info || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{raw:?}: the Telephony Integration URL takes no user, query or fragment"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_except_on_loopback() {
        for (raw, kept) in [
            ("https://acme.my.salesforce-scrt.com/telephony/v1/", "https://acme.my.salesforce-scrt.com/telephony/v1"),
            ("http://127.0.0.1:8081/telephony/v1", "http://127.0.0.1:8081/telephony/v1"),
            // The shapes the OpenAPI document's pattern allows at its edges (a bare label, hyphens, dots in paths).
            ("https://-a-", "https://-a-"),
            ("https://0.x/./~", "https://0.x/./~"),
            ("http://localhost:9/", "http://localhost:9"),
        ] {
            assert_eq!(check_base_url(raw).as_deref(), Ok(kept));
        }
        for refused in [
            "http://acme.my.salesforce-scrt.com/telephony/v1",
            "ftp://acme.example",
            "acme.my.salesforce-scrt.com",
            "https://user:pw@acme.my.salesforce-scrt.com/telephony/v1",
            "https://acme.my.salesforce-scrt.com/telephony/v1?x=1",
        ] {
            assert!(check_base_url(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn update_bodies_carry_only_the_fields_set_in_salesforce_time_format() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T19:20:45Z").unwrap().with_timezone(&Utc);
        let update = VoiceCallUpdate { end_time: Some(at), is_active_call: Some(false), ..VoiceCallUpdate::default() };
        assert_eq!(
            serde_json::to_value(update).unwrap(),
            json!({"endTime": "2026-12-07T19:20:45.000Z", "isActiveCall": false})
        );
    }
}
