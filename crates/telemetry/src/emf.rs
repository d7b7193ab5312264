//! CloudWatch Embedded Metric Format: a JSON log line that CloudWatch Logs turns into metrics.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use serde_json::{Map, Value, json};

/// CloudWatch unit of a metric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Milliseconds,
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::None => "None",
        }
    }
}

/// One EMF line under a namespace, with one dimension set.
#[derive(Debug, Clone)]
pub struct MetricsLine {
    namespace: String,
    dimensions: Vec<(String, String)>,
    metrics: Vec<(String, Unit, f64)>,
}

impl MetricsLine {
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            dimensions: Vec::new(),
            metrics: Vec::new(),
        }
    }

    /// Adds a dimension (e.g. `FunctionName`).
    pub fn dimension(mut self, name: &str, value: &str) -> Self {
        self.dimensions.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a metric value; a repeated name replaces the earlier value.
    pub fn metric(mut self, name: &str, unit: Unit, value: f64) -> Self {
        self.metrics.retain(|(n, _, _)| n != name);
        self.metrics.push((name.to_string(), unit, value));
        self
    }

    /// The EMF JSON document stamped with `timestamp_ms` (Unix milliseconds).
    pub fn to_json(&self, timestamp_ms: u64) -> Value {
        let mut root = Map::new();
        let dimension_names: Vec<&str> = self.dimensions.iter().map(|(n, _)| n.as_str()).collect();
        let metrics: Vec<Value> = self
            .metrics
            .iter()
            .map(|(n, u, _)| json!({"Name": n, "Unit": u.as_str()}))
            .collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [dimension_names],
                    "Metrics": metrics,
                }]
            }),
        );
        for (name, value) in &self.dimensions {
            root.insert(name.clone(), Value::String(value.clone()));
        }
        for (name, _, value) in &self.metrics {
            root.insert(name.clone(), json!(value));
        }
        Value::Object(root)
    }

    /// Prints the line on stdout, where the Lambda log agent picks it up.
    pub fn emit(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        println!("{}", self.to_json(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::*;

    #[test]
    fn renders_the_emf_structure() {
        let line = MetricsLine::new("Platform")
            .dimension("FunctionName", "event-router")
            .metric(LAMBDA_INVOCATIONS_TOTAL, Unit::Count, 1.0)
            .metric(LAMBDA_DURATION_SECONDS, Unit::Seconds, 0.002)
            .metric(LAMBDA_INVOCATIONS_TOTAL, Unit::Count, 2.0);
        assert_eq!(
            line.to_json(1_700_000_000_000),
            json!({
                "_aws": {"Timestamp": 1_700_000_000_000u64, "CloudWatchMetrics": [{
                    "Namespace": "Platform", "Dimensions": [["FunctionName"]],
                    "Metrics": [{"Name": "lambda_duration_seconds", "Unit": "Seconds"},
                                {"Name": "lambda_invocations_total", "Unit": "Count"}]}]},
                "FunctionName": "event-router",
                "lambda_duration_seconds": 0.002,
                "lambda_invocations_total": 2.0
            })
        );
    }
}
