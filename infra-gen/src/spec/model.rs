//! The typed environment spec: what one environment deploys in one region, after layering.
//!
//! Every struct denies unknown fields, so a misspelt key is an error naming its line instead
//! of a silently ignored setting. Field names are the YAML keys.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// The 12-digit AWS account the environment deploys to.
    pub account: String,
    /// The active/active region pair, e.g. `[us-west-2, us-east-1]`.
    pub regions: Vec<String>,
    pub log_level: LogLevel,
    pub removal_policy: RemovalPolicy,
    pub tags: BTreeMap<String, String>,
    pub functions: BTreeMap<String, FunctionSpec>,
    pub table: TableSpec,
    pub stream: StreamSpec,
    pub alarms: AlarmSpec,
    pub routing: RoutingSpec,
    pub api: ApiSpec,
    pub health: HealthSpec,
    pub router: RouterSpec,
    pub consumer: ConsumerSpec,
    pub observability: ObservabilitySpec,
    pub delivery: DeliverySpec,
    /// One DNS name for the API across both regions (Route 53); absent: each region is
    /// reached by its own execute-api URL only.
    pub dns: Option<DnsSpec>,
    /// What the cost estimate assumes about use (see `usage.rs`); absent in specs that
    /// predate it.
    pub usage: Option<super::usage::UsageSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// What happens to stateful resources (table, queues, key, secret, logs) when the stack is
/// deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RemovalPolicy {
    Retain,
    Destroy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Architecture {
    #[serde(rename = "arm64")]
    Arm64,
    #[serde(rename = "x86_64")]
    X86_64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    pub architecture: Architecture,
    /// `null` leaves the function in the account's unreserved pool.
    pub reserved_concurrency: Option<u32>,
    /// Provisioned concurrency on the `live` alias; 0 means no alias is provisioned.
    pub provisioned_concurrency: u32,
    pub log_retention_days: u32,
    /// Extra environment variables; the contract's variables are set by infra-gen itself.
    pub environment: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub billing_mode: BillingMode,
    /// Only with `billing_mode: provisioned`.
    pub read_capacity: Option<u32>,
    pub write_capacity: Option<u32>,
    pub point_in_time_recovery: bool,
    pub deletion_protection: bool,
    /// Attribute holding the expiry epoch; `null` disables TTL.
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    PayPerRequest,
    Provisioned,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSpec {
    pub batch_size: u32,
    pub max_retries: u32,
    pub max_record_age_seconds: u32,
    pub parallelization_factor: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    pub dlq_depth_threshold: u32,
    pub lambda_error_threshold: u32,
    pub evaluation_periods: u32,
    pub period_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSpec {
    /// Detail-types the transform rule sends to event-transformer.
    pub detail_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    pub throttle_rate_limit: f64,
    pub throttle_burst_limit: u32,
    pub authorizer_cache_seconds: u32,
    pub jwt_issuer: String,
    pub jwt_audience: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// An EventBridge schedule expression, `rate(...)` or `cron(...)`.
    pub schedule: String,
    pub dlq_depth_threshold: u32,
    pub peer_timeout_ms: u32,
    /// The peer region's open `GET /live` URL (its API id is not known to this region's
    /// stack; `/health` needs a token the health-checker does not hold); set per region under
    /// `region_overrides`. `null` skips the peer check; with `dns` it is derived instead.
    pub peer_health_url: Option<String>,
}

/// The API's DNS: a shared record steered between the regions by Route 53, and one
/// region-specific record per region (see `platform/dns.rs`). Environment-wide.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsSpec {
    /// The Route 53 public hosted zone that holds the records, e.g. `Z0123456789ABCDEFGHIJ`.
    pub hosted_zone_id: String,
    /// The zone's domain, e.g. `example.com`; the records must lie inside it.
    pub zone: String,
    /// The API's shared name, e.g. `api.example.com`: a strict subdomain of `zone`.
    pub record: String,
    #[serde(default)]
    pub routing: DnsRouting,
    /// With `routing: failover`, the region that serves while healthy; absent with `latency`.
    pub primary_region: Option<String>,
    #[serde(default)]
    pub health_check: DnsHealthCheckSpec,
}

/// How Route 53 answers for the shared record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsRouting {
    /// Active/active: each client gets the nearest healthy region.
    #[default]
    Latency,
    /// Active/passive: the primary region while healthy, else the other.
    Failover,
}

impl DnsRouting {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsRouting::Latency => "latency",
            DnsRouting::Failover => "failover",
        }
    }
}

/// The Route 53 health check on each region's liveness route.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsHealthCheckSpec {
    /// Seconds between checks from each checker: 10 (fast, priced higher) or 30.
    #[serde(default = "default_interval")]
    pub interval_seconds: u32,
    /// Consecutive failures before Route 53 considers the region unhealthy (1-10).
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: u32,
}

fn default_interval() -> u32 {
    30
}

fn default_failure_threshold() -> u32 {
    3
}

impl Default for DnsHealthCheckSpec {
    fn default() -> Self {
        DnsHealthCheckSpec {
            interval_seconds: default_interval(),
            failure_threshold: default_failure_threshold(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterSpec {
    /// Events the router sends to the peer region, as `source=detail-type` (either side may be
    /// `*`); empty routes every event.
    pub routes: Vec<String>,
    pub compression_threshold_bytes: u32,
    pub circuit_failure_threshold: u32,
    pub circuit_open_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub namespace: String,
    /// Repository of the consumer image in the environment's ECR, e.g. `infra-gen/cdc-consumer`.
    pub image_repository: String,
    pub group_id: String,
    pub replicas: ReplicaSpec,
    pub target_cpu_utilization: u32,
    pub resources: ResourcesSpec,
    pub topics: Vec<TopicSpec>,
    pub publish_cdc_events: bool,
    /// Days a DELETE's tombstone stays in the cdc-state table (`CDC_TOMBSTONE_TTL_SECONDS`).
    /// While it does, no replayed older change can recreate the deleted row, so it must be
    /// longer than the topics' retention plus a segment roll, and than the longest Qlik task
    /// stop resumed from a checkpoint (consumer/README.md, "What is written").
    pub tombstone_ttl_days: u32,
    /// Usually set per region under `region_overrides`.
    pub kafka_bootstrap_servers: Vec<String>,
    /// The EKS cluster the consumer runs on (per region, under `region_overrides`).
    pub eks_cluster_name: String,
    /// The EKS cluster's OIDC issuer without scheme, e.g.
    /// `oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`.
    pub eks_oidc_provider: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaSpec {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesSpec {
    pub requests: ComputeSpec,
    pub limits: ComputeSpec,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeSpec {
    pub cpu: String,
    pub memory: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub topic: String,
    pub table: String,
    pub key_columns: Vec<String>,
}

/// How the environment is promoted and released.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySpec {
    /// The IAM role GitHub Actions assumes through OIDC to deploy this environment.
    pub deploy_role_name: String,
    /// Whether a person must approve a deployment to this environment.
    pub requires_approval: bool,
    /// Promotion order: lower deploys first.
    pub order: u32,
}

/// Dashboards and alert rules (`generated/observability/<env>/`). Environment-wide: one set
/// covers both regions (the dashboards have a region variable; the rules run in each region's
/// Prometheus).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservabilitySpec {
    /// Where the runbooks are browsed, ending in `/`: alerts and dashboards link to
    /// `<runbook_base_url>alerts.md#<alert>` (the repository's `docs/runbooks/`).
    pub runbook_base_url: String,
    /// Whether the Kustomize overlays include the Prometheus Operator component
    /// (ServiceMonitor and PrometheusRule); clusters without the operator scrape with the
    /// plain `scrape-config.yaml` and load `rules.yaml`.
    pub prometheus_operator: bool,
    pub alerts: ConsumerAlertsSpec,
}

/// The consumer's alerts: each fires once its condition has held for `for_minutes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerAlertsSpec {
    /// Messages behind the high watermark, per topic (the worst partition).
    pub lag_messages: ThresholdAlertSpec,
    /// Age in seconds of the oldest unprocessed message, per topic.
    pub lag_seconds: ThresholdAlertSpec,
    /// Dead letters sent in the last 10 minutes, per environment and region.
    pub dead_letters: ThresholdAlertSpec,
    /// The processing-latency objective in seconds: p99 over 5 minutes, receipt to
    /// commit-eligible.
    pub processing_p99_seconds: ThresholdAlertSpec,
    /// A pod's /ready would answer 503 (or its scrape fails).
    pub not_ready: DurationAlertSpec,
    /// No member of the group holds any partition.
    pub no_partitions: DurationAlertSpec,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdAlertSpec {
    /// The alert fires while the value is above this.
    pub threshold: f64,
    pub for_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationAlertSpec {
    pub for_minutes: u32,
}
