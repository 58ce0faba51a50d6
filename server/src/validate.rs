//! Field checks shared by the telephony routes (call events, text events): each failure is a 422 naming the field.
//!
//! Bodies are parsed with every field optional so that a missing one is reported by name here, not by serde.

use crate::error::{ApiError, ApiResult};
use crate::phone;
use callpop_core::call::Direction;
use chrono::{DateTime, Utc};

/// The longest free-text value accepted; Salesforce text fields hold 255 characters.
pub const MAX_TEXT: usize = 255;

/// The OpenAPI schema of an optional `text_list`: at most 50 strings of at most `MAX_TEXT` characters, or null.
pub fn text_list_schema() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{SchemaType, Type};
    let item = utoipa::openapi::ObjectBuilder::new().schema_type(Type::String).max_length(Some(MAX_TEXT));
    utoipa::openapi::ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(item)
        .max_items(Some(50))
        .build()
}

/// The value, or a 422 saying `field` is required.
pub fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::MissingField(field.to_owned()))
}

/// Trims a free-text value; empty means absent, longer than `max_chars` is an error.
pub fn text_up_to(value: Option<String>, field: &str, max_chars: usize) -> ApiResult<Option<String>> {
    let Some(value) = value.map(|value| value.trim().to_owned()).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max_chars {
        return Err(ApiError::invalid(field, format!("`{field}` has more than {max_chars} characters")));
    }
    Ok(Some(value))
}

/// A free-text value of at most `MAX_TEXT` characters.
pub fn text(value: Option<String>, field: &str) -> ApiResult<Option<String>> {
    text_up_to(value, field, MAX_TEXT)
}

/// A list of at most 50 free-text values; empty entries are dropped.
pub fn text_list(values: Option<Vec<String>>, field: &str) -> ApiResult<Vec<String>> {
    let values = values.unwrap_or_default();
    if values.len() > 50 {
        return Err(ApiError::invalid(field, format!("`{field}` has more than 50 entries")));
    }
    values.into_iter().filter_map(|value| text(Some(value), field).transpose()).collect()
}

/// `inbound` or `outbound`.
pub fn direction(value: Option<String>, field: &str) -> ApiResult<Direction> {
    match required(value, field)?.as_str() {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        other => Err(ApiError::invalid(field, format!("`{field}` is {other:?}; it must be inbound or outbound"))),
    }
}

/// A required phone number, read in `default_region` when it has no country code, as E.164.
pub fn phone_number(value: Option<String>, field: &str, default_region: &str) -> ApiResult<phonenumber::PhoneNumber> {
    let raw = required(value, field)?;
    phone::parse(&raw, default_region).map_err(|error| ApiError::invalid(field, format!("`{field}`: {error}")))
}

/// A required RFC 3339 time.
pub fn time(value: Option<String>, field: &str) -> ApiResult<DateTime<Utc>> {
    let raw = required(value, field)?;
    optional_time(Some(raw), field).map(|time| time.unwrap_or_default())
}

/// How far in the past an event's time may be: a telephony side catching up after an outage sends old events, a
/// quarter's worth at most.
pub const EVENT_TIME_MAX_AGE: chrono::Duration = chrono::Duration::days(90);
/// How far in the future: clocks drift, but an event has happened by the time it is sent.
pub const EVENT_TIME_MAX_AHEAD: chrono::Duration = chrono::Duration::minutes(15);

/// A required RFC 3339 time of an event the telephony side reports, within the window around `now` that
/// [`EVENT_TIME_MAX_AGE`] and [`EVENT_TIME_MAX_AHEAD`] set (and so always within the years 1700 to 4000 that
/// Salesforce's dates accept).
pub fn event_time(value: Option<String>, field: &str, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    let at = time(value, field)?;
    let (earliest, latest) = (now - EVENT_TIME_MAX_AGE, now + EVENT_TIME_MAX_AHEAD);
    if at < earliest || at > latest {
        return Err(ApiError::invalid(
            field,
            format!(
                "`{field}` is {}, outside the accepted window: from {} days before the server's time to {} \
                 minutes after it ({} to {})",
                at.to_rfc3339(),
                EVENT_TIME_MAX_AGE.num_days(),
                EVENT_TIME_MAX_AHEAD.num_minutes(),
                earliest.format("%Y-%m-%dT%H:%M:%SZ"),
                latest.format("%Y-%m-%dT%H:%M:%SZ"),
            ),
        ));
    }
    Ok(at)
}

/// An optional RFC 3339 time (query filters).
pub fn optional_time(value: Option<String>, field: &str) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(raw) = value else { return Ok(None) };
    DateTime::parse_from_rfc3339(raw.trim()).map(|time| Some(time.with_timezone(&Utc))).map_err(|_| {
        ApiError::invalid(field, format!("`{field}` is {raw:?}; send an RFC 3339 time such as 2026-11-25T10:00:00Z"))
    })
}
