//! The figures of one load run, read from the JSON report the load-testing crate (rlt) writes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What one scenario achieved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    pub scenario: String,
    pub target: String,
    /// Requests sent (answered or failed).
    pub requests: u64,
    /// Requests whose answer was a success (2xx, an accepted event, an acknowledged message).
    pub succeeded: u64,
    /// Requests that failed: an error answer (status code) or no answer (the error text).
    pub errors: BTreeMap<String, u64>,
    pub seconds: f64,
    /// Requests per second, over the whole run.
    pub throughput: f64,
    /// Latency of answered requests, in milliseconds.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LoadReport {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// The part of rlt's JSON report this command reads.
#[derive(Debug, Deserialize)]
struct RltReport {
    summary: RltSummary,
    #[serde(default)]
    latency: Option<RltLatency>,
    #[serde(default)]
    status: BTreeMap<String, u64>,
    #[serde(default)]
    errors: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct RltSummary {
    total_time: f64,
}

#[derive(Debug, Deserialize)]
struct RltLatency {
    stats: RltLatencyStats,
    percentiles: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
struct RltLatencyStats {
    max: f64,
}

/// rlt's report could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading the load-testing report: {0}")]
pub struct ReportError(String);

/// Builds the report from rlt's JSON. rlt counts answered iterations by status
/// (`Success(200)`, `Client Error(401)`, ...) and failed ones by error text; both kinds of
/// failure are errors here.
pub fn from_rlt_json(scenario: &str, target: &str, json: &str) -> Result<LoadReport, ReportError> {
    let rlt: RltReport = serde_json::from_str(json).map_err(|e| ReportError(e.to_string()))?;
    let mut succeeded = 0;
    let mut errors = BTreeMap::new();
    for (status, count) in rlt.status {
        if status.starts_with("Success(") {
            succeeded += count;
        } else {
            *errors.entry(status).or_insert(0) += count;
        }
    }
    for (error, count) in rlt.errors {
        *errors.entry(error).or_insert(0) += count;
    }
    let requests = succeeded + errors.values().sum::<u64>();
    let percentile = |name: &str| -> Result<f64, ReportError> {
        match &rlt.latency {
            None => Ok(0.0),
            Some(latency) => latency
                .percentiles
                .get(name)
                .map(|seconds| seconds * 1000.0)
                .ok_or_else(|| ReportError(format!("no {name} in the latency percentiles"))),
        }
    };
    let seconds = rlt.summary.total_time;
    Ok(LoadReport {
        scenario: scenario.to_string(),
        target: target.to_string(),
        requests,
        succeeded,
        errors,
        seconds,
        throughput: if seconds > 0.0 {
            requests as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile("p50")?,
        p95_ms: percentile("p95")?,
        p99_ms: percentile("p99")?,
        max_ms: rlt.latency.as_ref().map_or(0.0, |l| l.stats.max * 1000.0),
    })
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario {} -> {}", self.scenario, self.target)?;
        writeln!(
            f,
            "  requests {} in {:.2} s: {:.1}/s; succeeded {}, errors {}",
            self.requests,
            self.seconds,
            self.throughput,
            self.succeeded,
            self.error_count()
        )?;
        writeln!(
            f,
            "  latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
            self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms
        )?;
        for (error, count) in &self.errors {
            writeln!(f, "  error x{count}: {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_errors_become_successes_and_errors() {
        let json = r#"{
          "summary": {"success_ratio": 0.8, "total_time": 2.0, "concurrency": 2,
                      "iters": {"total": 8, "rate": 4.0}},
          "latency": {"stats": {"min": 0.001, "max": 0.02, "mean": 0.005, "median": 0.004, "stdev": 0.001},
                      "percentiles": {"p50": 0.004, "p95": 0.01, "p99": 0.015}, "histogram": {}},
          "status": {"Success(200)": 6, "Client Error(401)": 2},
          "errors": {"GET http://127.0.0.1:1/health: connection refused": 2}
        }"#;
        let report = from_rlt_json("health", "http://127.0.0.1:1", json).unwrap();
        assert_eq!(report.requests, 10);
        assert_eq!(report.succeeded, 6);
        assert_eq!(report.error_count(), 4);
        assert_eq!(report.errors["Client Error(401)"], 2);
        assert!((report.throughput - 5.0).abs() < 1e-9);
        assert!((report.p95_ms - 10.0).abs() < 1e-9);
        assert!((report.max_ms - 20.0).abs() < 1e-9);
        let text = report.to_string();
        assert!(
            text.contains("p99 15.00") && text.contains("errors 4"),
            "{text}"
        );
    }

    #[test]
    fn a_run_where_nothing_answered_has_no_latency_but_counts_errors() {
        let json = r#"{"summary": {"total_time": 1.0}, "status": {}, "errors": {"refused": 3}}"#;
        let report = from_rlt_json("events", "x", json).unwrap();
        assert_eq!(
            (report.requests, report.succeeded, report.p99_ms),
            (3, 0, 0.0)
        );
        assert!(from_rlt_json("events", "x", "{").is_err());
    }
}
