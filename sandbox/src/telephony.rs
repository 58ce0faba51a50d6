//! Salesforce Voice's Telephony Integration REST API, as a Partner Telephony vendor's server calls it to write
//! `VoiceCall` records, under `/telephony/v1` on the org's own base URL. In production the API lives on its own host,
//! `https://{MyDomain}.my.salesforce-scrt.com/telephony/v1`; the local org serves it next to its REST API so that one
//! origin, one request journal and one set of fault rules (`faults`) cover both.
//!
//! | endpoint | what it does |
//! |---|---|
//! | `POST /telephony/v1/voiceCalls` | creates a VoiceCall in real time, answers `{"voiceCallId": …, "errors": []}` |
//! | `PATCH /telephony/v1/voiceCalls/{CALL ID}` | updates it after the call (or creates it, for a missed call), answers `{"status": "pending"}` |
//!
//! Contact centers, each with the X.509 certificate the vendor uploaded (`reqTelephonyIntegrationCertificate` in
//! the imported definition), are set through the control API: `PUT /__control/contact-centers/{apiName}`
//! `{"certificate": "-----BEGIN CERTIFICATE-----…"}`. Each one is also a `CallCenter` row (`InternalName` = its API
//! name), which the VoiceCall's `CallCenterId` points at.
//!
//! # What comes from which public page
//! - Salesforce's Voice developer guide, "Telephony Integration REST API Authorization"
//!   (voice_rest_authorization.htm): an RS256 JWT in `Authorization: Bearer`, signed by the private key whose
//!   certificate is on the contact center; claims `iat`, `iss` (the org id), `sub` (the call center's API name),
//!   `exp` (within 24 hours), and an optional `jti` that Salesforce refuses to see twice (replay protection).
//! - "Create a Voice Call Record" (voice_rest_voicecalls_create.htm): the body (`callCenterApiName`,
//!   `vendorCallKey`, `to`, `from`, `initiationMethod` Inbound or Transfer — "Outbound calls aren't supported" —,
//!   `startTime`, `participants`, `parentVoiceCallId` required for transfers, `callOrigin`, `callSubtype`,
//!   `callAttributes` as a JSON string of more fields); the answer `{"voiceCallId", "errors": []}`; and that field
//!   errors from triggers, required fields or validation do not stop the create: Salesforce creates the record and
//!   answers `"errors": "We created your voice call but there were some errors : …"`. The API 46.0 (Summer '19, doc
//!   246.0) edition adds that a repeated `vendorCallKey` creates nothing and answers the existing record's id; the
//!   current edition adds that transfers put several VoiceCalls on one key, linked by `PreviousCallId`.
//! - "Update a Voice Call Record" (voice_rest_voicecalls_update.htm): `{CALL ID}` is the voiceCallId or the vendor's
//!   contact id; the fields (`startTime`, `endTime` — the duration is set only when both are passed —,
//!   `enqueueTime`, `acceptTime`, `fromNumber`, `totalHoldDuration`, `longestHoldDuration`, `numberOfHolds`,
//!   `queue`, `agentInteractionDuration`, `callOrigin`, `recordingLocation` (required with any recording field),
//!   `totalRecordingDuration` (defaults to agentInteractionDuration + totalHoldDuration), `callAttributes`,
//!   `isActiveCall` (false by default: the disposition becomes `completed`; true keeps it `in-progress`),
//!   `disconnectReason` `{value, isError}`); it is asynchronous and answers `{"status": "pending"}`; it also
//!   creates the voice call of a call that has none (missed or abandoned calls); the recording fields make a
//!   `VoiceCallRecording` record.
//! - The object reference's VoiceCall and VoiceCallRecording pages: field names and types (`schema`).
//! - `salesforce/demo-scv-connector`, `src/server/scrtConnector.mjs`: the vendor side as Salesforce's demo writes it
//!   (claims `iss`, `sub`, `exp` through `expiresIn`, `iat`; a `Telephony-Provider-Name` header; the bodies above).
//!
//! # Our best reading where the pages are silent
//! - The pages document no error statuses or bodies. The local org answers `{"errorCode": …, "message": …}` with:
//!   401 `INVALID_JWT` for a missing, malformed, wrongly signed or expired token, a token of another org (`iss`),
//!   for an unknown call center (`sub`), an `exp` more than 24 hours ahead or a replayed `jti`; 403
//!   `CALL_CENTER_MISMATCH` when the body's `callCenterApiName` is not the token's `sub`; 400 `MISSING_ARGUMENT`
//!   or `INVALID_ARGUMENT` naming the field; 404 `NOT_FOUND` for a voiceCallId-shaped `{CALL ID}` that names no
//!   voice call of the token's call center. Success is 200 for both operations.
//! - `aud` is not checked (the pages list no audience); `Telephony-Provider-Name` is kept in the journal but not
//!   required (the pages mark only `Authorization` and `Content-Type` required); bodies are read as JSON whatever
//!   their `Content-Type` says (the XML the pages also allow is not served); the certificate's own validity dates
//!   are not checked, only its key.
//! - A `jti` is remembered once its token verifies, even when the request is then refused for its body; a vendor
//!   that retries a lost request with a `jti` must sign a new token for the retry, as Salesforce's replay check
//!   implies.
//! - A PATCH whose `callAttributes` the org refuses still applies the other fields (the operation is asynchronous,
//!   so its caller never learns of them); `isActiveCall: false` does not zero the hold counts the same request sets.
//! - `totalHoldDuration` is stored as VoiceCall's `CustomerHoldDuration` (the object reference's "total duration of
//!   all the holds"); `agentInteractionDuration` has no VoiceCall field and only feeds the recording's duration.

use crate::dml::WriteContext;
use crate::org::salesforce_datetime;
use crate::rules::DuplicateRuleHeader;
use crate::schema::ObjectDef;
use crate::{ConfigError, Org, OrgState};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use callpop_core::record::RecordId;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

/// The longest a token may live: Salesforce wants `exp` "within 24 hours".
const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// A contact center as the customer imported it: its API name and the vendor's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactCenter {
    pub api_name: String,
    /// The PEM X.509 certificate whose key signs the vendor's tokens.
    pub certificate: String,
    /// The `CallCenter` row that stands for it.
    pub call_center_id: String,
}

/// The body of `PUT /__control/contact-centers/{apiName}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ContactCenterDefinition {
    /// The PEM X.509 certificate (`reqTelephonyIntegrationCertificate`).
    pub certificate: String,
    /// The display name; the API name when left out.
    #[serde(default)]
    pub name: Option<String>,
}

/// The Telephony Integration state of the org: contact centers by API name and the `jti`s already seen.
#[derive(Debug, Clone, Default)]
pub struct TelephonyState {
    contact_centers: BTreeMap<String, ContactCenter>,
    seen_token_ids: HashSet<String>,
}

impl TelephonyState {
    pub fn contact_centers(&self) -> impl Iterator<Item = &ContactCenter> {
        self.contact_centers.values()
    }

    pub fn contact_center(&self, api_name: &str) -> Option<&ContactCenter> {
        self.contact_centers.get(api_name)
    }
}

impl OrgState {
    /// Adds or replaces a contact center, as importing its definition does; refuses a certificate without an RSA
    /// key jsonwebtoken can verify with.
    pub fn set_contact_center(
        &mut self,
        api_name: &str,
        definition: ContactCenterDefinition,
    ) -> Result<(), ConfigError> {
        let valid_name = !api_name.is_empty()
            && api_name.chars().all(|character| character.is_ascii_alphanumeric() || character == '_');
        if !valid_name {
            return Err(ConfigError::BadContactCenter(format!(
                "a contact center's API name is letters, digits and underscores, not {api_name:?}"
            )));
        }
        DecodingKey::from_rsa_pem(definition.certificate.as_bytes()).map_err(|error| {
            ConfigError::BadContactCenter(format!(
                "the certificate is not a PEM X.509 certificate with an RSA key: {error}"
            ))
        })?;
        let name = definition.name.unwrap_or_else(|| api_name.to_owned());
        let row = json!({"Name": name, "InternalName": api_name});
        let row = row.as_object().cloned().unwrap_or_default();
        let existing = self.telephony.contact_centers.get(api_name).map(|center| center.call_center_id.clone());
        let known_row = existing.and_then(|id| RecordId::parse(&id).ok()).filter(|id| self.records.get(id).is_some());
        let call_center_id = match known_row {
            Some(id) => {
                self.records.update(&id, row, Utc::now());
                id
            }
            None => {
                let prefix =
                    self.schema.object("CallCenter").map(|object| object.key_prefix.clone()).unwrap_or_default();
                self.records.insert_as("CallCenter", &prefix, row, Utc::now())
            }
        };
        let center = ContactCenter {
            api_name: api_name.to_owned(),
            certificate: definition.certificate,
            call_center_id: call_center_id.as_str().to_owned(),
        };
        self.telephony.contact_centers.insert(api_name.to_owned(), center);
        Ok(())
    }

    /// Removes a contact center (its `CallCenter` row stays, as the voice calls point at it); true when there was one.
    pub fn remove_contact_center(&mut self, api_name: &str) -> bool {
        self.telephony.contact_centers.remove(api_name).is_some()
    }
}

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/telephony/v1/voiceCalls", post(create_voice_call))
        .route("/telephony/v1/voiceCalls/{call_id}", patch(update_voice_call))
}

/// A refusal: its status, Salesforce-style code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TelephonyError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl TelephonyError {
    fn unauthorized(message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNAUTHORIZED, code: "INVALID_JWT", message: message.into() }
    }

    fn missing(field: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "MISSING_ARGUMENT",
            message: format!("Required field is missing: {field}"),
        }
    }

    fn invalid(field: &str, detail: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "INVALID_ARGUMENT",
            message: format!("Invalid value for {field}: {detail}"),
        }
    }
}

impl IntoResponse for TelephonyError {
    fn into_response(self) -> Response {
        json_answer(self.status, &json!({"errorCode": self.code, "message": self.message}))
    }
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body.to_string()).into_response()
}

/// The claims Salesforce reads from the vendor's token.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default)]
    jti: Option<String>,
}

/// Checks the bearer token and returns the contact center it speaks for.
fn authenticate(
    state: &mut OrgState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<ContactCenter, TelephonyError> {
    let token = crate::oauth::bearer_token(headers)
        .ok_or_else(|| TelephonyError::unauthorized("Missing Authorization: Bearer <JWT> header"))?;
    let header = jsonwebtoken::decode_header(token)
        .map_err(|error| TelephonyError::unauthorized(format!("Malformed JWT: {error}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(TelephonyError::unauthorized(format!(
            "Unsupported JWT algorithm {:?}: RS256 is required",
            header.alg
        )));
    }
    // The subject picks the certificate to verify with, so it is read before the signature is checked.
    let unverified: Claims = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|error| TelephonyError::unauthorized(format!("Malformed JWT claims: {error}")))?;
    let center = state.telephony.contact_center(&unverified.sub).cloned().ok_or_else(|| {
        TelephonyError::unauthorized(format!("No contact center has the API name {}", unverified.sub))
    })?;
    let key = DecodingKey::from_rsa_pem(center.certificate.as_bytes()).map_err(|error| {
        TelephonyError::unauthorized(format!("The contact center's certificate is unusable: {error}"))
    })?;
    let org_id = state.auth.org_id.clone();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[org_id.as_str(), org_id.short()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
    validation.sub = Some(center.api_name.clone());
    validation.validate_aud = false;
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|error| TelephonyError::unauthorized(format!("Invalid JWT: {error}")))?
        .claims;
    if claims.exp - now.timestamp() > MAX_TOKEN_LIFETIME_SECS {
        return Err(TelephonyError::unauthorized("The JWT's exp must be within 24 hours"));
    }
    if let Some(jti) = claims.jti
        && !state.telephony.seen_token_ids.insert(jti.clone())
    {
        return Err(TelephonyError::unauthorized(format!("The JWT id {jti} was already used")));
    }
    Ok(center)
}

/// The body as a JSON object.
fn object_body(body: &[u8]) -> Result<Map<String, Value>, TelephonyError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(TelephonyError::invalid("the request body", "a JSON object is expected")),
        Err(error) => Err(TelephonyError::invalid("the request body", error)),
    }
}

fn text_argument<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, TelephonyError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(TelephonyError::invalid(field, "a string is expected")),
    }
}

fn required_text<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, TelephonyError> {
    text_argument(body, field)?.ok_or_else(|| TelephonyError::missing(field))
}

fn time_argument(body: &Map<String, Value>, field: &str) -> Result<Option<DateTime<Utc>>, TelephonyError> {
    text_argument(body, field)?
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| TelephonyError::invalid(field, format!("{text} is not an ISO 8601 date and time in UTC")))
        })
        .transpose()
}

fn seconds_argument(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, TelephonyError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|seconds| (0..=i64::from(i32::MAX)).contains(seconds))
            .map(Some)
            .ok_or_else(|| TelephonyError::invalid(field, "a whole number of seconds is expected")),
    }
}

/// `callAttributes`: a string holding a JSON object of more VoiceCall fields.
fn call_attributes(body: &Map<String, Value>) -> Result<Map<String, Value>, TelephonyError> {
    let Some(text) = text_argument(body, "callAttributes")? else { return Ok(Map::new()) };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(TelephonyError::invalid("callAttributes", "a string holding a JSON object is expected")),
    }
}

fn voice_call_object(state: &OrgState) -> ObjectDef {
    state.schema.object("VoiceCall").cloned().expect("the org's schema always has VoiceCall")
}

/// Who the API writes as: the org's integration user (Salesforce writes as its own platform user).
fn write_context(state: &mut OrgState, now: DateTime<Utc>) -> WriteContext {
    WriteContext {
        now,
        user: state.integration_user(),
        duplicate_header: DuplicateRuleHeader::default(),
        api_version: crate::rest::LATEST_API_VERSION.to_owned(),
    }
}

/// The voice calls of a contact center with this vendor call key, oldest first.
fn calls_with_key(state: &OrgState, center: &ContactCenter, vendor_call_key: &str) -> Vec<RecordId> {
    state
        .records
        .of("VoiceCall")
        .filter(|call| call.text("CallCenterId") == Some(center.call_center_id.as_str()))
        .filter(|call| call.text("VendorCallKey") == Some(vendor_call_key))
        .map(|call| call.id.clone())
        .collect()
}

/// `{CALL ID}` or `parentVoiceCallId`: a voiceCallId of the contact center, else the latest call with that key.
fn resolve_call(state: &OrgState, center: &ContactCenter, call_id: &str) -> Option<RecordId> {
    let by_id = RecordId::parse(call_id).ok().filter(|id| {
        state.records.get(id).is_some_and(|call| {
            call.object == "VoiceCall" && call.text("CallCenterId") == Some(center.call_center_id.as_str())
        })
    });
    by_id.or_else(|| calls_with_key(state, center, call_id).pop())
}

/// Whether `text` has the shape of a VoiceCall id (15 or 18 characters starting with the object's key prefix).
fn is_voice_call_id(state: &OrgState, text: &str) -> bool {
    let id_shaped = matches!(text.len(), 15 | 18) && text.bytes().all(|byte| byte.is_ascii_alphanumeric());
    id_shaped && text.starts_with(&voice_call_object(state).key_prefix)
}

/// Writes a new VoiceCall with `fields` plus the customer's `attributes`. As Salesforce does, errors the attributes
/// (or triggers, rules and required fields) cause do not stop the create: the record is written with the API's own
/// fields and the errors are reported as text.
fn write_new_call(
    state: &mut OrgState,
    fields: Map<String, Value>,
    attributes: Map<String, Value>,
    now: DateTime<Utc>,
) -> (RecordId, Vec<String>) {
    let object = voice_call_object(state);
    let context = write_context(state, now);
    let mut everything = fields.clone();
    everything.extend(attributes);
    match state.create_record(&object, &everything, &context) {
        Ok(id) => (id, Vec::new()),
        Err(errors) => {
            let messages = errors.iter().map(|error| error.message.clone()).collect();
            let id = match state.create_record(&object, &fields, &context) {
                Ok(id) => id,
                Err(_) => {
                    let mut raw = fields;
                    raw.insert("OwnerId".to_owned(), json!(context.user.as_str()));
                    raw.insert("IsDeleted".to_owned(), json!(false));
                    raw.insert("Name".to_owned(), json!(crate::dml::next_voice_call_name(&state.records)));
                    state.records.insert_as(&object.name, &object.key_prefix, raw, now)
                }
            };
            (id, messages)
        }
    }
}

/// The VoiceCall Salesforce makes itself for a call its Omni-Channel softphone dialled (the Telephony Integration
/// API creates only inbound and transferred calls): keyed by the vendor's call id, in the org's first contact
/// center, in progress. A second call with the same key finds the first.
pub(crate) fn dialled_voice_call(
    state: &mut OrgState,
    vendor_call_key: &str,
    to: &str,
    now: DateTime<Utc>,
) -> RecordId {
    let existing = state.records.of("VoiceCall").find(|call| call.text("VendorCallKey") == Some(vendor_call_key));
    if let Some(existing) = existing {
        return existing.id.clone();
    }
    let center = state.telephony.contact_centers().next().map(|center| center.call_center_id.clone());
    let mut fields = Map::new();
    if let Some(center) = center {
        fields.insert("CallCenterId".to_owned(), json!(center));
    }
    fields.insert("VendorCallKey".to_owned(), json!(vendor_call_key));
    fields.insert("ToPhoneNumber".to_owned(), json!(to));
    fields.insert("CallType".to_owned(), json!("Outbound"));
    fields.insert("CallSubtype".to_owned(), json!("PSTN"));
    fields.insert("CallStartDateTime".to_owned(), json!(salesforce_datetime(now)));
    fields.insert("CallDisposition".to_owned(), json!("in-progress"));
    write_new_call(state, fields, Map::new(), now).0
}

/// `POST /telephony/v1/voiceCalls`.
async fn create_voice_call(State(org): State<Org>, headers: HeaderMap, body: Bytes) -> Response {
    let mut state = org.lock();
    match create(&mut state, &headers, &body, Utc::now()) {
        Ok(answer) => json_answer(StatusCode::OK, &answer),
        Err(error) => error.into_response(),
    }
}

fn create(state: &mut OrgState, headers: &HeaderMap, body: &[u8], now: DateTime<Utc>) -> Result<Value, TelephonyError> {
    let center = authenticate(state, headers, now)?;
    let body = object_body(body)?;
    let call_center = required_text(&body, "callCenterApiName")?;
    if call_center != center.api_name {
        return Err(TelephonyError {
            status: StatusCode::FORBIDDEN,
            code: "CALL_CENTER_MISMATCH",
            message: format!(
                "callCenterApiName {call_center} is not the contact center the JWT was issued for ({})",
                center.api_name
            ),
        });
    }
    let vendor_call_key = required_text(&body, "vendorCallKey")?;
    let web_rtc = text_argument(&body, "callSubtype")?.is_some_and(|subtype| subtype.eq_ignore_ascii_case("WebRTC"));
    let subtype = if web_rtc { "WebRTC" } else { "PSTN" };
    let address = |field: &str| -> Result<String, TelephonyError> {
        match text_argument(&body, field)? {
            Some(address) => Ok(address.to_owned()),
            None if web_rtc => Ok("WEBRTC_DEFAULT".to_owned()),
            None => Err(TelephonyError::missing(field)),
        }
    };
    let (to, from) = (address("to")?, address("from")?);
    let initiation = required_text(&body, "initiationMethod")?;
    let call_type = match initiation.to_ascii_lowercase().as_str() {
        "inbound" => "Inbound",
        "transfer" => "Transfer",
        _ => return Err(TelephonyError::invalid("initiationMethod", format!("{initiation} (Inbound or Transfer)"))),
    };
    let start = time_argument(&body, "startTime")?.ok_or_else(|| TelephonyError::missing("startTime"))?;
    let participants = body.get("participants").and_then(Value::as_array).filter(|list| !list.is_empty());
    let participants = participants.ok_or_else(|| TelephonyError::missing("participants"))?;
    if participants.iter().any(|participant| participant.get("participantKey").and_then(Value::as_str).is_none()) {
        return Err(TelephonyError::invalid("participants", "each participant needs a participantKey"));
    }
    let call_origin = text_argument(&body, "callOrigin")?;
    let attributes = call_attributes(&body)?;
    let parent = match text_argument(&body, "parentVoiceCallId")? {
        Some(parent) => Some(
            resolve_call(state, &center, parent)
                .ok_or_else(|| TelephonyError::invalid("parentVoiceCallId", format!("no voice call {parent}")))?,
        ),
        None if call_type == "Transfer" => return Err(TelephonyError::missing("parentVoiceCallId")),
        None => None,
    };
    if parent.is_none()
        && let Some(existing) = calls_with_key(state, &center, vendor_call_key).first()
    {
        // A repeated vendorCallKey creates nothing: the answer names the call that has it.
        return Ok(json!({"voiceCallId": existing.as_str(), "errors": []}));
    }

    let mut fields = Map::new();
    fields.insert("CallCenterId".to_owned(), json!(center.call_center_id));
    fields.insert("VendorCallKey".to_owned(), json!(vendor_call_key));
    fields.insert("FromPhoneNumber".to_owned(), json!(from));
    fields.insert("ToPhoneNumber".to_owned(), json!(to));
    fields.insert("CallType".to_owned(), json!(call_type));
    fields.insert("CallSubtype".to_owned(), json!(subtype));
    fields.insert("CallStartDateTime".to_owned(), json!(salesforce_datetime(start)));
    fields.insert("CallDisposition".to_owned(), json!("new"));
    if let Some(origin) = call_origin {
        fields.insert("CallOrigin".to_owned(), json!(origin));
    }
    if let Some(parent) = &parent {
        fields.insert("PreviousCallId".to_owned(), json!(parent.as_str()));
    }
    let (id, errors) = write_new_call(state, fields, attributes, now);
    if let Some(parent) = parent {
        let link = json!({"NextCallId": id.as_str()}).as_object().cloned().unwrap_or_default();
        state.records.update(&parent, link, now);
    }
    let errors = if errors.is_empty() {
        json!([])
    } else {
        json!(format!("We created your voice call but there were some errors : {}", errors.join(", ")))
    };
    Ok(json!({"voiceCallId": id.as_str(), "errors": errors}))
}

/// `PATCH /telephony/v1/voiceCalls/{CALL ID}`.
async fn update_voice_call(
    State(org): State<Org>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = org.lock();
    match update(&mut state, &call_id, &headers, &body, Utc::now()) {
        Ok(()) => json_answer(StatusCode::OK, &json!({"status": "pending"})),
        Err(error) => error.into_response(),
    }
}

/// The VoiceCall fields a PATCH body sets, checked.
fn update_fields(body: &Map<String, Value>) -> Result<Map<String, Value>, TelephonyError> {
    let mut fields = Map::new();
    let start = time_argument(body, "startTime")?;
    let end = time_argument(body, "endTime")?;
    let times = [
        ("CallStartDateTime", start),
        ("CallEndDateTime", end),
        ("CallQueuedDateTime", time_argument(body, "enqueueTime")?),
        ("CallAcceptDateTime", time_argument(body, "acceptTime")?),
    ];
    for (field, at) in times {
        if let Some(at) = at {
            fields.insert(field.to_owned(), json!(salesforce_datetime(at)));
        }
    }
    if let (Some(start), Some(end)) = (start, end) {
        fields.insert("CallDurationInSeconds".to_owned(), json!((end - start).num_seconds().max(0)));
    }
    let texts = [("FromPhoneNumber", "fromNumber"), ("QueueName", "queue"), ("CallOrigin", "callOrigin")];
    for (field, argument) in texts {
        if let Some(text) = text_argument(body, argument)? {
            fields.insert(field.to_owned(), json!(text));
        }
    }
    let hold_total = seconds_argument(body, "totalHoldDuration")?;
    fields.insert("CustomerHoldDuration".to_owned(), json!(hold_total.unwrap_or(0)));
    fields.insert("NumberOfHolds".to_owned(), json!(seconds_argument(body, "numberOfHolds")?.unwrap_or(0)));
    if let Some(longest) = seconds_argument(body, "longestHoldDuration")? {
        fields.insert("LongestHoldDuration".to_owned(), json!(longest));
    }
    let active = match body.get("isActiveCall") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(active)) => *active,
        Some(_) => return Err(TelephonyError::invalid("isActiveCall", "true or false is expected")),
    };
    fields.insert("CallDisposition".to_owned(), json!(if active { "in-progress" } else { "completed" }));
    if let Some(reason) = body.get("disconnectReason").filter(|reason| !reason.is_null()) {
        let value = reason.get("value").and_then(Value::as_str);
        let flagged = reason.get("isError").and_then(Value::as_bool).is_some();
        let value = value.filter(|_| flagged).ok_or_else(|| {
            TelephonyError::invalid("disconnectReason", "an object with value and isError is expected")
        })?;
        fields.insert("DisconnectReason".to_owned(), json!(value));
    }
    Ok(fields)
}

/// The recording a PATCH describes: its location and duration, or `None` when it names none.
fn recording(body: &Map<String, Value>) -> Result<Option<(String, i64)>, TelephonyError> {
    let agent = seconds_argument(body, "agentInteractionDuration")?;
    let hold = seconds_argument(body, "totalHoldDuration")?;
    let total = seconds_argument(body, "totalRecordingDuration")?;
    let Some(location) = text_argument(body, "recordingLocation")? else {
        if agent.is_some() || hold.is_some() || total.is_some() {
            return Err(TelephonyError::missing("recordingLocation"));
        }
        return Ok(None);
    };
    let duration = total.unwrap_or(agent.unwrap_or(0) + hold.unwrap_or(0));
    Ok(Some((location.to_owned(), duration)))
}

fn update(
    state: &mut OrgState,
    call_id: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), TelephonyError> {
    let center = authenticate(state, headers, now)?;
    let body = object_body(body)?;
    let mut fields = update_fields(&body)?;
    let recording = recording(&body)?;
    let attributes = call_attributes(&body)?;
    let id = match resolve_call(state, &center, call_id) {
        Some(id) => id,
        None if is_voice_call_id(state, call_id) => {
            return Err(TelephonyError {
                status: StatusCode::NOT_FOUND,
                code: "NOT_FOUND",
                message: format!("No voice call {call_id} in contact center {}", center.api_name),
            });
        }
        None => {
            // A call that never had a voice call (missed, abandoned): the update creates it, keyed by the vendor's id.
            let mut created = fields.clone();
            created.insert("CallCenterId".to_owned(), json!(center.call_center_id));
            created.insert("VendorCallKey".to_owned(), json!(call_id));
            created.insert("CallType".to_owned(), json!("Inbound"));
            if !created.contains_key("CallStartDateTime") {
                created.insert("CallStartDateTime".to_owned(), json!(salesforce_datetime(now)));
            }
            fields.clear();
            write_new_call(state, created, Map::new(), now).0
        }
    };
    if let Some((location, duration)) = recording {
        let recording_id = record_recording(state, &id, &location, duration, now);
        fields.insert("CallRecordingId".to_owned(), json!(recording_id.as_str()));
        fields.insert("IsRecorded".to_owned(), json!(true));
    }
    let object = voice_call_object(state);
    let context = write_context(state, now);
    let mut everything = fields.clone();
    everything.extend(attributes);
    if state.update_record(&object, &id, &everything, &context).is_err()
        && state.update_record(&object, &id, &fields, &context).is_err()
    {
        state.records.update(&id, fields, now);
    }
    Ok(())
}

/// Creates the call's VoiceCallRecording, or updates the one an earlier PATCH made.
fn record_recording(
    state: &mut OrgState,
    call: &RecordId,
    location: &str,
    duration: i64,
    now: DateTime<Utc>,
) -> RecordId {
    let fields = json!({"RecordingLocation": location, "DurationInSeconds": duration});
    let fields = fields.as_object().cloned().unwrap_or_default();
    let existing =
        state.records.get(call).and_then(|call| call.text("CallRecordingId")).and_then(|id| RecordId::parse(id).ok());
    if let Some(existing) = existing.filter(|id| state.records.get(id).is_some()) {
        state.records.update(&existing, fields, now);
        return existing;
    }
    let mut fields = fields;
    fields.insert("VoiceCallId".to_owned(), json!(call.as_str()));
    fields.insert("OwnerId".to_owned(), json!(state.integration_user().as_str()));
    fields.insert("IsDeleted".to_owned(), json!(false));
    let prefix = state.schema.object("VoiceCallRecording").map(|object| object.key_prefix.clone()).unwrap_or_default();
    state.records.insert_as("VoiceCallRecording", &prefix, fields, now)
}
