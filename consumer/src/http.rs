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

/// Partitions assigned and the sink reachable: what /ready and `cdc_consumer_ready` report.
fn readiness(consumer: &ConsumerState) -> (bool, usize, bool) {
    let assigned = consumer.assigned_partitions.load(Ordering::SeqCst);
    let sink = consumer.sink_reachable.load(Ordering::SeqCst);
    (assigned > 0 && sink, assigned, sink)
}

async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    let (ready, assigned, sink) = readiness(&state.consumer);
    let status = if ready {
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
    // Read at scrape time, so the gauge and the probe never disagree.
    let (ready, _, _) = readiness(&state.consumer);
    state.metrics.ready.set(i64::from(ready));
    state.metrics.encode()
}
