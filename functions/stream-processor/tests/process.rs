//! stream-processor as a process behind the local Lambda Runtime API, fed a real DynamoDB
//! Streams batch read from the emulator; the CDC events reach the bus and are delivered by a
//! rule to an SQS queue, where they are read back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use platform_contract as contract;
use platform_events::{CdcEvent, CdcOperation};
use serde_json::{Value, json};
use test_support::aws::Emulator;
use test_support::lambda_runtime_api::{RuntimeApi, emulator_aws_env};
use test_support::unique_name;

const REGION: &str = "us-east-1";

/// One DynamoDB Streams API call over plain HTTP: the emulator's JSON is exactly the record
/// format Lambda delivers, so the batch is the real wire data, not a hand-written fixture.
fn streams_call(endpoint: &str, action: &str, body: &Value) -> Value {
    let host = endpoint.trim_start_matches("http://");
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDBStreams_20120810.{action}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(host).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, payload) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{action}: {response}"
    );
    serde_json::from_str(payload).unwrap_or_else(|e| panic!("{action}: {e}: {payload}"))
}

#[tokio::test]
async fn a_real_stream_batch_becomes_cdc_events_on_the_bus_exactly_once() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let aws = Emulator::connect(&endpoint, REGION).await;
    let dynamo = &aws.dynamodb;
    let (table, stream_arn) = aws.table("orders", true).await;
    let stream_arn = stream_arn.expect("stream enabled");
    let (idempotency, _) = aws.table("processed", false).await;
    let (bus, _) = aws.bus("cdc-bus").await;
    let url = aws
        .queue_for_source(&bus, "platform.stream-processor")
        .await
        .url;

    let s = |v: &str| AttributeValue::S(v.to_string());
    dynamo
        .put_item()
        .table_name(&table)
        .item("pk", s("o-1"))
        .item("status", s("NEW"))
        .item("total", AttributeValue::N("10".into()))
        .send()
        .await
        .unwrap();
    dynamo
        .put_item()
        .table_name(&table)
        .item("pk", s("o-1"))
        .item("status", s("PAID"))
        .item("total", AttributeValue::N("10".into()))
        .send()
        .await
        .unwrap();
    dynamo
        .delete_item()
        .table_name(&table)
        .key("pk", s("o-1"))
        .send()
        .await
        .unwrap();

    let description = streams_call(
        &endpoint,
        "DescribeStream",
        &json!({"StreamArn": stream_arn}),
    );
    let shard = description["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_string();
    let iterator = streams_call(
        &endpoint,
        "GetShardIterator",
        &json!({"StreamArn": stream_arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    );
    let mut batch = streams_call(
        &endpoint,
        "GetRecords",
        &json!({"ShardIterator": iterator["ShardIterator"]}),
    );
    for record in batch["Records"].as_array_mut().unwrap() {
        record["eventSourceARN"] = json!(stream_arn);
    }
    assert_eq!(batch["Records"].as_array().unwrap().len(), 3);

    let api = RuntimeApi::start().unwrap();
    let mut env = emulator_aws_env(&endpoint, REGION);
    env.extend([
        (contract::STAGE, "test".to_string()),
        (contract::EVENT_BUS_NAME, bus.clone()),
        (contract::EVENTS_TABLE_NAME, table.clone()),
        (contract::IDEMPOTENCY_TABLE_NAME, idempotency.clone()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _function = api
        .spawn(
            env!("CARGO_BIN_EXE_stream-processor").as_ref(),
            "stream-processor",
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
    assert_eq!(invoke(&batch), json!({"batchItemFailures": []}));

    let delivered = aws.receive_json(&url, 3).await;
    assert_eq!(delivered.len(), 3);
    let mut cdc: Vec<CdcEvent> = delivered
        .iter()
        .map(|m| serde_json::from_value(m["detail"].clone()).unwrap())
        .collect();
    cdc.sort_by(|a, b| a.sequence.cmp(&b.sequence));
    assert_eq!(
        cdc.iter().map(|e| e.operation).collect::<Vec<_>>(),
        [
            CdcOperation::Insert,
            CdcOperation::Modify,
            CdcOperation::Remove
        ]
    );
    assert!(
        cdc.iter()
            .all(|e| e.table == table && e.keys == *json!({"pk": "o-1"}).as_object().unwrap())
    );
    assert_eq!(
        cdc[1].before,
        Some(json!({"pk": "o-1", "status": "NEW", "total": 10}))
    );
    assert_eq!(
        cdc[1].after,
        Some(json!({"pk": "o-1", "status": "PAID", "total": 10}))
    );
    assert!(cdc[2].after.is_none() && !cdc[2].ttl_expired);
    let detail_types: Vec<&str> = delivered
        .iter()
        .map(|m| m["detail-type"].as_str().unwrap())
        .collect();
    assert!(detail_types.contains(&"CdcModify"));

    // The same batch again (a Lambda retry): nothing is published twice.
    assert_eq!(invoke(&batch), json!({"batchItemFailures": []}));
    assert!(
        aws.receive_polling(&url, 1, 2).await.is_empty(),
        "a retried batch published duplicates"
    );

    // A record that cannot be converted is reported alone; the others still go out.
    let mut broken = batch.clone();
    let records = broken["Records"].as_array_mut().unwrap();
    records[1]["eventID"] = json!(unique_name("fresh"));
    records[1]["dynamodb"]["NewImage"]["total"] = json!({"N": "NaN-ish"});
    let failing_sequence = records[1]["dynamodb"]["SequenceNumber"].clone();
    records[2]["eventID"] = json!(unique_name("fresh"));
    let answer = invoke(&broken);
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": failing_sequence}]})
    );
    assert_eq!(aws.receive_polling(&url, 1, 10).await.len(), 1);
}
