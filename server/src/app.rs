//! `Application`: the one way to build and run the server, used by `callpop serve`, the demo and every test.

use crate::config::Config;
use crate::routes;
use crate::state::AppState;
use crate::store::{Db, SqlStore, Store};
use crate::streams::StreamNotifier;
use crate::sync::SyncEngine;
use anyhow::Context;
use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A server bound to its port, ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies its migrations and binds the listening socket.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // The metrics recorder must exist before the first request is counted.
        crate::metrics::prometheus();
        let sql = SqlStore::connect(&config.database_url).await?;
        // Servers sharing a PostgreSQL database wake each other's streams; a SQLite file has one server.
        let streams = match sql.db() {
            Db::Postgres(pool) => StreamNotifier::across_servers(pool.clone()).await?,
            Db::Sqlite(_) => StreamNotifier::new(),
        };
        let store: Arc<dyn Store> = Arc::new(sql);
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        let bound = listener.local_addr().unwrap_or(config.listen);
        let public_url =
            config.public_url.clone().unwrap_or_else(|| format!("http://{bound}")).trim_end_matches('/').to_owned();
        let sync = Arc::new(SyncEngine::new(Arc::clone(&store), &config, &public_url, streams.clone())?);
        if !config.no_sync {
            sync.spawn();
        }
        streams.watch(Arc::clone(&store), config.stream_poll);
        let state = AppState { store, config: Arc::new(config), streams, sync, public_url };
        Ok(Self { listener, state })
    }

    /// The address the server listens on (the real port when the configuration asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| self.state.config.listen)
    }

    /// The store, for seeding accounts before serving (the demo, the tests).
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.state.store)
    }

    /// The sync engine, for linking an org without a browser (the demo) and driving it in tests.
    pub fn sync(&self) -> Arc<SyncEngine> {
        Arc::clone(&self.state.sync)
    }

    /// Serves until the process stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_with(axum::Router::new()).await
    }

    /// Serves with `extra` routes beside the application's (the demo's telephony side) until the process stops.
    pub async fn run_with(self, extra: axum::Router) -> std::io::Result<()> {
        // The peer's address reaches handlers as `ConnectInfo` (sign-in throttling per client, `ClientAddress`).
        let app = routes::router(self.state).merge(extra).into_make_service_with_connect_info::<SocketAddr>();
        // TCP_NODELAY: a stream event written soon after the previous one goes out at once instead of waiting, by
        // Nagle's algorithm, for the browser's delayed ACK of the previous one (up to 40 ms).
        let listener = self.listener.tap_io(|connection| {
            if let Err(error) = connection.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
            }
        });
        axum::serve(listener, app).await
    }
}
