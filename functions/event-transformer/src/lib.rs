//! event-transformer: validates events against the repo's versioned JSON Schemas, enriches
//! them and forwards them.
//!
//! Contract (see `functions/README.md`): input is an EventBridge event. Its `detail` is
//! validated against `schemas/<detail-type>/v<N>.json`, where N is `detail.schemaVersion`
//! (default `1`). A valid event becomes an [`EventEnvelope`] with `correlationId`
//! (`detail.correlationId`, else the event id) and an [`Enrichment`] (environment, receiving
//! region, received time, schema version); it is written to `EVENTS_TABLE_NAME` under
//! [`EventsTableKey::event`] (`pk = "event#<id>"`, `sk = "envelope"`) and put on
//! `EVENT_BUS_NAME` with source [`SOURCE`] and its own detail-type. An invalid event
//! (unreadable, unknown detail-type or version, schema violations, or the transformer's own
//! output) goes to `DLQ_URL` with every validation error. Answers
//! `{"status": "forwarded" | "invalid", ...}`; the invocation fails (and Lambda retries) only
//! when storing, forwarding or dead-lettering fails.
//!
//! The detail-types the transform rule delivers (`routing.detail_types` in the specs) must each
//! have a schema here; infra-gen's tests read `schemas/` to check that every environment's do.

pub mod schema;

use std::collections::HashMap;

use platform_aws::AwsError;
use platform_aws::dynamodb::Table;
use platform_aws::eventbridge::{PublishEntry, Publisher, PutEventsApi};
use platform_aws::sqs::DeadLetterSink;
use platform_contract as contract;
use platform_events::keys::EventsTableKey;
use platform_events::{DeadLetter, Enrichment, EventEnvelope, SCHEMA_VERSION};
use platform_telemetry::startup::{ConfigError, EnvReader};
use schema::Schema;
use serde::Deserialize;
use serde_json::{Value, json};

/// The EventBridge source of forwarded events (the transform rule excludes it).
pub const SOURCE: &str = contract::EVENT_TRANSFORMER_SOURCE;

/// The schemas kept in the repo, compiled in: (detail-type, version, document). A test checks
/// that this lists exactly the files under `schemas/`, the directory infra-gen's tests read.
pub const SCHEMA_FILES: &[(&str, &str, &str)] = &[
    (
        "OrderCreated",
        "1",
        include_str!("../schemas/OrderCreated/v1.json"),
    ),
    (
        "OrderCreated",
        "2",
        include_str!("../schemas/OrderCreated/v2.json"),
    ),
    (
        "CustomerUpdated",
        "1",
        include_str!("../schemas/CustomerUpdated/v1.json"),
    ),
];

/// Loaded schemas by (detail-type, version).
pub struct Registry(HashMap<(String, String), Schema>);

impl Registry {
    /// Loads every repo schema; an invalid one is a start-up error naming the file.
    pub fn load() -> Result<Self, String> {
        let mut map = HashMap::new();
        for (detail_type, version, text) in SCHEMA_FILES {
            let schema = Schema::load(text)
                .map_err(|e| format!("schemas/{detail_type}/v{version}.json: {e}"))?;
            map.insert((detail_type.to_string(), version.to_string()), schema);
        }
        Ok(Self(map))
    }

    pub fn get(&self, detail_type: &str, version: &str) -> Option<&Schema> {
        self.0.get(&(detail_type.to_string(), version.to_string()))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub stage: String,
    pub region: String,
    pub bus: String,
    pub table: String,
    pub dlq_url: String,
}

impl Config {
    pub fn from_env(mut env: EnvReader<'_>) -> Result<Self, ConfigError> {
        let config = Self {
            stage: env.required(contract::STAGE),
            region: env.required(contract::AWS_REGION),
            bus: env.required(contract::EVENT_BUS_NAME),
            table: env.required(contract::EVENTS_TABLE_NAME),
            dlq_url: env.required(contract::DLQ_URL),
        };
        env.finish("event-transformer")?;
        Ok(config)
    }
}

#[derive(Debug, Deserialize)]
struct IncomingEvent {
    id: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    #[serde(default)]
    time: Option<String>,
    detail: Value,
}

/// Validates and enriches one event: the envelope to forward, or every reason it is invalid.
pub fn transform(
    payload: &Value,
    registry: &Registry,
    config: &Config,
    received_at: String,
) -> Result<EventEnvelope, Vec<String>> {
    let incoming: IncomingEvent = serde_json::from_value(payload.clone())
        .map_err(|e| vec![format!("not an EventBridge event: {e}")])?;
    // The rule excludes this source; should a rule ever deliver it anyway, transforming it again
    // would wrap an envelope in an envelope, and forwarding that would deliver it once more.
    if incoming.source == SOURCE {
        return Err(vec![format!(
            "event-transformer's own output (source `{SOURCE}`): the transform rule must exclude it"
        )]);
    }
    let version = match incoming.detail.get("schemaVersion") {
        None => "1".to_string(),
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(vec![format!(
                "/schemaVersion: must be a string, got {other}"
            )]);
        }
    };
    let schema = registry
        .get(&incoming.detail_type, &version)
        .ok_or_else(|| {
            vec![format!(
                "no schema for detail-type `{}` version `{version}`",
                incoming.detail_type
            )]
        })?;
    let errors = schema.validate(&incoming.detail);
    if !errors.is_empty() {
        return Err(errors);
    }
    let correlation_id = incoming
        .detail
        .get("correlationId")
        .and_then(Value::as_str)
        .unwrap_or(&incoming.id)
        .to_string();
    Ok(EventEnvelope {
        version: SCHEMA_VERSION.to_string(),
        id: incoming.id,
        source: incoming.source,
        detail_type: incoming.detail_type,
        time: incoming.time.unwrap_or_else(|| received_at.clone()),
        region: config.region.clone(),
        correlation_id: Some(correlation_id),
        detail: incoming.detail,
        enrichment: Some(Enrichment {
            environment: config.stage.clone(),
            received_region: config.region.clone(),
            received_at,
            schema_version: version,
        }),
    })
}

/// Forwarding or dead-lettering failed; Lambda should retry the event.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("forwarding to the bus failed: {0}")]
    Forward(String),
    #[error("storing the event failed: {0}")]
    Store(AwsError),
    #[error("dead-lettering failed: {0}")]
    DeadLetter(AwsError),
}

/// The function's dependencies.
pub struct Transformer<P, D> {
    pub config: Config,
    pub registry: Registry,
    pub publisher: Publisher<P>,
    pub dlq: D,
    pub table: Option<Table>,
}

impl<P: PutEventsApi, D: DeadLetterSink> Transformer<P, D> {
    pub async fn handle(&self, payload: &Value) -> Result<Value, TransformError> {
        match transform(
            payload,
            &self.registry,
            &self.config,
            platform_events::now_rfc3339(),
        ) {
            Ok(envelope) => {
                let detail = serde_json::to_string(&envelope).unwrap_or_default();
                if let Some(table) = &self.table {
                    let attributes = serde_json::to_value(&envelope)
                        .ok()
                        .and_then(|v| v.as_object().cloned())
                        .unwrap_or_default();
                    let item = EventsTableKey::event(&envelope.id).item(attributes);
                    table.put_json(&item).await.map_err(TransformError::Store)?;
                }
                let entry = PublishEntry {
                    event_bus_name: self.config.bus.clone(),
                    source: SOURCE.to_string(),
                    detail_type: envelope.detail_type.clone(),
                    detail,
                    resources: Vec::new(),
                };
                let report = self.publisher.publish(std::slice::from_ref(&entry)).await;
                if let Some(failed) = report.failed.first() {
                    return Err(TransformError::Forward(failed.error.clone()));
                }
                Ok(json!({"status": "forwarded", "correlationId": envelope.correlation_id}))
            }
            Err(errors) => {
                tracing::info!(errors = errors.len(), "invalid event dead-lettered");
                let letter =
                    DeadLetter::new("event-transformer", errors.join("; "), 0, payload.clone());
                self.dlq
                    .send_dead_letter(&letter)
                    .await
                    .map_err(TransformError::DeadLetter)?;
                Ok(json!({"status": "invalid", "errors": errors}))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn config() -> Config {
        Config {
            stage: "prod".into(),
            region: "eu-west-1".into(),
            bus: "b".into(),
            table: "t".into(),
            dlq_url: "d".into(),
        }
    }

    fn event(detail_type: &str, detail: Value) -> Value {
        json!({"version": "0", "id": "e-9", "detail-type": detail_type, "source": "shop", "time": "2026-11-27T09:00:00Z", "detail": detail})
    }

    #[test]
    fn every_repo_schema_loads() {
        let registry = Registry::load().unwrap();
        for (detail_type, version, _) in SCHEMA_FILES {
            assert!(registry.get(detail_type, version).is_some());
        }
    }

    #[test]
    fn the_compiled_schemas_are_exactly_the_schema_files() {
        // infra-gen checks routed detail-types against this directory, so a file that is not
        // compiled in (or an entry without a file) would make the two sides disagree.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let mut on_disk = Vec::new();
        for detail_type in std::fs::read_dir(&dir).unwrap() {
            let detail_type = detail_type.unwrap();
            for file in std::fs::read_dir(detail_type.path()).unwrap() {
                let name = file.unwrap().file_name().to_string_lossy().into_owned();
                let version = name
                    .strip_prefix('v')
                    .and_then(|n| n.strip_suffix(".json"))
                    .unwrap_or_else(|| panic!("schemas/{name}: not v<N>.json"));
                on_disk.push((
                    detail_type.file_name().to_string_lossy().into_owned(),
                    version.to_string(),
                ));
            }
        }
        let mut compiled: Vec<(String, String)> = SCHEMA_FILES
            .iter()
            .map(|(t, v, _)| (t.to_string(), v.to_string()))
            .collect();
        on_disk.sort();
        compiled.sort();
        assert_eq!(compiled, on_disk);
    }

    #[test]
    fn its_own_output_is_never_transformed_again() {
        let registry = Registry::load().unwrap();
        let incoming = event(
            "OrderCreated",
            json!({"orderId": "o", "customerId": "c", "amount": 5, "currency": "EUR"}),
        );
        let envelope = transform(&incoming, &registry, &config(), "t".into()).unwrap();
        let mut output = event("OrderCreated", serde_json::to_value(&envelope).unwrap());
        output["source"] = json!(SOURCE);
        let errors = transform(&output, &registry, &config(), "t".into()).unwrap_err();
        assert_eq!(
            errors,
            [
                "event-transformer's own output (source `platform.event-transformer`): the transform rule must exclude it"
            ]
        );
    }

    #[test]
    fn valid_events_are_enriched_per_schema_version() {
        let registry = Registry::load().unwrap();
        let v1 = event(
            "OrderCreated",
            json!({"orderId": "o", "customerId": "c", "amount": 5, "currency": "EUR", "correlationId": "corr"}),
        );
        let envelope =
            transform(&v1, &registry, &config(), "2026-11-27T09:00:01.000Z".into()).unwrap();
        assert_eq!(envelope.correlation_id.as_deref(), Some("corr"));
        assert_eq!(envelope.region, "eu-west-1");
        assert_eq!(
            envelope.enrichment,
            Some(Enrichment {
                environment: "prod".into(),
                received_region: "eu-west-1".into(),
                received_at: "2026-11-27T09:00:01.000Z".into(),
                schema_version: "1".into()
            })
        );
        let v2 = event(
            "OrderCreated",
            json!({"schemaVersion": "2", "orderId": "o", "customerId": "c", "currency": "USD",
                                             "lines": [{"sku": "A", "quantity": 2, "unitPrice": 1.5}]}),
        );
        let envelope = transform(&v2, &registry, &config(), "t".into()).unwrap();
        assert_eq!(envelope.correlation_id.as_deref(), Some("e-9"));
        assert_eq!(envelope.enrichment.unwrap().schema_version, "2");
    }

    #[test]
    fn invalid_events_list_every_error() {
        let registry = Registry::load().unwrap();
        let bad = event(
            "OrderCreated",
            json!({"schemaVersion": "2", "orderId": "", "currency": "JPY", "lines": [{"sku": "A", "quantity": 0, "unitPrice": 0}]}),
        );
        let errors = transform(&bad, &registry, &config(), "t".into()).unwrap_err();
        assert_eq!(
            errors,
            [
                "/: missing required property `customerId`",
                "/orderId: shorter than 1",
                "/currency: must be one of [\"USD\",\"EUR\",\"GBP\"]",
                "/lines/0/quantity: less than 1",
                "/lines/0/unitPrice: must be greater than 0",
            ]
        );
        let unknown =
            transform(&event("Nope", json!({})), &registry, &config(), "t".into()).unwrap_err();
        assert_eq!(unknown, ["no schema for detail-type `Nope` version `1`"]);
        let version = transform(
            &event("OrderCreated", json!({"schemaVersion": "9"})),
            &registry,
            &config(),
            "t".into(),
        )
        .unwrap_err();
        assert_eq!(
            version,
            ["no schema for detail-type `OrderCreated` version `9`"]
        );
        assert!(
            transform(&json!("garbage"), &registry, &config(), "t".into()).unwrap_err()[0]
                .starts_with("not an EventBridge event")
        );
    }

    #[test]
    fn reads_exactly_its_contract() {
        let read = RefCell::new(Vec::new());
        let _ = Config::from_env(EnvReader::new(|name| {
            read.borrow_mut().push(name.to_string());
            None
        }));
        let contract = contract::env_contract("event-transformer").unwrap();
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
