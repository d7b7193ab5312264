//! The four Grafana dashboards (dashboard JSON, schema version 41) of one environment. Both
//! regions are in each dashboard behind a `region` variable; datasources are `datasource`-type
//! variables, never uids, so the files import into any Grafana unchanged.
//!
//! Prometheus panels read the consumer's own metrics (scraped with a `region` label, see
//! `scrape_config`); CloudWatch panels read `AWS/Lambda`, `AWS/SQS`, `AWS/ApiGateway` and the
//! functions' EMF namespace.

use platform_contract::FUNCTION_NAMES;
use serde_json::{Value as Json, json};

use super::{JOB, RUNBOOK_INDEX, Scope};
use crate::platform::Names;
use crate::spec::Environment;

/// The EMF namespace and dimension the functions emit under (`platform-telemetry`).
pub const EMF_NAMESPACE: &str = "Platform/Functions";
pub const EMF_DIMENSION: &str = "FunctionName";
/// The datasource variables.
pub const PROMETHEUS_VARIABLE: &str = "datasource";
pub const CLOUDWATCH_VARIABLE: &str = "cloudwatch";
const SCHEMA_VERSION: u32 = 41;
/// A panel is half the 24-column grid wide.
const HALF: u32 = 12;
const HEIGHT: u32 = 8;

/// One dashboard: its file stem and JSON.
pub struct Dashboard {
    pub slug: &'static str,
    pub json: Json,
}

pub fn dashboards(env: &Environment, scope: &Scope) -> Vec<Dashboard> {
    vec![
        Dashboard {
            slug: "kafka-consumer-lag",
            json: kafka_consumer_lag(env, scope),
        },
        Dashboard {
            slug: "lambda-performance",
            json: lambda_performance(env),
        },
        Dashboard {
            slug: "circuit-breakers",
            json: circuit_breakers(env),
        },
        Dashboard {
            slug: "cross-region-replication",
            json: cross_region(env),
        },
    ]
}

/// A panel before layout: two per row, in order.
struct Panel {
    kind: &'static str,
    title: String,
    description: String,
    unit: &'static str,
    targets: Vec<Json>,
    /// Field defaults besides the unit (thresholds, value mappings).
    extra_defaults: Json,
}

impl Panel {
    fn new(title: &str, unit: &'static str, description: &str, targets: Vec<Json>) -> Self {
        Panel {
            kind: "timeseries",
            title: title.into(),
            description: description.into(),
            unit,
            targets,
            extra_defaults: json!({}),
        }
    }

    fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    /// A red line at `value`: where the alert on this signal fires.
    fn threshold(mut self, value: f64) -> Self {
        self.extra_defaults["thresholds"] = json!({ "mode": "absolute", "steps": [
            { "color": "green", "value": null },
            { "color": "red", "value": value },
        ]});
        self.extra_defaults["custom"] = json!({ "thresholdsStyle": { "mode": "line" } });
        self
    }

    fn circuit_states(mut self) -> Self {
        self.extra_defaults["mappings"] = json!([{ "type": "value", "options": {
            "0": { "text": "closed", "color": "green", "index": 0 },
            "1": { "text": "half-open", "color": "yellow", "index": 1 },
            "2": { "text": "open", "color": "red", "index": 2 },
        }}]);
        self
    }
}

fn datasource(kind: &str) -> Json {
    let variable = match kind {
        "prometheus" => PROMETHEUS_VARIABLE,
        _ => CLOUDWATCH_VARIABLE,
    };
    json!({ "type": kind, "uid": format!("${{{variable}}}") })
}

fn prom(ref_id: &str, expr: String, legend: &str) -> Json {
    json!({
        "refId": ref_id,
        "datasource": datasource("prometheus"),
        "expr": expr,
        "legendFormat": legend,
        "range": true,
    })
}

/// A CloudWatch metric query in `$region`.
fn metric(
    ref_id: &str,
    namespace: &str,
    name: &str,
    dimension: (&str, &str),
    statistic: &str,
    label: &str,
) -> Json {
    json!({
        "refId": ref_id,
        "datasource": datasource("cloudwatch"),
        "queryMode": "Metrics",
        "metricQueryType": 0,
        "metricEditorMode": 0,
        "region": "$region",
        "namespace": namespace,
        "metricName": name,
        "dimensions": { dimension.0: dimension.1 },
        "matchExact": true,
        "statistic": statistic,
        "period": "",
        "id": "",
        "expression": "",
        "label": label,
    })
}

/// `A`, `B`, ... for the n-th query of a panel.
fn ref_id(n: usize) -> String {
    char::from(b'A' + u8::try_from(n).expect("fewer than 26 queries")).to_string()
}

/// One query per function: `query(ref_id, deployed name, short name)`.
fn per_function(query: impl Fn(&str, &str, &str) -> Json, names: &Names) -> Vec<Json> {
    FUNCTION_NAMES
        .iter()
        .enumerate()
        .map(|(i, f)| query(&ref_id(i), &names.function(f), f))
        .collect()
}

fn dashboard(
    env: &Environment,
    slug: &str,
    title: &str,
    description: &str,
    variables: Vec<Json>,
    panels: Vec<Panel>,
) -> Json {
    let runbooks = format!(
        "{}{RUNBOOK_INDEX}",
        env.spec().observability.runbook_base_url
    );
    let panels: Vec<Json> = panels
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let index = u32::try_from(i).expect("few panels");
            let mut defaults = json!({ "unit": p.unit });
            if let (Some(d), Some(extra)) = (defaults.as_object_mut(), p.extra_defaults.as_object())
            {
                d.extend(extra.clone());
            }
            let datasource = p.targets[0]["datasource"].clone();
            json!({
                "id": index + 1,
                "type": p.kind,
                "title": p.title,
                "description": p.description,
                "datasource": datasource,
                "gridPos": { "h": HEIGHT, "w": HALF, "x": (index % 2) * HALF, "y": (index / 2) * HEIGHT },
                "fieldConfig": { "defaults": defaults, "overrides": [] },
                "options": {},
                "targets": p.targets,
            })
        })
        .collect();
    json!({
        "uid": format!("ig-{}-{slug}", env.name),
        "title": format!("{title} ({})", env.name),
        "description": description,
        "tags": ["infra-gen", env.name],
        "editable": false,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "time": { "from": "now-6h", "to": "now" },
        "timezone": "utc",
        "refresh": "1m",
        "annotations": { "list": [] },
        "links": [
            {
                "title": "Runbooks: what each alert means",
                "type": "link",
                "url": runbooks,
                "icon": "doc",
                "tooltip": "docs/runbooks/",
                "asDropdown": false,
                "includeVars": false,
                "keepTime": false,
                "tags": [],
                "targetBlank": true,
            },
            {
                "title": "Platform dashboards",
                "type": "dashboards",
                "icon": "external link",
                "tooltip": "",
                "asDropdown": true,
                "includeVars": true,
                "keepTime": true,
                "tags": ["infra-gen", env.name],
                "targetBlank": false,
            },
        ],
        "templating": { "list": variables },
        "panels": panels,
    })
}

fn datasource_variable(name: &str, plugin: &str, label: &str) -> Json {
    json!({
        "name": name,
        "label": label,
        "type": "datasource",
        "query": plugin,
        "refresh": 1,
        "hide": 0,
    })
}

/// The environment's two regions; the first is the default.
fn region_variable(env: &Environment) -> Json {
    let regions = &env.spec().regions;
    json!({
        "name": "region",
        "label": "Region",
        "type": "custom",
        "query": regions.join(","),
        "current": { "text": regions[0], "value": regions[0] },
        "options": regions.iter().enumerate().map(|(i, r)| json!({ "text": r, "value": r, "selected": i == 0 })).collect::<Vec<_>>(),
        "multi": false,
        "includeAll": false,
        "hide": 0,
    })
}

fn query_variable(name: &str, label: &str, query: String, multi: bool) -> Json {
    let mut v = json!({
        "name": name,
        "label": label,
        "type": "query",
        "datasource": datasource("prometheus"),
        "query": { "query": query, "refId": format!("{name}-values") },
        "refresh": 2,
        "sort": 1,
        "hide": 0,
    });
    if multi {
        v["multi"] = json!(true);
        v["includeAll"] = json!(true);
        v["allValue"] = json!(".*");
    }
    v
}

fn kafka_consumer_lag(env: &Environment, scope: &Scope) -> Json {
    let alerts = &env.spec().observability.alerts;
    // Every query narrows to the consumer's job, the chosen namespace and region.
    let target = format!("job=\"{JOB}\", namespace=\"$namespace\", region=\"$region\"");
    let topics = format!("{target}, topic=~\"$topic\"");
    let variables = vec![
        datasource_variable(PROMETHEUS_VARIABLE, "prometheus", "Prometheus"),
        region_variable(env),
        query_variable(
            "namespace",
            "Namespace",
            format!(
                "label_values(up{{job=\"{JOB}\", region=\"$region\", {}}}, namespace)",
                scope.namespace_matcher()
            ),
            false,
        ),
        query_variable(
            "topic",
            "Topic",
            format!("label_values(kafka_consumer_lag{{{target}}}, topic)"),
            true,
        ),
    ];
    let panels = vec![
        Panel::new(
            "Lag by topic (messages)",
            "short",
            "Messages between the high watermark and the next offset to process, summed over each topic's partitions (recording rule namespace_topic:kafka_consumer_lag:sum). The red line is the CdcConsumerLagHigh threshold, which applies to the worst partition.",
            vec![prom("A", format!("namespace_topic:kafka_consumer_lag:sum{{{topics}}}"), "{{topic}}")],
        )
        .threshold(alerts.lag_messages.threshold),
        Panel::new(
            "Lag by topic (seconds)",
            "s",
            "Age of the oldest unprocessed message per topic while it lags, else 0 (CdcConsumerLagSecondsHigh fires above the red line).",
            vec![prom("A", format!("namespace_topic:kafka_consumer_lag_seconds:max{{{topics}}}"), "{{topic}}")],
        )
        .threshold(alerts.lag_seconds.threshold),
        Panel::new(
            "Lag by partition",
            "short",
            "Messages behind per partition: one hot partition shows here before it moves the topic's sum.",
            vec![prom("A", format!("max by (topic, partition) (kafka_consumer_lag{{{topics}}})"), "{{topic}}/{{partition}}")],
        ),
        Panel::new(
            "Messages consumed",
            "ops",
            "Kafka messages received per second, by topic.",
            vec![prom("A", format!("sum by (topic) (rate(kafka_messages_consumed_total{{{topics}}}[$__rate_interval]))"), "{{topic}}")],
        ),
        Panel::new(
            "Processing latency",
            "s",
            "Receipt to commit-eligible per message, p50 and p99 over the rate interval. The red line is the objective CdcConsumerProcessingSlow holds the 5-minute p99 to.",
            vec![
                prom("A", format!("histogram_quantile(0.5, sum by (le) (rate(kafka_processing_duration_seconds_bucket{{{target}}}[$__rate_interval])))"), "p50"),
                prom("B", format!("histogram_quantile(0.99, sum by (le) (rate(kafka_processing_duration_seconds_bucket{{{target}}}[$__rate_interval])))"), "p99"),
            ],
        )
        .threshold(alerts.processing_p99_seconds.threshold),
        Panel::new(
            "CDC changes",
            "ops",
            "Changes applied per second by table, operation and outcome (applied, stale, dead-lettered).",
            vec![prom("A", format!("sum by (table, operation, outcome) (rate(cdc_events_processed_total{{{target}}}[$__rate_interval]))"), "{{table}} {{operation}} {{outcome}}")],
        ),
        Panel::new(
            "Dead letters",
            "short",
            "Messages sent to the CDC dead-letter queue per rate interval (CdcConsumerDeadLettersGrowing).",
            vec![prom("A", format!("sum(increase(dlq_messages_total{{{target}}}[$__rate_interval]))"), "dead letters")],
        )
        .kind("bargauge"),
        Panel::new(
            "Stale writes",
            "ops",
            "Changes skipped because the stored row is newer (replays, late duplicates): expected after a rebalance or a replay, not steadily.",
            vec![prom("A", format!("sum(rate(cdc_stale_writes_total{{{target}}}[$__rate_interval]))"), "stale writes")],
        ),
        Panel::new(
            "Assigned partitions by pod",
            "short",
            "Partitions each member holds; a pod with none is idle (more replicas than partitions) or stuck (CdcConsumerNoPartitionsAssigned when all are).",
            vec![prom("A", format!("sum by (instance) (kafka_assigned_partitions{{{target}}})"), "{{instance}}")],
        ),
        Panel::new(
            "Ready pods",
            "short",
            "Pods whose /ready answers 200: partitions assigned and the table reachable (CdcConsumerNotReady).",
            vec![prom("A", format!("sum(cdc_consumer_ready{{{target}}})"), "ready")],
        )
        .kind("stat"),
    ];
    dashboard(
        env,
        "kafka-consumer-lag",
        "Kafka Consumer Lag",
        "The CDC consumer on EKS: lag, throughput, latency, dead letters and group membership, from its Prometheus metrics.",
        variables,
        panels,
    )
}

fn cloudwatch_variables(env: &Environment) -> Vec<Json> {
    vec![
        datasource_variable(CLOUDWATCH_VARIABLE, "cloudwatch", "CloudWatch"),
        region_variable(env),
    ]
}

fn lambda_performance(env: &Environment) -> Json {
    let names = Names::new(&env.regions[0]);
    let lambda = |name: &'static str, statistic: &'static str| {
        move |r: &str, deployed: &str, short: &str| {
            metric(
                r,
                "AWS/Lambda",
                name,
                ("FunctionName", deployed),
                statistic,
                short,
            )
        }
    };
    let emf = |name: &'static str, statistic: &'static str| {
        move |r: &str, _: &str, short: &str| {
            metric(
                r,
                EMF_NAMESPACE,
                name,
                (EMF_DIMENSION, short),
                statistic,
                short,
            )
        }
    };
    let log_groups: Vec<String> = FUNCTION_NAMES
        .iter()
        .map(|f| format!("/aws/lambda/{}", names.function(f)))
        .collect();
    let cold_starts = json!({
        "refId": "A",
        "datasource": datasource("cloudwatch"),
        "queryMode": "Logs",
        "region": "$region",
        "logGroupNames": log_groups,
        // The runtime's REPORT line carries Init Duration only after a cold start.
        "expression": "filter @type = \"REPORT\" and ispresent(@initDuration) | parse @log /:\\/aws\\/lambda\\/(?<function>.+)$/ | stats count(*) as coldStarts by bin(5m), function",
        "statsGroups": ["bin(5m)", "function"],
    });
    let panels = vec![
        Panel::new(
            "Invocations",
            "short",
            "AWS/Lambda Invocations per function (Sum per period).",
            per_function(lambda("Invocations", "Sum"), &names),
        ),
        Panel::new(
            "Errors",
            "short",
            "AWS/Lambda Errors per function: invocations that returned an error or timed out. The CloudWatch alarms page above alarms.lambda_error_threshold.",
            per_function(lambda("Errors", "Sum"), &names),
        ),
        Panel::new(
            "Duration p99",
            "ms",
            "AWS/Lambda Duration, 99th percentile per function (includes cold-start init).",
            per_function(lambda("Duration", "p99"), &names),
        ),
        Panel::new(
            "Duration p50",
            "ms",
            "AWS/Lambda Duration, median per function.",
            per_function(lambda("Duration", "p50"), &names),
        ),
        Panel::new(
            "Throttles",
            "short",
            "AWS/Lambda Throttles per function: requests refused at the reserved-concurrency limit.",
            per_function(lambda("Throttles", "Sum"), &names),
        ),
        Panel::new(
            "Concurrent executions",
            "short",
            "AWS/Lambda ConcurrentExecutions per function (Maximum per period), against its reserved concurrency.",
            per_function(lambda("ConcurrentExecutions", "Maximum"), &names),
        ),
        Panel::new(
            "Cold starts",
            "short",
            "Invocations that began with an Init phase, counted from the REPORT lines of the functions' log groups (CloudWatch Logs Insights).",
            vec![cold_starts],
        )
        .kind("barchart"),
        Panel::new(
            "Handler errors (EMF)",
            "short",
            "lambda_errors_total from the functions' EMF lines: failed invocations or failed batch items, as each handler counts them.",
            per_function(emf("lambda_errors_total", "Sum"), &names),
        ),
        Panel::new(
            "Handler invocations (EMF)",
            "short",
            "lambda_invocations_total from the functions' EMF lines (namespace Platform/Functions).",
            per_function(emf("lambda_invocations_total", "Sum"), &names),
        ),
        Panel::new(
            "Handler duration p99 (EMF)",
            "s",
            "lambda_duration_seconds p99 from the EMF lines: the handler's own time, without init or runtime overhead.",
            per_function(emf("lambda_duration_seconds", "p99"), &names),
        ),
    ];
    dashboard(
        env,
        "lambda-performance",
        "Lambda Performance",
        "The five functions: invocations, errors, duration percentiles, cold starts and throttles, from AWS/Lambda and the functions' EMF namespace.",
        cloudwatch_variables(env),
        panels,
    )
}

/// The dead-letter queues: (queue suffix, what it receives).
const DEAD_LETTER_QUEUES: [(&str, &str); 3] = [
    ("events-dlq", "events"),
    ("stream-failures", "stream failures"),
    ("cdc-dlq", "CDC"),
];

fn circuit_breakers(env: &Environment) -> Json {
    let names = Names::new(&env.regions[0]);
    let threshold = env.spec().alarms.dlq_depth_threshold;
    let state = |kind: &'static str, statistic: &str| {
        Panel::new(
            if kind == "stat" {
                "Peer-region circuit now"
            } else {
                "Peer-region circuit over time"
            },
            "none",
            "circuit_breaker_state from event-router's EMF lines (0 closed, 1 half-open, 2 open), the worst warm container per period. Open: events for the peer region go to the events dead-letter queue.",
            vec![metric(
                "A",
                EMF_NAMESPACE,
                "circuit_breaker_state",
                (EMF_DIMENSION, "event-router"),
                statistic,
                "event-router",
            )],
        )
        .kind(kind)
        .circuit_states()
    };
    let queues = |name: &'static str, statistic: &'static str| {
        DEAD_LETTER_QUEUES
            .iter()
            .enumerate()
            .map(|(i, (suffix, what))| {
                metric(
                    &ref_id(i),
                    "AWS/SQS",
                    name,
                    ("QueueName", &names.scoped(suffix)),
                    statistic,
                    what,
                )
            })
            .collect::<Vec<_>>()
    };
    let panels = vec![
        state("state-timeline", "Maximum"),
        state("stat", "Maximum"),
        Panel::new(
            "Dead letters sent",
            "short",
            "Messages sent to each dead-letter queue per period (AWS/SQS NumberOfMessagesSent): the router and transformer, the stream mapping, the CDC consumer.",
            queues("NumberOfMessagesSent", "Sum"),
        ),
        Panel::new(
            "Dead-letter queue depth",
            "short",
            "Messages waiting in each dead-letter queue (AWS/SQS ApproximateNumberOfMessagesVisible). The CloudWatch alarms fire at the red line.",
            queues("ApproximateNumberOfMessagesVisible", "Maximum"),
        )
        .threshold(threshold.into()),
    ];
    dashboard(
        env,
        "circuit-breakers",
        "Circuit Breaker States",
        "The event router's peer-region circuit breaker and the dead letters it and the other consumers of the platform produce.",
        cloudwatch_variables(env),
        panels,
    )
}

fn cross_region(env: &Environment) -> Json {
    let names = Names::new(&env.regions[0]);
    let router = |r: &str, statistic: &str, label: &str| {
        metric(
            r,
            EMF_NAMESPACE,
            "cross_region_latency_seconds",
            (EMF_DIMENSION, "event-router"),
            statistic,
            label,
        )
    };
    let api = names.scoped("api");
    let panels = vec![
        Panel::new(
            "Cross-region latency",
            "s",
            "cross_region_latency_seconds from event-router's EMF lines: PutEvents to the peer region's bus, p50 and p99.",
            vec![router("A", "p50", "p50"), router("B", "p99", "p99")],
        ),
        Panel::new(
            "Routed versus dead-lettered",
            "short",
            "Events put on the peer bus (the sample count of cross_region_latency_seconds, emitted once per routed event) against messages sent to the events dead-letter queue, which also receives the transformer's invalid events.",
            vec![
                router("A", "SampleCount", "routed"),
                metric(
                    "B",
                    "AWS/SQS",
                    "NumberOfMessagesSent",
                    ("QueueName", &names.scoped("events-dlq")),
                    "Sum",
                    "dead-lettered",
                ),
            ],
        ),
        Panel::new(
            "Router invocations and errors",
            "short",
            "event-router's EMF counters: an error is an event not routed (circuit open, retries spent).",
            vec![
                metric(
                    "A",
                    EMF_NAMESPACE,
                    "lambda_invocations_total",
                    (EMF_DIMENSION, "event-router"),
                    "Sum",
                    "invocations",
                ),
                metric(
                    "B",
                    EMF_NAMESPACE,
                    "lambda_errors_total",
                    (EMF_DIMENSION, "event-router"),
                    "Sum",
                    "not routed",
                ),
            ],
        ),
        Panel::new(
            "Peer health endpoint",
            "short",
            "GET /health of the selected region's API, which the other region's health-checker polls: requests and 5XX answers (503 = unhealthy). Switch the region to see the peer.",
            vec![
                metric(
                    "A",
                    "AWS/ApiGateway",
                    "Count",
                    ("ApiName", &api),
                    "Sum",
                    "requests",
                ),
                metric(
                    "B",
                    "AWS/ApiGateway",
                    "5XXError",
                    ("ApiName", &api),
                    "Sum",
                    "unhealthy (5XX)",
                ),
            ],
        ),
        Panel::new(
            "Health checks",
            "short",
            "health-checker's EMF counters: checks run and checks that failed to complete.",
            vec![
                metric(
                    "A",
                    EMF_NAMESPACE,
                    "lambda_invocations_total",
                    (EMF_DIMENSION, "health-checker"),
                    "Sum",
                    "checks",
                ),
                metric(
                    "B",
                    EMF_NAMESPACE,
                    "lambda_errors_total",
                    (EMF_DIMENSION, "health-checker"),
                    "Sum",
                    "failed",
                ),
            ],
        ),
    ];
    dashboard(
        env,
        "cross-region-replication",
        "Cross-Region Replication",
        "Events forwarded to the peer region: latency, routed versus dead-lettered, and the health of the regional endpoints.",
        cloudwatch_variables(env),
        panels,
    )
}
