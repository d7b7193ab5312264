//! platform-aws against the AWS API emulator (moto): real wire protocol for EventBridge, SQS,
//! DynamoDB and Secrets Manager. Skipped (with a message) outside `scripts/test`.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use platform_aws::eventbridge::{PublishEntry, Publisher, RetryPolicy};
use platform_aws::{config, dynamodb::Table, secrets::CachedSecrets, sqs};
use platform_events::DeadLetter;
use serde_json::json;
use test_support::unique_name;

const REGION: &str = "us-east-1";

async fn queue(client: &aws_sdk_sqs::Client) -> (String, String) {
    let url = client
        .create_queue()
        .queue_name(unique_name("q"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    (url, arn)
}

async fn receive_all(
    client: &aws_sdk_sqs::Client,
    url: &str,
    expected: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut messages = Vec::new();
    for _ in 0..20 {
        let out = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        messages.extend(out.messages.unwrap_or_default());
        if messages.len() >= expected {
            break;
        }
    }
    messages
}

#[tokio::test]
async fn publisher_batches_to_a_bus_delivered_by_a_rule_to_sqs() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = config::for_emulator(&endpoint, REGION).await;
    let events = aws_sdk_eventbridge::Client::new(&cfg);
    let sqs_client = aws_sdk_sqs::Client::new(&cfg);
    let bus = unique_name("bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let (url, arn) = queue(&sqs_client).await;
    let rule = unique_name("rule");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(json!({"source": ["test.publisher"]}).to_string())
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
                .arn(&arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let entries: Vec<PublishEntry> = (0..13)
        .map(|i| PublishEntry {
            event_bus_name: bus.clone(),
            source: "test.publisher".into(),
            detail_type: "T".into(),
            detail: json!({"n": i}).to_string(),
            resources: vec![],
        })
        .collect();
    let report = Publisher::new(events, RetryPolicy::default())
        .publish(&entries)
        .await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.published.len(), 13);

    let messages = receive_all(&sqs_client, &url, 13).await;
    let mut ns: Vec<i64> = messages
        .iter()
        .map(|m| {
            serde_json::from_str::<serde_json::Value>(m.body().unwrap()).unwrap()["detail"]["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (0..13).collect::<Vec<_>>());
}

#[tokio::test]
async fn publisher_reports_entries_for_a_missing_bus_as_failed() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = config::for_emulator(&endpoint, REGION).await;
    let events = aws_sdk_eventbridge::Client::new(&cfg);
    let entries = vec![PublishEntry {
        event_bus_name: unique_name("no-such-bus"),
        source: "s".into(),
        detail_type: "T".into(),
        detail: "{}".into(),
        resources: vec![],
    }];
    let policy = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };
    let report = Publisher::new(events, policy).publish(&entries).await;
    assert!(report.published.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert!(!report.failed[0].error.is_empty());
}

#[tokio::test]
async fn dead_letters_carry_error_source_and_retry_count() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = config::for_emulator(&endpoint, REGION).await;
    let client = aws_sdk_sqs::Client::new(&cfg);
    let (url, _) = queue(&client).await;
    let dlq = sqs::DeadLetterQueue::new(client.clone(), &url);
    let letter = DeadLetter::new("event-router", "circuit open", 3, json!({"id": "e1"}));
    dlq.send(&letter).await.unwrap();
    assert_eq!(sqs::queue_depth(&client, &url).await.unwrap(), 1);
    let messages = receive_all(&client, &url, 1).await;
    let attrs = messages[0].message_attributes().unwrap();
    assert_eq!(attrs[sqs::ATTR_SOURCE].string_value(), Some("event-router"));
    assert_eq!(attrs[sqs::ATTR_ERROR].string_value(), Some("circuit open"));
    assert_eq!(attrs[sqs::ATTR_RETRY_COUNT].string_value(), Some("3"));
    let body: DeadLetter = platform_events::decode(messages[0].body().unwrap().as_bytes()).unwrap();
    assert_eq!(body, letter);
}

#[tokio::test]
async fn table_writes_once_and_reads_plain_json() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = config::for_emulator(&endpoint, REGION).await;
    let client = aws_sdk_dynamodb::Client::new(&cfg);
    let name = unique_name("t");
    client
        .create_table()
        .table_name(&name)
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
    let table = Table::new(client, &name);
    assert_eq!(table.status().await.unwrap(), "ACTIVE");
    let item = json!({"pk": "a", "n": 1, "nested": {"l": [true, null]}});
    let item = item.as_object().unwrap();
    assert!(table.put_json_if_absent(item, "pk").await.unwrap());
    assert!(!table.put_json_if_absent(item, "pk").await.unwrap());
    let key = json!({"pk": "a"});
    assert_eq!(
        table
            .get_json(key.as_object().unwrap())
            .await
            .unwrap()
            .as_ref(),
        Some(item)
    );
    let missing = Table::new(table.client().clone(), unique_name("missing"));
    assert!(missing.status().await.is_err());
}

#[tokio::test]
async fn secrets_are_read_and_cached() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = config::for_emulator(&endpoint, REGION).await;
    let client = aws_sdk_secretsmanager::Client::new(&cfg);
    let name = unique_name("secret");
    let arn = client
        .create_secret()
        .name(&name)
        .secret_string("v1")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let cache = CachedSecrets::new(client.clone(), Duration::from_secs(300));
    assert_eq!(cache.get(&arn).await.unwrap(), "v1");
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cache.get(&arn).await.unwrap(),
        "v1",
        "served from cache within the ttl"
    );
    let uncached = CachedSecrets::new(client, Duration::ZERO);
    assert_eq!(uncached.get(&arn).await.unwrap(), "v2");
    assert!(
        uncached
            .get("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope")
            .await
            .is_err()
    );
}
