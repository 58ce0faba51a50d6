//! `GET /api/v1/call-center.xml`: the call center definition an administrator imports in Salesforce.

use crate::auth::{SignedIn, require_role_for, require_salesforce_plan};
use crate::call_center::call_center_xml;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use callpop_core::account::AdminTask;
use callpop_core::wire::ApiErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download_call_center_definition))
}

/// The account's call center definition (Salesforce's import format), as a file to save.
#[utoipa::path(get, path = "/call-center.xml", tag = "settings", security(("session" = [])),
    responses((status = 200, content_type = "application/xml", body = String), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)))]
async fn download_call_center_definition(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Response> {
    require_salesforce_plan(&session.account)?;
    require_role_for(&session, AdminTask::DownloadCallCenterDefinition)?;
    let xml = call_center_xml(&session.account, &state.config.open_cti_version).map_err(anyhow::Error::from)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"callpop-call-center.xml\"")),
    ];
    Ok((headers, xml).into_response())
}
