//! platform-aws against the AWS API emulator (moto): real wire protocol for EventBridge, SQS,
//! DynamoDB and Secrets Manager. Skipped (with a message) outside `scripts/test`.

use std::time::Duration;

use platform_aws::eventbridge::{PublishEntry, Publisher};
use platform_aws::retry::RetryPolicy;
use platform_aws::{
    dynamodb::Table,
    secrets::{CachedSecrets, SecretsManager},
    sqs,
};
use platform_events::DeadLetter;
use serde_json::json;
use test_support::aws::{Emulator, emulator_config};
use test_support::unique_name;

const REGION: &str = "us-east-1";

#[tokio::test]
async fn publisher_batches_to_a_bus_delivered_by_a_rule_to_sqs() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let aws = Emulator::connect(&endpoint, REGION).await;
    let (bus, _) = aws.bus("bus").await;
    let delivered = aws.queue_for_source(&bus, "test.publisher").await;

    let entries: Vec<PublishEntry> = (0..13)
        .map(|i| PublishEntry {
            event_bus_name: bus.clone(),
            source: "test.publisher".into(),
            detail_type: "T".into(),
            detail: json!({"n": i}).to_string(),
            resources: vec![],
        })
        .collect();
    let report = Publisher::new(aws.events.clone(), RetryPolicy::default())
        .publish(&entries)
        .await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.published.len(), 13);

    let mut ns: Vec<i64> = aws
        .receive_json(&delivered.url, 13)
        .await
        .iter()
        .map(|event| event["detail"]["n"].as_i64().unwrap())
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (0..13).collect::<Vec<_>>());
}

#[tokio::test]
async fn publisher_reports_entries_for_a_missing_bus_as_failed() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let events = aws_sdk_eventbridge::Client::new(&emulator_config(&endpoint, REGION).await);
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
    let aws = Emulator::connect(&endpoint, REGION).await;
    let url = aws.queue("dlq").await.url;
    let dlq = sqs::DeadLetterQueue::new(aws.sqs.clone(), &url);
    let letter = DeadLetter::new("event-router", "circuit open", 3, json!({"id": "e1"}));
    dlq.send(&letter).await.unwrap();
    assert_eq!(sqs::queue_depth(&aws.sqs, &url).await.unwrap(), 1);
    let messages = aws.receive(&url, 1).await;
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
    let aws = Emulator::connect(&endpoint, REGION).await;
    let (name, _) = aws.table("t", false).await;
    let table = Table::new(aws.dynamodb.clone(), &name);
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
    let client = aws_sdk_secretsmanager::Client::new(&emulator_config(&endpoint, REGION).await);
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
    let reader = || {
        SecretsManager::new(
            Some(&endpoint),
            REGION,
            aws_credential_types::Credentials::new("test", "test", None, None, "emulator"),
        )
    };
    let cache = CachedSecrets::new(reader(), Duration::from_secs(300));
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
    let uncached = CachedSecrets::new(reader(), Duration::ZERO);
    assert_eq!(uncached.get(&arn).await.unwrap(), "v2");
    let missing = uncached
        .get("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope")
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("ResourceNotFoundException"), "{missing}");
}
