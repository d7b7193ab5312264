//! The generated dashboards and Prometheus rules, checked with the real tools: promtool's rule
//! check and unit tests, the pinned Grafana dashboard schema, every PromQL expression parsed as
//! Prometheus does, lint rules in the spirit of Grafana's dashboard-linter, and every
//! CloudWatch panel against what the platform really emits and deploys. The live check (every
//! query returns data from a real Prometheus scraping the real consumer) is in
//! `consumer/tests/observability.rs`, where the consumer binary is.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};
use serde_json::Value as Json;

const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const ALERTS: usize = 6;
/// Stands in for `$__rate_interval`, so the lint can tell it from a hard-coded window.
const RATE_INTERVAL_PLACEHOLDER: &str = "7777s";

fn yaml(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_file(path: &Path) -> Json {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn run(tool: &Path, args: &[&str], cwd: &Path) -> (bool, String) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", tool.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn dashboards(generated: &Path) -> Vec<(PathBuf, Json)> {
    let files = files_matching(&generated.join("observability"), |p| p.ends_with(".json"));
    assert_eq!(files.len(), 4 * ENVIRONMENTS.len(), "{files:?}");
    files
        .into_iter()
        .map(|f| (f.clone(), json_file(&f)))
        .collect()
}

fn rules(generated: &Path, env: &str) -> Json {
    yaml(&generated.join(format!("observability/{env}/prometheus/rules.yaml")))
}

fn alert_rules(rules: &Json) -> Vec<&Json> {
    rules["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .filter(|r| r.get("alert").is_some())
        .collect()
}

#[test]
fn promtool_checks_the_rules_and_every_alert_has_a_passing_unit_test() {
    let Some(promtool) = test_support::tool("promtool") else {
        return;
    };
    let out = synth_all();
    for env in ENVIRONMENTS {
        let dir = out.path().join(format!("observability/{env}/prometheus"));
        let (ok, text) = run(&promtool, &["check", "rules", "rules.yaml"], &dir);
        assert!(
            ok && text.contains("SUCCESS: 10 rules found"),
            "{env}: {text}"
        );
        // One unit test per alert, each expecting it firing in one region and not in the other.
        let tests = yaml(&dir.join("rules.test.yaml"));
        let names: BTreeSet<&str> = tests["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["alert_rule_test"][0]["alertname"].as_str())
            .collect();
        let rules = rules(out.path(), env);
        let alerts: BTreeSet<&str> = alert_rules(&rules)
            .iter()
            .map(|a| a["alert"].as_str().unwrap())
            .collect();
        assert_eq!(names, alerts, "{env}: an alert without a unit test");
        assert!(
            tests["tests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["promql_expr_test"]
                    .as_array()
                    .is_some_and(|e| e.len() == 2)),
            "{env}: the lag recordings have no unit test"
        );
        assert_eq!(alerts.len(), ALERTS);
        let (ok, text) = run(&promtool, &["test", "rules", "rules.test.yaml"], &dir);
        assert!(ok && text.contains("SUCCESS"), "{env}: {text}");
    }
}

#[test]
fn promtool_fails_a_unit_test_whose_alert_would_not_fire() {
    // The unit tests can fail: with a threshold raised past the inputs, promtool reports the
    // firing expectations as unmet.
    let Some(promtool) = test_support::tool("promtool") else {
        return;
    };
    let out = synth_all();
    let dir = out.path().join("observability/dev/prometheus");
    let rules = std::fs::read_to_string(dir.join("rules.yaml")).unwrap();
    let raised = rules.replace("> 10000", "> 99999999");
    assert_ne!(
        rules, raised,
        "the lag alert's threshold is no longer 10000"
    );
    std::fs::write(dir.join("rules.yaml"), raised).unwrap();
    let (ok, text) = run(&promtool, &["test", "rules", "rules.test.yaml"], &dir);
    assert!(
        !ok && text.contains("CdcConsumerLagHigh") && text.contains("FAILED"),
        "{text}"
    );
}

#[test]
fn the_operator_component_carries_exactly_the_rules_and_builds() {
    let out = synth_all();
    let overlays = out.path().join("kustomize/overlays");
    let base_service = yaml(&out.path().join("kustomize/base/kustomization.yaml"));
    for env in ENVIRONMENTS {
        let plain = rules(out.path(), env);
        for region in ["us-west-2", "us-east-1"] {
            let dir = overlays.join(format!("{env}-{region}/prometheus-operator"));
            let rule = yaml(&dir.join("prometheusrule.yaml"));
            assert_eq!(rule["spec"], plain, "{env}-{region}");
            let monitor = yaml(&dir.join("servicemonitor.yaml"));
            assert_eq!(
                monitor["spec"]["selector"]["matchLabels"], base_service["labels"][0]["pairs"],
                "the ServiceMonitor must select the Service by the base's labels"
            );
            assert_eq!(
                monitor["spec"]["endpoints"][0]["relabelings"][0]["replacement"],
                region
            );
        }
    }
    // An overlay that includes the component builds, in the overlay's namespace.
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&out.path().join("kustomize"), copy.path());
    let overlay = copy.path().join("overlays/prod-us-east-1");
    let kustomization = overlay.join("kustomization.yaml");
    let mut text = std::fs::read_to_string(&kustomization).unwrap();
    text.push_str("components:\n- prometheus-operator\n");
    std::fs::write(&kustomization, text).unwrap();
    let built = kustomize(&overlay);
    let manifests = String::from_utf8_lossy(&built);
    for kind in ["kind: ServiceMonitor", "kind: PrometheusRule"] {
        assert!(manifests.contains(kind), "{kind} missing:\n{manifests}");
    }
    assert_eq!(
        manifests.matches("namespace: cdc").count(),
        9,
        "{manifests}"
    );
}

#[test]
fn scrape_configs_pass_promtool_check_config() {
    let Some(promtool) = test_support::tool("promtool") else {
        return;
    };
    let out = synth_all();
    let files = files_matching(&out.path().join("observability"), |p| {
        p.contains("scrape-config.")
    });
    assert_eq!(files.len(), 2 * ENVIRONMENTS.len());
    for file in files {
        // Debian's Prometheus is built without Kubernetes service discovery, so the check runs
        // on the same job with its discovery swapped for a static target; every relabelling
        // rule is checked as written. (The live test runs these rules against real targets.)
        let mut config = yaml(&file);
        let job = &mut config["scrape_configs"][0];
        assert_eq!(job["kubernetes_sd_configs"][0]["role"], "pod");
        job.as_object_mut().unwrap().remove("kubernetes_sd_configs");
        job["static_configs"] = serde_json::json!([{ "targets": ["127.0.0.1:9090"] }]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("prometheus.yml"),
            serde_json::to_string(&config).unwrap(),
        )
        .unwrap();
        let (ok, text) = run(
            &promtool,
            &["check", "config", "prometheus.yml"],
            dir.path(),
        );
        assert!(ok && text.contains("SUCCESS"), "{}: {text}", file.display());
    }
}

#[test]
fn dashboards_validate_against_the_pinned_grafana_schema() {
    let Some(check) = test_support::tool("check-jsonschema") else {
        return;
    };
    // Derived by scripts/tools/ensure.sh from @grafana/schema 13.2.3 (see there).
    let schema = check
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("grafana-dashboard.schema.json");
    let out = synth_all();
    let files: Vec<String> = dashboards(out.path())
        .into_iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["--schemafile", schema.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let (ok, text) = run(&check, &args, out.path());
    assert!(ok && text.contains("ok -- validation done"), "{text}");
    // The schema rejects what Grafana would not load: a key it does not know.
    let (_, bad) = &dashboards(out.path())[0];
    let mut bad = bad.clone();
    bad["panels"][0]["gridPosition"] = serde_json::json!({});
    let bad_file = out.path().join("bad.json");
    std::fs::write(&bad_file, bad.to_string()).unwrap();
    let (ok, text) = run(
        &check,
        &[
            "--schemafile",
            schema.to_str().unwrap(),
            bad_file.to_str().unwrap(),
        ],
        out.path(),
    );
    assert!(!ok && text.contains("gridPosition"), "{text}");
}

/// Grafana variables replaced with values PromQL accepts, as dashboard-linter does.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", RATE_INTERVAL_PLACEHOLDER)
        .replace("$namespace", "cdc")
        .replace("$region", "us-west-2")
        .replace("$topic", ".*")
}

/// A vector selector: metric name, its `=` matchers, and its range if it is inside one.
type Selector = (String, Vec<(String, String)>, Option<String>);

/// Every vector selector (bare or inside a range) of an expression.
fn selectors(expr: &Expr, out: &mut Vec<Selector>) {
    let matchers = |m: &promql_parser::label::Matchers| {
        m.matchers
            .iter()
            .filter(|m| matches!(m.op, MatchOp::Equal))
            .map(|m| (m.name.clone(), m.value.clone()))
            .collect::<Vec<_>>()
    };
    match expr {
        Expr::VectorSelector(vs) => out.push((
            vs.name.clone().unwrap_or_default(),
            matchers(&vs.matchers),
            None,
        )),
        Expr::MatrixSelector(ms) => out.push((
            ms.vs.name.clone().unwrap_or_default(),
            matchers(&ms.vs.matchers),
            Some(format!("{}s", ms.range.as_secs())),
        )),
        Expr::Aggregate(a) => {
            selectors(&a.expr, out);
            if let Some(p) = &a.param {
                selectors(p, out);
            }
        }
        Expr::Unary(u) => selectors(&u.expr, out),
        Expr::Binary(b) => {
            selectors(&b.lhs, out);
            selectors(&b.rhs, out);
        }
        Expr::Paren(p) => selectors(&p.expr, out),
        Expr::Subquery(s) => selectors(&s.expr, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| selectors(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn parse(expr: &str, what: &str) -> Expr {
    parser::parse(expr).unwrap_or_else(|e| panic!("{what}: `{expr}` does not parse: {e}"))
}

/// The lint rules: what a dashboard must satisfy beyond the schema. Returns every finding.
fn lint(dashboard: &Json) -> Vec<String> {
    let mut findings = Vec::new();
    let title = dashboard["title"].as_str().unwrap_or_default().to_string();
    let mut fail = |what: String| findings.push(format!("{title}: {what}"));
    let variables: BTreeMap<&str, &Json> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v))
        .collect();
    // template-datasource: datasources are chosen by variable.
    let datasource_variables: BTreeMap<String, &str> = variables
        .iter()
        .filter(|(_, v)| v["type"] == "datasource")
        .map(|(n, v)| (format!("${{{n}}}"), v["query"].as_str().unwrap()))
        .collect();
    if datasource_variables.is_empty() {
        fail("no datasource variable".into());
    }
    // Query variables: `label_values(<selector>, <label>)`, whose selector is PromQL too.
    for (name, variable) in &variables {
        if variable["type"] != "query" {
            continue;
        }
        let query = variable["query"]["query"].as_str().unwrap_or_default();
        match query
            .strip_prefix("label_values(")
            .and_then(|q| q.rsplit_once(','))
        {
            Some((selector, _)) => lint_promql(selector, &format!("variable {name}"), &mut fail),
            None => fail(format!(
                "variable {name}: `{query}` is not label_values(...)"
            )),
        }
    }
    let links = dashboard["links"].as_array().unwrap();
    if !links.iter().any(|l| {
        l["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/docs/runbooks/alerts.md"))
    }) {
        fail("no link to the runbook index".into());
    }
    let mut ids = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let name = panel["title"].as_str().unwrap_or_default().to_string();
        if !ids.insert(panel["id"].as_u64()) {
            fail(format!("{name}: duplicate panel id"));
        }
        let grid = &panel["gridPos"];
        if grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap() > 24 {
            fail(format!("{name}: wider than the 24-column grid"));
        }
        // panel-title-description and panel-units.
        if name.is_empty() || panel["description"].as_str().unwrap_or_default().len() < 20 {
            fail(format!("`{name}`: needs a title and a description"));
        }
        if panel["fieldConfig"]["defaults"]["unit"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
        {
            fail(format!("{name}: no unit"));
        }
        // panel-datasource: the panel's and every target's datasource are variables.
        let mut sources = vec![&panel["datasource"]];
        sources.extend(
            panel["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| &t["datasource"]),
        );
        for source in sources {
            let uid = source["uid"].as_str().unwrap_or_default();
            match datasource_variables.get(uid) {
                Some(plugin) if source["type"] == *plugin => {}
                _ => fail(format!(
                    "{name}: datasource {source} is not a datasource variable"
                )),
            }
        }
        for target in panel["targets"].as_array().unwrap() {
            if target["datasource"]["type"] == "prometheus" {
                lint_promql(target["expr"].as_str().unwrap(), &name, &mut fail);
            } else if target["region"] != "$region" {
                fail(format!("{name}: a CloudWatch query not in $region"));
            }
        }
    }
    findings
}

fn lint_promql(raw: &str, panel: &str, fail: &mut impl FnMut(String)) {
    let expr = parse(&substitute(raw), panel);
    let mut found = Vec::new();
    selectors(&expr, &mut found);
    for (metric, matchers, range) in found {
        // target-job and target-namespace: every selector names the consumer's job and the
        // chosen namespace and region.
        for (label, value) in [
            ("job", "cdc-consumer"),
            ("namespace", "cdc"),
            ("region", "us-west-2"),
        ] {
            if !matchers.iter().any(|(l, v)| l == label && v == value) {
                fail(format!("{panel}: {metric} lacks {label}=\"{value}\""));
            }
        }
        // target-rate-interval: ranges follow Grafana's $__rate_interval.
        if let Some(range) = range
            && range != RATE_INTERVAL_PLACEHOLDER
        {
            fail(format!(
                "{panel}: {metric}[{range}] is not [$__rate_interval]"
            ));
        }
    }
    if raw.contains("rate(") && !raw.contains("[$__rate_interval]") {
        fail(format!("{panel}: a rate without $__rate_interval"));
    }
}

#[test]
fn dashboards_pass_the_lint_rules() {
    let out = synth_all();
    for (path, dashboard) in dashboards(out.path()) {
        let findings = lint(&dashboard);
        assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
    }
}

#[test]
fn the_lint_rules_catch_what_they_are_for() {
    let out = synth_all();
    let lag = json_file(
        &out.path()
            .join("observability/prod/grafana/kafka-consumer-lag.json"),
    );
    let mut bad = lag.clone();
    let panel = &mut bad["panels"][3];
    panel["fieldConfig"]["defaults"]["unit"] = Json::from("");
    panel["datasource"]["uid"] = Json::from("P1809F7CD0C75ACF3");
    let expr = panel["targets"][0]["expr"].as_str().unwrap().to_string();
    panel["targets"][0]["expr"] = Json::from(
        expr.replace("[$__rate_interval]", "[5m]")
            .replace(", namespace=\"$namespace\"", ""),
    );
    let findings = lint(&bad).join("\n");
    for needle in [
        "no unit",
        "is not a datasource variable",
        "is not [$__rate_interval]",
        "lacks namespace=\"cdc\"",
    ] {
        assert!(findings.contains(needle), "`{needle}` not in:\n{findings}");
    }
}

#[test]
fn every_rule_expression_parses_and_every_alert_follows_the_mixin_convention() {
    let out = synth_all();
    for env in ENVIRONMENTS {
        let rules = rules(out.path(), env);
        for group in rules["groups"].as_array().unwrap() {
            for rule in group["rules"].as_array().unwrap() {
                let expr = rule["expr"].as_str().unwrap();
                let parsed = parse(expr, env);
                let mut found = Vec::new();
                selectors(&parsed, &mut found);
                for (metric, matchers, _) in found {
                    assert!(
                        matchers.contains(&("job".into(), "cdc-consumer".into()))
                            && matchers.iter().any(|(l, _)| l == "namespace"),
                        "{env}: {metric} in `{expr}` lacks the job and namespace selectors"
                    );
                }
                let Some(alert) = rule["alert"].as_str() else {
                    continue;
                };
                assert!(alert.starts_with("CdcConsumer"), "{alert}");
                assert!(
                    ["warning", "critical"].contains(&rule["labels"]["severity"].as_str().unwrap()),
                    "{alert}"
                );
                for key in ["summary", "description", "runbook_url"] {
                    assert!(
                        rule["annotations"][key]
                            .as_str()
                            .is_some_and(|s| !s.is_empty()),
                        "{env} {alert}: no {key}"
                    );
                }
                assert!(
                    rule["annotations"]["runbook_url"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!(
                            "/docs/runbooks/alerts.md#{}",
                            alert.to_lowercase()
                        )),
                    "{alert}"
                );
            }
        }
    }
}

#[test]
fn the_runbook_index_explains_every_alert_and_dashboard() {
    let out = synth_all();
    let index = std::fs::read_to_string(repo_root().join("docs/runbooks/alerts.md")).unwrap();
    let headings: BTreeSet<&str> = index
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .collect();
    let rules = rules(out.path(), "prod");
    for alert in alert_rules(&rules) {
        let name = alert["alert"].as_str().unwrap();
        assert!(
            headings.contains(name),
            "docs/runbooks/alerts.md has no `## {name}`"
        );
    }
    for (_, dashboard) in dashboards(out.path()) {
        let title = dashboard["title"].as_str().unwrap();
        let generic = title.rsplit_once(" (").unwrap().0;
        assert!(
            index.contains(generic),
            "the index does not mention {generic}"
        );
    }
}

/// What AWS itself publishes per namespace (the metric names and dimension the panels use),
/// from the service documentation: Lambda
/// <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html>, SQS
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html>,
/// API Gateway <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html>.
const AWS_METRICS: [(&str, &str, &[&str]); 3] = [
    (
        "AWS/Lambda",
        "FunctionName",
        &[
            "Invocations",
            "Errors",
            "Duration",
            "Throttles",
            "ConcurrentExecutions",
        ],
    ),
    (
        "AWS/SQS",
        "QueueName",
        &["NumberOfMessagesSent", "ApproximateNumberOfMessagesVisible"],
    ),
    ("AWS/ApiGateway", "ApiName", &["Count", "5XXError"]),
];

/// The EMF documents the functions print, built by the code they print them with: every
/// function's invocation line, and event-router's with its two extra metrics (its main.rs).
fn emitted_emf() -> BTreeSet<(String, String, String)> {
    use platform_telemetry::emf::Unit;
    use platform_telemetry::names;
    use platform_telemetry::startup::InvocationTimer;
    let mut emitted = BTreeSet::new();
    for function in platform_contract::FUNCTION_NAMES {
        let mut line = InvocationTimer::start(function).metrics(0);
        if function == "event-router" {
            line = line
                .metric(names::CIRCUIT_BREAKER_STATE, Unit::None, 0.0)
                .metric(names::CROSS_REGION_LATENCY_SECONDS, Unit::Seconds, 0.1);
        }
        let doc = line.to_json(0);
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        let namespace = directive["Namespace"].as_str().unwrap();
        for dimension in directive["Dimensions"][0].as_array().unwrap() {
            let dimension = dimension.as_str().unwrap();
            let value = doc[dimension].as_str().unwrap();
            for metric in directive["Metrics"].as_array().unwrap() {
                emitted.insert((
                    namespace.to_string(),
                    metric["Name"].as_str().unwrap().to_string(),
                    format!("{dimension}={value}"),
                ));
            }
        }
    }
    emitted
}

/// Names the stack deploys, from its CloudFormation template: resource type -> property.
fn deployed(generated: &Path, env: &str, resource_type: &str, property: &str) -> BTreeSet<String> {
    let template = json_file(&generated.join(format!(
        "cloudformation/{env}-us-west-2/infra-gen-{env}-us-west-2.template.json"
    )));
    template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == resource_type)
        .filter_map(|r| r["Properties"][property].as_str().map(str::to_string))
        .collect()
}

/// What one environment's stack deploys, by the names dashboards use.
struct Deployed {
    functions: BTreeSet<String>,
    queues: BTreeSet<String>,
    apis: BTreeSet<String>,
    log_groups: BTreeSet<String>,
}

impl Deployed {
    fn new(generated: &Path, env: &str) -> Deployed {
        Deployed {
            functions: deployed(generated, env, "AWS::Lambda::Function", "FunctionName"),
            queues: deployed(generated, env, "AWS::SQS::Queue", "QueueName"),
            apis: deployed(generated, env, "AWS::ApiGateway::RestApi", "Name"),
            log_groups: deployed(generated, env, "AWS::Logs::LogGroup", "LogGroupName"),
        }
    }

    /// A metric query names something the platform emits (EMF) or AWS publishes for a
    /// resource the stack deploys.
    fn check_metric(
        &self,
        emf: &BTreeSet<(String, String, String)>,
        (namespace, metric, dimension, value): (&str, &str, &str, &str),
        what: &str,
    ) {
        if namespace == "Platform/Functions" {
            assert!(
                emf.contains(&(
                    namespace.to_string(),
                    metric.to_string(),
                    format!("{dimension}={value}")
                )),
                "{what}: no function emits {metric} with {dimension}={value}"
            );
            return;
        }
        let (_, expected_dimension, metrics) = AWS_METRICS
            .iter()
            .find(|(n, _, _)| *n == namespace)
            .unwrap_or_else(|| panic!("{what}: unexpected namespace {namespace}"));
        assert!(
            metrics.contains(&metric),
            "{what}: {namespace} has no {metric}"
        );
        assert_eq!(dimension, *expected_dimension, "{what}");
        let names = match namespace {
            "AWS/Lambda" => &self.functions,
            "AWS/SQS" => &self.queues,
            _ => &self.apis,
        };
        assert!(names.contains(value), "{what}: {value} is not deployed");
    }

    fn check_log_group(&self, group: &str, what: &str) {
        assert!(
            self.log_groups.contains(group),
            "{what}: {group} is not a log group of the stack"
        );
    }
}

#[test]
fn every_cloudwatch_panel_names_a_metric_the_platform_emits() {
    let out = synth_all();
    let emf = emitted_emf();
    let mut checked = 0;
    for (path, dashboard) in dashboards(out.path()) {
        let env = path
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let deployed = Deployed::new(out.path(), &env);
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                if target["datasource"]["type"] != "cloudwatch" {
                    continue;
                }
                checked += 1;
                let what = format!("{}: {}", path.display(), panel["title"]);
                if target["queryMode"] == "Logs" {
                    for group in target["logGroupNames"].as_array().unwrap() {
                        deployed.check_log_group(group.as_str().unwrap(), &what);
                    }
                    continue;
                }
                let (dimension, value) = target["dimensions"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .next()
                    .unwrap();
                deployed.check_metric(
                    &emf,
                    (
                        target["namespace"].as_str().unwrap(),
                        target["metricName"].as_str().unwrap(),
                        dimension,
                        value.as_str().unwrap(),
                    ),
                    &what,
                );
            }
        }
    }
    assert!(checked > 100, "only {checked} CloudWatch queries");
}

#[test]
fn every_cloudwatch_dashboard_widget_names_a_metric_the_platform_emits() {
    let out = synth_all();
    let emf = emitted_emf();
    let mut checked = 0;
    for env in ENVIRONMENTS {
        let deployed = Deployed::new(out.path(), env);
        for region in ["us-west-2", "us-east-1"] {
            let template = json_file(&out.path().join(format!(
                "cloudformation/{env}-{region}/infra-gen-{env}-{region}.template.json"
            )));
            let dashboards: Vec<&Json> = template["Resources"]
                .as_object()
                .unwrap()
                .values()
                .filter(|r| r["Type"] == "AWS::CloudWatch::Dashboard")
                .collect();
            assert_eq!(dashboards.len(), 1, "{env}-{region}");
            let body: Json = serde_json::from_str(
                dashboards[0]["Properties"]["DashboardBody"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            for widget in body["widgets"].as_array().unwrap() {
                let properties = &widget["properties"];
                let what = format!("{env}-{region}: {}", properties["title"]);
                if widget["type"] != "text" {
                    assert_eq!(properties["region"], region, "{what}");
                    let right = widget["x"].as_u64().unwrap() + widget["width"].as_u64().unwrap();
                    assert!(right <= 24, "{what}: wider than the 24-column grid");
                }
                if widget["type"] == "log" {
                    let query = properties["query"].as_str().unwrap();
                    let groups: Vec<&str> = query
                        .split("SOURCE '")
                        .skip(1)
                        .map(|rest| rest.split('\'').next().unwrap())
                        .collect();
                    assert_eq!(groups.len(), 5, "{what}");
                    groups
                        .iter()
                        .for_each(|g| deployed.check_log_group(g, &what));
                    checked += 1;
                }
                for metric in properties["metrics"].as_array().into_iter().flatten() {
                    let field = |i: usize| metric[i].as_str().unwrap();
                    deployed.check_metric(&emf, (field(0), field(1), field(2), field(3)), &what);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 6 * 30, "only {checked} widget queries");
}
