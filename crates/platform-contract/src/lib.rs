//! The configuration contract between `infra-gen` and the programs it deploys.
//!
//! Every environment variable that a Lambda function or the Kafka consumer reads, and that the
//! generated CloudFormation, Terraform and Kustomize set, is named here and nowhere else. The
//! programs read their configuration through these constants; `infra-gen` writes the same
//! constants into the templates, and its tests check that each program's required variables
//! are set on its deployed resource. Renaming a variable is therefore one edit that both sides
//! see at compile time.
//!
//! The crate has no dependencies and no I/O on purpose: it is linked into every binary.

/// The five Lambda functions, by the crate and binary name used in `functions/`.
pub const FUNCTION_NAMES: [&str; 5] = [
    "event-router",
    "stream-processor",
    "event-transformer",
    "health-checker",
    "authorizer",
];

/// One environment variable of a program's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    pub name: &'static str,
    /// A required variable has no default: the program refuses to start without it.
    pub required: bool,
    pub meaning: &'static str,
}

const fn required(name: &'static str, meaning: &'static str) -> EnvVar {
    EnvVar {
        name,
        required: true,
        meaning,
    }
}

const fn optional(name: &'static str, meaning: &'static str) -> EnvVar {
    EnvVar {
        name,
        required: false,
        meaning,
    }
}

// ---- Names shared by several programs -------------------------------------------------------

/// Environment (stage) name, e.g. `prod`.
pub const STAGE: &str = "STAGE";
/// `tracing` filter directive, e.g. `info` or `debug`.
pub const LOG_LEVEL: &str = "LOG_LEVEL";
/// The other region of the active/active pair, e.g. `us-east-1` in `us-west-2`.
pub const PEER_REGION: &str = "PEER_REGION";
/// Name of this region's EventBridge bus.
pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
/// ARN of the peer region's EventBridge bus.
pub const PEER_EVENT_BUS_ARN: &str = "PEER_EVENT_BUS_ARN";
/// Name of the DynamoDB events table.
pub const EVENTS_TABLE_NAME: &str = "EVENTS_TABLE_NAME";
/// URL of the SQS dead-letter queue a program sends failed events to.
pub const DLQ_URL: &str = "DLQ_URL";
/// DynamoDB table (partition key `pk`, string) recording processed record ids, so a retried
/// stream batch does not publish a record twice.
pub const IDEMPOTENCY_TABLE_NAME: &str = "IDEMPOTENCY_TABLE_NAME";

// ---- The tables' keys and the bus rules, as the programs and infra-gen see them -------------

/// The partition key (`S`) of every platform table: events, idempotency and CDC state.
pub const TABLE_PARTITION_KEY: &str = "pk";
/// The events table's sort key (`S`); the other tables have none. Writers build both keys with
/// `platform_events::keys`, so an item always carries the key the table declares.
pub const EVENTS_TABLE_SORT_KEY: &str = "sk";
/// The EventBridge source of what event-transformer forwards. The transform rule excludes it:
/// the forwarded event keeps its detail-type, so without the exclusion the rule would deliver
/// the transformer's own output back to it.
pub const EVENT_TRANSFORMER_SOURCE: &str = "platform.event-transformer";

// ---- event-router ---------------------------------------------------------------------------

/// Payloads larger than this many bytes are zstd-compressed before crossing regions.
pub const COMPRESSION_THRESHOLD_BYTES: &str = "COMPRESSION_THRESHOLD_BYTES";
/// Consecutive failures that open a destination's circuit.
pub const CIRCUIT_FAILURE_THRESHOLD: &str = "CIRCUIT_FAILURE_THRESHOLD";
/// Seconds an open circuit waits before letting half-open probes through.
pub const CIRCUIT_OPEN_SECONDS: &str = "CIRCUIT_OPEN_SECONDS";
/// Which events are routed to the peer region: `;`-separated `source=detail-type` rules where
/// either side may be `*`, e.g. `platform.orders=*;*=CustomerUpdated`. Unset routes every event.
pub const ROUTING_RULES: &str = "ROUTING_RULES";

// ---- health-checker -------------------------------------------------------------------------

/// Comma-separated SQS queue URLs whose depth is checked.
pub const HEALTH_DLQ_URLS: &str = "HEALTH_DLQ_URLS";
/// A DLQ at or above this many visible messages makes the region degraded.
pub const DLQ_DEPTH_THRESHOLD: &str = "DLQ_DEPTH_THRESHOLD";
/// The peer region's health URL: its `API_LIVENESS_PATH` under its region-specific name when the
/// environment has DNS (derived by infra-gen), else a URL set in the spec.
pub const PEER_HEALTH_URL: &str = "PEER_HEALTH_URL";
/// Timeout of the peer health call, in milliseconds.
pub const PEER_TIMEOUT_MS: &str = "PEER_TIMEOUT_MS";
/// The API's unauthenticated liveness route (health-checker's liveness mode): Route 53's
/// health checks and the peer region's health-checker call it, and neither can send a token.
pub const API_LIVENESS_PATH: &str = "/live";

// ---- authorizer -----------------------------------------------------------------------------

/// Secrets Manager ARN of the HS256 signing key.
pub const JWT_SECRET_ARN: &str = "JWT_SECRET_ARN";
/// Required `iss` claim.
pub const JWT_ISSUER: &str = "JWT_ISSUER";
/// Required `aud` claim.
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
/// A JWKS document inline (RS256/ES256 keys).
pub const JWKS_JSON: &str = "JWKS_JSON";
/// A URL to fetch the JWKS from (cached).
pub const JWKS_URL: &str = "JWKS_URL";
/// Clock leeway for `exp`/`nbf`, in seconds.
pub const JWT_LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
/// Resource ARN (pattern) the Allow policy grants, e.g. `arn:aws:execute-api:REGION:ACCOUNT:API/*`;
/// unset grants the request's `methodArn` only.
pub const JWT_POLICY_RESOURCE: &str = "JWT_POLICY_RESOURCE";

// ---- consumer -------------------------------------------------------------------------------

/// Comma-separated Kafka bootstrap servers.
pub const KAFKA_BOOTSTRAP_SERVERS: &str = "KAFKA_BOOTSTRAP_SERVERS";
/// Kafka consumer group id.
pub const KAFKA_GROUP_ID: &str = "KAFKA_GROUP_ID";
/// Topic to source table mapping; see [`TopicTable`] for the format.
pub const CDC_TOPIC_TABLES: &str = "CDC_TOPIC_TABLES";
/// DynamoDB table holding one item per source row.
pub const CDC_TABLE_NAME: &str = "CDC_TABLE_NAME";
/// SQS dead-letter queue URL for messages that cannot be applied.
pub const CDC_DLQ_URL: &str = "CDC_DLQ_URL";
/// When set, a CDC event per change is published to this EventBridge bus.
pub const CDC_EVENT_BUS_NAME: &str = "CDC_EVENT_BUS_NAME";
/// Port of /health, /ready and /metrics.
pub const METRICS_PORT: &str = "METRICS_PORT";
/// Region of the AWS clients (the standard SDK variable).
pub const AWS_REGION: &str = "AWS_REGION";
/// IP address the consumer's probe and metrics server binds (default all interfaces).
pub const METRICS_BIND_ADDRESS: &str = "METRICS_BIND_ADDRESS";
/// Kafka static group membership id (`group.instance.id`), e.g. the pod name: a restarted
/// container rejoins as the same member at once instead of waiting out the dead one's session.
pub const KAFKA_GROUP_INSTANCE_ID: &str = "KAFKA_GROUP_INSTANCE_ID";
/// Most messages of one partition the consumer applies together (1-1000, default 100).
pub const CDC_BATCH_SIZE: &str = "CDC_BATCH_SIZE";
/// Longest a fetch waits at the broker for data (`fetch.wait.max.ms`, 1-5000, default 500).
/// Kafka answers a waiting fetch as soon as data arrives, so the default costs no latency there;
/// a broker that answers only at the deadline (the test broker) turns it into bursts.
pub const KAFKA_FETCH_WAIT_MAX_MS: &str = "KAFKA_FETCH_WAIT_MAX_MS";
/// Seconds a DELETE's tombstone is kept in the CDC state table (its [`CDC_EXPIRY_ATTRIBUTE`]
/// is the delete time plus this). While it exists, no change older than the DELETE can
/// recreate the row, so it must outlive every replay: the topic's retention (plus a segment's
/// roll time, as Kafka deletes whole segments) and the longest Qlik task stop resumed from a
/// checkpoint. Default [`DEFAULT_CDC_TOMBSTONE_TTL_SECONDS`].
pub const CDC_TOMBSTONE_TTL_SECONDS: &str = "CDC_TOMBSTONE_TTL_SECONDS";

/// 14 days: Kafka's default retention (7 days) plus its default segment roll (7 days), the
/// longest a message can stay readable by default.
pub const DEFAULT_CDC_TOMBSTONE_TTL_SECONDS: u64 = 14 * 24 * 3600;
/// The accepted range of [`CDC_TOMBSTONE_TTL_SECONDS`]: at least an hour (shorter is no replay
/// window at all), at most a year (a longer replay is a restore, not a replay).
pub const CDC_TOMBSTONE_TTL_RANGE: std::ops::RangeInclusive<u64> = 3600..=366 * 24 * 3600;

// ---- The consumer's CDC state table, as its readers and infra-gen see it ----------------------

/// Present (`BOOL` true) on a tombstone, the item a DELETE leaves; never on a row. Readers treat
/// an item carrying it as an absent row.
pub const CDC_DELETED_ATTRIBUTE: &str = "_deleted";
/// The CDC state table's TTL attribute (`N`, epoch seconds): set on tombstones only, so DynamoDB
/// removes them once [`CDC_TOMBSTONE_TTL_SECONDS`] have passed and rows never expire.
pub const CDC_EXPIRY_ATTRIBUTE: &str = "_expires";

/// The consumer's default group id.
pub const DEFAULT_CONSUMER_GROUP: &str = "cdc-consumers";
/// The consumer's HTTP port for probes and metrics.
pub const DEFAULT_METRICS_PORT: u16 = 9090;
/// Liveness probe path.
pub const HEALTH_PATH: &str = "/health";
/// Readiness probe path.
pub const READY_PATH: &str = "/ready";
/// Prometheus scrape path.
pub const METRICS_PATH: &str = "/metrics";
/// UID the consumer container runs as.
pub const CONSUMER_UID: u32 = 1001;
/// The CPU architecture of the consumer's image, as Kubernetes' `kubernetes.io/arch` names it.
/// `infra-gen package` builds the image for its host (the promotion workflow's x86_64 runners)
/// and refuses any other; the overlays pin the pods to nodes of this architecture, and a spec
/// whose consumer node type has another is refused (an amd64 binary on a Graviton node would
/// fail with `exec format error`).
pub const CONSUMER_IMAGE_ARCHITECTURE: &str = "amd64";

/// The environment contract of each deployed program, by name (a function name from
/// [`FUNCTION_NAMES`] or `"consumer"`). `None` for an unknown program.
pub fn env_contract(program: &str) -> Option<&'static [EnvVar]> {
    Some(match program {
        "event-router" => EVENT_ROUTER_ENV,
        "stream-processor" => STREAM_PROCESSOR_ENV,
        "event-transformer" => EVENT_TRANSFORMER_ENV,
        "health-checker" => HEALTH_CHECKER_ENV,
        "authorizer" => AUTHORIZER_ENV,
        "consumer" => CONSUMER_ENV,
        _ => return None,
    })
}

const COMMON_STAGE: EnvVar = required(STAGE, "environment name");
const COMMON_LOG: EnvVar = optional(LOG_LEVEL, "tracing filter, default info");

pub const EVENT_ROUTER_ENV: &[EnvVar] = &[
    COMMON_STAGE,
    COMMON_LOG,
    required(PEER_REGION, "region of the peer bus"),
    required(EVENT_BUS_NAME, "local bus"),
    required(PEER_EVENT_BUS_ARN, "destination bus in the peer region"),
    required(
        DLQ_URL,
        "dead letters when the circuit is open or retries are spent",
    ),
    optional(COMPRESSION_THRESHOLD_BYTES, "default 8192"),
    optional(CIRCUIT_FAILURE_THRESHOLD, "default 5"),
    optional(CIRCUIT_OPEN_SECONDS, "default 30"),
    optional(ROUTING_RULES, "routing rules, default route everything"),
];

pub const STREAM_PROCESSOR_ENV: &[EnvVar] = &[
    COMMON_STAGE,
    COMMON_LOG,
    required(EVENT_BUS_NAME, "bus the CDC events are published to"),
    required(EVENTS_TABLE_NAME, "table whose stream is processed"),
    optional(
        IDEMPOTENCY_TABLE_NAME,
        "processed record ids; unset relies on stable event ids",
    ),
];

pub const EVENT_TRANSFORMER_ENV: &[EnvVar] = &[
    COMMON_STAGE,
    COMMON_LOG,
    required(EVENT_BUS_NAME, "bus the enriched events are forwarded to"),
    required(
        EVENTS_TABLE_NAME,
        "table the transformed events are written to",
    ),
    required(DLQ_URL, "invalid events with their validation errors"),
];

pub const HEALTH_CHECKER_ENV: &[EnvVar] = &[
    COMMON_STAGE,
    COMMON_LOG,
    required(PEER_REGION, "region of the peer health endpoint"),
    required(
        EVENTS_TABLE_NAME,
        "table checked and where the latest status is stored",
    ),
    required(EVENT_BUS_NAME, "bus checked"),
    required(HEALTH_DLQ_URLS, "queues whose depth is checked"),
    required(DLQ_DEPTH_THRESHOLD, "depth that degrades the region"),
    optional(
        PEER_HEALTH_URL,
        "peer GET /health; unset skips the peer check",
    ),
    optional(PEER_TIMEOUT_MS, "default 2000"),
];

pub const AUTHORIZER_ENV: &[EnvVar] = &[
    COMMON_STAGE,
    COMMON_LOG,
    required(JWT_SECRET_ARN, "HS256 key secret"),
    required(JWT_ISSUER, "expected iss"),
    required(JWT_AUDIENCE, "expected aud"),
    optional(JWKS_JSON, "inline JWKS for RS256/ES256"),
    optional(JWKS_URL, "JWKS URL for RS256/ES256"),
    optional(JWT_LEEWAY_SECONDS, "default 30"),
    optional(
        JWT_POLICY_RESOURCE,
        "resource of the Allow policy, default the methodArn",
    ),
];

pub const CONSUMER_ENV: &[EnvVar] = &[
    COMMON_STAGE,
    COMMON_LOG,
    required(AWS_REGION, "region of the AWS clients"),
    required(KAFKA_BOOTSTRAP_SERVERS, "brokers"),
    optional(KAFKA_GROUP_ID, "default cdc-consumers"),
    required(CDC_TOPIC_TABLES, "topic to table and key columns"),
    required(CDC_TABLE_NAME, "sink table"),
    required(CDC_DLQ_URL, "dead-letter queue"),
    optional(
        CDC_EVENT_BUS_NAME,
        "publish a CDC event per change when set",
    ),
    optional(METRICS_PORT, "default 9090"),
    optional(METRICS_BIND_ADDRESS, "default 0.0.0.0"),
    optional(
        CDC_BATCH_SIZE,
        "messages per partition applied together, default 100",
    ),
    optional(
        KAFKA_FETCH_WAIT_MAX_MS,
        "longest broker-side fetch wait, default 500 ms",
    ),
    optional(
        CDC_TOMBSTONE_TTL_SECONDS,
        "how long a DELETE's tombstone is kept, default 14 days",
    ),
];

/// One entry of [`CDC_TOPIC_TABLES`]: a Kafka topic, the source table it carries, and the key
/// columns whose values form the row's partition key.
///
/// Text form, entries separated by `;`: `topic=table:key1,key2`, e.g.
/// `qlik.customers=customers:customer_id;qlik.orders=orders:order_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicTable {
    pub topic: String,
    pub table: String,
    pub key_columns: Vec<String>,
}

impl TopicTable {
    /// Formats a list in the [`CDC_TOPIC_TABLES`] text form.
    pub fn format_list(entries: &[TopicTable]) -> String {
        entries
            .iter()
            .map(|e| format!("{}={}:{}", e.topic, e.table, e.key_columns.join(",")))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Parses the [`CDC_TOPIC_TABLES`] text form. Errors say which entry is wrong and why.
    pub fn parse_list(text: &str) -> Result<Vec<TopicTable>, String> {
        let mut entries = Vec::new();
        for raw in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (topic, rest) = raw
                .split_once('=')
                .ok_or_else(|| format!("entry `{raw}`: expected `topic=table:key1,key2`"))?;
            let (table, keys) = rest
                .split_once(':')
                .ok_or_else(|| format!("entry `{raw}`: expected `:` before the key columns"))?;
            let key_columns: Vec<String> = keys
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect();
            if topic.trim().is_empty() || table.trim().is_empty() || key_columns.is_empty() {
                return Err(format!(
                    "entry `{raw}`: topic, table and at least one key column are required"
                ));
            }
            entries.push(TopicTable {
                topic: topic.trim().to_string(),
                table: table.trim().to_string(),
                key_columns,
            });
        }
        if entries.is_empty() {
            return Err("no topic mappings given".to_string());
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_tables_round_trip() {
        let entries = vec![
            TopicTable {
                topic: "qlik.customers".into(),
                table: "customers".into(),
                key_columns: vec!["customer_id".into()],
            },
            TopicTable {
                topic: "qlik.orders".into(),
                table: "orders".into(),
                key_columns: vec!["order_id".into(), "line".into()],
            },
        ];
        let text = TopicTable::format_list(&entries);
        assert_eq!(
            text,
            "qlik.customers=customers:customer_id;qlik.orders=orders:order_id,line"
        );
        assert_eq!(TopicTable::parse_list(&text).unwrap(), entries);
    }

    #[test]
    fn topic_tables_reject_malformed_entries() {
        for bad in [
            "",
            "qlik.orders",
            "qlik.orders=orders",
            "=orders:id",
            "t=x:",
        ] {
            assert!(TopicTable::parse_list(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn every_program_has_a_contract_and_names_are_unique() {
        for program in FUNCTION_NAMES.iter().copied().chain(["consumer"]) {
            let vars = env_contract(program).expect(program);
            let mut names: Vec<_> = vars.iter().map(|v| v.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), vars.len(), "{program} lists a variable twice");
        }
        assert!(env_contract("nope").is_none());
    }
}
