//! The outputs against the real AWS API emulator (moto): conditional writes, dead letters,
//! CDC events.

mod common;

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue as Dynamo;
use consumer::outputs::{
    DeadLetters, EventBridgePublisher, EventPublisher, FailedMessage, cdc_event,
};
use consumer::qlik::{DataChange, Operation};
use consumer::sink::{ApplyOutcome, DynamoSink, OutputError, Sink};
use consumer::transform::{AttributeValue, SinkWrite, WriteKind};

fn upsert(pk: &str, sequence: u128, name: &str) -> SinkWrite {
    SinkWrite {
        table: "customers".into(),
        pk: pk.into(),
        sequence,
        operation: Operation::Update,
        timestamp: Some("2026-11-27T10:00:00.000".into()),
        kind: WriteKind::Upsert(vec![
            ("ID".into(), AttributeValue::String("1".into())),
            ("NAME".into(), AttributeValue::String(name.into())),
            ("NOTE".into(), AttributeValue::Null),
        ]),
    }
}

fn delete(pk: &str, sequence: u128) -> SinkWrite {
    SinkWrite {
        kind: WriteKind::Delete,
        operation: Operation::Delete,
        ..upsert(pk, sequence, "")
    }
}

#[tokio::test]
async fn dynamodb_writes_are_conditional_on_the_change_sequence() {
    let Some(aws) = test_support::aws_endpoint() else {
        return;
    };
    let shared = common::aws_config(&aws);
    let dynamo = aws_sdk_dynamodb::Client::new(&shared);
    let table = test_support::unique_name("sink-rows");
    common::create_table(&dynamo, &table).await;
    let sink = DynamoSink::new(dynamo.clone(), &table);
    sink.check().await.expect("table reachable");

    let big_sequence = 20261127000000000000000000000000005u128;
    let outcomes = |r: Vec<Result<ApplyOutcome, OutputError>>| {
        r.into_iter().map(Result::unwrap).collect::<Vec<_>>()
    };
    assert_eq!(
        outcomes(
            sink.apply(&[upsert("customers#1", big_sequence, "v5")])
                .await
        ),
        [ApplyOutcome::Applied]
    );
    assert_eq!(
        outcomes(
            sink.apply(&[upsert("customers#1", big_sequence - 2, "v3")])
                .await
        ),
        [ApplyOutcome::Stale]
    );
    assert_eq!(
        outcomes(
            sink.apply(&[upsert("customers#1", big_sequence, "v5")])
                .await
        ),
        [ApplyOutcome::Applied]
    );
    assert_eq!(
        outcomes(sink.apply(&[delete("customers#1", big_sequence - 1)]).await),
        [ApplyOutcome::Stale]
    );
    let item = dynamo
        .get_item()
        .table_name(&table)
        .key("pk", Dynamo::S("customers#1".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("row exists");
    assert_eq!(item["NAME"], Dynamo::S("v5".into()));
    assert_eq!(item["NOTE"], Dynamo::Null(true));
    assert_eq!(item["_seq"], Dynamo::N(big_sequence.to_string()));
    assert_eq!(item["_op"], Dynamo::S("UPDATE".into()));
    assert_eq!(
        outcomes(sink.apply(&[delete("customers#1", big_sequence + 1)]).await),
        [ApplyOutcome::Applied]
    );
    let gone = dynamo
        .get_item()
        .table_name(&table)
        .key("pk", Dynamo::S("customers#1".into()))
        .send()
        .await
        .unwrap();
    assert!(gone.item.is_none(), "DELETE left the row");

    let missing = DynamoSink::new(dynamo, test_support::unique_name("no-such-table"));
    let err = missing
        .apply(&[upsert("customers#2", 1, "x")])
        .await
        .remove(0)
        .unwrap_err();
    assert!(
        err.is_transient(),
        "a missing table must be retried, not dead-lettered: {err}"
    );
    assert!(missing.check().await.is_err());
}

#[tokio::test]
async fn dead_letters_carry_the_original_bytes_and_context() {
    let Some(aws) = test_support::aws_endpoint() else {
        return;
    };
    let shared = common::aws_config(&aws);
    let sqs = aws_sdk_sqs::Client::new(&shared);
    let url = sqs
        .create_queue()
        .queue_name(test_support::unique_name("dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let failed = FailedMessage {
        topic: "qlik.orders".into(),
        partition: 2,
        offset: 41,
        key: Some(b"orders#1".to_vec()),
        payload: vec![0, 159, 146, 150, b'{'],
        error: "parse: not valid JSON".into(),
        retry_count: 0,
    };
    let queue = platform_aws::sqs::DeadLetterQueue::new(sqs.clone(), &url);
    DeadLetters::send(&queue, &failed).await.unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(2)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let message = &received.messages()[0];
    let body: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
    assert_eq!(body["error"], "parse: not valid JSON");
    assert_eq!(body["retryCount"], 0);
    assert_eq!(body["payload"]["topic"], "qlik.orders");
    assert_eq!(body["payload"]["partition"], 2);
    assert_eq!(body["payload"]["offset"], 41);
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body["payload"]["valueBase64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, failed.payload);
    let attributes = message.message_attributes().unwrap();
    assert_eq!(attributes["offset"].string_value(), Some("41"));
    assert_eq!(attributes["topic"].string_value(), Some("qlik.orders"));
    assert_eq!(attributes["source"].string_value(), Some("cdc-consumer"));
}

#[tokio::test]
async fn cdc_events_reach_eventbridge_in_chunks_of_ten() {
    let Some(aws) = test_support::aws_endpoint() else {
        return;
    };
    let shared = common::aws_config(&aws);
    let events = aws_sdk_eventbridge::Client::new(&shared);
    let sqs = aws_sdk_sqs::Client::new(&shared);
    let bus = test_support::unique_name("cdc-bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(test_support::unique_name("cdc-events"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let rule = test_support::unique_name("cdc-rule");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(r#"{"source":["cdc-consumer"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let mut data = serde_json::Map::new();
    data.insert("ID".into(), "7".into());
    let change = DataChange {
        operation: Operation::Insert,
        change_sequence: 99,
        timestamp: Some("2026-11-27T10:00:00.000".into()),
        transaction_id: None,
        data: Some(data),
        before_data: None,
    };
    let batch: Vec<_> = (0..12)
        .map(|i| {
            cdc_event(
                "customers",
                &["id".into()],
                &change,
                format!("t/0/{i}"),
                "us-east-1",
            )
        })
        .collect();
    assert_eq!(batch[0].keys["ID"], "7");
    EventBridgePublisher::new(events, &bus)
        .publish(&batch)
        .await
        .unwrap();

    let mut seen = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while seen.len() < 12 && std::time::Instant::now() < deadline {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in received.messages() {
            let envelope: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(envelope["detail-type"], "CdcInsert");
            seen.insert(envelope["detail"]["eventId"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen.len(), 12, "events delivered: {seen:?}");
}
