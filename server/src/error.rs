//! `ApiError`: the one error type handlers return, and the only place failures become HTTP responses.
//!
//! Every 4xx and 5xx answer is JSON (`callpop_core::wire::ApiErrorBody`): a stable `error` code, a sentence for
//! people, and the offending `field` when there is one. Server errors are logged here with their cause and shown to
//! the client only as "internal error", so database details never leak.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use callpop_core::wire::ApiErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON at all.
    #[error("the request body is not valid JSON: {0}")]
    BadJson(String),
    /// 422: a field is missing.
    #[error("`{0}` is required")]
    MissingField(String),
    /// 422: a field is present but wrong.
    #[error("{message}")]
    InvalidField { field: String, message: String },
    /// 415: the body is not `application/json`.
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// 413: the body is larger than the server accepts.
    #[error("the request body is larger than the {0} bytes this endpoint accepts")]
    PayloadTooLarge(usize),
    /// 401: no credentials, or credentials that are not (or no longer) valid.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but not allowed to do this.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 404: nothing of that kind with that id, as far as this caller may know.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 404: no route has this path.
    #[error("there is no route {0}: `GET /api/openapi.json` lists every route")]
    NoSuchRoute(String),
    /// 405: the path exists, but not with this method (the response's `Allow` header lists the methods it has).
    #[error("{method} is not allowed on {path}: the `Allow` header lists the methods it takes")]
    MethodNotAllowed { method: String, path: String },
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 429: too many attempts; try again after `retry_after_secs` (sent as `Retry-After`).
    #[error("{message}: try again in {retry_after_secs} seconds")]
    TooManyRequests { message: &'static str, retry_after_secs: i64 },
    /// 500: the database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// 500: anything else that should not happen.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A 422 for `field` with a sentence saying what is wrong.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidField { field: field.into(), message: message.into() }
    }

    /// A 403 because the caller's role may not do this.
    pub fn role_required(what: &str, role: &str) -> Self {
        Self::Forbidden { code: "forbidden", message: format!("{what} needs the {role} role or higher") }
    }

    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            Self::MissingField(_) => (StatusCode::UNPROCESSABLE_ENTITY, "missing_field"),
            Self::InvalidField { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound(_) | Self::NoSuchRoute(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Self::Database(_) | Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    pub(crate) fn field(&self) -> Option<String> {
        match self {
            Self::MissingField(field) | Self::InvalidField { field, .. } => Some(field.clone()),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
            "internal error: the server could not complete the request; it has been logged".to_owned()
        } else {
            self.to_string()
        };
        let body = ApiErrorBody { error: code.to_owned(), message, field: self.field() };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        if let Self::TooManyRequests { retry_after_secs, .. } = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.max(1).into());
        }
        response
    }
}

/// The largest non-JSON error body `json_errors` reads to quote in its message.
const QUOTED_BODY_LIMIT: usize = 16 * 1024;

/// The last line of defence for "every error is JSON": an error response that some layer or service outside
/// callpop's handlers produced (tower-http's static files, axum's own rejections) becomes an `ApiErrorBody` with
/// the same status and headers (`Allow`, `Retry-After`), quoting its text. HTML error pages (the console's "no such
/// page") are meant for people and pass unchanged. It logs a warning: each one is a gap the handlers should close
/// (the API tests and the conformance run find none).
pub async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let asked = format!("{} {}", request.method(), request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(status.is_client_error() || status.is_server_error())
        || content_type.starts_with("application/json")
        || content_type.starts_with("text/html")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are short texts; one too long to read is replaced by the status's reason.
    let text = axum::body::to_bytes(body, QUOTED_BODY_LIMIT)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error");
    tracing::warn!(status = status.as_u16(), body = %text, "a non-JSON error response was made JSON");
    let message = if text.is_empty() || status.is_server_error() {
        format!("{asked}: {}", reason.to_lowercase())
    } else {
        format!("{asked}: {text}")
    };
    let code = reason.to_lowercase().replace([' ', '-'], "_").replace('\'', "");
    let body = ApiErrorBody { error: code, message, field: None };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    let mut converted = (parts.status, Json(body)).into_response();
    for (name, value) in &parts.headers {
        converted.headers_mut().append(name.clone(), value.clone());
    }
    converted
}
