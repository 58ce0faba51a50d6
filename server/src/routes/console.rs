//! The admin console's pages: `GET /console/` (the overview) and `GET /console/{page}` (sign-in, the call and text
//! logs, the integration options, the call center definition, API keys, the settings history).
//!
//! Every page is the same HTML shell, `static/console/index.html`; its script loads the page's module
//! `static/console/pages/<page>.js`, which draws the page from the JSON API with the signed-in user's bearer token.
//! A page exists exactly when its module does, so adding a page needs no change here. This module serves HTML
//! only: it reads no session and no database, and every decision about who may see what stays with the API routes.
//!
//! The shell is served with a strict Content-Security-Policy: scripts and styles only from this server's own files
//! (no inline script or style, no `eval`), requests only to this server, and no framing at all. The console is a
//! first-party page; nothing else may embed it.

use crate::error::{ApiError, ApiResult};
use crate::extract::PathParam;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

/// The console's Content-Security-Policy.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; \
    object-src 'none'";

pub(super) fn page_router() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(overview_page))
        .route("/console/{page}", get(console_page))
}

async fn overview_page(State(state): State<AppState>) -> ApiResult<Response> {
    shell(&state, StatusCode::OK).await
}

/// A named page: the shell when `static/console/pages/<page>.js` exists, else the shell with status 404 (its script
/// then says that there is no such page).
async fn console_page(State(state): State<AppState>, PathParam(page): PathParam<String>) -> ApiResult<Response> {
    let status = if page_exists(&state, &page).await { StatusCode::OK } else { StatusCode::NOT_FOUND };
    shell(&state, status).await
}

/// Whether `page` names one of the console's page modules. Only lowercase letters, digits and dashes can: nothing
/// from the URL reaches the file system otherwise. `home` is the overview's module, served at `/console/` only.
async fn page_exists(state: &AppState, page: &str) -> bool {
    let well_formed = !page.is_empty()
        && page != "home"
        && page.len() <= 40
        && page.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    let module = state.config.static_dir.join("console/pages").join(format!("{page}.js"));
    well_formed && tokio::fs::metadata(module).await.is_ok_and(|meta| meta.is_file())
}

async fn shell(state: &AppState, status: StatusCode) -> ApiResult<Response> {
    let path = state.config.static_dir.join("console/index.html");
    let page = tokio::fs::read_to_string(&path).await.map_err(|error| {
        ApiError::Internal(anyhow::anyhow!("reading the console page at {}: {error}", path.display()))
    })?;
    let headers = [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
    ];
    Ok((status, headers, Html(page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::CONTENT_SECURITY_POLICY;

    #[test]
    fn the_policy_allows_no_inline_code_and_no_framing() {
        for directive in [
            "default-src 'self'",
            "script-src 'self';",
            "style-src 'self';",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(CONTENT_SECURITY_POLICY.contains(directive), "missing {directive}");
        }
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"), "no 'unsafe-inline' or 'unsafe-eval'");
    }
}
