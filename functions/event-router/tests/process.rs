//! event-router as a process behind the local Lambda Runtime API, against the AWS emulator:
//! a routed event arrives on the peer region's bus (read back through a rule's SQS target),
//! and with the peer bus failing the circuit opens and events are dead-lettered.

use std::time::Duration;

use platform_contract as contract;
use platform_events::{CrossRegionEvent, DeadLetter};
use serde_json::{Value, json};
use test_support::aws::Emulator;
use test_support::lambda_runtime_api::{FunctionProcess, RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const LOCAL: &str = "us-east-1";
const PEER: &str = "us-west-2";
const TIMEOUT: Duration = Duration::from_secs(30);

/// The bodies of the messages that arrive on `url`, once `expected` did.
async fn receive(aws: &Emulator, url: &str, expected: usize) -> Vec<String> {
    aws.receive(url, expected)
        .await
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

fn start(api: &RuntimeApi, endpoint: &str, peer_bus_arn: &str, dlq_url: &str) -> FunctionProcess {
    let mut env = emulator_aws_env(endpoint, LOCAL);
    env.extend([
        (contract::STAGE, "test".to_string()),
        (contract::PEER_REGION, PEER.to_string()),
        (contract::EVENT_BUS_NAME, "local-bus".to_string()),
        (contract::PEER_EVENT_BUS_ARN, peer_bus_arn.to_string()),
        (contract::DLQ_URL, dlq_url.to_string()),
        (contract::COMPRESSION_THRESHOLD_BYTES, "1024".to_string()),
        (contract::CIRCUIT_FAILURE_THRESHOLD, "2".to_string()),
        (contract::CIRCUIT_OPEN_SECONDS, "300".to_string()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    api.spawn(
        env!("CARGO_BIN_EXE_event-router").as_ref(),
        "event-router",
        &env,
    )
    .unwrap()
}

fn invoke(api: &RuntimeApi, event: &Value) -> Value {
    let body = api
        .invoke(event.to_string().as_bytes(), TIMEOUT)
        .unwrap()
        .into_response()
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn order_event(lines: usize) -> Value {
    let detail = json!({"orderId": "o-1", "lines": (0..lines).map(|i| json!({"sku": format!("SKU-{i:05}"), "qty": i % 9, "site": "us-east-1a"})).collect::<Vec<_>>()});
    json!({"version": "0", "id": unique_name("evt"), "detail-type": "OrderCreated", "source": "platform.orders",
           "account": "123456789012", "time": "2026-11-27T10:00:00Z", "region": LOCAL, "resources": [], "detail": detail})
}

#[tokio::test]
async fn routes_a_compressed_event_to_the_peer_bus() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let peer = Emulator::connect(&endpoint, PEER).await;
    let local = Emulator::connect(&endpoint, LOCAL).await;
    let (bus, bus_arn) = peer.bus("peer-bus").await;
    let delivered = peer.queue_for_source(&bus, "platform.event-router").await;
    let dlq_url = local.queue("router-dlq").await.url;

    let api = RuntimeApi::start().unwrap();
    let _router = start(&api, &endpoint, &bus_arn, &dlq_url);
    let event = order_event(300);
    let answer = invoke(&api, &event);
    assert_eq!(answer, json!({"status": "routed", "compressed": true}));

    let bodies = receive(&peer, &delivered.url, 1).await;
    assert_eq!(bodies.len(), 1);
    let delivered: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(delivered["detail-type"], "OrderCreated");
    let wrapped: CrossRegionEvent =
        platform_events::decode(delivered["detail"].to_string().as_bytes()).unwrap();
    assert_eq!(
        (
            wrapped.source_region.as_str(),
            wrapped.destination_region.as_str()
        ),
        (LOCAL, PEER)
    );
    assert!(platform_events::compression::is_compressed(
        &wrapped.event.detail
    ));
    assert_eq!(wrapped.into_original().unwrap().detail, event["detail"]);
}

#[tokio::test]
async fn a_failing_peer_bus_opens_the_circuit_and_dead_letters_events() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let local = Emulator::connect(&endpoint, LOCAL).await;
    let dlq_url = local.queue("router-dlq").await.url;
    let missing_bus = format!(
        "arn:aws:events:{PEER}:123456789012:event-bus/{}",
        unique_name("gone")
    );

    let api = RuntimeApi::start().unwrap();
    let _router = start(&api, &endpoint, &missing_bus, &dlq_url);
    let events: Vec<Value> = (0..3).map(|_| order_event(2)).collect();
    for event in &events {
        assert_eq!(invoke(&api, event)["status"], "deadLettered");
    }
    let mut letters: Vec<DeadLetter> = receive(&local, &dlq_url, 3)
        .await
        .iter()
        .map(|b| platform_events::decode(b.as_bytes()).unwrap())
        .collect();
    assert_eq!(letters.len(), 3);
    letters.sort_by_key(|l| events.iter().position(|e| *e == l.payload).unwrap());
    assert!(letters.iter().all(|l| l.source == "event-router"));
    assert!(
        letters[0].error.contains("putting to"),
        "{}",
        letters[0].error
    );
    assert!(letters[0].retry_count >= 1);
    assert_eq!(
        letters[2].error,
        format!("circuit open for {PEER}"),
        "the third event is stopped by the open circuit"
    );
    assert_eq!(letters[2].retry_count, 0);
}
