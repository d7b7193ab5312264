//! The CloudWatch dashboard of the region's functions, for teams without Grafana: invocations,
//! errors, duration, throttles, concurrency, cold starts, the handlers' EMF metrics, the peer
//! circuit and the dead-letter queues. The Grafana dashboards (`render/observability/`) show
//! the same and more across both regions.
//!
//! A dashboard body is a JSON string, which cannot hold references, so the widgets name the
//! functions, log groups and queues by the names the stack gives them (read from the stack, not
//! spelt again here).

use serde_json::{Value as Json, json};

use super::Names;
use super::functions::Functions;
use super::queues::DeadLetterQueues;
use crate::construct::*;
use crate::spec::RegionalSpec;

/// The functions' EMF namespace and dimension (`platform-telemetry`).
const EMF_NAMESPACE: &str = "Platform/Functions";
const EMF_DIMENSION: &str = "FunctionName";
/// Seconds per datapoint: CloudWatch's default for a dashboard over hours.
const PERIOD: u32 = 300;
const WIDTH: u32 = 12;
const HEIGHT: u32 = 6;

pub fn dashboard(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    dlqs: &DeadLetterQueues,
    functions: &Functions,
) -> Result<(), ConstructError> {
    let region = rs.region.as_str();
    // (short name, deployed name, log group) of each function, as the stack names them.
    let deployed: Vec<(&str, String, String)> = functions
        .all()
        .iter()
        .map(|(short, handle)| {
            let ResourceKind::Function(f) = &stack.resource(&handle.id).expect("added").kind else {
                unreachable!("a function handle names a function")
            };
            let ResourceKind::LogGroup(logs) = &stack.resource(&f.log_group).expect("added").kind
            else {
                unreachable!("a function's log group is a log group")
            };
            (*short, f.name.clone(), logs.name.clone())
        })
        .collect();
    let queues: Vec<String> = dlqs
        .all()
        .iter()
        .map(|q| match &stack.resource(&q.id).expect("added").kind {
            ResourceKind::Queue(queue) => queue.name.clone(),
            _ => unreachable!("a queue handle names a queue"),
        })
        .collect();
    let lambda = |metric: &str| -> Vec<Json> {
        deployed
            .iter()
            .map(|(short, name, _)| json!(["AWS/Lambda", metric, "FunctionName", name, { "label": short }]))
            .collect()
    };
    let emf = |metric: &str, function: &str, options: Json| -> Json {
        json!([EMF_NAMESPACE, metric, EMF_DIMENSION, function, options])
    };
    let sources: Vec<String> = deployed
        .iter()
        .map(|(_, _, logs)| format!("SOURCE '{logs}'"))
        .collect();
    let runbooks = format!("{}alerts.md", rs.spec.observability.runbook_base_url);
    let widgets = vec![
        metric("Invocations", "Sum", lambda("Invocations")),
        metric("Errors", "Sum", lambda("Errors")),
        metric("Duration p99 (ms)", "p99", lambda("Duration")),
        metric("Throttles", "Sum", lambda("Throttles")),
        metric(
            "Concurrent executions",
            "Maximum",
            lambda("ConcurrentExecutions"),
        ),
        json!({ "type": "log", "properties": {
            "title": "Cold starts (REPORT lines with an Init Duration)",
            "view": "bar",
            // The runtime writes Init Duration on the REPORT line of a cold start only.
            "query": format!("{} | filter @type = \"REPORT\" and ispresent(@initDuration) | stats count(*) as coldStarts by bin(5m)", sources.join(" | ")),
        }}),
        metric(
            "Handler errors (EMF lambda_errors_total)",
            "Sum",
            deployed
                .iter()
                .map(|(short, _, _)| emf("lambda_errors_total", short, json!({ "label": short })))
                .collect(),
        ),
        metric(
            "Peer circuit (0 closed, 1 half-open, 2 open)",
            "Maximum",
            vec![emf(
                "circuit_breaker_state",
                "event-router",
                json!({ "label": "event-router" }),
            )],
        ),
        metric(
            "Cross-region latency (s) and routed events",
            "p99",
            vec![
                emf(
                    "cross_region_latency_seconds",
                    "event-router",
                    json!({ "label": "p99 latency" }),
                ),
                emf(
                    "cross_region_latency_seconds",
                    "event-router",
                    json!({ "label": "routed", "stat": "SampleCount", "yAxis": "right" }),
                ),
            ],
        ),
        metric(
            "Dead-letter queue depth",
            "Maximum",
            queues
                .iter()
                .map(|q| {
                    json!([
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        q
                    ])
                })
                .collect(),
        ),
    ];
    let mut placed = vec![json!({
        "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
        "properties": { "markdown": format!(
            "## {} functions ({region})\nWhat each alarm and alert means: [runbooks]({runbooks}). Both regions, the consumer and more: the Grafana dashboards in `generated/observability/{}/`.",
            rs.env, rs.env
        )},
    })];
    for (i, mut widget) in widgets.into_iter().enumerate() {
        let i = u32::try_from(i).expect("few widgets");
        widget["x"] = json!((i % 2) * WIDTH);
        widget["y"] = json!(2 + (i / 2) * HEIGHT);
        widget["width"] = json!(WIDTH);
        widget["height"] = json!(HEIGHT);
        widget["properties"]["region"] = json!(region);
        placed.push(widget);
    }
    stack.add(
        &["FunctionsDashboard"],
        ResourceKind::Dashboard(Dashboard {
            name: names.dashboard(),
            body: json!({ "widgets": placed }),
        }),
        false,
    )?;
    Ok(())
}

fn metric(title: &str, stat: &str, metrics: Vec<Json>) -> Json {
    json!({ "type": "metric", "properties": {
        "title": title,
        "view": "timeSeries",
        "stacked": false,
        "stat": stat,
        "period": PERIOD,
        "metrics": metrics,
    }})
}
