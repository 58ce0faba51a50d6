//! The softphone page Salesforce frames (`GET /softphone/`), its static files, and its configuration.
//!
//! The page is served with a Content-Security-Policy that lets only Salesforce's domains (and, in the demo and the
//! tests, the configured local org) frame it, and lets it run scripts only from itself and those origins: the
//! softphone loads the Open CTI library from `sfdcIframeOrigin`, so a crafted link must not make it run a stranger's
//! script. `'wasm-unsafe-eval'` allows compiling the WebAssembly bundle and nothing else.
//!
//! The page is never cached as immutable (`no-cache`: revalidated on each load); it names the softphone's files under
//! the bundle's content hash, `/static/v/<hash>/`, which browsers cache for a year, and those files are sent brotli- or
//! gzip-compressed from the copies `cargo xtask build-wasm` writes beside them (PERFORMANCE.md).

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use callpop_core::open_cti::SALESFORCE_DOMAIN_SUFFIXES;
use callpop_core::wire::SoftphoneConfig;
use sha2::{Digest, Sha256};
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn page_router(config: &Config) -> Router<AppState> {
    let version = BundleVersion::of(&config.static_dir);
    let page_version = version.clone();
    let page = get(move |state: State<AppState>| softphone_page(state, page_version.clone()));
    Router::new()
        .route("/softphone", page.clone())
        .route("/softphone/", page)
        // The softphone's files under its bundle's version: the name changes whenever a byte does, so they are
        // cached for a year; any other version is a 404 (the page, never cached as immutable, names the current one).
        .nest(&version.prefix(), static_files(config, IMMUTABLE))
        .nest("/static", static_files(config, "no-cache"))
}

/// How the versioned files are cached: for a year, and never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `static/` as files (no pages, no directory listings), each with `cache_control`, and with the precompressed copy
/// (`.br`, then `.gz`, written by `cargo xtask build-wasm`) when the browser accepts it and one exists.
fn static_files(config: &Config, cache_control: &'static str) -> Router<AppState> {
    // The pages under `static/` (the softphone's, the console's) are served by their own routes with their CSP; as
    // static files they would be frameable by any site, so `/static` serves no HTML and lists no directory.
    let files = ServeDir::new(&config.static_dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(refuse_html))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(cache_control)))
        // Caches keep the compressed and the plain copy apart.
        .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STATIC_FILES_POLICY),
        ))
}

/// The softphone bundle's version: the first 16 hex digits of the SHA-256 of every file in `static/softphone/` and
/// `static/pkg/` (names and bytes), read once at startup. `cargo xtask build-wasm` while a server runs needs a
/// restart for the new files to be named.
#[derive(Debug, Clone)]
struct BundleVersion(String);

impl BundleVersion {
    fn of(static_dir: &Path) -> Self {
        let mut hasher = Sha256::new();
        for folder in ["softphone", "pkg"] {
            let mut files: Vec<_> = std::fs::read_dir(static_dir.join(folder))
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.is_file())
                .collect();
            files.sort();
            for file in files {
                hasher.update(file.strip_prefix(static_dir).unwrap_or(&file).to_string_lossy().as_bytes());
                hasher.update(std::fs::read(&file).unwrap_or_default());
            }
        }
        Self(hex::encode(hasher.finalize())[..16].to_owned())
    }

    /// Where its files are served: `/static/v/<version>`, the same tree as `/static` below it.
    fn prefix(&self) -> String {
        format!("/static/v/{}", self.0)
    }
}

/// The policy of every static file: none of them is a page, so none may be framed or run anything.
const STATIC_FILES_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// A 404 for an HTML file or a directory under `/static`: each page has its own route, which sends its CSP.
async fn refuse_html(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // Decoded as `ServeDir` decodes it, so `index%2Ehtml` is refused too.
    let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy().to_ascii_lowercase();
    // The same JSON 404 as every unknown path, naming what was asked for.
    let asked = format!("{} /static{}", request.method(), request.uri().path());
    if path.ends_with(".html") || path.ends_with(".htm") || path.ends_with('/') {
        return ApiError::NoSuchRoute(format!("{asked} (pages are served at /softphone/ and /console/)"))
            .into_response();
    }
    let response = next.run(request).await;
    if response.status() == axum::http::StatusCode::NOT_FOUND {
        return ApiError::NoSuchRoute(asked).into_response();
    }
    response
}

pub(super) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(softphone_config))
}

/// The origins of Salesforce's pages and libraries: the same domains Salesforce's Open CTI library trusts
/// (callpop-core checks origins with the same list), and the operator's extra org origins.
fn salesforce_origins(config: &Config) -> String {
    let mut trusted: Vec<String> =
        SALESFORCE_DOMAIN_SUFFIXES.iter().map(|suffix| format!("https://*{suffix}")).collect();
    trusted.extend(config.extra_org_origins.iter().cloned());
    trusted.join(" ")
}

/// Who may frame callpop's pages for Salesforce (the softphone, and the Salesforce Voice connector): Salesforce's
/// origins and, as Salesforce Setup pages live on salesforce-setup.com, those (they serve no library).
pub(super) fn frame_ancestors(config: &Config) -> String {
    format!("{} https://*.salesforce-setup.com", salesforce_origins(config))
}

/// The softphone page's Content-Security-Policy.
pub(crate) fn content_security_policy(config: &Config) -> String {
    let scripts = salesforce_origins(config);
    let ancestors = frame_ancestors(config);
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {scripts}; connect-src 'self'; \
         style-src 'self'; img-src 'self' data:; frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    )
}

/// The page, naming its files under the bundle's version (`/static/softphone/x` becomes `/static/v/<version>/softphone/x`,
/// `/static/pkg/x` `/static/v/<version>/pkg/x`; the boot script imports the glue relatively, so it stays under the
/// same version), and carrying what `GET /api/v1/softphone/config` answers, so the softphone starts without asking.
async fn softphone_page(State(state): State<AppState>, version: BundleVersion) -> ApiResult<Response> {
    let page = read_page(&state, "softphone/index.html").await?;
    let config = &state.config;
    let page = page
        .replace("\"/static/", &format!("\"{}/", version.prefix()))
        .replace("{{open_cti_version}}", &quick_xml::escape::escape(config.open_cti_version.as_str()))
        .replace("{{extra_org_origins}}", &quick_xml::escape::escape(config.extra_org_origins.join(" ").as_str()));
    framed_page(&content_security_policy(&state.config), page)
}

/// A page under `static/` (`name`, e.g. `softphone/index.html`), as text.
pub(super) async fn read_page(state: &AppState, name: &str) -> ApiResult<String> {
    let path = state.config.static_dir.join(name);
    tokio::fs::read_to_string(&path)
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("reading the page at {}: {error}", path.display())))
}

/// A page Salesforce frames, with its Content-Security-Policy: revalidated on every load, never sniffed, and
/// sending only its origin as the referrer.
pub(super) fn framed_page(policy: &str, page: String) -> ApiResult<Response> {
    let csp = HeaderValue::from_str(policy).map_err(anyhow::Error::from)?;
    let headers = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("strict-origin")),
    ];
    Ok((headers, Html(page)).into_response())
}

/// What the softphone needs before anyone signs in.
#[utoipa::path(get, path = "/softphone/config", tag = "softphone", responses((status = 200, body = SoftphoneConfig)))]
async fn softphone_config(State(state): State<AppState>) -> Json<SoftphoneConfig> {
    Json(SoftphoneConfig {
        api_version: state.config.open_cti_version.clone(),
        extra_org_origins: state.config.extra_org_origins.clone(),
    })
}
