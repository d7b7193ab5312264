//! The dead-letter queue and the CDC event publisher, behind small traits.

use std::sync::Mutex;

use base64::Engine;
use platform_aws::eventbridge::{PublishEntry, Publisher};
use platform_aws::retry::RetryPolicy;
use platform_aws::sqs::DeadLetterQueue;
use platform_events::{CdcEvent, CdcOperation, DeadLetter};
use serde_json::{Map, Value, json};

use crate::qlik::{DataChange, Operation};
use crate::sink::{BoxFuture, OutputError};

/// `source` of every dead letter and CDC event this program sends.
pub const SOURCE: &str = "cdc-consumer";

/// A message that could not be applied, with everything needed to replay or diagnose it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub error: String,
    /// Attempts made before giving up (0 for a message that could not be parsed).
    pub retry_count: u32,
}

impl FailedMessage {
    /// The SQS body: the platform's dead-letter shape, the original bytes in base64.
    pub fn to_dead_letter(&self) -> DeadLetter {
        let b64 = base64::engine::general_purpose::STANDARD;
        DeadLetter::new(
            SOURCE,
            self.error.clone(),
            self.retry_count,
            json!({
                "topic": self.topic,
                "partition": self.partition,
                "offset": self.offset,
                "keyBase64": self.key.as_ref().map(|k| b64.encode(k)),
                "valueBase64": b64.encode(&self.payload),
            }),
        )
    }
}

pub trait DeadLetters: Send + Sync {
    fn send<'a>(&'a self, failed: &'a FailedMessage) -> BoxFuture<'a, Result<(), OutputError>>;
}

impl DeadLetters for DeadLetterQueue {
    fn send<'a>(&'a self, failed: &'a FailedMessage) -> BoxFuture<'a, Result<(), OutputError>> {
        Box::pin(async move {
            let origin = [
                ("topic", failed.topic.clone()),
                ("partition", failed.partition.to_string()),
                ("offset", failed.offset.to_string()),
            ];
            self.send_with_attributes(&failed.to_dead_letter(), &origin)
                .await
                .map(|_| ())
                .map_err(OutputError::from)
        })
    }
}

/// Dead letters kept in memory (benchmarks).
#[derive(Default)]
pub struct MemoryDeadLetters {
    pub sent: Mutex<Vec<FailedMessage>>,
}

impl DeadLetters for MemoryDeadLetters {
    fn send<'a>(&'a self, failed: &'a FailedMessage) -> BoxFuture<'a, Result<(), OutputError>> {
        Box::pin(async move {
            if let Ok(mut sent) = self.sent.lock() {
                sent.push(failed.clone());
            }
            Ok(())
        })
    }
}

/// Builds the platform CDC event for one applied change.
pub fn cdc_event(
    table: &str,
    key_columns: &[String],
    change: &DataChange,
    event_id: String,
    region: &str,
) -> CdcEvent {
    let image = change.row_image().cloned().unwrap_or_default();
    let keys: Map<String, Value> = key_columns
        .iter()
        .filter_map(|k| {
            image
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(k))
                .map(|(name, v)| (name.clone(), v.clone()))
        })
        .collect();
    let (operation, before, after) = match change.operation {
        Operation::Refresh | Operation::Insert => (CdcOperation::Insert, None, change.data.clone()),
        Operation::Update => (
            CdcOperation::Modify,
            change.before_data.clone(),
            change.data.clone(),
        ),
        Operation::Delete => (CdcOperation::Remove, Some(image), None),
    };
    CdcEvent {
        version: platform_events::SCHEMA_VERSION.to_string(),
        event_id,
        table: table.to_string(),
        operation,
        keys,
        before: before.map(Value::Object),
        after: after.map(Value::Object),
        sequence: change.change_sequence.to_string(),
        // Qlik's timestamp is UTC without a zone designator.
        changed_at: change
            .timestamp
            .as_ref()
            .map(|t| {
                if t.ends_with('Z') {
                    t.clone()
                } else {
                    format!("{t}Z")
                }
            })
            .unwrap_or_else(platform_events::now_rfc3339),
        ttl_expired: false,
        source_region: region.to_string(),
    }
}

pub trait EventPublisher: Send + Sync {
    fn publish<'a>(&'a self, events: &'a [CdcEvent]) -> BoxFuture<'a, Result<(), OutputError>>;
}

/// CDC events on one bus, through the platform publisher (batched within PutEvents limits,
/// failed entries retried).
pub struct EventBridgePublisher {
    publisher: Publisher<aws_sdk_eventbridge::Client>,
    bus_name: String,
}

impl EventBridgePublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        EventBridgePublisher {
            publisher: Publisher::new(client, RetryPolicy::default()),
            bus_name: bus_name.into(),
        }
    }
}

impl EventPublisher for EventBridgePublisher {
    fn publish<'a>(&'a self, events: &'a [CdcEvent]) -> BoxFuture<'a, Result<(), OutputError>> {
        Box::pin(async move {
            let entries = events
                .iter()
                .map(|event| {
                    Ok(PublishEntry {
                        event_bus_name: self.bus_name.clone(),
                        source: SOURCE.to_string(),
                        detail_type: event.detail_type().to_string(),
                        detail: serde_json::to_string(event)?,
                        resources: Vec::new(),
                    })
                })
                .collect::<Result<Vec<_>, serde_json::Error>>()
                .map_err(|e| OutputError::Permanent(e.to_string()))?;
            let report = self.publisher.publish(&entries).await;
            let Some(first) = report.failed.first() else {
                return Ok(());
            };
            let error = format!(
                "{} of {} events were not accepted by EventBridge (first: {})",
                report.failed.len(),
                entries.len(),
                first.error
            );
            // An event too large for any call will never be accepted; retrying it would hold
            // the partition forever. Anything else is retried by the pipeline with the whole
            // batch: consumers of CDC events deduplicate by event id (at-least-once).
            if report.failed.iter().any(|f| f.attempts == 0) {
                Err(OutputError::Permanent(error))
            } else {
                Err(OutputError::Transient(error))
            }
        })
    }
}
