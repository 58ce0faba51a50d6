//! The HTTP surface: every route, the OpenAPI document generated from them, and the layers every request goes
//! through (request ids, logs, metrics, body size limit).
//!
//! Every API route is registered through `utoipa_axum::routes!`, which takes the path and method from the handler's
//! `#[utoipa::path]`: a route cannot exist without being in `GET /api/openapi.json`. Only HTML pages and static
//! files are plain routes: the softphone's page (`softphone::page_router`), the admin console's pages
//! (`console::page_router`) and the Salesforce Voice connector's page (`connector::page_router`); a tidy test below
//! keeps it that way.

mod activities;
mod agent;
mod agent_history;
mod api_keys;
mod call_center;
mod call_commands;
mod call_events;
mod call_log;
mod connector;
mod console;
mod dial;
mod export;
mod health;
mod log;
mod logging;
mod salesforce;
mod sessions;
mod settings;
mod softphone;
mod sync_log;
mod texts;
mod triggers;
mod user_sessions;
mod voice;
mod voice_pop;
mod wrap_up;

use crate::error::ApiError;
use crate::extract::MAX_JSON_BODY_BYTES;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, Request, Uri};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The document's fixed parts; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(title = "callpop", description = "callpop's server: telephony events in, the softphone's stream out, \
        call activity into Salesforce. Errors are `ApiErrorBody` JSON."),
    modifiers(&BearerSchemes),
    // The agent's stream carries `CallUpdate`s inside its events; the schema is here for its clients.
    components(schemas(callpop_core::wire::CallUpdate))
)]
struct ApiDoc;

/// The two kinds of bearer credentials: account API keys (`cpk_…`) and session tokens (`cps_…`).
struct BearerSchemes;

impl utoipa::Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, format, description) in [
            ("api_key", "cpk_…", "The account's API key, for the telephony side"),
            ("session", "cps_…", "A session token from POST /api/v1/sessions"),
        ] {
            let scheme =
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format(format).description(Some(description));
            components.add_security_scheme(name, SecurityScheme::Http(scheme.build()));
        }
    }
}

/// Every documented route, and the OpenAPI document describing them.
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::new()
        .merge(call_events::router())
        .merge(texts::router())
        .merge(sessions::router())
        .merge(user_sessions::router())
        .merge(agent::router())
        .merge(agent_history::router())
        .merge(voice_pop::router())
        .merge(activities::router())
        .merge(dial::router())
        .merge(salesforce::router())
        .merge(triggers::router())
        .merge(sync_log::router())
        .merge(call_log::router())
        .merge(settings::router())
        .merge(voice::router())
        .merge(api_keys::router())
        .merge(call_center::router())
        .merge(softphone::api_router())
        .merge(logging::router())
        .merge(call_commands::router())
        .merge(wrap_up::router());
    let (router, mut openapi) =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api).merge(health::router()).split_for_parts();
    document_error_responses(&mut openapi);
    (router, openapi)
}

/// Adds the errors the shared extractors answer to every operation that uses them, so no route can forget one: a
/// JSON body can be malformed (400), too large (413), not JSON (415) or of the wrong shape (422); credentials can
/// be missing or wrong (401); path and query parameters can be of the wrong type (422). Each is an `ApiErrorBody`.
fn document_error_responses(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiErrorBody"))).build();
        ResponseBuilder::new().description(description).content("application/json", content).build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let mut statuses = Vec::new();
            if operation.request_body.is_some() {
                statuses.extend([
                    ("400", "the body is not JSON"),
                    ("413", "the body is too large"),
                    ("415", "the body is not sent as `application/json`"),
                    ("422", "a field is missing or wrong (`field` names it)"),
                ]);
            }
            if operation.security.as_ref().is_some_and(|security| !security.is_empty()) {
                statuses.push(("401", "no credentials, or credentials that are not valid"));
            }
            if operation.parameters.as_ref().is_some_and(|parameters| !parameters.is_empty()) {
                statuses.push(("422", "a parameter is wrong (`field` names it)"));
            }
            for (status, description) in statuses {
                operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description).into());
            }
        }
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_routes();
    let openapi = std::sync::Arc::new(openapi);
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(move || std::future::ready(Json(openapi.as_ref().clone()))))
        .merge(softphone::page_router(&state.config))
        .merge(console::page_router())
        .merge(connector::page_router(&state.config))
        .route_layer(axum::middleware::from_fn(crate::metrics::track_requests))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_such_route)
        .layer(axum::middleware::from_fn(crate::error::json_errors))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id =
                        request.headers().get(REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
                    // The path only: query strings can carry stream tickets, which do not belong in logs.
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Anything no route matches: a JSON 404 like every other error, under `/api` and elsewhere (ARCHITECTURE.md,
/// "Errors").
async fn no_such_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoSuchRoute(format!("{method} {}", uri.path()))
}

/// A known path with a method it does not take: a JSON 405; axum adds the `Allow` header listing the methods it
/// does take.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

#[cfg(test)]
mod tests {
    /// Every module of this directory, by file name.
    /// Every route module's file name and source, read from this directory, so a new module is checked without
    /// anyone adding it to a list.
    fn sources() -> Vec<(String, String)> {
        let sources: Vec<(String, String)> =
            crate::source_files::rust_files("routes").into_iter().filter(|(name, _)| name != "mod.rs").collect();
        assert!(sources.len() >= 17, "the route modules were not found");
        sources
    }

    /// Tidy test: only the softphone's and the console's page routers use plain `.route(`; every API route goes
    /// through `routes!`, which documents it in the OpenAPI document by construction.
    #[test]
    fn every_api_route_is_registered_through_the_openapi_router() {
        for (file, source) in sources()
            .iter()
            .filter(|(file, _)| !matches!(file.as_str(), "softphone.rs" | "console.rs" | "connector.rs"))
        {
            assert!(!source.contains(".route("), "{file} registers a route without documenting it: use routes!");
        }
        let softphone = include_str!("softphone.rs");
        let plain_routes = softphone.matches(".route(").count();
        assert_eq!(plain_routes, 2, "softphone.rs has only the page's two plain routes (/softphone and /softphone/)");
        let connector = include_str!("connector.rs");
        assert_eq!(connector.matches(".route(").count(), 1, "connector.rs has only its page's route (/connector/)");
        let console = include_str!("console.rs");
        let plain_routes = console.matches(".route(").count();
        assert_eq!(plain_routes, 3, "console.rs has only its pages' routes (/console, /console/, /console/{{page}})");
        assert!(!console.contains("utoipa"), "console.rs serves HTML pages, which the OpenAPI document leaves out");
    }

    /// Tidy test: handlers read input through callpop's extractors (`JsonBody`, `QueryParams`, `PathParam`), whose
    /// rejections are the API's JSON error naming the field; axum's `Json`, `Query` and `Path` answer plain text.
    #[test]
    fn every_handler_reads_input_through_callpops_extractors() {
        let demo = [("../demo.rs".to_owned(), include_str!("../demo.rs").to_owned())];
        for (file, source) in sources().iter().chain(&demo) {
            for axum_extractor in ["Query<", "Path<", "): Json<", "Form<"] {
                assert!(!source.contains(axum_extractor), "{file} uses axum's {axum_extractor}: use crate::extract's");
            }
        }
    }
}
