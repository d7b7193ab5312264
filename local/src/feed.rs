//! Feeding the platform: an event on a region's bus, Qlik CDC messages on a region's broker.

use std::time::Duration;

use anyhow::{Context, bail};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

use crate::aws_api;

/// Puts one event on `bus` in `region` through the platform's AWS endpoint; returns its id.
pub async fn put_event(
    aws: &str,
    region: &str,
    bus: &str,
    source: &str,
    detail_type: &str,
    detail: &Value,
) -> anyhow::Result<String> {
    let config = aws_api::sdk_config(aws, region).await;
    let client = aws_sdk_eventbridge::Client::new(&config);
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(source)
        .detail_type(detail_type)
        .detail(detail.to_string())
        .build();
    let out = client.put_events().entries(entry).send().await?;
    let result = out
        .entries()
        .first()
        .context("PutEvents returned no entry")?;
    if let Some(code) = result.error_code() {
        bail!(
            "PutEvents refused the event: {code} {}",
            result.error_message().unwrap_or_default()
        );
    }
    Ok(result.event_id().unwrap_or_default().to_string())
}

/// A producer for the region's broker.
pub fn producer(bootstrap: &str) -> anyhow::Result<FutureProducer> {
    Ok(rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("message.timeout.ms", "10000")
        .create()?)
}

/// Produces `value` with `key` to `topic`.
pub async fn produce(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    value: &[u8],
) -> anyhow::Result<()> {
    producer
        .send(
            FutureRecord::to(topic).key(key).payload(value),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(e, _)| anyhow::anyhow!("producing to {topic}: {e}"))?;
    Ok(())
}

/// A Qlik INSERT of one row (the consumer crate's corpus builder, enveloped JSON).
pub fn qlik_insert(sequence: u64, columns: &[(&str, &str)]) -> Vec<u8> {
    let sequence = format!("{sequence:020}");
    let columns: Vec<(&str, Option<&str>)> = columns.iter().map(|(k, v)| (*k, Some(*v))).collect();
    consumer::corpus::json_data_message(true, "INSERT", Some(&sequence), Some(&columns), None)
}
