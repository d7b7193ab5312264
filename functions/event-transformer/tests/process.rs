//! event-transformer as a process behind the local Lambda Runtime API against the AWS
//! emulator: a valid event is stored and forwarded (read back through a rule's SQS target);
//! an invalid one lands in the DLQ with its validation errors.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use platform_contract as contract;
use platform_events::{DeadLetter, EventEnvelope};
use serde_json::{Value, json};
use test_support::lambda_runtime_api::{RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const REGION: &str = "us-east-1";

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let bodies: Vec<Value> = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.body)
            .map(|b| serde_json::from_str(&b).unwrap())
            .collect();
        if !bodies.is_empty() {
            return bodies;
        }
    }
    Vec::new()
}

#[tokio::test]
async fn forwards_valid_events_and_dead_letters_invalid_ones_with_their_errors() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = platform_aws::config::for_emulator(&endpoint, REGION).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&cfg);
    let events = aws_sdk_eventbridge::Client::new(&cfg);
    let sqs = aws_sdk_sqs::Client::new(&cfg);
    let table = unique_name("events");
    dynamo
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let bus = unique_name("bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let target = sqs
        .create_queue()
        .queue_name(unique_name("enriched"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let target_arn = sqs
        .get_queue_attributes()
        .queue_url(&target)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let rule = unique_name("enriched");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(json!({"source": ["platform.event-transformer"]}).to_string())
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
    let dlq = sqs
        .create_queue()
        .queue_name(unique_name("invalid"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();

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
    let forwarded = receive(&sqs, &target).await;
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
    let stored = platform_aws::dynamodb::Table::new(dynamo, &table)
        .get_json(json!({"pk": format!("event#{id}")}).as_object().unwrap())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored["correlationId"], "corr-1");

    let invalid = json!({"version": "0", "id": unique_name("evt"), "detail-type": "OrderCreated", "source": "shop",
                         "detail": {"orderId": "o-2", "amount": -1, "currency": "USD"}});
    let answer = invoke(&invalid);
    assert_eq!(answer["status"], "invalid");
    let letters = receive(&sqs, &dlq).await;
    let letter: DeadLetter = serde_json::from_value(letters[0].clone()).unwrap();
    assert_eq!(letter.source, "event-transformer");
    assert_eq!(
        letter.error,
        "/: missing required property `customerId`; /amount: less than 0"
    );
    assert_eq!(letter.payload, invalid);
}
