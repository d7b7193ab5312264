//! The Lambda service's part in delivering events, played from what was deployed: a bus
//! rule's shadow queue, the events table's stream through the event source mapping's
//! settings, and the schedule rule.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::aws_api::SignedClient;
use crate::deploy::{RuleTarget, StreamMapping};
use crate::functions::{Function, InvokeError};

/// Whether the region is up; triggers pause while it is down (as the region's Lambda service).
pub type Up = watch::Receiver<bool>;

async fn wait_up(up: &mut Up) {
    while !*up.borrow() {
        if up.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Delivers a pattern rule's shadow-queue messages to its function, as EventBridge delivers
/// to a Lambda target: asynchronously, retried up to the target's `MaximumRetryAttempts`,
/// then sent to the target's dead-letter queue.
pub async fn run_rule(
    sqs: aws_sdk_sqs::Client,
    target: RuleTarget,
    function: Arc<Function>,
    dead_letter_url: Option<String>,
    mut up: Up,
) {
    let Some(queue_url) = target.shadow_queue_url.clone() else {
        return;
    };
    loop {
        wait_up(&mut up).await;
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await;
        let Ok(received) = received else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        if received.messages().is_empty() {
            // moto answers an empty long poll at once.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for message in received.messages() {
            let body = message.body().unwrap_or_default().as_bytes().to_vec();
            let receives: u32 = message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            let done = match function.invoke(body.clone()).await {
                Ok(_) => true,
                Err(error) if receives > target.max_retries => {
                    if let Some(url) = &dead_letter_url {
                        let _ = sqs
                            .send_message()
                            .queue_url(url)
                            .message_body(String::from_utf8_lossy(&body))
                            .message_attributes(
                                "ERROR_MESSAGE",
                                aws_sdk_sqs::types::MessageAttributeValue::builder()
                                    .data_type("String")
                                    .string_value(error.to_string())
                                    .build()
                                    .expect("data type and value are set"),
                            )
                            .send()
                            .await;
                    }
                    true
                }
                Err(_) => false,
            };
            if done && let Some(handle) = message.receipt_handle() {
                let _ = sqs
                    .delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await;
            }
        }
    }
}

/// Parses `rate(N unit)`; cron schedules are not fired locally.
pub fn rate_interval(expression: &str) -> Option<Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count * seconds))
}

/// Fires the schedule rule's function at the rule's rate with a Scheduled Event.
pub async fn run_schedule(
    target: RuleTarget,
    region: String,
    account: String,
    function: Arc<Function>,
    mut up: Up,
) {
    let Some(interval) = target.schedule.as_deref().and_then(rate_interval) else {
        return;
    };
    let rule_arn = format!("arn:aws:events:{region}:{account}:rule/{}", target.rule);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        ticker.tick().await;
        if !*up.borrow_and_update() {
            continue;
        }
        let event = json!({
            "version": "0",
            "id": format!("local-{:016x}", fastrand::u64(..)),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": platform_events::now_rfc3339(),
            "region": region,
            "resources": [rule_arn],
            "detail": {},
        });
        let _ = function.invoke(event.to_string().into_bytes()).await;
    }
}

/// Reads the stream and invokes the function with batches, as the event source mapping does:
/// `BatchSize`, `StartingPosition`, `ReportBatchItemFailures` (retry from the first failed
/// record), `BisectBatchOnFunctionError`, `MaximumRetryAttempts`, then the on-failure
/// destination (a record of the skipped batch, as Lambda sends it).
pub async fn run_stream(
    streams: SignedClient,
    sqs: aws_sdk_sqs::Client,
    mapping: StreamMapping,
    function: Arc<Function>,
    on_failure_url: Option<String>,
    mut up: Up,
) {
    let mut iterators: Vec<(String, Option<String>)> = Vec::new();
    // The last sequence number delivered per shard: a refreshed iterator starts after it, so
    // nothing is delivered twice or skipped when an iterator fails or expires.
    let mut checkpoints: HashMap<String, String> = HashMap::new();
    loop {
        wait_up(&mut up).await;
        if iterators.is_empty() {
            match shard_iterators(&streams, &mapping, &checkpoints).await {
                Ok(found) if !found.is_empty() => iterators = found,
                _ => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        }
        let mut idle = true;
        let mut refresh = false;
        for (shard, iterator) in &mut iterators {
            let Some(current) = iterator.clone() else {
                continue;
            };
            let got = streams
                .json(
                    "dynamodb",
                    "1.0",
                    "DynamoDBStreams_20120810.GetRecords",
                    &json!({"ShardIterator": current, "Limit": mapping.batch_size}),
                )
                .await;
            let Ok(got) = got else {
                refresh = true;
                break;
            };
            *iterator = got["NextShardIterator"].as_str().map(str::to_string);
            let records: Vec<Value> = got["Records"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut r| {
                    r["eventSourceARN"] = json!(mapping.stream_arn);
                    r
                })
                .collect();
            let Some(last) = records.last().map(|r| sequence(r).to_string()) else {
                continue;
            };
            idle = false;
            deliver(
                &sqs,
                &mapping,
                &function,
                on_failure_url.as_deref(),
                shard,
                records,
            )
            .await;
            checkpoints.insert(shard.clone(), last);
        }
        if refresh {
            iterators.clear();
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        if idle {
            // Lambda polls each shard about four times a second.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

async fn shard_iterators(
    streams: &SignedClient,
    mapping: &StreamMapping,
    checkpoints: &HashMap<String, String>,
) -> Result<Vec<(String, Option<String>)>, crate::aws_api::ApiError> {
    let described = streams
        .json(
            "dynamodb",
            "1.0",
            "DynamoDBStreams_20120810.DescribeStream",
            &json!({"StreamArn": mapping.stream_arn}),
        )
        .await?;
    let mut out = Vec::new();
    for shard in described["StreamDescription"]["Shards"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let shard_id = shard["ShardId"].as_str().unwrap_or_default().to_string();
        let mut request = json!({"StreamArn": mapping.stream_arn, "ShardId": shard_id});
        match checkpoints.get(&shard_id) {
            Some(after) => {
                request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                request["SequenceNumber"] = json!(after);
            }
            None => request["ShardIteratorType"] = json!(mapping.starting_position),
        }
        let iterator = streams
            .json(
                "dynamodb",
                "1.0",
                "DynamoDBStreams_20120810.GetShardIterator",
                &request,
            )
            .await?;
        out.push((
            shard_id,
            iterator["ShardIterator"].as_str().map(str::to_string),
        ));
    }
    Ok(out)
}

fn sequence(record: &Value) -> &str {
    record["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap_or_default()
}

/// Delivers one batch until it succeeds or is given up on.
async fn deliver(
    sqs: &aws_sdk_sqs::Client,
    mapping: &StreamMapping,
    function: &Function,
    on_failure_url: Option<&str>,
    shard: &str,
    records: Vec<Value>,
) {
    // Pending batches, first to deliver last in the vector.
    let mut pending = vec![(records, 0i64)];
    while let Some((batch, attempt)) = pending.pop() {
        let payload = json!({"Records": batch}).to_string().into_bytes();
        let failed_from = match function.invoke(payload).await {
            Ok(body) => {
                let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let failures: Vec<&str> = answer["batchItemFailures"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["itemIdentifier"].as_str())
                    .collect();
                if !mapping.report_batch_item_failures || failures.is_empty() {
                    continue;
                }
                // Retry from the lowest failed sequence number.
                batch.iter().position(|r| failures.contains(&sequence(r)))
            }
            Err(InvokeError::Function(_)) | Err(InvokeError::Unavailable(_)) => Some(0),
        };
        let Some(from) = failed_from else { continue };
        let rest: Vec<Value> = batch[from..].to_vec();
        let retries_left = mapping.max_retries < 0 || attempt < mapping.max_retries;
        if retries_left {
            if mapping.bisect_on_error && rest.len() > 1 && from == 0 {
                let half = rest.len() / 2;
                pending.push((rest[half..].to_vec(), attempt + 1));
                pending.push((rest[..half].to_vec(), attempt + 1));
            } else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                pending.push((rest, attempt + 1));
            }
            continue;
        }
        if let Some(url) = on_failure_url {
            let record = json!({
                "requestContext": {
                    "condition": "RetryAttemptsExhausted",
                    "approximateInvokeCount": attempt + 1,
                    "functionArn": function.name,
                },
                "DDBStreamBatchInfo": {
                    "shardId": shard,
                    "startSequenceNumber": sequence(&rest[0]),
                    "endSequenceNumber": sequence(&rest[rest.len() - 1]),
                    "batchSize": rest.len(),
                    "streamArn": mapping.stream_arn,
                },
            });
            let _ = sqs
                .send_message()
                .queue_url(url)
                .message_body(record.to_string())
                .send()
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_and_crons_are_not() {
        assert_eq!(
            rate_interval("rate(1 minute)"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            rate_interval("rate(5 minutes)"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            rate_interval("rate(2 hours)"),
            Some(Duration::from_secs(7200))
        );
        assert_eq!(rate_interval("cron(0 * * * ? *)"), None);
        assert_eq!(rate_interval("rate(x minutes)"), None);
    }
}
