//! What the call log and the text log share: their search parameters, paging, who sees what, the Salesforce panel,
//! and the link from a Salesforce record id into the org.
//!
//! The rules themselves are `callpop_core::account`'s: `visibility` for one call or text, `Role::sees_all_calls`
//! for a page of them. Here they meet the request.
//!
//! Search decisions:
//! - `number` is read two ways: as a phone number in the account's default region (matched as E.164), and as its
//!   digits (at least 3), matched as the end of the stored E.164. `0100`, `555-0100` and `(415) 555-0100` all find
//!   `+14155550100`; a national number with a trunk prefix (`020 7123 4567` in a UK account) is found by the first.
//!   A text matches on either of its numbers.
//! - `name` is the caller's name, case-insensitive (ASCII), contained anywhere. Texts carry no name: a text matches
//!   when a call of the account from or to one of its numbers has a caller name that matches.
//! - `from`/`to` are RFC 3339 times, or dates (`2026-12-01`). A date is a day on the org's calendar (the org's
//!   default time zone, as a Task's `ActivityDate` is; UTC when the zone is unknown or no org is linked); `to`
//!   with a date includes that whole day, `to` with a time is exclusive.
//! - `sync_status` filters by the status the Salesforce panel shows, for those who may see it (403 otherwise, as
//!   the panel is).
//! - Pages are keyset pages (`after`: older than that row, `before`: newer), so a page stays the same rows while new
//!   calls arrive; each page answers the total and how many rows come before it (its position) in one statement.

use crate::auth::require_salesforce_plan;
use crate::error::{ApiError, ApiResult};
use crate::model::{Session, SyncStatus};
use crate::state::AppState;
use crate::store::{LogCounts, LogFilter, LogQuery, PageFrom};
use crate::views::PageInfo;
use crate::{phone, validate};
use callpop_core::account::{Owner, Viewer, Visibility, visibility};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

/// The most items one page holds, and the default.
const MAX_PAGE: i64 = 200;
const DEFAULT_PAGE: i64 = 50;
/// The longest `name` searched for.
const MAX_NAME_CHARS: usize = 100;

/// Search, filters and paging of `GET /api/v1/calls` and `GET /api/v1/texts` (and their CSV exports, which ignore
/// the paging parameters).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct LogParams {
    /// A phone number in any format (format `phone`), or its last digits (3 to 15 of them, spaces and `+-().`
    /// allowed between).
    #[param(max_length = 40, format = "phone")]
    number: Option<String>,
    /// Text the caller's name contains, case-insensitive (at most 100 characters).
    #[param(max_length = 100)]
    name: Option<String>,
    /// Only this agent's (their email). A call agent only ever sees their own.
    #[param(max_length = 255)]
    agent: Option<String>,
    /// From the start of this day (`YYYY-MM-DD`, format `date`) in the org's time zone, or at or after this time
    /// (RFC 3339).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Up to the end of this day (`YYYY-MM-DD`, format `date`) in the org's time zone, or before this time
    /// (RFC 3339).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    /// Only this tracking source, exactly.
    #[param(max_length = 255)]
    source: Option<String>,
    /// `pending`, `synced`, `retrying`, `parked` or `failed`; only for those who may see the Salesforce panel.
    #[param(value_type = Option<SyncStatus>)]
    sync_status: Option<String>,
    /// The page older than this item: a page's `next_cursor`.
    #[param(value_type = Option<i64>, minimum = 1)]
    after: Option<String>,
    /// The page newer than this item: a page's `prev_cursor`.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// The same as `after` (kept for clients of the first version).
    #[param(value_type = Option<i64>, minimum = 1)]
    cursor: Option<String>,
    /// How many per page, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// Where the page of rows from `first` to `last` (row ids) stands, from the counts around it.
pub(super) fn page_info(counts: LogCounts, first: Option<i64>, last: Option<i64>) -> PageInfo {
    PageInfo {
        total: counts.total,
        offset: counts.newer,
        next_cursor: last.filter(|_| counts.older > 0).map(|id| id.to_string()),
        prev_cursor: first.filter(|_| counts.newer > 0).map(|id| id.to_string()),
    }
}

fn parse_row_id(raw: &str, field: &str) -> ApiResult<i64> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::invalid(field, format!("`{field}` is {raw:?}; pass a `next_cursor` or `prev_cursor` of a page"))
    })
}

fn page_from(params: &LogParams) -> ApiResult<PageFrom> {
    // Each cursor sent is checked on its own first, so a bad one is named even beside a good one.
    let after = params.after.as_deref().map(|raw| parse_row_id(raw, "after")).transpose()?;
    let cursor = params.cursor.as_deref().map(|raw| parse_row_id(raw, "cursor")).transpose()?;
    let before = params.before.as_deref().map(|raw| parse_row_id(raw, "before")).transpose()?;
    if after.is_some() && cursor.is_some() {
        return Err(ApiError::invalid("cursor", "`cursor` is the first version's name of `after`; send one"));
    }
    match (after.or(cursor), before) {
        (None, None) => Ok(PageFrom::Newest),
        (Some(after), None) => Ok(PageFrom::OlderThan(after)),
        (None, Some(before)) => Ok(PageFrom::NewerThan(before)),
        (Some(_), Some(_)) => Err(ApiError::invalid("before", "`before` and `after` name opposite pages; send one")),
    }
}

fn page_limit(raw: Option<&str>) -> ApiResult<i64> {
    let Some(raw) = raw else { return Ok(DEFAULT_PAGE) };
    raw.trim().parse::<i64>().ok().filter(|limit| (1..=MAX_PAGE).contains(limit)).ok_or_else(|| {
        ApiError::invalid("limit", format!("`limit` is {raw:?}; it must be a whole number from 1 to {MAX_PAGE}"))
    })
}

/// The number searched for: its E.164 when it reads as a valid number, and its digits.
fn number_filter(raw: Option<String>, default_region: &str) -> ApiResult<(Option<String>, Option<String>)> {
    let Some(raw) = validate::text(raw, "number")? else { return Ok((None, None)) };
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !raw.chars().all(allowed) || digits.len() < 3 || digits.len() > 15 {
        return Err(ApiError::invalid(
            "number",
            format!("`number` is {raw:?}; send a phone number, or at least 3 of its last digits"),
        ));
    }
    let e164 = phone::parse(&raw, default_region).ok().map(|number| phone::e164(&number));
    Ok((e164, Some(digits)))
}

fn name_filter(raw: Option<String>) -> ApiResult<Option<String>> {
    let name = validate::text(raw, "name")?;
    if name.as_ref().is_some_and(|name| name.chars().count() > MAX_NAME_CHARS) {
        return Err(ApiError::invalid("name", format!("`name` is longer than {MAX_NAME_CHARS} characters")));
    }
    Ok(name.map(|name| name.to_lowercase()))
}

/// The start of `date` in the org's time zone (UTC when unknown).
fn start_of_day(date: NaiveDate, zone: Option<chrono_tz::Tz>) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match zone {
        // A zone whose clocks skip midnight on that day starts it at the first moment that exists.
        Some(zone) => (0..=3)
            .find_map(|hour| zone.from_local_datetime(&(midnight + chrono::Duration::hours(hour))).earliest())
            .map_or_else(|| midnight.and_utc(), |start| start.with_timezone(&Utc)),
        None => midnight.and_utc(),
    }
}

/// A `from` or `to` bound: an RFC 3339 time as it is, or a date's start (`from`) or the next day's start (`to`).
async fn time_bound(
    state: &AppState,
    session: &Session,
    raw: Option<String>,
    field: &str,
) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(raw) = raw else { return Ok(None) };
    let Ok(date) = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") else {
        return validate::optional_time(Some(raw.clone()), field).map_err(|_| {
            ApiError::invalid(field, format!("`{field}` is {raw:?}; send a date (2026-11-25) or an RFC 3339 time"))
        });
    };
    let zone = state
        .store
        .connection(session.account.id)
        .await?
        .and_then(|connection| connection.time_zone)
        .and_then(|name| name.parse::<chrono_tz::Tz>().ok());
    let day = if field == "to" { date.succ_opt().unwrap_or(date) } else { date };
    Ok(Some(start_of_day(day, zone)))
}

/// Whether this user may see sync statuses (the Salesforce panel) of the calls they see.
pub(super) fn may_see_sync_status(session: &Session) -> bool {
    shows_salesforce(session, visibility_for(session, session.account.id, Some(session.user.id)))
}

/// The search a request asks for, or `None` when the filters select nothing this user may see.
pub(super) async fn log_query(state: &AppState, session: &Session, params: LogParams) -> ApiResult<Option<LogQuery>> {
    let limit = page_limit(params.limit.as_deref())?;
    let page = page_from(&params)?;
    let (number_e164, number_digits) = number_filter(params.number, &session.account.default_region)?;
    let name = name_filter(params.name)?;
    let sync_status = match params.sync_status.as_deref().map(str::trim).filter(|raw| !raw.is_empty()) {
        None => None,
        Some(raw) => {
            let status = SyncStatus::parse(raw).ok_or_else(|| {
                ApiError::invalid(
                    "sync_status",
                    format!("`sync_status` is {raw:?}; use pending, synced, retrying, parked or failed"),
                )
            })?;
            require_panel_access(session, visibility_for(session, session.account.id, Some(session.user.id)), "call")?;
            Some(status)
        }
    };
    let from = time_bound(state, session, params.from, "from").await?;
    let to = time_bound(state, session, params.to, "to").await?;
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
    let filter = LogFilter {
        account_id: session.account.id,
        agent_user_id,
        from,
        to,
        source,
        number_e164,
        number_digits,
        name,
        sync_status,
    };
    Ok(Some(LogQuery { filter, page, limit }))
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

/// The org's address, to which a record id is appended to link to the record (`{org_url}/{id}`): the linked org's
/// instance URL, only when it is one the server sends credentials to (Salesforce's HTTPS hosts, or an origin the
/// operator allows), so a link never leads anywhere else. `None` without a linked org.
pub(super) async fn org_url(state: &AppState, account_id: i64) -> ApiResult<Option<String>> {
    let Some(connection) = state.store.connection(account_id).await? else { return Ok(None) };
    let hosts = crate::sync::link::credential_hosts(&state.config);
    Ok(hosts.check(&connection.instance_url).is_ok().then(|| connection.instance_url.trim_end_matches('/').to_owned()))
}
