//! health-checker: this region's dependencies and the peer region, aggregated.
//!
//! Contract (see `functions/README.md`): invoked by a schedule (any non-HTTP event) or by API
//! Gateway (`GET /health`, proxy integration). Checks, concurrently: the table's status
//! (`EVENTS_TABLE_NAME`; unavailable = unhealthy), the bus (`EVENT_BUS_NAME`; unavailable =
//! unhealthy), each queue in `HEALTH_DLQ_URLS` (depth >= `DLQ_DEPTH_THRESHOLD` or unreadable =
//! degraded), and `PEER_HEALTH_URL` with `?scope=local` within `PEER_TIMEOUT_MS` (a failing
//! peer degrades this region, never makes it unhealthy). A request with `scope=local` runs
//! the local checks only, so two regions never call each other in a loop. The result, a
//! [`HealthStatus`], is stored in the table under [`EventsTableKey::health`]
//! (`pk = "health#<region>"`, `sk = "latest"`, replaced on each check) and returned:
//! for HTTP, status 200 when healthy or degraded and 503 when unhealthy.
//!
//! Liveness mode: `GET /live` ([`contract::API_LIVENESS_PATH`]) has no authorizer, because
//! Route 53's health checks and the peer region call it without a token. It runs the same
//! local checks, stores nothing, and answers only `{"status": "<healthy|degraded|unhealthy>"}`
//! with the same status codes and `Cache-Control: no-store`: an anonymous caller learns the
//! region's state word and nothing about queues, depths, errors or latencies.

use std::time::{Duration, Instant};

use platform_aws::AwsError;
use platform_aws::dynamodb::Table;
use platform_aws::http::HttpClient;
use platform_contract as contract;
use platform_events::keys::EventsTableKey;
use platform_events::{CheckResult, Health, HealthStatus};
use platform_telemetry::startup::{ConfigError, EnvReader};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Config {
    pub stage: String,
    pub region: String,
    pub peer_region: String,
    pub table: String,
    pub bus: String,
    pub dlq_urls: Vec<String>,
    pub dlq_threshold: u64,
    pub peer_url: Option<String>,
    pub peer_timeout: Duration,
}

impl Config {
    pub fn from_env(mut env: EnvReader<'_>) -> Result<Self, ConfigError> {
        let dlq_urls: Vec<String> = env
            .required(contract::HEALTH_DLQ_URLS)
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(String::from)
            .collect();
        let config = Self {
            stage: env.required(contract::STAGE),
            region: env.required(contract::AWS_REGION),
            peer_region: env.required(contract::PEER_REGION),
            table: env.required(contract::EVENTS_TABLE_NAME),
            bus: env.required(contract::EVENT_BUS_NAME),
            dlq_urls,
            dlq_threshold: env.parse_or(contract::DLQ_DEPTH_THRESHOLD, 0),
            peer_url: env.optional(contract::PEER_HEALTH_URL),
            peer_timeout: Duration::from_millis(env.parse_or(contract::PEER_TIMEOUT_MS, 2000)),
        };
        if env.optional(contract::DLQ_DEPTH_THRESHOLD).is_none() {
            env.problem(format!(
                "{} is required but not set",
                contract::DLQ_DEPTH_THRESHOLD
            ));
        } else if config.dlq_threshold == 0 {
            env.problem(format!(
                "{} must be at least 1",
                contract::DLQ_DEPTH_THRESHOLD
            ));
        }
        env.finish("health-checker")?;
        Ok(config)
    }
}

/// How a dependency's state maps to health (pure, unit-tested).
pub mod classify {
    use super::*;

    pub fn table(status: &Result<String, AwsError>) -> (Health, Option<String>) {
        match status {
            Ok(s) if s == "ACTIVE" => (Health::Healthy, None),
            Ok(s) => (Health::Degraded, Some(format!("table status {s}"))),
            Err(e) => (Health::Unhealthy, Some(e.to_string())),
        }
    }

    pub fn bus(result: &Result<(), AwsError>) -> (Health, Option<String>) {
        match result {
            Ok(()) => (Health::Healthy, None),
            Err(e) => (Health::Unhealthy, Some(e.to_string())),
        }
    }

    pub fn dlq(depth: &Result<u64, AwsError>, threshold: u64) -> (Health, Option<String>) {
        match depth {
            Ok(d) if *d < threshold => (Health::Healthy, Some(format!("depth {d}"))),
            Ok(d) => (
                Health::Degraded,
                Some(format!("depth {d} >= threshold {threshold}")),
            ),
            Err(e) => (Health::Degraded, Some(e.to_string())),
        }
    }

    /// The peer's answer: its own reported status when it answered, unhealthy otherwise.
    pub fn peer(answer: &Result<(u16, Vec<u8>), String>) -> (Health, Option<String>) {
        match answer {
            Ok((status, body)) => {
                let reported = serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| serde_json::from_value::<Health>(v["status"].clone()).ok());
                match (status, reported) {
                    (200, Some(h)) => (h, None),
                    (200, None) => (
                        Health::Degraded,
                        Some("peer answered without a status".into()),
                    ),
                    (code, _) => (Health::Unhealthy, Some(format!("peer answered {code}"))),
                }
            }
            Err(e) => (Health::Unhealthy, Some(e.clone())),
        }
    }

    /// API Gateway status code for an aggregated health.
    pub fn http_status(health: Health) -> u16 {
        match health {
            Health::Healthy | Health::Degraded => 200,
            Health::Unhealthy => 503,
        }
    }
}

/// The AWS clients and HTTP client the checks use.
pub struct Checker {
    pub config: Config,
    pub table: Table,
    pub events: aws_sdk_eventbridge::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub http: HttpClient,
}

fn timed(
    name: String,
    started: Instant,
    (status, message): (Health, Option<String>),
) -> CheckResult {
    CheckResult {
        name,
        status,
        latency_ms: started.elapsed().as_millis() as u64,
        message,
    }
}

/// The peer URL asking for local checks only.
pub fn local_scope_url(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}scope=local")
}

impl Checker {
    /// Runs the checks concurrently; `include_peer` is false for `scope=local` requests.
    pub async fn check(&self, include_peer: bool) -> HealthStatus {
        let table = async {
            let t = Instant::now();
            timed(
                "table".into(),
                t,
                classify::table(&self.table.status().await),
            )
        };
        let bus = async {
            let t = Instant::now();
            let result = self
                .events
                .describe_event_bus()
                .name(&self.config.bus)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::call("EventBridge DescribeEventBus", e));
            timed("bus".into(), t, classify::bus(&result))
        };
        let dlqs = async {
            let mut results = Vec::new();
            for url in &self.config.dlq_urls {
                let t = Instant::now();
                let depth = platform_aws::sqs::queue_depth(&self.sqs, url).await;
                let name = url.rsplit('/').next().unwrap_or(url);
                results.push(timed(
                    format!("dlq:{name}"),
                    t,
                    classify::dlq(&depth, self.config.dlq_threshold),
                ));
            }
            results
        };
        let peer = async {
            let url = self.config.peer_url.as_deref().filter(|_| include_peer)?;
            let t = Instant::now();
            let answer = self
                .http
                .get(&local_scope_url(url), self.config.peer_timeout)
                .await
                .map(|response| (response.status, response.body))
                .map_err(|e| e.to_string());
            Some(timed(
                format!("peer:{}", self.config.peer_region),
                t,
                classify::peer(&answer),
            ))
        };
        let (table, bus, dlqs, peer) = tokio::join!(table, bus, dlqs, peer);
        let mut checks = vec![table, bus];
        checks.extend(dlqs);
        checks.extend(peer);
        HealthStatus::aggregate(&self.config.region, platform_events::now_rfc3339(), checks)
    }

    /// Stores the status as the region's latest.
    pub async fn store(&self, status: &HealthStatus) -> Result<(), AwsError> {
        let attributes = serde_json::to_value(status)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let item = EventsTableKey::health(&status.region).item(attributes);
        self.table.put_json(&item).await
    }

    /// Handles a scheduled or API Gateway invocation.
    pub async fn handle(&self, event: &Value) -> Value {
        if is_liveness(event) {
            let status = self.check(false).await;
            return liveness_response(status.status);
        }
        let is_http = event.get("httpMethod").is_some() || event.get("requestContext").is_some();
        let local_only = event
            .get("queryStringParameters")
            .and_then(|q| q.get("scope"))
            .and_then(Value::as_str)
            == Some("local");
        let status = self.check(!local_only).await;
        if !local_only && let Err(e) = self.store(&status).await {
            tracing::warn!(error = %e, "could not store the health status");
        }
        let body = serde_json::to_value(&status).unwrap_or_default();
        if is_http {
            json!({
                "statusCode": classify::http_status(status.status),
                "headers": {"content-type": "application/json", "cache-control": "no-store"},
                "body": body.to_string(),
            })
        } else {
            body
        }
    }
}

/// Whether API Gateway invoked the function for the liveness route (the proxy event's
/// `resource` is the route's path template, whatever domain or stage it came through).
pub fn is_liveness(event: &Value) -> bool {
    event.get("resource").and_then(Value::as_str) == Some(contract::API_LIVENESS_PATH)
}

/// The liveness answer: the status word only, never cached.
pub fn liveness_response(health: Health) -> Value {
    json!({
        "statusCode": classify::http_status(health),
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json!({ "status": health }).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn err() -> AwsError {
        AwsError::Call {
            operation: "x",
            message: "ResourceNotFoundException".into(),
            failure: platform_aws::Failure::Transient,
        }
    }

    #[test]
    fn classifies_dependencies() {
        assert_eq!(classify::table(&Ok("ACTIVE".into())).0, Health::Healthy);
        assert_eq!(classify::table(&Ok("UPDATING".into())).0, Health::Degraded);
        assert_eq!(classify::table(&Err(err())).0, Health::Unhealthy);
        assert_eq!(classify::bus(&Err(err())).0, Health::Unhealthy);
        assert_eq!(classify::dlq(&Ok(9), 10).0, Health::Healthy);
        assert_eq!(
            classify::dlq(&Ok(10), 10),
            (Health::Degraded, Some("depth 10 >= threshold 10".into()))
        );
        assert_eq!(classify::dlq(&Err(err()), 10).0, Health::Degraded);
        assert_eq!(
            classify::peer(&Ok((200, br#"{"status":"degraded"}"#.to_vec()))).0,
            Health::Degraded
        );
        assert_eq!(
            classify::peer(&Ok((503, b"{}".to_vec()))).0,
            Health::Unhealthy
        );
        assert_eq!(
            classify::peer(&Ok((200, b"<html>".to_vec()))).0,
            Health::Degraded
        );
        assert_eq!(
            classify::peer(&Err("timed out".into())).0,
            Health::Unhealthy
        );
        assert_eq!(classify::http_status(Health::Degraded), 200);
        assert_eq!(classify::http_status(Health::Unhealthy), 503);
        assert_eq!(
            local_scope_url("https://x/health"),
            "https://x/health?scope=local"
        );
        assert_eq!(
            local_scope_url("https://x/health?a=1"),
            "https://x/health?a=1&scope=local"
        );
    }

    #[test]
    fn liveness_answers_the_status_word_only_and_is_never_cached() {
        assert!(is_liveness(
            &json!({"resource": "/live", "httpMethod": "GET"})
        ));
        assert!(!is_liveness(
            &json!({"resource": "/health", "httpMethod": "GET"})
        ));
        assert!(!is_liveness(&json!({"source": "aws.events"})));
        for (health, code, word) in [
            (Health::Healthy, 200, "healthy"),
            (Health::Degraded, 200, "degraded"),
            (Health::Unhealthy, 503, "unhealthy"),
        ] {
            let response = liveness_response(health);
            assert_eq!(response["statusCode"], code);
            assert_eq!(response["headers"]["cache-control"], "no-store");
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            assert_eq!(body, json!({ "status": word }));
            // The peer region reads this body as the region's status.
            let (seen, _) = classify::peer(&Ok((code, response["body"].as_str().unwrap().into())));
            if code == 200 {
                assert_eq!(seen, health);
            }
        }
    }

    #[test]
    fn reads_exactly_its_contract() {
        let read = RefCell::new(Vec::new());
        let _ = Config::from_env(EnvReader::new(|name| {
            read.borrow_mut().push(name.to_string());
            None
        }));
        let contract = contract::env_contract("health-checker").unwrap();
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
