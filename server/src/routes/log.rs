//! What the call log and the text log share: their query parameters, who sees what, and the Salesforce panel.
//!
//! The rules themselves are `callpop_core::account`'s: `visibility` for one call or text, `Role::sees_all_calls`
//! for a page of them. Here they meet the request.

use crate::auth::require_salesforce_plan;
use crate::error::{ApiError, ApiResult};
use crate::model::{LogQuery, Session};
use crate::state::AppState;
use crate::validate;
use callpop_core::account::{Owner, Viewer, Visibility, visibility};
use serde::Deserialize;
use utoipa::IntoParams;

/// The most items one page holds, and the default.
const MAX_PAGE: i64 = 200;
const DEFAULT_PAGE: i64 = 50;

/// Filters and paging of `GET /api/v1/calls` and `GET /api/v1/texts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct LogParams {
    /// Only this agent's (their email). A call agent only ever sees their own.
    #[param(max_length = 255)]
    agent: Option<String>,
    /// At or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// Only this tracking source, exactly.
    #[param(max_length = 255)]
    source: Option<String>,
    /// The previous page's `next_cursor`.
    #[param(value_type = Option<i64>)]
    cursor: Option<String>,
    /// How many per page, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// The query a page request asks for, or `None` when the filters select nothing this user may see.
pub(super) async fn log_query(state: &AppState, session: &Session, params: LogParams) -> ApiResult<Option<LogQuery>> {
    let limit = match params.limit {
        None => DEFAULT_PAGE,
        Some(raw) => {
            raw.trim().parse::<i64>().ok().filter(|limit| (1..=MAX_PAGE).contains(limit)).ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("`limit` is {raw:?}; it must be a whole number from 1 to {MAX_PAGE}"),
                )
            })?
        }
    };
    let after_row_id = match params.cursor {
        None => None,
        Some(raw) => Some(raw.trim().parse::<i64>().map_err(|_| {
            ApiError::invalid("cursor", format!("`cursor` is {raw:?}; pass the `next_cursor` of the previous page"))
        })?),
    };
    let from = validate::optional_time(params.from, "from")?;
    let to = validate::optional_time(params.to, "to")?;
    let source = validate::text(params.source, "source")?;
    let own_only = !session.user.role.sees_all_calls();
    let agent_user_id = match validate::text(params.agent, "agent")? {
        None => own_only.then_some(session.user.id),
        Some(email) => match state.store.user_by_reference(session.account.id, &email).await? {
            Some(agent) if !own_only || agent.id == session.user.id => Some(agent.id),
            // An agent nobody by that email, or someone else's calls for a call agent: an empty page.
            _ => return Ok(None),
        },
    };
    Ok(Some(LogQuery { account_id: session.account.id, agent_user_id, from, to, source, after_row_id, limit }))
}

/// The cursor for the page after one that ended on `last_row_id`, when the page was full.
pub(super) fn next_cursor(page_len: usize, query: &LogQuery, last_row_id: Option<i64>) -> Option<String> {
    let full = i64::try_from(page_len).is_ok_and(|len| len == query.limit);
    last_row_id.filter(|_| full).map(|row_id| row_id.to_string())
}

/// What the signed-in user may see of a call or text assigned to `agent_user_id` in `account_id`.
pub(super) fn visibility_for(session: &Session, account_id: i64, agent_user_id: Option<i64>) -> Visibility {
    let viewer = Viewer { account_id: session.account.id, user_id: session.user.id, role: session.user.role };
    visibility(viewer, Owner { account_id, agent_user_id }, session.account.options.limit_data_access)
}

/// Whether a response may embed the Salesforce panel (and sync status) for this user.
pub(super) fn shows_salesforce(session: &Session, seen: Visibility) -> bool {
    seen == Visibility::WithSalesforcePanel && session.account.plan.includes_salesforce()
}

/// The checks in front of a `…/salesforce` panel route: 404 when hidden, 403 for the plan, 403 under Limit Data
/// Access.
pub(super) fn require_panel_access(session: &Session, seen: Visibility, what: &'static str) -> ApiResult<()> {
    match seen {
        Visibility::Hidden => Err(ApiError::NotFound(what)),
        Visibility::WithoutSalesforcePanel => {
            require_salesforce_plan(&session.account)?;
            Err(ApiError::Forbidden {
                code: "limit_data_access",
                message: "Limit Data Access is on: only report managers and administrators see the Salesforce panel"
                    .to_owned(),
            })
        }
        Visibility::WithSalesforcePanel => require_salesforce_plan(&session.account),
    }
}
