//! The consumer's Prometheus metrics, registered beside the platform's in one registry.

use platform_telemetry::prometheus_metrics::PrometheusMetrics;
use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
};

#[derive(Clone)]
pub struct Metrics {
    pub platform: PrometheusMetrics,
    pub messages_consumed: IntCounterVec,
    pub lag_messages: IntGaugeVec,
    pub lag_seconds: IntGaugeVec,
    /// From receipt of a message to the moment its offset may be committed.
    pub processing_duration: Histogram,
    pub dlq_messages: IntCounter,
    pub stale_writes: IntCounter,
    pub transient_retries: IntCounterVec,
    pub assigned_partitions: IntGaugeVec,
    /// 1 while /ready would answer 200; set at each scrape from the same state.
    pub ready: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let platform =
            PrometheusMetrics::new().map_err(|e| prometheus::Error::Msg(e.to_string()))?;
        let messages_consumed = IntCounterVec::new(
            Opts::new("kafka_messages_consumed_total", "Kafka messages received"),
            &["topic"],
        )?;
        let lag_messages = IntGaugeVec::new(
            Opts::new(
                "kafka_consumer_lag",
                "High watermark minus the next offset to process",
            ),
            &["topic", "partition"],
        )?;
        let lag_seconds = IntGaugeVec::new(
            Opts::new(
                "kafka_consumer_lag_seconds",
                "Age of the last processed message while the partition lags, else 0",
            ),
            &["topic", "partition"],
        )?;
        let processing_duration = Histogram::with_opts(
            HistogramOpts::new(
                "kafka_processing_duration_seconds",
                "Receipt to commit-eligible, per message",
            )
            // 1-2.5-5 steps from 100 us to 10 s: fine where the work is (sub-millisecond) and
            // with a bound at exactly 5 ms, the latency objective, so it can be read off.
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ]),
        )?;
        let dlq_messages = IntCounter::new(
            "dlq_messages_total",
            "Messages sent to the dead-letter queue",
        )?;
        let stale_writes = IntCounter::new(
            "cdc_stale_writes_total",
            "Changes not written because the stored row is newer (replays, late duplicates)",
        )?;
        let transient_retries = IntCounterVec::new(
            Opts::new(
                "cdc_transient_retries_total",
                "Retries after transient output errors",
            ),
            &["output"],
        )?;
        let assigned_partitions = IntGaugeVec::new(
            Opts::new(
                "kafka_assigned_partitions",
                "Partitions assigned to this member",
            ),
            &["topic"],
        )?;
        let ready = IntGauge::new(
            "cdc_consumer_ready",
            "1 while partitions are assigned and the table answers (the /ready probe), else 0",
        )?;
        let registry = platform.registry();
        registry.register(Box::new(messages_consumed.clone()))?;
        registry.register(Box::new(lag_messages.clone()))?;
        registry.register(Box::new(lag_seconds.clone()))?;
        registry.register(Box::new(processing_duration.clone()))?;
        registry.register(Box::new(dlq_messages.clone()))?;
        registry.register(Box::new(stale_writes.clone()))?;
        registry.register(Box::new(transient_retries.clone()))?;
        registry.register(Box::new(assigned_partitions.clone()))?;
        registry.register(Box::new(ready.clone()))?;
        Ok(Metrics {
            platform,
            messages_consumed,
            lag_messages,
            lag_seconds,
            processing_duration,
            dlq_messages,
            stale_writes,
            transient_retries,
            assigned_partitions,
            ready,
        })
    }

    pub fn record_change(&self, table: &str, operation: &str, outcome: &str) {
        self.platform
            .cdc_events
            .with_label_values(&[table, operation, outcome])
            .inc();
    }

    pub fn encode(&self) -> String {
        self.platform
            .encode_text()
            .unwrap_or_else(|e| format!("# error: {e}\n"))
    }
}
