//! The consumer's Prometheus rules in the monitoring-mixin convention (CamelCase names with a
//! shared prefix; `severity`; `summary`, `description` and `runbook_url`), and the promtool unit
//! tests that show each alert firing for one region and silent for the other.
//!
//! Every alert is `<signal> > <threshold>` (or `<`): the signal alone always returns a series
//! per target, which is what the live test queries to show the rule has data to work on.

use serde_json::{Value as Json, json};

use super::{JOB, Scope, number};
use crate::spec::{ConsumerAlertsSpec, Environment};

/// The alert names' shared prefix.
const PREFIX: &str = "CdcConsumer";
/// The window of the dead-letter and p99 expressions.
const DEAD_LETTER_WINDOW: &str = "10m";
const LATENCY_WINDOW: &str = "5m";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Which side of the threshold is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    Below,
}

/// One alerting rule, kept apart so tests can query its signal and build its unit test.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    /// What the alert watches, one series per alert instance.
    pub signal: String,
    pub comparison: Comparison,
    pub threshold: f64,
    pub for_minutes: u32,
    pub severity: Severity,
    pub summary: String,
    /// A Go template over `$labels` and `$value`.
    pub description: String,
    /// How the description prints `$value` (a Go `printf` verb).
    value_format: ValueFormat,
    kind: AlertKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueFormat {
    Integer,
    Seconds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlertKind {
    LagMessages,
    LagSeconds,
    DeadLetters,
    ProcessingP99,
    NotReady,
    NoPartitions,
}

impl Alert {
    pub fn expr(&self) -> String {
        let op = match self.comparison {
            Comparison::Above => ">",
            Comparison::Below => "<",
        };
        format!("{} {op} {}", self.signal, number(self.threshold))
    }

    /// The anchor of the alert's section in `docs/runbooks/alerts.md` (GitHub's heading ids).
    pub fn anchor(&self) -> String {
        self.name.to_lowercase()
    }
}

/// A recording rule: the dashboards' heavier queries, computed once per evaluation.
#[derive(Debug, Clone)]
pub struct Recording {
    pub record: String,
    pub expr: String,
}

/// The consumer's alerts for one environment.
pub fn alerts(scope: &Scope, spec: &ConsumerAlertsSpec) -> Vec<Alert> {
    let sel = scope.selector();
    let target = vec!["region", "namespace", "job"];
    let per_topic = vec!["region", "namespace", "job", "topic"];
    let per_pod = vec!["region", "namespace", "job", "instance"];
    let by = |labels: &[&str]| labels.join(", ");
    vec![
        Alert {
            name: format!("{PREFIX}LagHigh"),
            signal: format!("max by ({}) (kafka_consumer_lag{{{sel}}})", by(&per_topic)),
            comparison: Comparison::Above,
            threshold: spec.lag_messages.threshold,
            for_minutes: spec.lag_messages.for_minutes,
            severity: Severity::Warning,
            summary: "The CDC consumer is falling behind a topic.".into(),
            description: "A partition of {{ $labels.topic }} is {{ printf \"%.0f\" $value }} messages behind in {{ $labels.namespace }} ({{ $labels.region }}).".into(),
            value_format: ValueFormat::Integer,
            kind: AlertKind::LagMessages,
        },
        Alert {
            name: format!("{PREFIX}LagSecondsHigh"),
            signal: format!(
                "max by ({}) (kafka_consumer_lag_seconds{{{sel}}})",
                by(&per_topic)
            ),
            comparison: Comparison::Above,
            threshold: spec.lag_seconds.threshold,
            for_minutes: spec.lag_seconds.for_minutes,
            severity: Severity::Critical,
            summary: "CDC changes reach DynamoDB late.".into(),
            description: "The oldest unprocessed message of {{ $labels.topic }} is {{ printf \"%.0f\" $value }} s old in {{ $labels.namespace }} ({{ $labels.region }}).".into(),
            value_format: ValueFormat::Integer,
            kind: AlertKind::LagSeconds,
        },
        Alert {
            name: format!("{PREFIX}DeadLettersGrowing"),
            signal: format!(
                "sum by ({}) (increase(dlq_messages_total{{{sel}}}[{DEAD_LETTER_WINDOW}]))",
                by(&target)
            ),
            comparison: Comparison::Above,
            threshold: spec.dead_letters.threshold,
            for_minutes: spec.dead_letters.for_minutes,
            severity: Severity::Warning,
            summary: "CDC messages are being dead-lettered.".into(),
            description: format!(
                "{{{{ printf \"%.0f\" $value }}}} messages went to the CDC dead-letter queue in the last {DEAD_LETTER_WINDOW} in {{{{ $labels.namespace }}}} ({{{{ $labels.region }}}})."
            ),
            value_format: ValueFormat::Integer,
            kind: AlertKind::DeadLetters,
        },
        Alert {
            name: format!("{PREFIX}ProcessingSlow"),
            signal: format!(
                "histogram_quantile(0.99, sum by ({}, le) (rate(kafka_processing_duration_seconds_bucket{{{sel}}}[{LATENCY_WINDOW}])))",
                by(&target)
            ),
            comparison: Comparison::Above,
            threshold: spec.processing_p99_seconds.threshold,
            for_minutes: spec.processing_p99_seconds.for_minutes,
            severity: Severity::Warning,
            summary: "CDC processing latency is above its objective.".into(),
            description: format!(
                "p99 receipt-to-commit latency is {{{{ printf \"%.4f\" $value }}}} s over {LATENCY_WINDOW} in {{{{ $labels.namespace }}}} ({{{{ $labels.region }}}}); the objective is {} s.",
                number(spec.processing_p99_seconds.threshold)
            ),
            value_format: ValueFormat::Seconds,
            kind: AlertKind::ProcessingP99,
        },
        Alert {
            name: format!("{PREFIX}NotReady"),
            // A pod whose scrape fails has no readiness series: `0 * up` stands in for it.
            signal: format!(
                "min by ({}) (cdc_consumer_ready{{{sel}}} or 0 * up{{{sel}}})",
                by(&per_pod)
            ),
            comparison: Comparison::Below,
            threshold: 1.0,
            for_minutes: spec.not_ready.for_minutes,
            severity: Severity::Warning,
            summary: "A CDC consumer pod is not ready.".into(),
            description: "{{ $labels.instance }} in {{ $labels.namespace }} ({{ $labels.region }}) has no partitions, cannot reach its table, or cannot be scraped.".into(),
            value_format: ValueFormat::Integer,
            kind: AlertKind::NotReady,
        },
        Alert {
            name: format!("{PREFIX}NoPartitionsAssigned"),
            // `0 * up` keeps the sum defined when no member reports any partition.
            signal: format!(
                "sum by ({}) (kafka_assigned_partitions{{{sel}}} or 0 * up{{{sel}}})",
                by(&target)
            ),
            comparison: Comparison::Below,
            threshold: 1.0,
            for_minutes: spec.no_partitions.for_minutes,
            severity: Severity::Critical,
            summary: "No CDC consumer holds any partition.".into(),
            description: "The consumer group in {{ $labels.namespace }} ({{ $labels.region }}) has no partition assigned: nothing is being consumed.".into(),
            value_format: ValueFormat::Integer,
            kind: AlertKind::NoPartitions,
        },
    ]
}

/// The recording rules the dashboards read.
pub fn recordings(scope: &Scope) -> Vec<Recording> {
    let sel = scope.selector();
    vec![
        Recording {
            record: "namespace_topic:kafka_consumer_lag:sum".into(),
            expr: format!("sum by (region, namespace, job, topic) (kafka_consumer_lag{{{sel}}})"),
        },
        Recording {
            record: "namespace_topic:kafka_consumer_lag_seconds:max".into(),
            expr: format!(
                "max by (region, namespace, job, topic) (kafka_consumer_lag_seconds{{{sel}}})"
            ),
        },
        Recording {
            record: "namespace_topic:kafka_messages_consumed:rate5m".into(),
            expr: format!(
                "sum by (region, namespace, job, topic) (rate(kafka_messages_consumed_total{{{sel}}}[5m]))"
            ),
        },
        Recording {
            record: "namespace:kafka_processing_duration_seconds:p99_5m".into(),
            expr: format!(
                "histogram_quantile(0.99, sum by (region, namespace, job, le) (rate(kafka_processing_duration_seconds_bucket{{{sel}}}[5m])))"
            ),
        },
    ]
}

/// The rule file: one group of recording rules, one of alerts.
pub fn rule_file(env: &Environment, scope: &Scope) -> Json {
    let o = &env.spec().observability;
    let alerts: Vec<Json> = alerts(scope, &o.alerts)
        .iter()
        .map(|a| {
            let mut rule = json!({ "alert": a.name, "expr": a.expr() });
            if a.for_minutes > 0 {
                rule["for"] = json!(format!("{}m", a.for_minutes));
            }
            rule["labels"] = json!({ "severity": a.severity.as_str() });
            rule["annotations"] = annotations(a, &o.runbook_base_url);
            rule
        })
        .collect();
    let recordings: Vec<Json> = recordings(scope)
        .iter()
        .map(|r| json!({ "record": r.record, "expr": r.expr }))
        .collect();
    json!({ "groups": [
        { "name": "cdc-consumer.rules", "rules": recordings },
        { "name": "cdc-consumer.alerts", "rules": alerts },
    ]})
}

fn annotations(alert: &Alert, runbook_base_url: &str) -> Json {
    json!({
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": format!("{runbook_base_url}{}#{}", super::RUNBOOK_INDEX, alert.anchor()),
    })
}

/// `promtool test rules` input: per alert, a region whose series break the threshold (the
/// alert fires once `for` has passed, and not before) and a region whose series sit exactly at
/// it (silent: every comparison is strict).
pub fn rule_tests(env: &Environment, scope: &Scope, rules_file: &str) -> Json {
    let o = &env.spec().observability;
    let regions = &env.spec().regions;
    let (bad, good) = (regions[0].as_str(), regions[1].as_str());
    let namespace = scope.namespaces[0].as_str();
    let labels = |region: &str, extra: &str| {
        format!("job=\"{JOB}\",namespace=\"{namespace}\",region=\"{region}\"{extra}")
    };
    let mut tests = Vec::new();
    for alert in alerts(scope, &o.alerts) {
        let t = alert.threshold;
        // Enough samples to pass `for` and the longest window.
        let samples = alert.for_minutes + 15;
        let constant = |v: f64| format!("{}x{samples}", number(v));
        let counter = |per_minute: f64| format!("0+{}x{samples}", number(per_minute));
        let up = |region: &str, instance: &str, value: u32| json!({ "series": format!("up{{{}}}", labels(region, &format!(",instance=\"{instance}\""))), "values": constant(value.into()) });
        let mut extra = json!({});
        let (series, value): (Vec<Json>, f64) = match alert.kind {
            AlertKind::LagMessages | AlertKind::LagSeconds => {
                let name = if alert.kind == AlertKind::LagMessages {
                    "kafka_consumer_lag"
                } else {
                    "kafka_consumer_lag_seconds"
                };
                let breach = t.floor() + 1.0;
                let s = |region: &str, v: f64| json!({ "series": format!("{name}{{{}}}", labels(region, ",instance=\"pod-a\",topic=\"qlik.orders\",partition=\"0\"")), "values": constant(v) });
                extra = json!({ "topic": "qlik.orders" });
                (vec![s(bad, breach), s(good, t)], breach)
            }
            AlertKind::DeadLetters => {
                // Samples every minute: increase over 10m is exactly 10 x the slope.
                let slope = ((t + 1.0) / 10.0).ceil();
                let s = |region: &str, v: f64| json!({ "series": format!("dlq_messages_total{{{}}}", labels(region, ",instance=\"pod-a\"")), "values": counter(v) });
                // The silent region gains exactly the threshold per window, or nothing.
                (vec![s(bad, slope), s(good, t / 10.0)], slope * 10.0)
            }
            AlertKind::ProcessingP99 => {
                // All observations in one bucket starting at 0: the p99 is 0.99 x its bound.
                let bucket = |region: &str, le: &str, per_minute: f64| json!({ "series": format!("kafka_processing_duration_seconds_bucket{{{}}}", labels(region, &format!(",instance=\"pod-a\",le=\"{le}\""))), "values": counter(per_minute) });
                let high = number(2.0 * t);
                let at = number(t);
                (
                    vec![
                        bucket(bad, &high, 60.0),
                        bucket(bad, "+Inf", 60.0),
                        bucket(good, &at, 60.0),
                        bucket(good, "+Inf", 60.0),
                    ],
                    2.0 * t * 0.99,
                )
            }
            AlertKind::NotReady => {
                let ready = |region: &str, instance: &str, v: f64| json!({ "series": format!("cdc_consumer_ready{{{}}}", labels(region, &format!(",instance=\"{instance}\""))), "values": constant(v) });
                extra = json!({ "instance": "pod-a" });
                (
                    vec![
                        up(bad, "pod-a", 1),
                        ready(bad, "pod-a", 0.0),
                        up(good, "pod-a", 1),
                        ready(good, "pod-a", 1.0),
                    ],
                    0.0,
                )
            }
            AlertKind::NoPartitions => {
                let partitions = json!({ "series": format!("kafka_assigned_partitions{{{}}}", labels(good, ",instance=\"pod-a\",topic=\"qlik.orders\"")), "values": constant(1.0) });
                (
                    vec![up(bad, "pod-a", 1), up(good, "pod-a", 1), partitions],
                    0.0,
                )
            }
        };
        let mut labels = json!({ "severity": alert.severity.as_str(), "region": bad, "namespace": namespace, "job": JOB });
        if let (Some(l), Some(e)) = (labels.as_object_mut(), extra.as_object()) {
            l.extend(e.clone());
        }
        let expected = json!([{
            "exp_labels": labels,
            "exp_annotations": expected_annotations(&alert, &o.runbook_base_url, bad, namespace, &extra, value),
        }]);
        let mut cases = Vec::new();
        if alert.for_minutes > 0 {
            // Pending, not yet firing, one evaluation before `for` has passed.
            cases.push(json!({ "eval_time": format!("{}m", alert.for_minutes - 1), "alertname": alert.name, "exp_alerts": [] }));
        }
        cases.push(json!({ "eval_time": format!("{}m", alert.for_minutes + 10), "alertname": alert.name, "exp_alerts": expected }));
        tests.push(json!({
            "name": format!("{} fires in {bad} and stays silent in {good}", alert.name),
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": cases,
        }));
    }
    tests.push(recording_test(bad, namespace));
    json!({
        "rule_files": [rules_file],
        "evaluation_interval": "1m",
        "tests": tests,
    })
}

/// The lag recordings the dashboards read: a topic's partitions summed (messages) and their
/// worst age (seconds), per region.
fn recording_test(region: &str, namespace: &str) -> Json {
    let series = |name: &str, partition: u32, value: u32| {
        json!({
            "series": format!("{name}{{job=\"{JOB}\",namespace=\"{namespace}\",region=\"{region}\",instance=\"pod-a\",topic=\"qlik.orders\",partition=\"{partition}\"}}"),
            "values": format!("{value}x5"),
        })
    };
    let labels =
        json!({ "job": JOB, "namespace": namespace, "region": region, "topic": "qlik.orders" });
    let expect = |record: &str, value: u32| json!({ "expr": record, "eval_time": "1m", "exp_samples": [{ "labels": format!("{record}{}", promql_labels(&labels)), "value": value }] });
    json!({
        "name": "lag recordings sum messages and take the worst age across partitions",
        "interval": "1m",
        "input_series": [
            series("kafka_consumer_lag", 0, 5),
            series("kafka_consumer_lag", 1, 7),
            series("kafka_consumer_lag_seconds", 0, 30),
            series("kafka_consumer_lag_seconds", 1, 90),
        ],
        "promql_expr_test": [
            expect("namespace_topic:kafka_consumer_lag:sum", 12),
            expect("namespace_topic:kafka_consumer_lag_seconds:max", 90),
        ],
    })
}

/// `{a="x",b="y"}` from a JSON object of strings.
fn promql_labels(labels: &Json) -> String {
    let pairs: Vec<String> = labels
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}=\"{}\"", v.as_str().unwrap_or_default()))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// The annotations as promtool renders them for one firing instance.
fn expected_annotations(
    alert: &Alert,
    runbook_base_url: &str,
    region: &str,
    namespace: &str,
    extra: &Json,
    value: f64,
) -> Json {
    let mut description = alert
        .description
        .replace("{{ $labels.region }}", region)
        .replace("{{ $labels.namespace }}", namespace);
    for (k, v) in extra.as_object().into_iter().flatten() {
        description = description.replace(
            &format!("{{{{ $labels.{k} }}}}"),
            v.as_str().unwrap_or_default(),
        );
    }
    let printed = match alert.value_format {
        ValueFormat::Integer => format!("{value:.0}"),
        ValueFormat::Seconds => format!("{value:.4}"),
    };
    for verb in ["%.0f", "%.4f"] {
        description = description.replace(&format!("{{{{ printf \"{verb}\" $value }}}}"), &printed);
    }
    let mut a = annotations(alert, runbook_base_url);
    a["description"] = json!(description);
    a
}
