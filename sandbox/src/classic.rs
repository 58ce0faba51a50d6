//! The org's Salesforce Classic side: the Service Console page (softphone in the footer, records in primary tabs,
//! Classic URLs such as `/<id>/e` and `/00Q/e?lea8=…`), our `sforce.interaction` library, and the page modules
//! both UIs share.

use crate::Org;
use crate::pages::{asset, library_script, page_with_config};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::routing::get;

const CLASSIC_PAGE: &str = include_str!("../assets/classic.html");
const CLASSIC_JS: &str = include_str!("../assets/classic.js");
const CLASSIC_CSS: &str = include_str!("../assets/classic.css");
const COMMON_JS: &str = include_str!("../assets/common.js");
const INTERACTION_JS: &str = include_str!("../assets/interaction.js");

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/console", get(console_page))
        .route("/home/home.jsp", get(|| async { Redirect::to("/console") }))
        .route("/assets/classic.js", get(|| async { asset("text/javascript", CLASSIC_JS) }))
        .route("/assets/classic.css", get(|| async { asset("text/css", CLASSIC_CSS) }))
        .route("/assets/common.js", get(|| async { asset("text/javascript", COMMON_JS) }))
        .route("/support/api/{version}/interaction.js", get(interaction_library))
}

async fn console_page(State(org): State<Org>) -> Html<String> {
    page_with_config(CLASSIC_PAGE, &org)
}

/// Our `sforce.interaction`: like the Lightning library, it accepts Salesforce's domains and this org's origin.
async fn interaction_library(State(org): State<Org>, Path(version): Path<String>) -> axum::response::Response {
    library_script(INTERACTION_JS, &org, &version)
}
