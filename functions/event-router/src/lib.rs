//! event-router: forwards events to the peer region's EventBridge bus.
//!
//! Contract (see `functions/README.md`): input is an EventBridge event delivered by a rule on
//! the local bus. Events matching `ROUTING_RULES` (default: all, never the router's own) are
//! wrapped in a [`CrossRegionEvent`], their `detail` zstd-compressed above
//! `COMPRESSION_THRESHOLD_BYTES`, and put on `PEER_EVENT_BUS_ARN` with source
//! [`routing::ROUTER_SOURCE`]. A circuit breaker guards the peer region; when it is open, or
//! retries are spent, the event goes to `DLQ_URL` with the error and attempt count. The result
//! is `{"status": "routed" | "skipped" | "deadLettered", ...}`; the invocation only fails
//! when the dead-letter queue itself cannot be written (so Lambda retries it).

pub mod circuit;
pub mod routing;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use circuit::{CircuitBreaker, CircuitConfig};
use platform_aws::eventbridge::{PublishEntry, Publisher, PutEventsApi};
use platform_aws::retry::RetryPolicy;
use platform_aws::sqs::DeadLetterSink;
use platform_contract as contract;
use platform_events::{CrossRegionEvent, DeadLetter, EventEnvelope, SCHEMA_VERSION, compression};
use platform_telemetry::startup::{ConfigError, EnvReader};
use routing::{ROUTER_SOURCE, RoutingRules};
use serde::Deserialize;
use serde_json::{Value, json};

/// The router's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub stage: String,
    pub region: String,
    pub peer_region: String,
    pub local_bus: String,
    pub peer_bus_arn: String,
    pub dlq_url: String,
    pub compression_threshold: usize,
    pub circuit: CircuitConfig,
    pub rules: RoutingRules,
}

impl Config {
    pub fn from_env(mut env: EnvReader<'_>) -> Result<Self, ConfigError> {
        let defaults = CircuitConfig::default();
        let rules_text = env.optional(contract::ROUTING_RULES).unwrap_or_default();
        let rules = RoutingRules::parse(&rules_text).unwrap_or_else(|e| {
            env.problem(format!("{}: {e}", contract::ROUTING_RULES));
            RoutingRules::default()
        });
        let config = Self {
            stage: env.required(contract::STAGE),
            region: env.required(contract::AWS_REGION),
            peer_region: env.required(contract::PEER_REGION),
            local_bus: env.required(contract::EVENT_BUS_NAME),
            peer_bus_arn: env.required(contract::PEER_EVENT_BUS_ARN),
            dlq_url: env.required(contract::DLQ_URL),
            compression_threshold: env.parse_or(contract::COMPRESSION_THRESHOLD_BYTES, 8192),
            circuit: CircuitConfig {
                failure_threshold: env.parse_or(
                    contract::CIRCUIT_FAILURE_THRESHOLD,
                    defaults.failure_threshold,
                ),
                open_for: Duration::from_secs(
                    env.parse_or(contract::CIRCUIT_OPEN_SECONDS, defaults.open_for.as_secs()),
                ),
                ..defaults
            },
            rules,
        };
        if config.circuit.failure_threshold == 0 {
            env.problem(format!(
                "{} must be at least 1",
                contract::CIRCUIT_FAILURE_THRESHOLD
            ));
        }
        env.finish("event-router")?;
        Ok(config)
    }
}

/// The fields of an EventBridge event the router reads.
#[derive(Debug, Deserialize)]
pub struct IncomingEvent {
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub detail: Value,
}

/// What happened to one event.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteOutcome {
    Skipped,
    Routed { compressed: bool, latency: Duration },
    DeadLettered { reason: String },
}

impl RouteOutcome {
    pub fn to_json(&self) -> Value {
        match self {
            RouteOutcome::Skipped => json!({"status": "skipped"}),
            RouteOutcome::Routed { compressed, .. } => {
                json!({"status": "routed", "compressed": compressed})
            }
            RouteOutcome::DeadLettered { reason } => {
                json!({"status": "deadLettered", "reason": reason})
            }
        }
    }
}

/// The dead-letter queue could not be written: the event would be lost, so the invocation
/// fails and Lambda retries it.
#[derive(Debug, thiserror::Error)]
#[error("dead-lettering failed after `{reason}`: {source}")]
pub struct RouterError {
    reason: String,
    #[source]
    source: platform_aws::AwsError,
}

/// The wrapped event for the peer bus: the envelope with its detail compressed above the
/// threshold.
pub fn cross_region_entry(
    incoming: &IncomingEvent,
    config: &Config,
) -> Result<(PublishEntry, bool), platform_events::EventError> {
    let (detail, compressed) =
        compression::compress_detail(&incoming.detail, config.compression_threshold)?;
    let correlation_id = incoming
        .detail
        .get("correlationId")
        .and_then(Value::as_str)
        .unwrap_or(&incoming.id)
        .to_string();
    let wrapped = CrossRegionEvent {
        version: SCHEMA_VERSION.to_string(),
        source_region: config.region.clone(),
        destination_region: config.peer_region.clone(),
        sent_at: platform_events::now_rfc3339(),
        event: EventEnvelope {
            version: SCHEMA_VERSION.to_string(),
            id: incoming.id.clone(),
            source: incoming.source.clone(),
            detail_type: incoming.detail_type.clone(),
            time: incoming
                .time
                .clone()
                .unwrap_or_else(platform_events::now_rfc3339),
            region: incoming
                .region
                .clone()
                .unwrap_or_else(|| config.region.clone()),
            correlation_id: Some(correlation_id),
            detail,
            enrichment: None,
        },
    };
    let detail = String::from_utf8(platform_events::encode(&wrapped)?).unwrap_or_default();
    Ok((
        PublishEntry {
            event_bus_name: config.peer_bus_arn.clone(),
            source: ROUTER_SOURCE.to_string(),
            detail_type: incoming.detail_type.clone(),
            detail,
            resources: Vec::new(),
        },
        compressed,
    ))
}

/// The router with its (process-lifetime) circuit breaker for the peer region.
pub struct Router<P, D> {
    config: Config,
    publisher: Publisher<P>,
    dlq: D,
    breaker: Mutex<CircuitBreaker>,
}

impl<P: PutEventsApi, D: DeadLetterSink> Router<P, D> {
    pub fn new(config: Config, peer_events: P, dlq: D, retry: RetryPolicy) -> Self {
        let breaker = Mutex::new(CircuitBreaker::new(config.circuit));
        Self {
            config,
            publisher: Publisher::new(peer_events, retry),
            dlq,
            breaker,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, CircuitBreaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `circuit_breaker_state` value for the peer region.
    pub fn circuit_state(&self) -> platform_telemetry::CircuitStateValue {
        self.breaker().metric_value()
    }

    /// Routes one event delivered to the function.
    pub async fn handle(&self, payload: &Value) -> Result<RouteOutcome, RouterError> {
        let incoming: IncomingEvent = match serde_json::from_value(payload.clone()) {
            Ok(incoming) => incoming,
            Err(e) => {
                return self
                    .dead_letter(format!("not an EventBridge event: {e}"), 0, payload)
                    .await;
            }
        };
        if !self
            .config
            .rules
            .routes(&incoming.source, &incoming.detail_type)
        {
            return Ok(RouteOutcome::Skipped);
        }
        let (entry, compressed) = match cross_region_entry(&incoming, &self.config) {
            Ok(built) => built,
            Err(e) => return self.dead_letter(e.to_string(), 0, payload).await,
        };
        if !self.breaker().allow(Instant::now()) {
            let reason = format!("circuit open for {}", self.config.peer_region);
            return self.dead_letter(reason, 0, payload).await;
        }
        let started = Instant::now();
        let report = self.publisher.publish(std::slice::from_ref(&entry)).await;
        match report.failed.into_iter().next() {
            None => {
                self.breaker().record_success();
                Ok(RouteOutcome::Routed {
                    compressed,
                    latency: started.elapsed(),
                })
            }
            Some(failed) => {
                self.breaker().record_failure(Instant::now());
                let reason = format!(
                    "putting to {} failed after {} attempts: {}",
                    self.config.peer_bus_arn, failed.attempts, failed.error
                );
                self.dead_letter(reason, failed.attempts, payload).await
            }
        }
    }

    async fn dead_letter(
        &self,
        reason: String,
        attempts: u32,
        payload: &Value,
    ) -> Result<RouteOutcome, RouterError> {
        tracing::warn!(%reason, attempts, "dead-lettering event");
        let letter = DeadLetter::new("event-router", reason.clone(), attempts, payload.clone());
        match self.dlq.send_dead_letter(&letter).await {
            Ok(_) => Ok(RouteOutcome::DeadLettered { reason }),
            Err(source) => Err(RouterError { reason, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_aws::AwsError;
    use platform_aws::eventbridge::EntryOutcome;
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn config() -> Config {
        Config {
            stage: "test".into(),
            region: "us-east-1".into(),
            peer_region: "us-west-2".into(),
            local_bus: "local".into(),
            peer_bus_arn: "arn:aws:events:us-west-2:1:event-bus/peer".into(),
            dlq_url: "dlq".into(),
            compression_threshold: 1024,
            circuit: CircuitConfig {
                failure_threshold: 2,
                open_for: Duration::from_secs(60),
                ..CircuitConfig::default()
            },
            rules: RoutingRules::parse("platform.orders=*").unwrap(),
        }
    }

    struct Peer {
        up: AtomicBool,
        sent: Mutex<Vec<PublishEntry>>,
    }

    impl PutEventsApi for Peer {
        async fn put_events(
            &self,
            entries: &[PublishEntry],
        ) -> Result<Vec<EntryOutcome>, AwsError> {
            self.sent.lock().unwrap().extend(entries.iter().cloned());
            if self.up.load(Ordering::SeqCst) {
                Ok(entries
                    .iter()
                    .map(|_| EntryOutcome::Published {
                        event_id: "x".into(),
                    })
                    .collect())
            } else {
                Err(AwsError::Call {
                    operation: "PutEvents",
                    message: "connection refused".into(),
                    failure: platform_aws::Failure::Transient,
                })
            }
        }
    }

    #[derive(Default)]
    struct Letters(Mutex<Vec<DeadLetter>>);

    impl DeadLetterSink for Letters {
        async fn send_dead_letter(&self, letter: &DeadLetter) -> Result<String, AwsError> {
            self.0.lock().unwrap().push(letter.clone());
            Ok("m".into())
        }
    }

    fn router(up: bool) -> Router<Peer, Letters> {
        let retry = RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        };
        Router::new(
            config(),
            Peer {
                up: AtomicBool::new(up),
                sent: Mutex::new(vec![]),
            },
            Letters::default(),
            retry,
        )
    }

    fn event(detail: Value) -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": "OrderCreated", "source": "platform.orders",
               "time": "2026-11-27T10:00:00Z", "region": "us-east-1", "detail": detail})
    }

    #[tokio::test]
    async fn routes_and_compresses_large_details_that_the_receiver_can_decode() {
        let r = router(true);
        let detail = json!({"lines": (0..200).map(|i| json!({"sku": format!("SKU-{i:05}"), "qty": i % 7, "warehouse": "us-east-1a"})).collect::<Vec<_>>()});
        let outcome = r.handle(&event(detail.clone())).await.unwrap();
        assert!(matches!(
            outcome,
            RouteOutcome::Routed {
                compressed: true,
                ..
            }
        ));
        let sent = r.publisher.api().sent.lock().unwrap()[0].clone();
        assert_eq!(
            (sent.source.as_str(), sent.event_bus_name.as_str()),
            (ROUTER_SOURCE, "arn:aws:events:us-west-2:1:event-bus/peer")
        );
        let received: CrossRegionEvent = platform_events::decode(sent.detail.as_bytes()).unwrap();
        assert_eq!(received.destination_region, "us-west-2");
        let original = received.into_original().unwrap();
        assert_eq!(original.detail, detail);
        assert_eq!(original.correlation_id.as_deref(), Some("e-1"));
        assert!(r.dlq.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn skips_unrouted_and_own_events() {
        let r = router(true);
        let mut other = event(json!({}));
        other["source"] = json!("platform.crm");
        assert_eq!(r.handle(&other).await.unwrap(), RouteOutcome::Skipped);
        let mut own = event(json!({}));
        own["source"] = json!(ROUTER_SOURCE);
        assert_eq!(r.handle(&own).await.unwrap(), RouteOutcome::Skipped);
        assert!(r.publisher.api().sent.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failing_peer_opens_the_circuit_and_every_event_is_dead_lettered_with_context() {
        let r = router(false);
        for _ in 0..3 {
            assert!(matches!(
                r.handle(&event(json!({"n": 1}))).await.unwrap(),
                RouteOutcome::DeadLettered { .. }
            ));
        }
        assert_eq!(
            r.circuit_state(),
            platform_telemetry::CircuitStateValue::Open
        );
        let letters = r.dlq.0.lock().unwrap();
        assert_eq!(letters.len(), 3);
        assert_eq!(letters[0].retry_count, 2);
        assert!(
            letters[0].error.contains("connection refused"),
            "{}",
            letters[0].error
        );
        assert_eq!(letters[2].error, "circuit open for us-west-2");
        assert_eq!(letters[2].retry_count, 0);
        assert_eq!(letters[2].payload, event(json!({"n": 1})));
        // Two calls of two attempts each reached the peer; the third was stopped by the circuit.
        assert_eq!(r.publisher.api().sent.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn garbage_is_dead_lettered_not_a_panic() {
        let r = router(true);
        let outcome = r.handle(&json!([1, 2, 3])).await.unwrap();
        assert!(
            matches!(outcome, RouteOutcome::DeadLettered { reason } if reason.starts_with("not an EventBridge event"))
        );
    }

    #[test]
    fn reads_exactly_its_contract() {
        let read = RefCell::new(Vec::new());
        let _ = Config::from_env(EnvReader::new(|name| {
            read.borrow_mut().push(name.to_string());
            None
        }));
        let contract = contract::env_contract("event-router").unwrap();
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
