//! `GET/PUT /api/v1/settings/salesforce`: the account's seven integration options, administrators only, and
//! `GET /api/v1/settings/salesforce/changes`: who changed which option when, from what to what.
//!
//! `PUT` takes all seven options (`IntegrationOptions` rejects unknown fields; a missing one or a wrong type is a
//! 422 naming it). The change is stored with its audit rows in one transaction and applies to the next call: the
//! softphone and the sync engine read the options from the account every time.

use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::views::{SettingsChangeView, SettingsChangesView};
use axum::Json;
use axum::extract::State;
use callpop_core::account::AdminTask;
use callpop_core::options::IntegrationOptions;
use callpop_core::wire::ApiErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How many changes the history shows.
const HISTORY_LENGTH: i64 = 500;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_salesforce_settings, put_salesforce_settings))
        .routes(routes!(list_salesforce_settings_changes))
}

/// The account's integration options.
#[utoipa::path(get, path = "/settings/salesforce", tag = "settings", security(("session" = [])),
    responses((status = 200, body = IntegrationOptions), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn get_salesforce_settings(SignedIn(session): SignedIn) -> ApiResult<Json<IntegrationOptions>> {
    require_admin_with_salesforce(&session, AdminTask::ReadIntegrationOptions)?;
    Ok(Json(session.account.options))
}

/// Replaces the account's integration options (all seven) and records each change.
#[utoipa::path(put, path = "/settings/salesforce", tag = "settings", request_body = IntegrationOptions, security(("session" = [])),
    responses((status = 200, body = IntegrationOptions), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn put_salesforce_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(options): JsonBody<IntegrationOptions>,
) -> ApiResult<Json<IntegrationOptions>> {
    require_admin_with_salesforce(&session, AdminTask::ChangeIntegrationOptions)?;
    state.store.update_integration_options(session.account.id, session.user.id, &options, chrono::Utc::now()).await?;
    Ok(Json(options))
}

/// Every change to the integration options, newest first: who, when, old and new value.
#[utoipa::path(get, path = "/settings/salesforce/changes", tag = "settings", security(("session" = [])),
    responses((status = 200, body = SettingsChangesView), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn list_salesforce_settings_changes(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<SettingsChangesView>> {
    require_admin_with_salesforce(&session, AdminTask::ReadSettingsHistory)?;
    let changes = state.store.settings_changes(session.account.id, HISTORY_LENGTH).await?;
    Ok(Json(SettingsChangesView { changes: changes.into_iter().map(SettingsChangeView::from).collect() }))
}
