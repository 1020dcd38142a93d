//! The Prometheus scrape endpoint, `GET /metrics` (also servable on a listener of its own,
//! `metrics_listen`): sets the series read from state at scrape time, then renders the recorder's text.
//! The recorder and every metric's declaration are in [`crate::metrics`].

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::gauge;
use tracing::{info, warn};

use crate::metrics::names::DB_POOL_CONNECTIONS;
use crate::metrics::{CONTENT_TYPE_TEXT, install};
use crate::state::AppState;

/// Sets the series read from state at scrape time (the database pool), then renders everything.
pub fn render(state: &AppState) -> String {
    let handle = install();
    let pool = state.api.store.pool_stats();
    gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
    gauge!(DB_POOL_CONNECTIONS, "state" => "busy")
        .set(f64::from(pool.size.saturating_sub(pool.idle)));
    handle.render()
}

/// `GET /metrics`: the Prometheus text format.
pub async fn serve(State(state): State<AppState>) -> impl IntoResponse {
    ([(CONTENT_TYPE, CONTENT_TYPE_TEXT)], render(&state))
}

/// A router with only `/metrics` (for [`spawn_listener`]).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(serve))
        .with_state(state)
}

/// Binds `addr` and serves `/metrics` there until the server shuts down.
pub async fn spawn_listener(addr: SocketAddr, state: AppState) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics_listen: cannot listen on {addr}"))?;
    let mut shutdown = state.ops.shutdown.clone();
    let app = router(state);
    info!(addr = %listener.local_addr().unwrap_or(addr), "Serving /metrics.");
    tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            warn!(error = %e, "Metrics listener failed.");
        }
    });
    Ok(())
}
