//! What gets logged, and where, for administrators:
//! - `GET/PUT /api/v1/settings/logging`: which call types write a Task and what a Task is related to
//!   (`callpop_core::call_logging`);
//! - `GET /api/v1/users`: the account's users with their Salesforce user, the owner of the Tasks of the calls they
//!   answer; `PUT /api/v1/users/{user_id}/salesforce-user` sets or clears it.
//!
//! Each change is stored with its audit row (`settings_changes`) in one transaction and applies to the next call
//! event the sync engine works on.

use crate::auth::{SignedIn, require_admin_with_salesforce};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::User;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use callpop_core::account::AdminTask;
use callpop_core::call_logging::LoggingSettings;
use callpop_core::record::{RecordId, SObjectType};
use callpop_core::wire::ApiErrorBody;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_logging_settings, put_logging_settings))
        .routes(routes!(list_users))
        .routes(routes!(put_salesforce_user))
}

/// The account's logging settings.
#[utoipa::path(get, path = "/settings/logging", tag = "settings", security(("session" = [])),
    responses((status = 200, body = LoggingSettings), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn get_logging_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> ApiResult<Json<LoggingSettings>> {
    require_admin_with_salesforce(&session, AdminTask::ReadIntegrationOptions)?;
    Ok(Json(state.store.logging_settings(session.account.id).await?))
}

/// Replaces the account's logging settings (every field) and records each change.
#[utoipa::path(put, path = "/settings/logging", tag = "settings", request_body = LoggingSettings, security(("session" = [])),
    responses((status = 200, body = LoggingSettings), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn put_logging_settings(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    JsonBody(settings): JsonBody<LoggingSettings>,
) -> ApiResult<Json<LoggingSettings>> {
    require_admin_with_salesforce(&session, AdminTask::ChangeIntegrationOptions)?;
    let changed =
        state.store.update_logging_settings(session.account.id, session.user.id, &settings, chrono::Utc::now()).await?;
    tracing::info!(by = session.user.id, ?changed, "logging settings changed");
    Ok(Json(settings))
}

/// One of the account's users, with the Salesforce user that owns the Tasks of the calls they answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserView {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    /// The Salesforce user's id (`005…`, 18 characters), when one is set.
    salesforce_user_id: Option<String>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role.as_str().to_owned(),
            salesforce_user_id: user.salesforce_user_id,
        }
    }
}

/// The account's users.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserList {
    users: Vec<UserView>,
}

/// `PUT /api/v1/users/{user_id}/salesforce-user`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SalesforceUserChange {
    /// A Salesforce User id (15 or 18 characters, `005…`), or null to clear it.
    /// Format `salesforce-user-id`: the 18-character form's last 3 characters are the case-safe checksum of the first
    /// 15 (`core/src/record.rs`), which a pattern cannot state.
    #[schema(value_type = Option<String>, format = "salesforce-user-id", min_length = 15, max_length = 18, pattern = r"^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")]
    salesforce_user_id: Option<String>,
}

/// The account's users and their Salesforce users.
#[utoipa::path(get, path = "/users", tag = "settings", security(("session" = [])),
    responses((status = 200, body = UserList), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn list_users(State(state): State<AppState>, SignedIn(session): SignedIn) -> ApiResult<Json<UserList>> {
    require_admin_with_salesforce(&session, AdminTask::ReadIntegrationOptions)?;
    let users = state.store.list_users(session.account.id).await?;
    Ok(Json(UserList { users: users.into_iter().map(UserView::from).collect() }))
}

/// Sets or clears a user's Salesforce user. The id must be a Salesforce User id (`005` prefix, 15 or 18
/// characters with a valid suffix); it is stored in its 18-character form.
#[utoipa::path(put, path = "/users/{user_id}/salesforce-user", tag = "settings", request_body = SalesforceUserChange,
    security(("session" = [])),
    params(("user_id" = i64, Path, description = "The user's id")),
    responses((status = 200, body = UserView), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn put_salesforce_user(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    PathParam(user_id): PathParam<i64>,
    JsonBody(change): JsonBody<SalesforceUserChange>,
) -> ApiResult<Json<UserView>> {
    require_admin_with_salesforce(&session, AdminTask::ChangeIntegrationOptions)?;
    let salesforce_user = match change.salesforce_user_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        None => None,
        Some(raw) => {
            let invalid = || {
                ApiError::invalid(
                    "salesforce_user_id",
                    format!("`salesforce_user_id` {raw:?} is not a Salesforce User id (15 or 18 characters, 005…)"),
                )
            };
            let id = RecordId::parse(raw).map_err(|_| invalid())?;
            if id.object() != SObjectType::User {
                return Err(invalid());
            }
            Some(id)
        }
    };
    let user = state
        .store
        .set_salesforce_user(
            session.account.id,
            session.user.id,
            user_id,
            salesforce_user.as_ref().map(RecordId::as_str),
            chrono::Utc::now(),
        )
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    tracing::info!(by = session.user.id, user = user.id, "Salesforce user changed");
    Ok(Json(UserView::from(user)))
}
