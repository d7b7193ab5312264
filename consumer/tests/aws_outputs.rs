//! The outputs against the real AWS API emulator (moto): conditional writes, dead letters,
//! CDC events.

mod common;

use aws_sdk_dynamodb::types::AttributeValue as Dynamo;
use consumer::outputs::{
    DeadLetters, EventBridgePublisher, EventPublisher, FailedMessage, cdc_event,
};
use consumer::qlik::{DataChange, Operation};
use consumer::sink::{ApplyOutcome, DynamoSink, OutputError, Sink, is_tombstone, supersedes};
use consumer::transform::{AttributeValue, SinkWrite, WriteKind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use test_support::aws::Emulator;

const TOMBSTONE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

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
    let emulator = Emulator::connect(&aws, common::REGION).await;
    let (table, _) = emulator.table("sink-rows", false).await;
    let dynamo = emulator.dynamodb.clone();
    let sink = DynamoSink::new(dynamo.clone(), &table, TOMBSTONE_TTL);
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
    let tombstone = dynamo
        .get_item()
        .table_name(&table)
        .key("pk", Dynamo::S("customers#1".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("DELETE leaves a tombstone");
    assert!(is_tombstone(&tombstone));
    assert_eq!(tombstone["_deleted"], Dynamo::Bool(true));
    assert_eq!(tombstone["_seq"], Dynamo::N((big_sequence + 1).to_string()));
    assert_eq!(tombstone["_op"], Dynamo::S("DELETE".into()));
    let expires: u64 = tombstone["_expires"].as_n().unwrap().parse().unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let ttl = expires.abs_diff((now + TOMBSTONE_TTL).as_secs());
    assert!(ttl <= 60, "expires {expires} is not now + the TTL");
    let mut attributes: Vec<_> = tombstone.keys().map(String::as_str).collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        ["_deleted", "_expires", "_op", "_seq", "_table", "_ts", "pk"],
        "a tombstone keeps none of the row's columns"
    );
    // The row's older change, replayed after its DELETE, does not bring it back.
    assert_eq!(
        outcomes(
            sink.apply(&[upsert("customers#1", big_sequence, "v5")])
                .await
        ),
        [ApplyOutcome::Stale]
    );

    let missing = DynamoSink::new(
        dynamo,
        test_support::unique_name("no-such-table"),
        TOMBSTONE_TTL,
    );
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

/// The condition expressions, as the emulator evaluates them, decide every case as the model's
/// `supersedes` does: nothing stored, a row or a tombstone at 5, and an upsert or a DELETE at
/// 4, 5 and 6; then full load (sequence 0) against a tombstone at 0.
#[tokio::test]
async fn the_conditions_agree_with_the_model_on_every_case() {
    let Some(aws) = test_support::aws_endpoint() else {
        return;
    };
    let emulator = Emulator::connect(&aws, common::REGION).await;
    let (table, _) = emulator.table("sink-cases", false).await;
    let sink = DynamoSink::new(emulator.dynamodb.clone(), &table, TOMBSTONE_TTL);
    let mut cases = Vec::new();
    for stored in [None, Some(false), Some(true)] {
        for sequence in [4, 5, 6] {
            for deleting in [false, true] {
                cases.push((stored.map(|tombstone| (5, tombstone)), sequence, deleting));
            }
        }
    }
    cases.push((Some((0, true)), 0, false));
    for (case, (stored, sequence, deleting)) in cases.into_iter().enumerate() {
        let pk = format!("customers#{case}");
        if let Some((stored_sequence, tombstone)) = stored {
            let first = if tombstone {
                delete(&pk, stored_sequence)
            } else {
                upsert(&pk, stored_sequence, "stored")
            };
            assert_eq!(sink.apply(&[first]).await, [Ok(ApplyOutcome::Applied)]);
        }
        let write = if deleting {
            delete(&pk, sequence)
        } else {
            upsert(&pk, sequence, "written")
        };
        let expected = if supersedes(&write, stored) {
            ApplyOutcome::Applied
        } else {
            ApplyOutcome::Stale
        };
        let outcome = sink.apply(std::slice::from_ref(&write)).await;
        assert_eq!(
            outcome,
            [Ok(expected)],
            "stored {stored:?}, write at {sequence}, deleting {deleting}"
        );
    }
}

#[tokio::test]
async fn dead_letters_carry_the_original_bytes_and_context() {
    let Some(aws) = test_support::aws_endpoint() else {
        return;
    };
    let emulator = Emulator::connect(&aws, common::REGION).await;
    let sqs = emulator.sqs.clone();
    let url = emulator.queue("dlq").await.url;
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
    let emulator = Emulator::connect(&aws, common::REGION).await;
    let (bus, _) = emulator.bus("cdc-bus").await;
    let delivered = emulator.queue_for_source(&bus, "cdc-consumer").await;

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
    EventBridgePublisher::new(emulator.events.clone(), &bus)
        .publish(&batch)
        .await
        .unwrap();

    let mut seen = std::collections::BTreeSet::new();
    for envelope in emulator.receive_json(&delivered.url, 12).await {
        assert_eq!(envelope["detail-type"], "CdcInsert");
        seen.insert(envelope["detail"]["eventId"].as_str().unwrap().to_string());
    }
    assert_eq!(seen.len(), 12, "events delivered: {seen:?}");
}
