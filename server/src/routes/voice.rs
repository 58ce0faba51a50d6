//! `/api/v1/settings/voice`: Salesforce Voice with Partner Telephony, administrators only.
//!
//! - `GET/PUT /settings/voice`: the host (`open_cti`, `salesforce_voice`, or `both` during a migration), the contact
//!   center's API name and the Telephony Integration base URL; each change audited in `settings_changes`.
//! - `POST /settings/voice/key-pair`: generates the RSA 2048 key and self-signed certificate that sign the
//!   Telephony Integration tokens. The private key is stored sealed and never returned. Generating again replaces
//!   the pair, and Salesforce refuses the new key's tokens until the new certificate is on the contact center.
//! - `GET /settings/voice/certificate`: the current certificate, as a PEM file for the contact center's
//!   `reqTelephonyIntegrationCertificate`.

use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::salesforce::telephony::check_base_url;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use callpop_core::account::AdminTask;
use callpop_core::voice::{VoiceHost, VoiceSettings};
use callpop_core::wire::ApiErrorBody;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the certificate is downloaded from.
const CERTIFICATE_PATH: &str = "/api/v1/settings/voice/certificate";

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_voice_settings, put_voice_settings))
        .routes(routes!(generate_voice_key_pair))
        .routes(routes!(download_voice_certificate))
}

/// The account's Salesforce Voice settings, and when its key pair was generated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct VoiceSettingsView {
    pub host: VoiceHost,
    pub contact_center_api_name: Option<String>,
    pub telephony_base_url: Option<String>,
    /// When the current key pair was generated; `null` before the first one.
    pub key_pair_generated_at: Option<DateTime<Utc>>,
}

/// The answer to generating a key pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct KeyPairView {
    /// Whether an earlier key pair was replaced.
    pub replaced: bool,
    /// Where to download the new certificate.
    pub certificate_url: String,
    /// What the administrator does next, as a sentence.
    pub next_step: String,
}

async fn settings_view(state: &AppState, account_id: i64) -> ApiResult<VoiceSettingsView> {
    let voice = state.store.voice(account_id).await?;
    Ok(VoiceSettingsView {
        host: voice.settings.host,
        contact_center_api_name: voice.settings.contact_center_api_name,
        telephony_base_url: voice.settings.telephony_base_url,
        key_pair_generated_at: voice.key_pair.map(|pair| pair.generated_at),
    })
}

/// The account's Salesforce Voice settings.
#[utoipa::path(get, path = "/settings/voice", tag = "settings", security(("session" = [])),
    responses((status = 200, body = VoiceSettingsView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn get_voice_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<VoiceSettingsView>> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceVoice)?;
    Ok(Json(settings_view(&state, session.account.id).await?))
}

/// Replaces the account's Salesforce Voice settings and records each change. A host using Salesforce Voice needs
/// the contact center's API name and the Telephony Integration URL (HTTPS, or HTTP on loopback).
#[utoipa::path(put, path = "/settings/voice", tag = "settings", request_body = VoiceSettings, security(("session" = [])),
    responses((status = 200, body = VoiceSettingsView), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn put_voice_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(mut settings): JsonBody<VoiceSettings>,
) -> ApiResult<Json<VoiceSettingsView>> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceVoice)?;
    settings.telephony_base_url = settings
        .telephony_base_url
        .as_deref()
        .map(check_base_url)
        .transpose()
        .map_err(|message| ApiError::invalid("telephony_base_url", message))?;
    settings.check().map_err(|refused| ApiError::invalid(refused.field, refused.message))?;
    state.store.update_voice_settings(session.account.id, session.user.id, &settings, Utc::now()).await?;
    Ok(Json(settings_view(&state, session.account.id).await?))
}

/// Generates the Telephony Integration key pair (RSA 2048, self-signed certificate), replacing any earlier one.
/// The private key is kept sealed and never returned; upload the new certificate to the contact center.
#[utoipa::path(post, path = "/settings/voice/key-pair", tag = "settings", security(("session" = [])),
    responses((status = 201, body = KeyPairView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn generate_voice_key_pair(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<(StatusCode, Json<KeyPairView>)> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceVoice)?;
    let (_, replaced) = state.sync.generate_voice_key_pair(session.account.id, session.user.id).await?;
    let next_step = if replaced {
        "The earlier key pair is replaced: Salesforce refuses callpop's requests until you upload the new \
         certificate to the contact center (Telephony Integration certificate)."
    } else {
        "Upload the certificate to the contact center (Telephony Integration certificate)."
    };
    let view = KeyPairView { replaced, certificate_url: CERTIFICATE_PATH.to_owned(), next_step: next_step.to_owned() };
    Ok((StatusCode::CREATED, Json(view)))
}

/// The current Telephony Integration certificate, as a PEM file for the contact center.
#[utoipa::path(get, path = "/settings/voice/certificate", tag = "settings", security(("session" = [])),
    responses((status = 200, content_type = "application/x-pem-file", body = String), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn download_voice_certificate(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<Response> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceVoice)?;
    let voice = state.store.voice(session.account.id).await?;
    let key_pair = voice.key_pair.ok_or(ApiError::NotFound("Telephony Integration certificate"))?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/x-pem-file")),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"callpop-telephony-integration.crt\""),
        ),
    ];
    Ok((headers, key_pair.certificate_pem).into_response())
}
