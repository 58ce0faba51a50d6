//! Request extractors with callpop's error shape: `JsonBody<T>` parses a JSON body, `QueryParams<T>` a query
//! string and `PathParam<T>` the path's parameters, each naming the field or parameter at fault.
//!
//! axum's own `Json`, `Query` and `Path` answer bad input with plain-text rejections; callpop's clients (telephony
//! platforms, the softphone, the console) get `ApiErrorBody` instead, with a `field` they can act on. Routes use
//! these three, never axum's.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

/// The largest JSON body any endpoint accepts, unless its route sets a smaller limit.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_JSON_BODY_BYTES)
            } else {
                ApiError::BadJson(rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A query string of type `T`. Unknown parameters and wrong types are 422s naming the parameter.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(name, value)| (name.to_string() + value).contains('\0'))
        {
            return Err(nul_refused(&name));
        }
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(QueryParams).map_err(|error| {
            let inner = error.inner().to_string();
            let field = backticked(&inner).map_or_else(|| error.path().to_string(), str::to_owned);
            ApiError::invalid(field.clone(), format!("query parameter `{field}`: {inner}"))
        })
    }
}

/// The path's parameters as `T` (one value, or a tuple or struct for several). A value of the wrong type (`abc`
/// for a numeric id) is a 422 naming the parameter.
#[derive(Debug)]
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> axum::extract::FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::{ErrorKind, Path, RawPathParams};
        use axum::extract::rejection::PathRejection;
        // The raw parameters: to refuse NUL characters, and to name a single value's parameter, which its error lacks.
        let raw = RawPathParams::from_request_parts(parts, state).await.ok();
        if let Some((name, _)) = raw.iter().flat_map(|raw| raw.iter()).find(|(_, value)| value.contains('\0')) {
            return Err(nul_refused(name));
        }
        let error = match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => return Ok(PathParam(value)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => error,
            Err(other) => return Err(ApiError::Internal(anyhow::anyhow!("path parameters: {}", other.body_text()))),
        };
        let name_of = |value: &str| {
            raw.as_ref()
                .and_then(|raw| raw.iter().find(|(_, raw_value)| *raw_value == value).map(|(key, _)| key.to_owned()))
                .unwrap_or_else(|| "path".to_owned())
        };
        let wrong_type = |key: String, value: &str, expected: &str| {
            let message = format!("path parameter `{key}` is {value:?}, not {expected}");
            ApiError::invalid(key, message)
        };
        let described = error.body_text();
        Err(match error.into_kind() {
            ErrorKind::ParseErrorAtKey { key, value, expected_type } => wrong_type(key, &value, expected_type),
            ErrorKind::ParseError { value, expected_type } => wrong_type(name_of(&value), &value, expected_type),
            ErrorKind::InvalidUtf8InPathParam { key } => {
                ApiError::invalid(key.clone(), format!("path parameter `{key}` is not valid UTF-8"))
            }
            _ => ApiError::invalid("path", described),
        })
    }
}

/// Parses JSON, telling "not JSON" (400) from "JSON of the wrong shape" (422 naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| ApiError::BadJson(error.to_string()))?;
    if !value.is_object() {
        return Err(ApiError::BadJson("the body must be a JSON object".to_owned()));
    }
    whole_numbers_as_integers(&mut value);
    if let Some(field) = text_with_nul(&value, "") {
        return Err(nul_refused(&field));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        // serde reports a missing or unknown field at the enclosing object; name the field itself.
        let field = match backticked(&inner) {
            Some(name) if inner.starts_with("missing field") || inner.starts_with("unknown field") => {
                if path == "." || path == name {
                    name.to_owned()
                } else if path.ends_with(&format!(".{name}")) {
                    path
                } else {
                    format!("{path}.{name}")
                }
            }
            _ => path,
        };
        if inner.starts_with("missing field") {
            ApiError::MissingField(field)
        } else {
            ApiError::invalid(field.clone(), format!("`{field}`: {inner}"))
        }
    })
}

/// The 422 for text holding a NUL character (`\u0000`), which PostgreSQL cannot store in text and nobody types.
fn nul_refused(field: &str) -> ApiError {
    ApiError::invalid(field, format!("`{field}` contains a NUL character (\\u0000), which text cannot hold"))
}

/// The path of the first string (or object key) in `value` that holds a NUL character.
fn text_with_nul(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(index, item)| text_with_nul(item, &format!("{path}[{index}]")))
        }
        serde_json::Value::Object(fields) => fields
            .iter()
            .find_map(|(key, item)| if key.contains('\0') { Some(join(key)) } else { text_with_nul(item, &join(key)) }),
        _ => None,
    }
}

/// Writes every whole number written with a fraction (`3.0`) as the integer it is. JSON Schema's `integer` (and so
/// the OpenAPI document) counts `3.0` as an integer; serde's integer types would refuse it.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            // Every whole f64 in i64's range is exactly an i64. (Above 2^53 the f64 is what any JSON reader makes of
            // the text, JavaScript's and JSON Schema validators' included, so that is the number the client sent.)
            const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
            if let Some(float) = number.as_f64().filter(|float| number.is_f64() && float.fract() == 0.0)
                && (-TWO_POW_63..TWO_POW_63).contains(&float)
            {
                #[allow(clippy::cast_possible_truncation)]
                let whole = float as i64;
                *number = serde_json::Number::from(whole);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// The first `backticked` word of a serde message: the field's name.
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let length = message[start..].find('`')?;
    Some(&message[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // The fields exist to be parsed.
    struct Sample {
        name: String,
        count: u32,
    }

    fn error_field(body: &str) -> (u16, Option<String>) {
        let error = parse_json::<Sample>(body.as_bytes()).unwrap_err();
        let (status, _) = error.status_and_code();
        (status.as_u16(), error.field())
    }

    #[test]
    fn each_kind_of_bad_body_names_its_field() {
        assert_eq!(error_field("{not json"), (400, None));
        assert_eq!(error_field(r#"["an", "array"]"#), (400, None));
        assert_eq!(error_field(r#"{"count": 1}"#), (422, Some("name".to_owned())));
        assert_eq!(error_field(r#"{"name": "x", "count": "one"}"#), (422, Some("count".to_owned())));
        assert_eq!(error_field(r#"{"name": "x", "count": 1, "colour": 2}"#), (422, Some("colour".to_owned())));
        assert_eq!(error_field(r#"{"name": "x", "count": 1.5}"#), (422, Some("count".to_owned())));
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer_as_json_schema_says() {
        let sample: Sample = parse_json(br#"{"name": "x", "count": 3.0}"#).unwrap();
        assert_eq!(sample.count, 3);
        // 2^53, where a conformance run found the old bound too tight, and the ends of i64's range.
        #[derive(Debug, serde::Deserialize)]
        struct Ids {
            ids: Vec<i64>,
        }
        let read: Ids = parse_json(br#"{"ids": [9007199254740992.0, -9223372036854775808.0]}"#).unwrap();
        assert_eq!(read.ids, [9_007_199_254_740_992, i64::MIN]);
        let refused = parse_json::<Ids>(br#"{"ids": [9223372036854775808.0]}"#).unwrap_err();
        assert_eq!(refused.field().as_deref(), Some("ids[0]"));
    }
}
