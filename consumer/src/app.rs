//! Wiring: outputs from the configuration, the probe server, the sink watcher, the signal
//! handler and the consumer thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use platform_aws::config::TimeoutConfig;
use platform_aws::sqs::DeadLetterQueue;

use crate::config::Config;
use crate::kafka::{self, ConsumerState, Settings};
use crate::metrics::Metrics;
use crate::outputs::{EventBridgePublisher, EventPublisher};
use crate::pipeline::Outputs;
use crate::sink::DynamoSink;

const SINK_CHECK_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("binding the probe server: {0}")]
    Bind(std::io::Error),
    #[error(transparent)]
    Kafka(#[from] kafka::KafkaError),
    #[error("the consumer thread panicked")]
    ConsumerPanicked,
}

/// The AWS outputs named by the configuration. `AWS_ENDPOINT_URL` (the SDK's own variable)
/// points every client at an emulator.
pub async fn aws_outputs(config: &Config, metrics: Metrics) -> Outputs {
    // Short timeouts turn an unreachable service into a retried transient error quickly.
    let shared = platform_aws::config::from_env_with_timeouts(
        &config.region,
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(10))
            .build(),
    )
    .await;
    let events: Option<Arc<dyn EventPublisher>> = config.event_bus_name.as_ref().map(|bus| {
        Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&shared),
            bus,
        )) as Arc<dyn EventPublisher>
    });
    Outputs {
        sink: Arc::new(DynamoSink::new(
            aws_sdk_dynamodb::Client::new(&shared),
            &config.table_name,
            config.tombstone_ttl,
        )),
        dead_letters: Arc::new(DeadLetterQueue::new(
            aws_sdk_sqs::Client::new(&shared),
            &config.dlq_url,
        )),
        events,
        metrics,
        region: config.region.clone(),
    }
}

/// Runs until SIGTERM or SIGINT, then drains, commits and returns.
pub async fn run(config: Config, outputs: Outputs) -> Result<(), AppError> {
    let shutdown = Arc::new(AtomicBool::new(false));
    let signals = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        signals.store(true, Ordering::SeqCst);
    });
    run_until(config, outputs, shutdown).await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs until `shutdown` is set (by a signal, or by a benchmark).
pub async fn run_until(
    config: Config,
    outputs: Outputs,
    shutdown: Arc<AtomicBool>,
) -> Result<(), AppError> {
    let state = Arc::new(ConsumerState::default());
    let outputs = Arc::new(outputs);
    let server = crate::http::serve(
        config.metrics_address,
        state.clone(),
        outputs.metrics.clone(),
    )
    .await
    .map_err(AppError::Bind)?;
    tokio::spawn(async move {
        if let Err(e) = server.await {
            tracing::error!(error = %e, "probe server stopped");
        }
    });
    let watcher_state = state.clone();
    let sink = outputs.sink.clone();
    tokio::spawn(async move {
        loop {
            let reachable = match sink.check().await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "sink check failed");
                    false
                }
            };
            watcher_state
                .sink_reachable
                .store(reachable, Ordering::SeqCst);
            tokio::time::sleep(SINK_CHECK_INTERVAL).await;
        }
    });
    let settings = Settings {
        bootstrap_servers: config.bootstrap_servers.clone(),
        group_id: config.group_id.clone(),
        group_instance_id: config.group_instance_id.clone(),
        topics: config.topics.clone(),
        batch_size: config.batch_size,
        fetch_wait_max_ms: config.fetch_wait_max_ms,
    };
    let runtime = tokio::runtime::Handle::current();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("kafka-consumer".into())
        .spawn(move || {
            let result = kafka::run(settings, outputs, state, runtime, shutdown);
            let _ = done_tx.send(result);
        })
        .map_err(AppError::Bind)?;
    match done_rx.await {
        Ok(result) => result.map_err(AppError::from),
        Err(_) => Err(AppError::ConsumerPanicked),
    }
}
