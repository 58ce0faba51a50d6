//! The account's Salesforce connection (administrators): its state, linking (OAuth web-server flow, the browser
//! goes to Salesforce and comes back to the callback), unlinking, and the preflight check before going live.

use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;
use crate::sync::link::{ConnectionView, LinkError};
use crate::sync::preflight::PreflightCheck;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;
use callpop_core::account::AdminTask;
use callpop_core::wire::ApiErrorBody;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_connection, start_link, unlink))
        .routes(routes!(finish_link))
        .routes(routes!(run_preflight))
}

/// Where the console shows the connection; the callback sends the admin back there.
const CONSOLE_CONNECTION_PAGE: &str = "/console/salesforce";

fn link_error(error: LinkError) -> ApiError {
    match error {
        LinkError::NotConfigured => ApiError::Conflict { code: "linking_not_configured", message: error.to_string() },
        LinkError::BadLoginUrl(message) => ApiError::invalid("login_url", message),
        LinkError::ForeignHost { .. } => ApiError::invalid("login_url", error.to_string()),
        LinkError::UnknownState | LinkError::Refused(_) => {
            ApiError::Conflict { code: "link_failed", message: error.to_string() }
        }
        LinkError::Store(error) => ApiError::Database(error),
    }
}

/// The org the account is linked to, the integration user, API usage and requests per logged call.
#[utoipa::path(get, path = "/salesforce/connection", tag = "salesforce", security(("session" = [])),
    responses((status = 200, body = ConnectionView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn get_connection(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<Json<ConnectionView>> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceLink)?;
    Ok(Json(state.sync.connection_view(session.account.id).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StartLink {
    /// `https://login.salesforce.com`, `https://test.salesforce.com` (a sandbox) or the org's My Domain URL; the
    /// server's default when left out. Format `salesforce-login-url`: `login`, `test`, or an `https://` origin on
    /// Salesforce's hosts (`*.salesforce.com`, `*.salesforce.mil`) or one the server's operator allows; any other
    /// host is refused with a 422 naming it.
    #[serde(default)]
    #[schema(format = "salesforce-login-url")]
    login_url: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LinkStarted {
    /// Send the admin's browser here; Salesforce asks them to allow callpop, then returns to the callback.
    authorize_url: String,
}

/// Starts linking (or relinking) the org.
#[utoipa::path(post, path = "/salesforce/connection", tag = "salesforce", request_body = StartLink, security(("session" = [])),
    responses((status = 201, body = LinkStarted), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn start_link(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(body): JsonBody<StartLink>,
) -> ApiResult<(StatusCode, Json<LinkStarted>)> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceLink)?;
    let authorize_url = state
        .sync
        .start_link(session.account.id, session.user.id, body.login_url.as_deref().filter(|url| !url.trim().is_empty()))
        .await
        .map_err(link_error)?;
    Ok((StatusCode::CREATED, Json(LinkStarted { authorize_url })))
}

/// Unlinks the org: revokes callpop's tokens and stops syncing until it is linked again (calls keep queueing).
#[utoipa::path(delete, path = "/salesforce/connection", tag = "salesforce", security(("session" = [])),
    responses((status = 204, description = "unlinked"), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
async fn unlink(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<StatusCode> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceLink)?;
    if state.sync.unlink(session.account.id).await.map_err(link_error)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("Salesforce connection"))
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where Salesforce sends the admin back (register it on the connected app). It finishes the link and redirects
/// to the console's connection page, with `linked=1` or the reason it failed.
#[utoipa::path(get, path = "/salesforce/oauth/callback", tag = "salesforce", params(Callback),
    responses((status = 303, description = "back to the console"), (status = 422, body = ApiErrorBody)))]
async fn finish_link(State(state): State<AppState>, QueryParams(callback): QueryParams<Callback>) -> Redirect {
    let outcome = match (&callback.code, &callback.state, &callback.error) {
        (_, _, Some(error)) => Err(callback.error_description.clone().unwrap_or_else(|| error.clone())),
        (Some(code), Some(link_state), None) => {
            state.sync.finish_link(link_state, code).await.map_err(|error| error.to_string())
        }
        _ => Err("Salesforce's answer had no authorization code".to_owned()),
    };
    let to = match outcome {
        Ok(_) => format!("{CONSOLE_CONNECTION_PAGE}?linked=1"),
        Err(reason) => {
            let reason = percent_encoding::utf8_percent_encode(&reason, percent_encoding::NON_ALPHANUMERIC);
            format!("{CONSOLE_CONNECTION_PAGE}?error={reason}")
        }
    };
    Redirect::to(&to)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PreflightReport {
    checks: Vec<PreflightCheck>,
}

/// Checks the org before going live: permissions, required fields, validation and duplicate rules, State/Country
/// picklists, the Task external id, the org's time zone (read again and kept), and a dry run of the records callpop
/// writes (rolled back).
#[utoipa::path(get, path = "/salesforce/preflight", tag = "salesforce", security(("session" = [])),
    responses((status = 200, body = PreflightReport), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn run_preflight(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<Json<PreflightReport>> {
    require_admin_with_salesforce(&session, AdminTask::ManageSalesforceLink)?;
    let options = state.store.integration_options(session.account.id).await?.unwrap_or(session.account.options);
    let checks = state.sync.preflight(session.account.id, &options).await?;
    Ok(Json(PreflightReport { checks }))
}
