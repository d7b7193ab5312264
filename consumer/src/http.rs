//! /health, /ready and /metrics.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use platform_contract::{HEALTH_PATH, METRICS_PATH, READY_PATH};

use crate::kafka::ConsumerState;
use crate::metrics::Metrics;

#[derive(Clone)]
struct AppState {
    consumer: Arc<ConsumerState>,
    metrics: Metrics,
}

/// Binds the probe server; the returned future serves until the runtime stops.
pub async fn serve(
    address: SocketAddr,
    consumer: Arc<ConsumerState>,
    metrics: Metrics,
) -> std::io::Result<impl std::future::Future<Output = std::io::Result<()>>> {
    let app = Router::new()
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .route(READY_PATH, get(ready))
        .route(METRICS_PATH, get(metrics_text))
        .with_state(AppState { consumer, metrics });
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(%address, "probe and metrics server listening");
    Ok(async move { axum::serve(listener, app).await })
}

async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    let assigned = state.consumer.assigned_partitions.load(Ordering::SeqCst);
    let sink = state.consumer.sink_reachable.load(Ordering::SeqCst);
    let status = if assigned > 0 && sink {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        format!("assigned_partitions={assigned} sink_reachable={sink}\n"),
    )
}

async fn metrics_text(State(state): State<AppState>) -> String {
    state.metrics.encode()
}
