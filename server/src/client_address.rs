//! `ClientAddress`: the address a request came from, for throttling sign-ins per client.
//!
//! Directly on the internet it is the TCP peer. Behind a load balancer or reverse proxy every peer is the proxy, so
//! the operator names the header the proxy writes (`--client-address-header X-Forwarded-For`); callpop then takes
//! the header's last address, the one the operator's own proxy appended (earlier ones come from the client and can
//! be forged). Without that setting the header is ignored, so a client cannot choose its own address.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The client's address as text (an IP address), or `unknown` when the server cannot tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let from_proxy = state.config.client_address_header.as_deref().and_then(|name| {
            let values = parts.headers.get_all(name).iter().filter_map(|value| value.to_str().ok());
            let last = values.flat_map(|value| value.split(',')).map(str::trim).rfind(|part| !part.is_empty());
            last.and_then(|address| address.parse::<std::net::IpAddr>().ok())
        });
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
        Ok(Self(from_proxy.or(peer).map_or_else(|| "unknown".to_owned(), |address| address.to_string())))
    }
}
