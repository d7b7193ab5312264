//! event-transformer as a process behind the local Lambda Runtime API against the AWS
//! emulator: a valid event is stored (in a table keyed as infra-gen deploys the events table)
//! and forwarded (read back through a rule's SQS target); an invalid one lands in the DLQ with
//! its validation errors.

use std::time::Duration;

use platform_contract as contract;
use platform_events::keys::EventsTableKey;
use platform_events::{DeadLetter, EventEnvelope};
use serde_json::{Value, json};
use test_support::aws::Emulator;
use test_support::lambda_runtime_api::{RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const REGION: &str = "us-east-1";

#[tokio::test]
async fn forwards_valid_events_and_dead_letters_invalid_ones_with_their_errors() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let aws = Emulator::connect(&endpoint, REGION).await;
    let (table, _) = aws.table_as_deployed("EventsTable", "events").await;
    let (bus, _) = aws.bus("bus").await;
    let forwarded_queue = aws
        .queue_for_source(&bus, "platform.event-transformer")
        .await;
    let dlq = aws.queue("invalid").await.url;

    let api = RuntimeApi::start().unwrap();
    let mut env = emulator_aws_env(&endpoint, REGION);
    env.extend([
        (contract::STAGE, "staging".to_string()),
        (contract::EVENT_BUS_NAME, bus.clone()),
        (contract::EVENTS_TABLE_NAME, table.clone()),
        (contract::DLQ_URL, dlq.clone()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _function = api
        .spawn(
            env!("CARGO_BIN_EXE_event-transformer").as_ref(),
            "event-transformer",
            &env,
        )
        .unwrap();
    let invoke = |payload: &Value| -> Value {
        let body = api
            .invoke(payload.to_string().as_bytes(), Duration::from_secs(30))
            .unwrap()
            .into_response()
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    };

    let id = unique_name("evt");
    let valid = json!({"version": "0", "id": id, "detail-type": "OrderCreated", "source": "shop", "time": "2026-11-27T09:00:00Z",
                       "detail": {"orderId": "o-1", "customerId": "c-1", "amount": 12.5, "currency": "USD", "correlationId": "corr-1"}});
    assert_eq!(
        invoke(&valid),
        json!({"status": "forwarded", "correlationId": "corr-1"})
    );
    let forwarded = aws.receive_json(&forwarded_queue.url, 1).await;
    assert_eq!(forwarded.len(), 1);
    let envelope: EventEnvelope = serde_json::from_value(forwarded[0]["detail"].clone()).unwrap();
    assert_eq!(envelope.detail, valid["detail"]);
    let enrichment = envelope.enrichment.unwrap();
    assert_eq!(
        (
            enrichment.environment.as_str(),
            enrichment.received_region.as_str()
        ),
        ("staging", REGION)
    );
    let stored = platform_aws::dynamodb::Table::new(aws.dynamodb.clone(), &table)
        .get_json(&EventsTableKey::event(&id).to_json())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored["correlationId"], "corr-1");

    let invalid = json!({"version": "0", "id": unique_name("evt"), "detail-type": "OrderCreated", "source": "shop",
                         "detail": {"orderId": "o-2", "amount": -1, "currency": "USD"}});
    let answer = invoke(&invalid);
    assert_eq!(answer["status"], "invalid");
    let letters = aws.receive_json(&dlq, 1).await;
    let letter: DeadLetter = serde_json::from_value(letters[0].clone()).unwrap();
    assert_eq!(letter.source, "event-transformer");
    assert_eq!(
        letter.error,
        "/: missing required property `customerId`; /amount: less than 0"
    );
    assert_eq!(letter.payload, invalid);
}
