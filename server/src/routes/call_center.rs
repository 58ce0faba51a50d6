//! `GET /api/v1/call-center.xml`: the call center definition an administrator imports in Salesforce: Open CTI's, or
//! with `?host=salesforce_voice` the Salesforce Voice contact center's. Without `host`, the account's host decides
//! (an account on both hosts during a migration gets Open CTI's, and asks for the other by name).

use crate::auth::{SignedIn, require_role_for, require_salesforce_plan};
use crate::call_center::{call_center_xml, contact_center_xml};
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryParams;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use callpop_core::account::AdminTask;
use callpop_core::voice::VoiceHost;
use callpop_core::wire::ApiErrorBody;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download_call_center_definition))
}

/// Which definition to download.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DefinitionQuery {
    /// `open_cti` or `salesforce_voice`; without it, the account's host (`open_cti` for an account on both).
    host: Option<VoiceHost>,
}

/// The account's call center definition (Salesforce's import format), as a file to save.
#[utoipa::path(get, path = "/call-center.xml", tag = "settings", security(("session" = [])), params(DefinitionQuery),
    responses((status = 200, content_type = "application/xml", body = String), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn download_call_center_definition(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    QueryParams(query): QueryParams<DefinitionQuery>,
) -> ApiResult<Response> {
    require_salesforce_plan(&session.account)?;
    require_role_for(&session, AdminTask::DownloadCallCenterDefinition)?;
    let voice = state.store.voice(session.account.id).await?;
    let host = query.host.unwrap_or(voice.settings.host);
    let (xml, filename) = if host == VoiceHost::SalesforceVoice {
        let Some(api_name) = voice.settings.contact_center_api_name.as_deref() else {
            return Err(ApiError::Conflict {
                code: "voice_not_set_up",
                message: "no contact center API name yet: set contact_center_api_name (PUT /api/v1/settings/voice) \
                          first"
                    .to_owned(),
            });
        };
        let certificate = voice.key_pair.as_ref().map(|pair| pair.certificate_pem.as_str());
        let xml = contact_center_xml(&session.account, api_name, certificate).map_err(anyhow::Error::from)?;
        (xml, "attachment; filename=\"callpop-contact-center.xml\"")
    } else {
        let xml = call_center_xml(&session.account, &state.config.open_cti_version).map_err(anyhow::Error::from)?;
        (xml, "attachment; filename=\"callpop-call-center.xml\"")
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static(filename)),
    ];
    Ok((headers, xml).into_response())
}
