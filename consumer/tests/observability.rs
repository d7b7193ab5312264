//! The generated observability (`generated/observability/<env>/`) against real data: a real
//! Prometheus (Debian's 2.42, from `scripts/tools/ensure.sh`) scrapes the real `cdc-consumer`
//! running against the test broker and the emulator, through the generated scrape job and with
//! the generated rules loaded. Every dashboard query, every recording rule and every alert's
//! signal must return a non-empty result: Prometheus answers `success` with an empty result for
//! a metric that does not exist, so emptiness is the failure this looks for.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value as Json, json};

/// Every generated environment's dashboards are queried; the rules loaded are prod's (the
/// environments' rules differ in thresholds only, and one server cannot record the same
/// series twice).
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const SCRAPE_INTERVAL: &str = "1s";
/// What `$__rate_interval` becomes: Grafana's floor is four scrape intervals.
const RATE_INTERVAL: &str = "4s";
const REGION: &str = "us-west-2";
const NAMESPACE: &str = "cdc";

fn observability(env: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../generated/observability")
        .join(env)
}

struct Prometheus {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Prometheus {
    /// An instant query's result vector (panics on an error answer: a query must be valid).
    fn query(&self, expr: &str) -> Vec<Json> {
        let path = format!("/api/v1/query?query={}", url_encode(expr));
        let (status, body) = http_get(self.port, &path).expect("prometheus answers");
        let answer: Json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("success")),
            "`{expr}`: {body}"
        );
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Polls until the query returns data; the failure names the query and Prometheus's log.
    fn has_data(&self, expr: &str, what: &str, deadline: Instant) {
        loop {
            if !self.query(expr).is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: `{expr}` returned no data (prometheus log {})",
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The generated scrape job for `REGION`, with Kubernetes discovery (absent from Debian's
/// build) replaced by one static target that carries the pod metadata discovery would: the
/// generated relabelling must then find the port, path, namespace and pod, and stamp the region.
fn scrape_job(metrics_port: u16) -> Json {
    let file = observability("prod").join(format!("prometheus/scrape-config.{REGION}.yaml"));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut config: Json = serde_saphyr::from_str(&text).unwrap();
    let mut job = config["scrape_configs"][0].take();
    assert_eq!(job["kubernetes_sd_configs"][0]["role"], "pod");
    job.as_object_mut().unwrap().remove("kubernetes_sd_configs");
    job["static_configs"] = json!([{
        // Port 1: only the relabelling from the annotation can make the scrape succeed.
        "targets": ["127.0.0.1:1"],
        "labels": {
            "__meta_kubernetes_pod_label_app_kubernetes_io_name": "cdc-consumer",
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
            "__meta_kubernetes_pod_annotation_prometheus_io_port": metrics_port.to_string(),
            "__meta_kubernetes_pod_annotation_prometheus_io_path": "/metrics",
            "__meta_kubernetes_namespace": NAMESPACE,
            "__meta_kubernetes_pod_name": "cdc-consumer-0",
        },
    }]);
    job
}

fn start_prometheus(metrics_port: u16, dir: &Path) -> Option<Prometheus> {
    let binary = test_support::tool("prometheus")?;
    let config = json!({
        "global": { "scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL },
        "rule_files": [observability("prod").join("prometheus/rules.yaml")],
        "scrape_configs": [scrape_job(metrics_port)],
    });
    // JSON is YAML: Prometheus reads it as its config.
    std::fs::write(dir.join("prometheus.yml"), config.to_string()).unwrap();
    let port = test_support::kafka::free_port();
    let log = dir.join("prometheus.log");
    let child = Command::new(binary)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .expect("start prometheus");
    let mut prometheus = Prometheus { child, port, log };
    // The server answers /-/ready with 200 once its storage and rules are loaded.
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(port, "/-/ready").map(|r| r.0) != Some(200) {
        let exited = prometheus.child.try_wait().unwrap();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "prometheus did not become ready ({exited:?}): {}",
            std::fs::read_to_string(&prometheus.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Some(prometheus)
}

/// Grafana's variables as a dashboard user would have them set.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", RATE_INTERVAL)
        .replace("$namespace", NAMESPACE)
        .replace("$region", REGION)
        .replace("$topic", ".*")
}

/// An alert's signal: its expression without the final comparison with a number (the form the
/// generator writes every alert in).
fn signal(alert: &str, expr: &str) -> String {
    let (signal, threshold) = expr
        .rsplit_once(" > ")
        .or_else(|| expr.rsplit_once(" < "))
        .unwrap_or_else(|| panic!("{alert}: `{expr}` does not end in a comparison"));
    threshold
        .trim()
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("{alert}: `{expr}` does not compare with a number"));
    signal.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_and_rule_returns_data_from_prometheus_scraping_the_consumer() {
    let Some((bootstrap, aws)) = services() else {
        return;
    };
    if test_support::tool("prometheus").is_none() {
        return;
    }
    let deployment = Deployment::create(&bootstrap, &aws, "obs").await;
    // Good and bad messages: the dead-letter and outcome series must exist too.
    let corpus = build_corpus(&deployment, 10, 60, 7);
    assert!(
        !corpus.bad.is_empty(),
        "the corpus must dead-letter something"
    );
    produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let consumer = deployment.spawn_consumer("obs", &[("KAFKA_FETCH_WAIT_MAX_MS", "10")]);
    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "observability")
        .await;

    let dir = tempfile::tempdir().unwrap();
    let prometheus = start_prometheus(consumer.metrics_port, dir.path()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    // The target is up through the generated relabelling, labelled as the rules expect.
    prometheus.has_data(
        &format!(
            "up{{job=\"cdc-consumer\", namespace=\"{NAMESPACE}\", region=\"{REGION}\", pod=\"cdc-consumer-0\"}} == 1"
        ),
        "the scrape target",
        deadline,
    );
    // Several samples in every window the queries use, so rates and increases are defined.
    prometheus.has_data(
        &format!("count_over_time(up{{job=\"cdc-consumer\"}}[{RATE_INTERVAL}]) >= 3"),
        "samples",
        deadline,
    );

    let mut queried = 0;
    for env in ENVIRONMENTS {
        let dashboard: Json = serde_json::from_slice(
            &std::fs::read(observability(env).join("grafana/kafka-consumer-lag.json")).unwrap(),
        )
        .unwrap();
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = substitute(target["expr"].as_str().unwrap());
                prometheus.has_data(&expr, &format!("{env}: {}", panel["title"]), deadline);
                queried += 1;
            }
        }
        for variable in dashboard["templating"]["list"].as_array().unwrap() {
            if variable["type"] == "query" {
                // label_values(selector, label): the selector must find series.
                let query = variable["query"]["query"].as_str().unwrap();
                let selector = query
                    .strip_prefix("label_values(")
                    .and_then(|q| q.rsplit_once(','))
                    .map(|(s, _)| substitute(s))
                    .unwrap_or_else(|| panic!("unexpected variable query {query}"));
                prometheus.has_data(&selector, &format!("{env}: variable {query}"), deadline);
                queried += 1;
            }
        }
    }
    // The rules as Prometheus loaded them.
    let (_, body) = http_get(prometheus.port, "/api/v1/rules").unwrap();
    let rules: Json = serde_json::from_str(&body).unwrap();
    let mut alerts = 0;
    for group in rules["data"]["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule["name"].as_str().unwrap();
            let query = rule["query"].as_str().unwrap();
            assert_ne!(rule["health"], "err", "{name}: {rule}");
            if rule["type"] == "recording" {
                prometheus.has_data(name, "recorded series", deadline);
                prometheus.has_data(query, name, deadline);
            } else {
                let signal = signal(name, query);
                prometheus.has_data(&signal, name, deadline);
                // The consumer is ready and holds partitions: these two signals sit on the
                // healthy side of their threshold of 1.
                if name.ends_with("NotReady") || name.ends_with("NoPartitionsAssigned") {
                    for sample in prometheus.query(&signal) {
                        let value: f64 = sample["value"][1].as_str().unwrap().parse().unwrap();
                        assert!(value >= 1.0, "{name}: {sample}");
                    }
                }
                alerts += 1;
            }
            queried += 1;
        }
    }
    assert_eq!(alerts, 6, "{body}");
    assert!(queried > 40, "only {queried} queries");
}
