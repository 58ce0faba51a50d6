//! Request extractors with callpop's error shape: `JsonBody<T>` parses a JSON body and `QueryParams<T>` a query
//! string, each naming the field at fault.
//!
//! axum's own `Json` answers bad input with plain-text rejections; callpop's clients (telephony platforms, the
//! softphone, the console) get `ApiErrorBody` instead, with a `field` they can act on.

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
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(QueryParams).map_err(|error| {
            let inner = error.inner().to_string();
            let field = backticked(&inner).map_or_else(|| error.path().to_string(), str::to_owned);
            ApiError::invalid(field.clone(), format!("query parameter `{field}`: {inner}"))
        })
    }
}

/// Parses JSON, telling "not JSON" (400) from "JSON of the wrong shape" (422 naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| ApiError::BadJson(error.to_string()))?;
    if !value.is_object() {
        return Err(ApiError::BadJson("the body must be a JSON object".to_owned()));
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
    }
}
