//! The platform's event types and their codecs, shared by the Lambda functions and the Kafka
//! consumer.
//!
//! Every type carries a `version` field ([`SCHEMA_VERSION`] when produced here) so receivers can
//! tell formats apart. Decoders ([`decode`], [`compression::decode_detail`],
//! [`dynamo_json::to_plain_json`]) take untrusted bytes and return errors, never panic.
//!
//! | type | what it is |
//! |---|---|
//! | [`EventEnvelope`] | the base envelope every platform event travels in |
//! | [`CdcEvent`] | one row change with before/after images (DynamoDB Streams or Qlik) |
//! | [`CrossRegionEvent`] | an envelope forwarded to the peer region, possibly compressed |
//! | [`HealthStatus`] | a region's aggregated health with each check's result |
//! | [`DeadLetter`] | what a dead-letter queue message carries: error, source, retry count |
//!
//! [`keys`] builds the events table's item keys (`pk` and `sk`) for every writer.

pub mod compression;
pub mod dynamo_json;
pub mod keys;
mod time;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use time::{now_rfc3339, rfc3339_from_unix_millis};

/// The version written by this crate into every event it produces.
pub const SCHEMA_VERSION: &str = "1.0";

/// Decoding or encoding failed; the message says which type and why.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("invalid {what} JSON: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unsupported {what} version `{version}` (this build reads {SCHEMA_VERSION})")]
    UnsupportedVersion { what: &'static str, version: String },
    #[error("compressed payload: {0}")]
    Compression(String),
    #[error("DynamoDB attribute value: {0}")]
    Attribute(String),
}

/// Types that carry a `version` field and can be decoded with [`decode`].
pub trait Versioned: Serialize + DeserializeOwned {
    /// Human name used in error messages.
    const WHAT: &'static str;
    fn version(&self) -> &str;
}

/// Decodes untrusted bytes into a platform event, rejecting unknown major versions.
pub fn decode<T: Versioned>(bytes: &[u8]) -> Result<T, EventError> {
    let value: T = serde_json::from_slice(bytes).map_err(|source| EventError::Json {
        what: T::WHAT,
        source,
    })?;
    let major = value.version().split('.').next().unwrap_or_default();
    let ours = SCHEMA_VERSION.split('.').next().unwrap_or_default();
    if major != ours {
        return Err(EventError::UnsupportedVersion {
            what: T::WHAT,
            version: value.version().to_string(),
        });
    }
    Ok(value)
}

/// Encodes a platform event as compact JSON.
pub fn encode<T: Versioned>(value: &T) -> Result<Vec<u8>, EventError> {
    serde_json::to_vec(value).map_err(|source| EventError::Json {
        what: T::WHAT,
        source,
    })
}

fn default_version() -> String {
    SCHEMA_VERSION.to_string()
}

/// The base envelope every platform event travels in (and the shape of an EventBridge entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope {
    #[serde(default = "default_version")]
    pub version: String,
    /// Unique id of the event, stable across retries (used for idempotency).
    pub id: String,
    /// Producer, e.g. `platform.stream-processor`.
    pub source: String,
    /// What happened, e.g. `OrderCreated`; selects the JSON Schema in event-transformer.
    pub detail_type: String,
    /// RFC 3339 UTC time the event was produced.
    pub time: String,
    /// Region the event was produced in.
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub detail: Value,
    /// Added by event-transformer after validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment: Option<Enrichment>,
}

/// What event-transformer adds to a validated event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrichment {
    /// Environment (stage) that received the event.
    pub environment: String,
    /// Region that received the event.
    pub received_region: String,
    /// RFC 3339 time it was received.
    pub received_at: String,
    /// The JSON Schema version the detail was validated against.
    pub schema_version: String,
}

impl Versioned for EventEnvelope {
    const WHAT: &'static str = "event envelope";
    fn version(&self) -> &str {
        &self.version
    }
}

/// The change a CDC event describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CdcOperation {
    Insert,
    Modify,
    Remove,
}

/// One row change with its before and after images as plain JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdcEvent {
    #[serde(default = "default_version")]
    pub version: String,
    /// Stable id of the change (the stream record's event id or Kafka topic/partition/offset).
    pub event_id: String,
    /// Source table.
    pub table: String,
    pub operation: CdcOperation,
    /// Primary key attributes.
    pub keys: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// Ordering token within the source (stream sequence number, Kafka offset).
    pub sequence: String,
    /// RFC 3339 time of the change at the source.
    pub changed_at: String,
    /// True when the row was removed by DynamoDB TTL rather than by a client.
    #[serde(default)]
    pub ttl_expired: bool,
    /// Region where the change was captured.
    pub source_region: String,
}

impl Versioned for CdcEvent {
    const WHAT: &'static str = "CDC event";
    fn version(&self) -> &str {
        &self.version
    }
}

impl CdcEvent {
    /// The EventBridge `detail-type` used for CDC events of this operation.
    pub fn detail_type(&self) -> &'static str {
        match self.operation {
            CdcOperation::Insert => "CdcInsert",
            CdcOperation::Modify => "CdcModify",
            CdcOperation::Remove => "CdcRemove",
        }
    }
}

/// An envelope forwarded to the peer region by event-router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossRegionEvent {
    #[serde(default = "default_version")]
    pub version: String,
    pub source_region: String,
    pub destination_region: String,
    /// RFC 3339 time the router sent it.
    pub sent_at: String,
    /// The original envelope; its `detail` may be a [`compression::CompressedDetail`] marker.
    pub event: EventEnvelope,
}

impl Versioned for CrossRegionEvent {
    const WHAT: &'static str = "cross-region event";
    fn version(&self) -> &str {
        &self.version
    }
}

impl CrossRegionEvent {
    /// The original envelope with its detail decompressed when the router compressed it.
    pub fn into_original(self) -> Result<EventEnvelope, EventError> {
        let mut event = self.event;
        event.detail = compression::decode_detail(event.detail)?;
        Ok(event)
    }
}

/// Health of one check or of a whole region, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Degraded,
    Unhealthy,
}

/// The result of one health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub name: String,
    pub status: Health,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A region's aggregated health, as stored in DynamoDB and served by GET /health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthStatus {
    #[serde(default = "default_version")]
    pub version: String,
    pub region: String,
    pub status: Health,
    pub checked_at: String,
    pub checks: Vec<CheckResult>,
}

impl Versioned for HealthStatus {
    const WHAT: &'static str = "health status";
    fn version(&self) -> &str {
        &self.version
    }
}

impl HealthStatus {
    /// Aggregates checks: the worst check decides, except that an unhealthy *peer* only
    /// degrades this region (the region itself still serves).
    pub fn aggregate(region: &str, checked_at: String, checks: Vec<CheckResult>) -> Self {
        let status = checks
            .iter()
            .map(|c| {
                if c.name.starts_with("peer") {
                    c.status.min(Health::Degraded)
                } else {
                    c.status
                }
            })
            .max()
            .unwrap_or(Health::Healthy);
        Self {
            version: default_version(),
            region: region.to_string(),
            status,
            checked_at,
            checks,
        }
    }
}

/// The body of a dead-letter queue message: the failed payload with its context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    #[serde(default = "default_version")]
    pub version: String,
    /// Why it failed, human readable.
    pub error: String,
    /// Program that gave up, e.g. `event-router`.
    pub source: String,
    /// Attempts made before giving up.
    pub retry_count: u32,
    pub failed_at: String,
    /// The payload that could not be processed, unchanged.
    pub payload: Value,
}

impl Versioned for DeadLetter {
    const WHAT: &'static str = "dead letter";
    fn version(&self) -> &str {
        &self.version
    }
}

impl DeadLetter {
    pub fn new(source: &str, error: impl Into<String>, retry_count: u32, payload: Value) -> Self {
        Self {
            version: default_version(),
            error: error.into(),
            source: source.to_string(),
            retry_count,
            failed_at: now_rfc3339(),
            payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: Health) -> CheckResult {
        CheckResult {
            name: name.into(),
            status,
            latency_ms: 1,
            message: None,
        }
    }

    #[test]
    fn worst_local_check_decides_and_peer_only_degrades() {
        let t = "2026-01-01T00:00:00Z".to_string();
        let all_ok = HealthStatus::aggregate("r", t.clone(), vec![check("table", Health::Healthy)]);
        assert_eq!(all_ok.status, Health::Healthy);
        let peer_down = HealthStatus::aggregate(
            "r",
            t.clone(),
            vec![
                check("table", Health::Healthy),
                check("peer", Health::Unhealthy),
            ],
        );
        assert_eq!(peer_down.status, Health::Degraded);
        let table_down = HealthStatus::aggregate(
            "r",
            t,
            vec![
                check("table", Health::Unhealthy),
                check("dlq", Health::Degraded),
            ],
        );
        assert_eq!(table_down.status, Health::Unhealthy);
    }

    #[test]
    fn decode_rejects_other_major_versions_and_garbage() {
        let mut dl = DeadLetter::new("x", "boom", 2, Value::Null);
        dl.version = "2.0".into();
        let err = decode::<DeadLetter>(&encode(&dl).unwrap()).unwrap_err();
        assert!(
            err.to_string()
                .contains("unsupported dead letter version `2.0`")
        );
        assert!(decode::<DeadLetter>(b"\xff{").is_err());
        dl.version = "1.7".into();
        assert!(decode::<DeadLetter>(&encode(&dl).unwrap()).is_ok());
    }
}
