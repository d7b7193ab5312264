//! Structured JSON logs and the platform's metrics.
//!
//! - [`init_json_logs`]: one JSON object per line on stdout via `tracing`; inside a Lambda
//!   invocation the runtime's span carries `requestId`, and the formatter includes the current
//!   span, so every line logged while handling a request carries the request id.
//! - [`emf::MetricsLine`]: CloudWatch Embedded Metric Format lines for the functions (CloudWatch
//!   turns the log line into metrics; no API call on the hot path).
//! - [`prometheus_metrics::PrometheusMetrics`]: a Prometheus registry with the same metric names
//!   for long-running processes (the Kafka consumer's `/metrics`).
//!
//! Metric names are the seed's, in [`names`], so dashboards work for both.

pub mod emf;
pub mod prometheus_metrics;
pub mod startup;

/// The platform's metric names (shared by EMF and Prometheus).
pub mod names {
    pub const LAMBDA_INVOCATIONS_TOTAL: &str = "lambda_invocations_total";
    pub const LAMBDA_ERRORS_TOTAL: &str = "lambda_errors_total";
    pub const LAMBDA_DURATION_SECONDS: &str = "lambda_duration_seconds";
    /// 0 closed, 1 half-open, 2 open; see [`crate::CircuitStateValue`].
    pub const CIRCUIT_BREAKER_STATE: &str = "circuit_breaker_state";
    pub const CROSS_REGION_LATENCY_SECONDS: &str = "cross_region_latency_seconds";
    pub const CDC_EVENTS_PROCESSED_TOTAL: &str = "cdc_events_processed_total";
}

/// The numeric value of `circuit_breaker_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitStateValue {
    Closed = 0,
    HalfOpen = 1,
    Open = 2,
}

/// Logging could not be initialised.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter `{filter}`: {reason}")]
    Filter { filter: String, reason: String },
    #[error("a global logger is already installed")]
    AlreadyInstalled,
    #[error("prometheus: {0}")]
    Prometheus(#[from] prometheus::Error),
}

/// Installs the JSON log subscriber. `filter` is a `tracing` directive such as `info` or
/// `event_router=debug` (the `LOG_LEVEL` variable); `None` means `info`.
pub fn init_json_logs(filter: Option<&str>) -> Result<(), TelemetryError> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let directive = filter.unwrap_or("info");
    // `Targets` rather than `EnvFilter`: the same `level` / `target=level` directives without
    // linking a regex engine (about 230 KiB of every function's binary).
    let targets: tracing_subscriber::filter::Targets =
        directive.parse().map_err(|e| TelemetryError::Filter {
            filter: directive.to_string(),
            reason: format!("{e}"),
        })?;
    let json_lines = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false);
    tracing_subscriber::registry()
        .with(json_lines)
        .with(targets)
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInstalled)
}
