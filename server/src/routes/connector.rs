//! The Salesforce Voice connector's page, which Salesforce frames in place of the Open CTI softphone
//! (`GET /connector/`), and its files: the bundle `cargo xtask build-wasm` writes into `static/connector/pkg/`
//! (served at `/connector/pkg/`, brotli- or gzip-compressed when the browser accepts it) and its stylesheet.
//!
//! The page's Content-Security-Policy lets the same origins frame it as may frame the softphone (Salesforce's
//! domains, and in the demo and the tests the configured local org, `softphone::frame_ancestors`), and lets it run
//! scripts and make requests only to this server: unlike the softphone, it loads nothing from Salesforce, whose
//! connector library is inside the bundle. The files are revalidated on every load, as they are not versioned.

use super::softphone::{frame_ancestors, framed_page, read_page};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub(super) fn page_router(config: &crate::config::Config) -> Router<AppState> {
    let folder = config.static_dir.join("connector");
    let bundle = ServeDir::new(folder.join("pkg"))
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    let files = Router::new()
        .nest_service("/connector/pkg", bundle)
        .route_service("/connector/connector.css", ServeFile::new(folder.join("connector.css")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; sandbox"),
        ));
    Router::new().route("/connector/", get(connector_page)).merge(files)
}

/// The connector page's Content-Security-Policy.
pub(crate) fn content_security_policy(config: &crate::config::Config) -> String {
    format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; \
         frame-ancestors {}; base-uri 'none'; form-action 'none'",
        frame_ancestors(config)
    )
}

async fn connector_page(State(state): State<AppState>) -> ApiResult<Response> {
    let page = read_page(&state, "connector/index.html").await?;
    framed_page(&content_security_policy(&state.config), page)
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn salesforce_and_the_configured_org_may_frame_the_connector_and_it_runs_only_its_own_scripts() {
        let mut config = crate::config::Config::for_tests("sqlite::memory:".to_owned());
        config.extra_org_origins = vec!["https://callpop-dev.lightning.force.com:8443".to_owned()];
        let policy = content_security_policy(&config);
        let ancestors = policy.split("; ").find(|directive| directive.starts_with("frame-ancestors")).unwrap();
        for origin in
            ["https://*.force.com", "https://*.salesforce.com", "https://callpop-dev.lightning.force.com:8443"]
        {
            assert!(ancestors.split(' ').any(|source| source == origin), "{origin} missing from {ancestors}");
        }
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("connect-src 'self';"), "{policy}");
    }
}
