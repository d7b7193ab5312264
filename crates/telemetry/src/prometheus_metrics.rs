//! The platform's metrics in a Prometheus registry, for long-running processes.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::TelemetryError;
use crate::names::*;

/// The six platform metrics registered in one [`Registry`].
///
/// Labels: `lambda_*` by `function`; `lambda_errors_total` also by `kind`;
/// `circuit_breaker_state` and `cross_region_latency_seconds` by `destination`;
/// `cdc_events_processed_total` by `table`, `operation` and `outcome`.
#[derive(Clone)]
pub struct PrometheusMetrics {
    registry: Registry,
    pub invocations: IntCounterVec,
    pub errors: IntCounterVec,
    pub duration: HistogramVec,
    pub circuit_state: IntGaugeVec,
    pub cross_region_latency: HistogramVec,
    pub cdc_events: IntCounterVec,
}

impl PrometheusMetrics {
    pub fn new() -> Result<Self, TelemetryError> {
        let registry = Registry::new();
        let invocations = IntCounterVec::new(
            Opts::new(LAMBDA_INVOCATIONS_TOTAL, "Invocations handled"),
            &["function"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(LAMBDA_ERRORS_TOTAL, "Invocations or items that failed"),
            &["function", "kind"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(LAMBDA_DURATION_SECONDS, "Handling time")
                .buckets(prometheus::exponential_buckets(0.0005, 2.0, 14)?),
            &["function"],
        )?;
        let circuit_state = IntGaugeVec::new(
            Opts::new(CIRCUIT_BREAKER_STATE, "0 closed, 1 half-open, 2 open"),
            &["destination"],
        )?;
        let cross_region_latency = HistogramVec::new(
            HistogramOpts::new(
                CROSS_REGION_LATENCY_SECONDS,
                "Time to deliver to the peer region",
            )
            .buckets(prometheus::exponential_buckets(0.005, 2.0, 12)?),
            &["destination"],
        )?;
        let cdc_events = IntCounterVec::new(
            Opts::new(CDC_EVENTS_PROCESSED_TOTAL, "CDC events processed"),
            &["table", "operation", "outcome"],
        )?;
        registry.register(Box::new(invocations.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(circuit_state.clone()))?;
        registry.register(Box::new(cross_region_latency.clone()))?;
        registry.register(Box::new(cdc_events.clone()))?;
        Ok(Self {
            registry,
            invocations,
            errors,
            duration,
            circuit_state,
            cross_region_latency,
            cdc_events,
        })
    }

    /// The registry, to register process-specific metrics beside the platform's.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition of every registered metric.
    pub fn encode_text(&self) -> Result<String, TelemetryError> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_every_metric_by_its_seed_name() {
        let m = PrometheusMetrics::new().unwrap();
        m.invocations.with_label_values(&["consumer"]).inc();
        m.errors.with_label_values(&["consumer", "dlq"]).inc();
        m.duration.with_label_values(&["consumer"]).observe(0.01);
        m.circuit_state.with_label_values(&["us-west-2"]).set(2);
        m.cross_region_latency
            .with_label_values(&["us-west-2"])
            .observe(0.1);
        m.cdc_events
            .with_label_values(&["orders", "INSERT", "ok"])
            .inc_by(3);
        let text = m.encode_text().unwrap();
        for name in [
            LAMBDA_INVOCATIONS_TOTAL,
            LAMBDA_ERRORS_TOTAL,
            LAMBDA_DURATION_SECONDS,
            CIRCUIT_BREAKER_STATE,
            CROSS_REGION_LATENCY_SECONDS,
            CDC_EVENTS_PROCESSED_TOTAL,
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} missing:\n{text}"
            );
        }
        assert!(text.contains(
            r#"cdc_events_processed_total{operation="INSERT",outcome="ok",table="orders"} 3"#
        ));
        assert!(text.contains(r#"circuit_breaker_state{destination="us-west-2"} 2"#));
    }
}
