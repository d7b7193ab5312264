//! Observability as code, per environment, into `observability/<env>/`:
//! - `grafana/<slug>.json`: four dashboards (see [`dashboards`]);
//! - `prometheus/rules.yaml`: the consumer's recording and alerting rules (see [`rules`]);
//! - `prometheus/rules.test.yaml`: their `promtool test rules` unit tests;
//! - `prometheus/scrape-config.<region>.yaml`: a plain Kubernetes scrape job for clusters
//!   without the Prometheus Operator (those with it include the overlay's
//!   `prometheus-operator` component, rendered by the Kustomize renderer from [`operator`]).
//!
//! Environment-wide, not per region: the spec's `observability` cannot vary by region, the
//! dashboards carry both regions behind a variable, and each region's scrape job stamps a
//! `region` label that the rules group by. Pure functions of the resolved specs.

pub mod dashboards;
pub mod rules;

use serde_json::{Value as Json, json};

use crate::output::FileSet;
use crate::spec::Environment;

/// The consumer's scrape job: the Service's name, which is also what a ServiceMonitor names
/// the job.
pub const JOB: &str = "cdc-consumer";
/// The runbook index every alert and dashboard links to, under `runbook_base_url`.
pub const RUNBOOK_INDEX: &str = "alerts.md";

pub fn dir(env: &str) -> String {
    format!("observability/{env}/")
}

/// What one region's release carries: the environment's dashboards and rules, and the
/// region's own scrape job.
pub fn release_prefixes(env: &str, region: &str) -> Vec<String> {
    let dir = dir(env);
    vec![
        format!("{dir}grafana/"),
        format!("{dir}prometheus/rules"),
        format!("{dir}prometheus/{}", scrape_config_file(region)),
    ]
}

fn scrape_config_file(region: &str) -> String {
    format!("scrape-config.{region}.yaml")
}

/// What the consumer's series are selected by in one environment.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The consumer's namespaces in the environment's regions, sorted and distinct.
    pub namespaces: Vec<String>,
}

impl Scope {
    pub fn new(env: &Environment) -> Scope {
        let mut namespaces: Vec<String> = env
            .regions
            .iter()
            .map(|r| r.spec.consumer.namespace.clone())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        Scope { namespaces }
    }

    pub fn namespace_matcher(&self) -> String {
        match self.namespaces.as_slice() {
            [one] => format!("namespace=\"{one}\""),
            many => format!("namespace=~\"{}\"", many.join("|")),
        }
    }

    /// The label matchers every rule selects the consumer's series with.
    pub fn selector(&self) -> String {
        format!("job=\"{JOB}\", {}", self.namespace_matcher())
    }
}

/// A number as PromQL and YAML should read it: `10000`, not `10000.0`.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

pub fn render(environments: &[Environment], files: &mut FileSet) {
    for env in environments {
        // A synth narrowed to one region leaves the environment-wide files as they are.
        if env.regions.len() != env.spec().regions.len() {
            continue;
        }
        let dir = dir(&env.name);
        files.own(dir.clone());
        let scope = Scope::new(env);
        files.add(
            format!("{dir}prometheus/rules.yaml"),
            yaml(&rules::rule_file(env, &scope)),
        );
        files.add(
            format!("{dir}prometheus/rules.test.yaml"),
            yaml(&rules::rule_tests(env, &scope, "rules.yaml")),
        );
        for rs in &env.regions {
            files.add(
                format!("{dir}prometheus/{}", scrape_config_file(&rs.region)),
                yaml(&scrape_config(&rs.spec.consumer.namespace, &rs.region)),
            );
        }
        for d in dashboards::dashboards(env, &scope) {
            files.add(
                format!("{dir}grafana/{}.json", d.slug),
                super::to_pretty_json(&d.json),
            );
        }
    }
}

/// A `scrape_configs` entry for Prometheus inside the cluster: the consumer's pods by their
/// `prometheus.io/*` annotations, labelled with namespace, pod and region.
pub fn scrape_config(namespace: &str, region: &str) -> Json {
    json!({ "scrape_configs": [{
        "job_name": JOB,
        "kubernetes_sd_configs": [{ "role": "pod", "namespaces": { "names": [namespace] } }],
        "relabel_configs": [
            { "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], "regex": JOB, "action": "keep" },
            { "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "regex": "true", "action": "keep" },
            { "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"], "regex": "(.+)", "target_label": "__metrics_path__", "action": "replace" },
            { "source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"], "regex": "([^:]+)(?::\\d+)?;(\\d+)", "replacement": "$1:$2", "target_label": "__address__", "action": "replace" },
            { "source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace", "action": "replace" },
            { "source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod", "action": "replace" },
            { "target_label": "region", "replacement": region, "action": "replace" },
        ],
    }]})
}

/// The Prometheus Operator component of one overlay: a ServiceMonitor for the consumer's
/// Service (stamping the region, like the plain scrape job) and a PrometheusRule carrying
/// exactly `rules.yaml`. By file name.
pub fn operator(
    env: &Environment,
    region: &str,
    service_labels: &Json,
) -> Vec<(&'static str, Json)> {
    let rules = rules::rule_file(env, &Scope::new(env));
    vec![
        (
            "kustomization.yaml",
            json!({
                "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                "kind": "Component",
                "resources": ["servicemonitor.yaml", "prometheusrule.yaml"],
            }),
        ),
        (
            "servicemonitor.yaml",
            json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": { "name": JOB },
                "spec": {
                    "selector": { "matchLabels": service_labels },
                    "endpoints": [{
                        "port": "metrics",
                        "path": platform_contract::METRICS_PATH,
                        "interval": "30s",
                        "relabelings": [{ "targetLabel": "region", "replacement": region, "action": "replace" }],
                    }],
                },
            }),
        ),
        (
            "prometheusrule.yaml",
            json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": { "name": JOB },
                "spec": rules,
            }),
        ),
    ]
}

fn yaml(doc: &Json) -> String {
    serde_saphyr::to_string(doc).expect("a JSON value always serialises to YAML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_prometheus_writes_them() {
        assert_eq!(number(10000.0), "10000");
        assert_eq!(number(0.005), "0.005");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn regions_in_different_namespaces_are_selected_together() {
        let one = Scope {
            namespaces: vec!["cdc".into()],
        };
        assert_eq!(one.selector(), r#"job="cdc-consumer", namespace="cdc""#);
        let two = Scope {
            namespaces: vec!["cdc-east".into(), "cdc-west".into()],
        };
        assert_eq!(
            two.selector(),
            r#"job="cdc-consumer", namespace=~"cdc-east|cdc-west""#
        );
    }
}
