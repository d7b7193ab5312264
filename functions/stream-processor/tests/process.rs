//! stream-processor as a process behind the local Lambda Runtime API, fed a real DynamoDB
//! Streams batch read from the emulator; the CDC events reach the bus and are delivered by a
//! rule to an SQS queue, where they are read back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use platform_contract as contract;
use platform_events::{CdcEvent, CdcOperation};
use serde_json::{Value, json};
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

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    stream: bool,
) -> Option<String> {
    let mut request = client
        .create_table()
        .table_name(name)
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
        .billing_mode(BillingMode::PayPerRequest);
    if stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        );
    }
    request
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap()
        .latest_stream_arn
}

async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    expected: usize,
    waits: usize,
) -> Vec<Value> {
    let mut bodies = Vec::new();
    for _ in 0..waits {
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
                .filter_map(|m| m.body)
                .map(|b| serde_json::from_str(&b).unwrap()),
        );
        if bodies.len() >= expected {
            break;
        }
    }
    bodies
}

#[tokio::test]
async fn a_real_stream_batch_becomes_cdc_events_on_the_bus_exactly_once() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let cfg = platform_aws::config::for_emulator(&endpoint, REGION).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&cfg);
    let events = aws_sdk_eventbridge::Client::new(&cfg);
    let sqs = aws_sdk_sqs::Client::new(&cfg);

    let table = unique_name("orders");
    let stream_arn = create_table(&dynamo, &table, true)
        .await
        .expect("stream enabled");
    let idempotency = unique_name("processed");
    create_table(&dynamo, &idempotency, false).await;
    let bus = unique_name("cdc-bus");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let url = sqs
        .create_queue()
        .queue_name(unique_name("cdc"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let rule = unique_name("cdc-rule");
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(&bus)
        .event_pattern(json!({"source": ["platform.stream-processor"]}).to_string())
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

    let delivered = receive(&sqs, &url, 3, 20).await;
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
        receive(&sqs, &url, 1, 2).await.is_empty(),
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
    assert_eq!(receive(&sqs, &url, 1, 10).await.len(), 1);
}
