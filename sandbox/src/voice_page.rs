//! The org's Salesforce Voice page (`/lightning/voice`) and the HTTPS listener it is opened on.
//!
//! Salesforce serves Lightning from `https://<MyDomain>.lightning.force.com`, and Salesforce's connector library
//! (`@salesforce/scv-connector-base`) takes its setup message only from such an origin. So the org also serves its
//! pages over HTTPS on a second port, with a self-signed certificate made at start-up (`rcgen`) for
//! `*.lightning.force.com`; tests open it as `https://callpop-dev.lightning.force.com:<port>` with Chromium mapping
//! `*.force.com` to loopback and accepting the certificate. The same page on the org's plain HTTP origin is the
//! stranger the library must ignore.
//!
//! The page (`assets/voice.html`, `assets/voice.js`) does what Salesforce's Omni-Channel and the VoiceCall record
//! page do with a connector: it frames the connector (`OrgState::connector_url`), sends `SETUP_CONNECTOR` with a
//! `MessageChannel` port, logs every message both ways, offers a presence control, shows a ringing call's card
//! with Accept and Decline, and once the call is connected opens its VoiceCall record, found through
//! `/__ui/voice-calls/{vendor_call_key}`. A call the agent dials from the page gets the VoiceCall Salesforce makes
//! itself for outbound calls (`POST /__ui/voice-calls`), as the Telephony Integration API creates none.

use crate::Org;
use crate::pages::{asset, json_for_script};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto::aws_lc_rs};

/// The host of the org's Lightning domain, as Salesforce names it (`<MyDomain>.lightning.force.com`).
pub const VOICE_HOST: &str = "callpop-dev.lightning.force.com";

/// The domain the certificate covers: every My Domain's Lightning host.
const LIGHTNING_DOMAIN: &str = "*.lightning.force.com";

const VOICE_PAGE: &str = include_str!("../assets/voice.html");
const VOICE_JS: &str = include_str!("../assets/voice.js");

pub(crate) fn router() -> Router<Org> {
    Router::new()
        .route("/lightning/voice", get(voice_page))
        .route("/assets/voice.js", get(|| async { asset("text/javascript", VOICE_JS) }))
        .route("/__ui/voice-calls", post(dialled_voice_call))
        .route("/__ui/voice-calls/{vendor_call_key}", get(voice_call))
}

/// What the page sends when the agent dialled through the connector.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DialledCall {
    vendor_call_key: String,
    to_phone_number: String,
}

/// Salesforce's own VoiceCall for a call the agent dialled from the Voice page (`telephony::dialled_voice_call`).
async fn dialled_voice_call(State(org): State<Org>, axum::Json(call): axum::Json<DialledCall>) -> Response {
    let mut state = org.lock();
    let id = crate::telephony::dialled_voice_call(
        &mut state,
        &call.vendor_call_key,
        &call.to_phone_number,
        chrono::Utc::now(),
    );
    axum::Json(json!({ "id": id.as_str() })).into_response()
}

async fn voice_page(State(org): State<Org>) -> Html<String> {
    let state = org.lock();
    let config = json!({ "orgOrigin": state.origin, "connectorUrl": state.connector_url });
    Html(VOICE_PAGE.replace("{{CONFIG}}", &json_for_script(&config)))
}

/// The VoiceCall whose `VendorCallKey` is the telephony vendor's call id, as its record page shows it: its fields,
/// and the name of its `RelatedRecordId` record. 404 until the vendor's server has written it.
async fn voice_call(State(org): State<Org>, Path(vendor_call_key): Path<String>) -> Response {
    let state = org.lock();
    let Some(call) =
        state.records.of("VoiceCall").find(|call| call.text("VendorCallKey") == Some(vendor_call_key.as_str()))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let related = call
        .text("RelatedRecordId")
        .and_then(|id| callpop_core::record::RecordId::parse(id).ok())
        .and_then(|id| state.records.get(&id))
        .map(|record| json!({ "id": record.id.as_str(), "object": record.object, "name": record.display_name() }));
    axum::Json(json!({
        "name": call.display_name(),
        "record": call.to_json(crate::OPEN_CTI_API_VERSION),
        "related": related,
    }))
    .into_response()
}

/// A TLS acceptor with a new self-signed certificate for the org's Lightning domain (and `localhost`).
fn tls_acceptor() -> anyhow::Result<TlsAcceptor> {
    let names = vec![LIGHTNING_DOMAIN.to_owned(), "localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` over HTTPS (HTTP/1.1) on `listener` until the task is aborted.
pub(crate) fn serve_https(listener: TcpListener, router: Router) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let acceptor = tls_acceptor()?;
    Ok(tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                // A browser that refuses the certificate closes the handshake: nothing to serve.
                let Ok(stream) = acceptor.accept(socket).await else { return };
                let service = TowerToHyperService::new(router);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    }))
}
