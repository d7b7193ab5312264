//! `local-platform redrive`: the operator's dead-letter re-drive, against AWS or the local
//! platform alike (the standard SDK chain; `AWS_ENDPOINT_URL` points it at an emulator).
//!
//! One region's three dead-letter queues, as infra-gen names them:
//!
//! - `events-dlq`: the event-router's dead letters (events it could not put on the peer bus:
//!   circuit open or retries spent) are sent on to the peer bus exactly as the router would
//!   have sent them ([`event_router::cross_region_entry`]: the `CrossRegionEvent` wrapper,
//!   source `platform.event-router`, the original id, detail-type and detail, compressed above
//!   the spec's threshold). Sending the bare original instead would look like a new event to the
//!   peer, whose own router would route it back. Each message is deleted only after
//!   EventBridge accepted its event, so none is lost; if the delete fails, the next run sends
//!   it again and the peer sees the id twice (consumers dedupe by id). The transformer's dead
//!   letters (invalid events, fixed at the producer) and EventBridge's undelivered events (the
//!   raw event and the rule and target that failed) are left in the queue, counted by kind.
//! - `stream-failures`: pointers to DynamoDB stream records the stream-processor gave up on
//!   (shard and sequence range, readable from the stream for 24 hours). Counted, not moved:
//!   replaying a shard range is a different job.
//! - `cdc-dlq`: the consumer's poison messages (unparseable, or refused by the table as
//!   invalid) with their topic, partition and offset; sending them again fails the same way.
//!   Counted, not moved.
//!
//! Messages left in place are made visible again at the end of the run. The run reports what
//! it did; [`RedriveReport::all_clear`] says whether any dead letter is still waiting.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use event_router::IncomingEvent;
use platform_aws::eventbridge::{Publisher, PutEventsApi};
use platform_aws::retry::RetryPolicy;
use platform_events::DeadLetter;

/// The most messages one run reads from the events DLQ (a bound, not a batch size).
pub const DEFAULT_MAX_MESSAGES: u32 = 100_000;
/// How long a received message stays hidden, so one run never sees it twice.
const HIDE_SECONDS: i32 = 300;

/// `local-platform redrive` options.
#[derive(Debug, Clone, clap::Args)]
pub struct RedriveArgs {
    /// The environment (`dev`, `prod`, ...): names the queues and the buses.
    #[arg(long)]
    pub env: String,
    /// The region whose dead letters are re-driven (the peer is the environment's other one).
    #[arg(long)]
    pub region: String,
    /// The spec directory the environment was synthesised from.
    #[arg(long, default_value = "environments")]
    pub specs: PathBuf,
    /// Read at most this many messages from the events DLQ in this run.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGES)]
    pub max_messages: u32,
}

/// Why the re-drive could not run (as opposed to messages it left in place).
#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("{0}")]
    Spec(String),
    #[error("{operation} on {queue}: {message}")]
    Queue {
        operation: &'static str,
        queue: String,
        message: String,
    },
}

/// What one events-DLQ message is, and so what the re-drive does with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Letter {
    /// The router's: the event it could not put on the peer bus. Re-driven.
    Router(Box<serde_json::Value>),
    /// The transformer's: an invalid event. Left: fix the producer.
    Invalid,
    /// EventBridge's: a rule could not deliver the event to its target. Left.
    Undelivered { rule: String, target: String },
    /// Anything else (unreadable, another program's). Left.
    Unknown(String),
}

impl Letter {
    /// How the report counts a letter left in the queue.
    pub fn kind(&self) -> String {
        match self {
            Letter::Router(_) => "router dead letter".into(),
            Letter::Invalid => "invalid event (event-transformer: fix the producer)".into(),
            Letter::Undelivered { rule, target } => {
                format!("undelivered by EventBridge (rule {rule}, target {target})")
            }
            Letter::Unknown(why) => format!("not re-drivable: {why}"),
        }
    }
}

/// Classifies a message from its body and message attributes. EventBridge marks what it
/// could not deliver with `RULE_ARN` and `TARGET_ARN`; the platform's programs send a
/// [`DeadLetter`] naming themselves in `source`.
pub fn classify(body: &str, attributes: &BTreeMap<String, String>) -> Letter {
    if let (Some(rule), Some(target)) = (attributes.get("RULE_ARN"), attributes.get("TARGET_ARN")) {
        return Letter::Undelivered {
            rule: rule.clone(),
            target: target.clone(),
        };
    }
    let letter: DeadLetter = match platform_events::decode(body.as_bytes()) {
        Ok(letter) => letter,
        Err(e) => return Letter::Unknown(format!("not a platform dead letter ({e})")),
    };
    match letter.source.as_str() {
        "event-router" => match serde_json::from_value::<IncomingEvent>(letter.payload.clone()) {
            Ok(_) => Letter::Router(Box::new(letter.payload)),
            Err(e) => Letter::Unknown(format!(
                "an event-router dead letter whose payload is not an EventBridge event ({e})"
            )),
        },
        "event-transformer" => Letter::Invalid,
        other => Letter::Unknown(format!("a dead letter from `{other}`")),
    }
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    pub attributes: BTreeMap<String, String>,
    pub receipt: String,
}

/// The queue operations the re-drive needs (an SQS queue; small enough to fake).
pub trait DeadLetterSource: Send + Sync {
    /// Up to 10 messages, hidden from other receivers for a while; empty when none is visible.
    fn receive(&self) -> impl Future<Output = Result<Vec<Received>, RedriveError>> + Send;
    fn delete(&self, receipt: &str) -> impl Future<Output = Result<(), RedriveError>> + Send;
    /// Makes a received message visible again.
    fn release(&self, receipt: &str) -> impl Future<Output = Result<(), RedriveError>> + Send;
}

/// An SQS queue.
pub struct SqsQueue {
    pub client: aws_sdk_sqs::Client,
    pub name: String,
    pub url: String,
}

impl SqsQueue {
    /// The queue named `name`, looked up in the client's region.
    pub async fn named(client: aws_sdk_sqs::Client, name: &str) -> Result<Self, RedriveError> {
        let url = client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| queue_error("GetQueueUrl", name, e))?
            .queue_url
            .unwrap_or_default();
        Ok(Self {
            client,
            name: name.to_string(),
            url,
        })
    }

    /// Messages waiting: visible, and received but not yet deleted.
    pub async fn depth(&self) -> Result<u64, RedriveError> {
        let attributes = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| queue_error("GetQueueAttributes", &self.name, e))?
            .attributes
            .unwrap_or_default();
        Ok([
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .filter_map(|name| attributes.get(name)?.parse::<u64>().ok())
        .sum())
    }
}

fn queue_error<E>(
    operation: &'static str,
    queue: &str,
    error: aws_sdk_sqs::error::SdkError<E>,
) -> RedriveError
where
    E: std::error::Error + 'static,
{
    RedriveError::Queue {
        operation,
        queue: queue.to_string(),
        message: aws_sdk_sqs::error::DisplayErrorContext(error).to_string(),
    }
}

impl DeadLetterSource for SqsQueue {
    async fn receive(&self) -> Result<Vec<Received>, RedriveError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .visibility_timeout(HIDE_SECONDS)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| queue_error("ReceiveMessage", &self.name, e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| Received {
                attributes: m
                    .message_attributes
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v.string_value?)))
                    .collect(),
                body: m.body.unwrap_or_default(),
                receipt: m.receipt_handle.unwrap_or_default(),
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), RedriveError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| queue_error("DeleteMessage", &self.name, e))?;
        Ok(())
    }

    async fn release(&self, receipt: &str) -> Result<(), RedriveError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| queue_error("ChangeMessageVisibility", &self.name, e))?;
        Ok(())
    }
}

/// What happened to the events DLQ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventsOutcome {
    /// Ids of the events put on the peer bus (and deleted from the queue), in order.
    pub redriven: Vec<String>,
    /// Ids put on the peer bus whose message could not be deleted: the next run sends them
    /// again.
    pub not_deleted: Vec<String>,
    /// Messages left in the queue, by kind (and, for failed puts, the error).
    pub left: BTreeMap<String, u64>,
}

/// Re-drives the router's dead letters from `queue` to the peer bus through `publisher`, as
/// `router` would have sent them; reads at most `max_messages`.
pub async fn redrive_events<Q, P>(
    queue: &Q,
    publisher: &Publisher<P>,
    router: &event_router::Config,
    max_messages: u32,
) -> Result<EventsOutcome, RedriveError>
where
    Q: DeadLetterSource,
    P: PutEventsApi,
{
    let mut outcome = EventsOutcome::default();
    let mut to_release = Vec::new();
    let mut read = 0u32;
    let count =
        |left: &mut BTreeMap<String, u64>, kind: String| *left.entry(kind).or_insert(0) += 1;
    while read < max_messages {
        let batch = queue.receive().await?;
        if batch.is_empty() {
            break;
        }
        read += batch.len() as u32;
        let mut entries = Vec::new();
        let mut sent = Vec::new();
        for message in batch {
            let letter = classify(&message.body, &message.attributes);
            let Letter::Router(payload) = &letter else {
                count(&mut outcome.left, letter.kind());
                to_release.push(message.receipt);
                continue;
            };
            let built = serde_json::from_value::<IncomingEvent>((**payload).clone())
                .map_err(|e| e.to_string())
                .and_then(|event| {
                    event_router::cross_region_entry(&event, router)
                        .map(|(entry, _compressed)| (event.id, entry))
                        .map_err(|e| e.to_string())
                });
            match built {
                Ok((id, entry)) => {
                    entries.push(entry);
                    sent.push((id, message.receipt));
                }
                Err(e) => {
                    count(
                        &mut outcome.left,
                        format!("router dead letter not re-encodable: {e}"),
                    );
                    to_release.push(message.receipt);
                }
            }
        }
        let report = publisher.publish(&entries).await;
        let mut published: Vec<usize> = report.published.iter().map(|(i, _)| *i).collect();
        published.sort_unstable();
        for index in published {
            let (id, receipt) = &sent[index];
            match queue.delete(receipt).await {
                Ok(()) => outcome.redriven.push(id.clone()),
                Err(_) => outcome.not_deleted.push(id.clone()),
            }
        }
        for failed in report.failed {
            count(
                &mut outcome.left,
                format!("router dead letter, put failed: {}", failed.error),
            );
            to_release.push(sent[failed.index].1.clone());
        }
    }
    for receipt in to_release {
        queue.release(&receipt).await?;
    }
    Ok(outcome)
}

/// A queue whose dead letters this command counts but does not move.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub queue: String,
    pub waiting: u64,
    /// What its messages are and what to do with them.
    pub why: &'static str,
}

const STREAM_FAILURES_WHY: &str = "pointers to DynamoDB stream records the stream-processor gave up on \
     (shard and sequence range; the stream keeps records 24 hours): not re-driven; read them with \
     `aws sqs receive-message` and fix the cause";
const CDC_WHY: &str = "the consumer's poison messages (unparseable, or refused by the table) with \
     their topic, partition and offset: not re-driven, they would fail the same way; fix the \
     producer or the consumer and replay from the source";

/// Everything one run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RedriveReport {
    pub region: String,
    pub peer_region: String,
    pub events_queue: String,
    pub peer_bus: String,
    pub events: EventsOutcome,
    pub counted: Vec<Counted>,
}

impl RedriveReport {
    /// No dead letter waits in any of the region's queues, and every re-driven message was
    /// deleted.
    pub fn all_clear(&self) -> bool {
        self.events.left.is_empty()
            && self.events.not_deleted.is_empty()
            && self.counted.iter().all(|c| c.waiting == 0)
    }
}

impl fmt::Display for RedriveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let left: u64 = self.events.left.values().sum();
        writeln!(
            f,
            "{} ({}): re-drove {} router dead letter(s) to {} in {}; left {left} message(s) in the queue",
            self.events_queue,
            self.region,
            self.events.redriven.len(),
            self.peer_bus,
            self.peer_region
        )?;
        for (kind, n) in &self.events.left {
            writeln!(f, "  left x{n}: {kind}")?;
        }
        if !self.events.not_deleted.is_empty() {
            writeln!(
                f,
                "  {} event(s) put on the peer bus but not deleted (the next run sends them again): {}",
                self.events.not_deleted.len(),
                self.events.not_deleted.join(", ")
            )?;
        }
        for counted in &self.counted {
            writeln!(
                f,
                "{}: {} waiting: {}",
                counted.queue, counted.waiting, counted.why
            )?;
        }
        Ok(())
    }
}

/// Runs the re-drive for one environment and region, with clients from the standard SDK
/// chain (credentials, `AWS_ENDPOINT_URL`).
pub async fn run(args: &RedriveArgs) -> Result<RedriveReport, RedriveError> {
    let environments =
        infra_gen::spec::load_dir(&args.specs).map_err(|e| RedriveError::Spec(e.to_string()))?;
    let regional = environments
        .iter()
        .find(|e| e.name == args.env)
        .ok_or_else(|| {
            RedriveError::Spec(format!(
                "no environment `{}` in {}",
                args.env,
                args.specs.display()
            ))
        })?
        .regions
        .iter()
        .find(|r| r.region == args.region)
        .ok_or_else(|| {
            RedriveError::Spec(format!(
                "environment `{}` does not deploy to {}",
                args.env, args.region
            ))
        })?;
    let names = infra_gen::platform::Names::new(regional);
    let peer = regional.peer_region.clone();
    let local = platform_aws::config::from_env_for_region(&args.region).await;
    let remote = platform_aws::config::from_env_for_region(&peer).await;
    let sqs = aws_sdk_sqs::Client::new(&local);
    let events_queue = SqsQueue::named(sqs.clone(), &names.scoped("events-dlq")).await?;
    let router = event_router::Config {
        stage: args.env.clone(),
        region: args.region.clone(),
        peer_region: peer.clone(),
        local_bus: names.bus(),
        // By name: the client is in the peer region, where the bus has the same name.
        peer_bus_arn: names.bus(),
        dlq_url: events_queue.url.clone(),
        compression_threshold: regional.spec.router.compression_threshold_bytes as usize,
        circuit: Default::default(),
        rules: Default::default(),
    };
    let publisher = Publisher::new(
        aws_sdk_eventbridge::Client::new(&remote),
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        },
    );
    let events = redrive_events(&events_queue, &publisher, &router, args.max_messages).await?;
    let mut counted = Vec::new();
    for (suffix, why) in [
        ("stream-failures", STREAM_FAILURES_WHY),
        (names.cdc_dlq(), CDC_WHY),
    ] {
        let queue = SqsQueue::named(sqs.clone(), &names.scoped(suffix)).await?;
        counted.push(Counted {
            waiting: queue.depth().await?,
            queue: queue.name,
            why,
        });
    }
    Ok(RedriveReport {
        region: args.region.clone(),
        peer_region: peer,
        events_queue: events_queue.name,
        peer_bus: names.bus(),
        events,
        counted,
    })
}

/// `local-platform redrive`: runs the re-drive and prints its report; an error (exit 1) when
/// dead letters still wait.
pub async fn command(args: &RedriveArgs) -> anyhow::Result<()> {
    let report = run(args).await?;
    print!("{report}");
    if !report.all_clear() {
        anyhow::bail!("dead letters still wait in {} (see above)", args.region);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dead_letter(source: &str, payload: serde_json::Value) -> String {
        serde_json::to_string(&DeadLetter::new(source, "peer circuit open", 0, payload)).unwrap()
    }

    fn event() -> serde_json::Value {
        json!({"version": "0", "id": "e1", "source": "platform.orders", "detail-type": "route.request",
               "time": "2026-11-30T18:00:00Z", "region": "us-west-2", "detail": {"orderId": "1"}})
    }

    #[test]
    fn each_kind_of_dead_letter_is_told_apart() {
        let none = BTreeMap::new();
        assert!(matches!(
            classify(&dead_letter("event-router", event()), &none),
            Letter::Router(p) if p["id"] == "e1"
        ));
        assert_eq!(
            classify(&dead_letter("event-transformer", json!("bad")), &none),
            Letter::Invalid
        );
        let unreadable = classify(&dead_letter("event-router", json!("not an event")), &none);
        assert!(
            matches!(&unreadable, Letter::Unknown(why) if why.contains("not an EventBridge event"))
        );
        assert!(matches!(classify("{", &none), Letter::Unknown(_)));
        assert!(matches!(
            classify(&dead_letter("cdc-consumer", json!({})), &none),
            Letter::Unknown(why) if why.contains("cdc-consumer")
        ));
        let bridge: BTreeMap<String, String> = [
            ("RULE_ARN".to_string(), "arn:rule".to_string()),
            ("TARGET_ARN".to_string(), "arn:target".to_string()),
        ]
        .into();
        assert_eq!(
            classify(&event().to_string(), &bridge),
            Letter::Undelivered {
                rule: "arn:rule".into(),
                target: "arn:target".into()
            }
        );
    }

    #[test]
    fn the_report_is_clear_only_when_nothing_waits() {
        let mut report = RedriveReport {
            region: "us-west-2".into(),
            peer_region: "us-east-1".into(),
            events_queue: "q".into(),
            peer_bus: "b".into(),
            events: EventsOutcome {
                redriven: vec!["e1".into()],
                ..Default::default()
            },
            counted: vec![Counted {
                queue: "infra-gen-dev-cdc-dlq".into(),
                waiting: 0,
                why: CDC_WHY,
            }],
        };
        assert!(report.all_clear());
        assert!(
            report
                .to_string()
                .contains("re-drove 1 router dead letter(s) to b in us-east-1; left 0")
        );
        report.counted[0].waiting = 2;
        assert!(!report.all_clear());
        report.counted[0].waiting = 0;
        report.events.left.insert(Letter::Invalid.kind(), 1);
        assert!(!report.all_clear());
        assert!(report.to_string().contains("left x1: invalid event"));
    }
}
