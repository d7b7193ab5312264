//! health-checker as a process behind the local Lambda Runtime API against the AWS emulator
//! and a stand-in peer region endpoint.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use platform_contract as contract;
use platform_events::keys::EventsTableKey;
use serde_json::{Value, json};
use test_support::aws::Emulator;
use test_support::lambda_runtime_api::{FunctionProcess, RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const REGION: &str = "us-east-1";

/// A peer /health endpoint: answers `body` (or nothing, when `None`, to force a timeout) and
/// records the request lines it saw.
fn peer(body: Option<&'static str>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            log.lock().unwrap().push(line.trim().to_string());
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            match body {
                Some(body) => {
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes());
                }
                None => std::thread::sleep(Duration::from_secs(5)),
            }
        }
    });
    (url, seen)
}

struct Region {
    table: String,
    bus: String,
    dlq: String,
}

impl Region {
    /// The same region with a table that does not exist: its checks turn unhealthy.
    fn without_table(&self) -> Region {
        Region {
            table: unique_name("no-table"),
            bus: self.bus.clone(),
            dlq: self.dlq.clone(),
        }
    }
}

async fn region(endpoint: &str) -> Region {
    let aws = Emulator::connect(endpoint, REGION).await;
    // Keyed as infra-gen deploys the events table, so a status without its full key fails.
    let (table, _) = aws.table_as_deployed("EventsTable", "health").await;
    let (bus, _) = aws.bus("bus").await;
    let dlq = aws.queue("dlq").await.url;
    Region { table, bus, dlq }
}

fn start(
    api: &RuntimeApi,
    endpoint: &str,
    r: &Region,
    dlqs: &str,
    peer_url: Option<&str>,
) -> FunctionProcess {
    let mut env = emulator_aws_env(endpoint, REGION);
    env.extend([
        (contract::STAGE, "test".to_string()),
        (contract::PEER_REGION, "us-west-2".to_string()),
        (contract::EVENTS_TABLE_NAME, r.table.clone()),
        (contract::EVENT_BUS_NAME, r.bus.clone()),
        (contract::HEALTH_DLQ_URLS, dlqs.to_string()),
        (contract::DLQ_DEPTH_THRESHOLD, "5".to_string()),
        (contract::PEER_TIMEOUT_MS, "300".to_string()),
    ]);
    if let Some(url) = peer_url {
        env.push((contract::PEER_HEALTH_URL, url.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    api.spawn(
        env!("CARGO_BIN_EXE_health-checker").as_ref(),
        "health-checker",
        &env,
    )
    .unwrap()
}

fn invoke(api: &RuntimeApi, event: &Value) -> Value {
    let body = api
        .invoke(event.to_string().as_bytes(), Duration::from_secs(30))
        .unwrap()
        .into_response()
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn get_health() -> Value {
    json!({"httpMethod": "GET", "path": "/health", "requestContext": {"requestId": "r"}, "queryStringParameters": null})
}

fn check<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with(name))
        .unwrap_or_else(|| panic!("no {name} check in {status}"))
}

#[tokio::test]
async fn healthy_region_and_peer_answer_200_and_the_status_is_stored() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let r = region(&endpoint).await;
    let (peer_url, seen) = peer(Some(r#"{"status":"healthy"}"#));
    let api = RuntimeApi::start().unwrap();
    let _f = start(&api, &endpoint, &r, &r.dlq, Some(&peer_url));
    let answer = invoke(&api, &get_health());
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let status: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(status["status"], "healthy", "{status}");
    assert_eq!(check(&status, "peer:us-west-2")["status"], "healthy");
    assert_eq!(seen.lock().unwrap()[0], "GET /health?scope=local HTTP/1.1");

    let aws = Emulator::connect(&endpoint, REGION).await;
    let table = platform_aws::dynamodb::Table::new(aws.dynamodb.clone(), &r.table);
    let stored = table
        .get_json(&EventsTableKey::health(REGION).to_json())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored["status"], "healthy");
    assert_eq!(stored["checks"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_missing_queue_or_a_silent_peer_degrades_and_a_missing_table_is_unhealthy() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let r = region(&endpoint).await;
    let missing_queue = format!("{endpoint}/123456789012/{}", unique_name("missing"));
    let (silent_peer, _) = peer(None);
    let api = RuntimeApi::start().unwrap();
    let _f = start(
        &api,
        &endpoint,
        &r,
        &format!("{},{missing_queue}", r.dlq),
        Some(&silent_peer),
    );
    // Scheduled invocation: the status itself is the answer.
    let status = invoke(
        &api,
        &json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}),
    );
    assert_eq!(status["status"], "degraded", "{status}");
    assert_eq!(check(&status, "table")["status"], "healthy");
    assert_eq!(check(&status, "dlq:missing")["status"], "degraded");
    let peer_check = check(&status, "peer");
    assert_eq!(peer_check["status"], "unhealthy");
    assert!(
        peer_check["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{peer_check}"
    );
    drop(_f);

    let gone = r.without_table();
    let api = RuntimeApi::start().unwrap();
    let _f = start(&api, &endpoint, &gone, &gone.dlq, None);
    let answer = invoke(&api, &get_health());
    assert_eq!(answer["statusCode"], 503, "{answer}");
    let status: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(status["status"], "unhealthy");
    assert_eq!(check(&status, "table")["status"], "unhealthy");
}

/// `GET /live`: the local checks' status word only, never stored, never the peer.
#[tokio::test]
async fn liveness_reports_the_local_status_word_only_and_stores_nothing() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let r = region(&endpoint).await;
    let missing_queue = format!("{endpoint}/123456789012/{}", unique_name("missing"));
    let (peer_url, seen) = peer(Some(r#"{"status":"healthy"}"#));
    let api = RuntimeApi::start().unwrap();
    let _f = start(
        &api,
        &endpoint,
        &r,
        &format!("{},{missing_queue}", r.dlq),
        Some(&peer_url),
    );
    let live = json!({"resource": contract::API_LIVENESS_PATH, "path": "/live", "httpMethod": "GET", "requestContext": {"requestId": "r"}});
    let answer = invoke(&api, &live);
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["headers"]["cache-control"], "no-store");
    // The real local checks: the missing queue degrades the region, and that is all it says.
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"status": "degraded"}));
    assert!(seen.lock().unwrap().is_empty(), "liveness called the peer");

    let aws = Emulator::connect(&endpoint, REGION).await;
    let table = platform_aws::dynamodb::Table::new(aws.dynamodb.clone(), &r.table);
    let stored = table
        .get_json(&EventsTableKey::health(REGION).to_json())
        .await
        .unwrap();
    assert!(stored.is_none(), "liveness stored {stored:?}");
    drop(_f);

    let gone = r.without_table();
    let api = RuntimeApi::start().unwrap();
    let _f = start(&api, &endpoint, &gone, &gone.dlq, None);
    let answer = invoke(&api, &live);
    assert_eq!(answer["statusCode"], 503, "{answer}");
    assert_eq!(answer["body"], r#"{"status":"unhealthy"}"#);
}
