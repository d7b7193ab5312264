//! stream-processor: DynamoDB Streams batches become CDC events on EventBridge.
//!
//! Contract (see `functions/README.md`): input is the DynamoDB Streams Lambda event
//! (`{"Records": [...]}`, `NEW_AND_OLD_IMAGES`). Each record becomes a [`CdcEvent`] (INSERT,
//! MODIFY, REMOVE; typed images turned into plain JSON; deletes by the TTL service marked
//! `ttlExpired`) published to `EVENT_BUS_NAME` with source [`SOURCE`] and detail-type
//! `CdcInsert`/`CdcModify`/`CdcRemove`. The answer is `{"batchItemFailures": [...]}` naming the
//! sequence numbers of records that failed (conversion or publishing), so Lambda retries only
//! from those. With `IDEMPOTENCY_TABLE_NAME`, a record already published is skipped on retry;
//! the CDC event's `eventId` is the stream record's id either way, for consumers to dedupe.

use platform_aws::dynamodb::Table;
use platform_aws::eventbridge::{PublishEntry, Publisher, PutEventsApi};
use platform_contract as contract;
use platform_events::dynamo_json::item_to_plain_json;
use platform_events::{CdcEvent, CdcOperation, EventError, SCHEMA_VERSION};
use platform_telemetry::startup::{ConfigError, EnvReader};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The EventBridge source of the CDC events.
pub const SOURCE: &str = "platform.stream-processor";
/// Idempotency markers expire after this long (DynamoDB TTL attribute `expiresAt`); stream
/// records are only retried for 24 hours.
const MARKER_TTL_SECONDS: u64 = 2 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct Config {
    pub stage: String,
    pub region: String,
    pub bus: String,
    pub table: String,
    pub idempotency_table: Option<String>,
}

impl Config {
    pub fn from_env(mut env: EnvReader<'_>) -> Result<Self, ConfigError> {
        let config = Self {
            stage: env.required(contract::STAGE),
            region: env.required(contract::AWS_REGION),
            bus: env.required(contract::EVENT_BUS_NAME),
            table: env.required(contract::EVENTS_TABLE_NAME),
            idempotency_table: env.optional(contract::IDEMPOTENCY_TABLE_NAME),
        };
        env.finish("stream-processor")?;
        Ok(config)
    }
}

/// The DynamoDB Streams Lambda event.
#[derive(Debug, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamRecord {
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: String,
    #[serde(default)]
    aws_region: Option<String>,
    #[serde(rename = "eventSourceARN", default)]
    event_source_arn: Option<String>,
    dynamodb: StreamData,
    #[serde(default)]
    user_identity: Option<UserIdentity>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StreamData {
    #[serde(default)]
    keys: Value,
    #[serde(default)]
    new_image: Option<Value>,
    #[serde(default)]
    old_image: Option<Value>,
    sequence_number: String,
    #[serde(default)]
    approximate_creation_date_time: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    principal_id: String,
}

/// The partial batch response.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

/// The record's sequence number, if it has one (a record without one cannot be reported).
pub fn sequence_number(record: &Value) -> Option<&str> {
    record.get("dynamodb")?.get("SequenceNumber")?.as_str()
}

/// Converts one stream record to a CDC event. `default_table` is used when the record's
/// source ARN does not name the table.
pub fn to_cdc_event(
    record: &Value,
    default_table: &str,
    region: &str,
) -> Result<CdcEvent, EventError> {
    let parsed: StreamRecord =
        serde_json::from_value(record.clone()).map_err(|source| EventError::Json {
            what: "DynamoDB stream record",
            source,
        })?;
    let operation = match parsed.event_name.as_str() {
        "INSERT" => CdcOperation::Insert,
        "MODIFY" => CdcOperation::Modify,
        "REMOVE" => CdcOperation::Remove,
        other => {
            return Err(EventError::Attribute(format!(
                "unknown eventName `{other}`"
            )));
        }
    };
    let image = |image: &Option<Value>| -> Result<Option<Value>, EventError> {
        image
            .as_ref()
            .map(|i| item_to_plain_json(i).map(Value::Object))
            .transpose()
    };
    let table = parsed
        .event_source_arn
        .as_deref()
        .and_then(|arn| arn.split_once(":table/"))
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or(default_table)
        .to_string();
    let ttl_expired = operation == CdcOperation::Remove
        && parsed
            .user_identity
            .as_ref()
            .is_some_and(|u| u.kind == "Service" && u.principal_id == "dynamodb.amazonaws.com");
    let changed_at = parsed
        .dynamodb
        .approximate_creation_date_time
        .filter(|t| t.is_finite() && *t >= 0.0 && *t < 1e11)
        .map(|t| platform_events::rfc3339_from_unix_millis((t * 1000.0) as i64))
        .unwrap_or_else(platform_events::now_rfc3339);
    Ok(CdcEvent {
        version: SCHEMA_VERSION.to_string(),
        event_id: parsed.event_id,
        table,
        operation,
        keys: item_to_plain_json(&parsed.dynamodb.keys)?,
        before: image(&parsed.dynamodb.old_image)?,
        after: image(&parsed.dynamodb.new_image)?,
        sequence: parsed.dynamodb.sequence_number,
        changed_at,
        ttl_expired,
        source_region: parsed.aws_region.unwrap_or_else(|| region.to_string()),
    })
}

/// Processes a batch: converts, skips already-published records, publishes the rest in
/// PutEvents batches, marks what was published, and reports the failures.
pub async fn process<P: PutEventsApi>(
    batch: &Value,
    config: &Config,
    publisher: &Publisher<P>,
    idempotency: Option<&Table>,
) -> (BatchResponse, ProcessStats) {
    let mut response = BatchResponse::default();
    let mut stats = ProcessStats::default();
    let records: Vec<Value> = match serde_json::from_value::<StreamEvent>(batch.clone()) {
        Ok(event) => event.records,
        Err(e) => {
            tracing::error!(error = %e, "not a DynamoDB Streams event");
            return (response, stats);
        }
    };
    let mut fail = |record: &Value, reason: &str, stats: &mut ProcessStats| {
        stats.failed += 1;
        tracing::warn!(reason, sequence = sequence_number(record), "record failed");
        if let Some(sequence) = sequence_number(record) {
            response.batch_item_failures.push(ItemFailure {
                item_identifier: sequence.to_string(),
            });
        }
    };
    let mut pending: Vec<(&Value, CdcEvent)> = Vec::new();
    for record in &records {
        let event = match to_cdc_event(record, &config.table, &config.region) {
            Ok(event) => event,
            Err(e) => {
                fail(record, &e.to_string(), &mut stats);
                continue;
            }
        };
        if let Some(table) = idempotency {
            match table.get_json(&marker_key(&event.event_id)).await {
                Ok(Some(_)) => {
                    stats.duplicates += 1;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    fail(record, &e.to_string(), &mut stats);
                    continue;
                }
            }
        }
        pending.push((record, event));
    }
    let entries: Vec<PublishEntry> = pending
        .iter()
        .map(|(_, event)| PublishEntry {
            event_bus_name: config.bus.clone(),
            source: SOURCE.to_string(),
            detail_type: event.detail_type().to_string(),
            detail: serde_json::to_string(event).unwrap_or_default(),
            resources: Vec::new(),
        })
        .collect();
    let report = publisher.publish(&entries).await;
    for failed in &report.failed {
        fail(pending[failed.index].0, &failed.error, &mut stats);
    }
    for (index, _) in &report.published {
        let event = &pending[*index].1;
        stats.published.push((event.table.clone(), event.operation));
        if let Some(table) = idempotency
            && let Err(e) = table.put_json(&marker(&event.event_id)).await
        {
            // Published but not marked: a retry may publish it again, which the stable
            // event id lets consumers detect. Not a failure of this record.
            tracing::warn!(error = %e, event_id = %event.event_id, "idempotency marker not written");
        }
    }
    (response, stats)
}

/// Counts for metrics.
#[derive(Debug, Default)]
pub struct ProcessStats {
    pub published: Vec<(String, CdcOperation)>,
    pub duplicates: usize,
    pub failed: usize,
}

fn marker_key(event_id: &str) -> Map<String, Value> {
    let mut key = Map::new();
    key.insert("pk".into(), json!(format!("stream-record#{event_id}")));
    key
}

fn marker(event_id: &str) -> Map<String, Value> {
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + MARKER_TTL_SECONDS;
    let mut item = marker_key(event_id);
    item.insert("expiresAt".into(), json!(expires));
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_aws::AwsError;
    use platform_aws::eventbridge::EntryOutcome;
    use platform_aws::retry::RetryPolicy;
    use std::cell::RefCell;
    use std::sync::Mutex;
    use std::time::Duration;

    fn config() -> Config {
        Config {
            stage: "t".into(),
            region: "us-east-1".into(),
            bus: "bus".into(),
            table: "fallback".into(),
            idempotency_table: None,
        }
    }

    fn record(name: &str, seq: &str, new: Option<Value>, old: Option<Value>) -> Value {
        let mut data = json!({"Keys": {"pk": {"S": "a"}}, "SequenceNumber": seq, "ApproximateCreationDateTime": 1764237600.5, "StreamViewType": "NEW_AND_OLD_IMAGES"});
        if let Some(new) = new {
            data["NewImage"] = new;
        }
        if let Some(old) = old {
            data["OldImage"] = old;
        }
        json!({"eventID": format!("id-{seq}"), "eventName": name, "eventSource": "aws:dynamodb", "awsRegion": "us-west-2",
               "eventSourceARN": "arn:aws:dynamodb:us-west-2:1:table/orders/stream/2026", "dynamodb": data})
    }

    #[test]
    fn converts_images_operations_and_ttl_deletes() {
        let modify = record(
            "MODIFY",
            "1",
            Some(json!({"pk": {"S": "a"}, "n": {"N": "2"}})),
            Some(json!({"pk": {"S": "a"}, "n": {"N": "1"}})),
        );
        let event = to_cdc_event(&modify, "fallback", "us-east-1").unwrap();
        assert_eq!(
            (
                event.table.as_str(),
                event.operation,
                event.source_region.as_str()
            ),
            ("orders", CdcOperation::Modify, "us-west-2")
        );
        assert_eq!(event.before, Some(json!({"pk": "a", "n": 1})));
        assert_eq!(event.after, Some(json!({"pk": "a", "n": 2})));
        assert_eq!(event.changed_at, "2025-11-27T10:00:00.500Z");
        assert!(!event.ttl_expired);

        let mut ttl = record("REMOVE", "2", None, Some(json!({"pk": {"S": "a"}})));
        ttl["userIdentity"] = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
        assert!(to_cdc_event(&ttl, "f", "r").unwrap().ttl_expired);
        let user_delete = record("REMOVE", "3", None, Some(json!({"pk": {"S": "a"}})));
        assert!(!to_cdc_event(&user_delete, "f", "r").unwrap().ttl_expired);
        assert!(to_cdc_event(&record("UPSERT", "4", None, None), "f", "r").is_err());
    }

    struct FailSome(Mutex<Vec<String>>);

    impl PutEventsApi for FailSome {
        async fn put_events(
            &self,
            entries: &[PublishEntry],
        ) -> Result<Vec<EntryOutcome>, AwsError> {
            Ok(entries
                .iter()
                .map(|e| {
                    self.0.lock().unwrap().push(e.detail.clone());
                    if e.detail.contains("\"sequence\":\"3\"") {
                        EntryOutcome::Failed {
                            code: "InternalFailure".into(),
                            message: "boom".into(),
                        }
                    } else {
                        EntryOutcome::Published {
                            event_id: "x".into(),
                        }
                    }
                })
                .collect())
        }
    }

    #[tokio::test]
    async fn reports_only_failed_records() {
        let image = Some(json!({"pk": {"S": "a"}}));
        let batch = json!({"Records": [
            record("INSERT", "1", image.clone(), None),
            record("INSERT", "2", Some(json!({"pk": {"N": "not-a-number"}})), None),
            record("INSERT", "3", image.clone(), None),
            record("REMOVE", "4", None, image),
        ]});
        let publisher = Publisher::new(
            FailSome(Mutex::new(vec![])),
            RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
            },
        );
        let (response, stats) = process(&batch, &config(), &publisher, None).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["2", "3"]);
        assert_eq!(stats.published.len(), 2);
        assert_eq!(
            serde_json::to_value(&response).unwrap()["batchItemFailures"][0],
            json!({"itemIdentifier": "2"})
        );
    }

    #[test]
    fn reads_exactly_its_contract() {
        let read = RefCell::new(Vec::new());
        let _ = Config::from_env(EnvReader::new(|name| {
            read.borrow_mut().push(name.to_string());
            None
        }));
        let contract = contract::env_contract("stream-processor").unwrap();
        for name in read.borrow().iter().filter(|n| *n != contract::AWS_REGION) {
            assert!(
                contract.iter().any(|v| v.name == name),
                "{name} is not in the contract"
            );
        }
        for var in contract.iter().filter(|v| v.required) {
            assert!(
                read.borrow().iter().any(|n| n == var.name),
                "{} is never read",
                var.name
            );
        }
    }
}
