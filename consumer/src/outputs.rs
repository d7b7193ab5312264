//! The dead-letter queue and the CDC event publisher, behind small traits.

use std::sync::Mutex;

use base64::Engine;
use platform_events::{CdcEvent, CdcOperation, DeadLetter};
use serde_json::{Map, Value, json};

use crate::qlik::{DataChange, Operation};
use crate::sink::{BoxFuture, OutputError, classify_aws};

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

pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsDeadLetters {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsDeadLetters {
            client,
            queue_url: queue_url.into(),
        }
    }
}

fn string_attribute(
    value: String,
) -> Result<aws_sdk_sqs::types::MessageAttributeValue, OutputError> {
    aws_sdk_sqs::types::MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| OutputError::Permanent(e.to_string()))
}

impl DeadLetters for SqsDeadLetters {
    fn send<'a>(&'a self, failed: &'a FailedMessage) -> BoxFuture<'a, Result<(), OutputError>> {
        Box::pin(async move {
            let body = serde_json::to_string(&failed.to_dead_letter())
                .map_err(|e| OutputError::Permanent(e.to_string()))?;
            self.client
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(body)
                .message_attributes("topic", string_attribute(failed.topic.clone())?)
                .message_attributes("partition", string_attribute(failed.partition.to_string())?)
                .message_attributes("offset", string_attribute(failed.offset.to_string())?)
                .send()
                .await
                .map(|_| ())
                .map_err(classify_aws)
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

pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

/// PutEvents accepts at most ten entries per call.
const PUT_EVENTS_MAX_ENTRIES: usize = 10;

impl EventBridgePublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        EventBridgePublisher {
            client,
            bus_name: bus_name.into(),
        }
    }
}

impl EventPublisher for EventBridgePublisher {
    fn publish<'a>(&'a self, events: &'a [CdcEvent]) -> BoxFuture<'a, Result<(), OutputError>> {
        Box::pin(async move {
            for chunk in events.chunks(PUT_EVENTS_MAX_ENTRIES) {
                let mut request = self.client.put_events();
                for event in chunk {
                    let detail = serde_json::to_string(event)
                        .map_err(|e| OutputError::Permanent(e.to_string()))?;
                    request = request.entries(
                        aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                            .event_bus_name(&self.bus_name)
                            .source(SOURCE)
                            .detail_type(event.detail_type())
                            .detail(detail)
                            .build(),
                    );
                }
                let output = request.send().await.map_err(classify_aws)?;
                // Failed entries are retried by the caller with the whole chunk: consumers of
                // CDC events already deduplicate by event id (delivery is at-least-once).
                if output.failed_entry_count() > 0 {
                    return Err(OutputError::Transient(format!(
                        "{} of {} events were not accepted by EventBridge",
                        output.failed_entry_count(),
                        chunk.len()
                    )));
                }
            }
            Ok(())
        })
    }
}
