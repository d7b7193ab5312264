//! event-router as a process behind the local Lambda Runtime API, against the AWS emulator:
//! a routed event arrives on the peer region's bus (read back through a rule's SQS target),
//! and with the peer bus failing the circuit opens and events are dead-lettered.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use platform_contract as contract;
use platform_events::{CrossRegionEvent, DeadLetter};
use serde_json::{Value, json};
use test_support::lambda_runtime_api::{FunctionProcess, RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const LOCAL: &str = "us-east-1";
const PEER: &str = "us-west-2";
const TIMEOUT: Duration = Duration::from_secs(30);

async fn queue(sqs: &aws_sdk_sqs::Client) -> (String, String) {
    let url = sqs
        .create_queue()
        .queue_name(unique_name("router"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&QueueAttributeName::QueueArn].clone();
    (url, arn)
}

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, expected: usize) -> Vec<String> {
    let mut bodies = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        bodies.extend(
            out.messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.body),
        );
        if bodies.len() >= expected {
            break;
        }
    }
    bodies
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
    let peer_cfg = platform_aws::config::for_emulator(&endpoint, PEER).await;
    let local_cfg = platform_aws::config::for_emulator(&endpoint, LOCAL).await;
    let events = aws_sdk_eventbridge::Client::new(&peer_cfg);
    let peer_sqs = aws_sdk_sqs::Client::new(&peer_cfg);
    let bus = unique_name("peer-bus");
    let bus_arn = events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap()
        .event_bus_arn
        .unwrap();
    let (target_url, target_arn) = queue(&peer_sqs).await;
    let rule = unique_name("from-router");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(json!({"source": ["platform.event-router"]}).to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(&target_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (dlq_url, _) = queue(&aws_sdk_sqs::Client::new(&local_cfg)).await;

    let api = RuntimeApi::start().unwrap();
    let _router = start(&api, &endpoint, &bus_arn, &dlq_url);
    let event = order_event(300);
    let answer = invoke(&api, &event);
    assert_eq!(answer, json!({"status": "routed", "compressed": true}));

    let bodies = receive(&peer_sqs, &target_url, 1).await;
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
    let local_cfg = platform_aws::config::for_emulator(&endpoint, LOCAL).await;
    let sqs = aws_sdk_sqs::Client::new(&local_cfg);
    let (dlq_url, _) = queue(&sqs).await;
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
    let mut letters: Vec<DeadLetter> = receive(&sqs, &dlq_url, 3)
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
