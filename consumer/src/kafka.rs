//! The consumer group: fetches on a dedicated thread, hands each partition's messages to its
//! own worker task, commits only offsets whose messages (and every earlier one) are done, and
//! commits synchronously on partition revoke and on shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use platform_contract::TopicTable;
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::pipeline::{Outputs, PartitionProgress, PartitionWorker, Received};

/// Messages buffered per partition between the fetch thread and its worker.
const PARTITION_QUEUE: usize = 2000;
const COMMIT_INTERVAL: Duration = Duration::from_millis(500);
/// How long a revoke waits for a partition's in-flight batch before giving the partition up.
const REVOKE_WAIT: Duration = Duration::from_secs(10);
/// Shutdown budget: drain queued messages for this long, then stop in-flight retries.
const DRAIN_WAIT: Duration = Duration::from_secs(15);
const STOP_WAIT: Duration = Duration::from_secs(5);
/// How long closing the Kafka client may take once the final offsets are committed.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("creating the Kafka consumer: {0}")]
    Create(rdkafka::error::KafkaError),
    #[error("subscribing to {topics:?}: {source}")]
    Subscribe {
        topics: Vec<String>,
        source: rdkafka::error::KafkaError,
    },
}

/// What the probes read.
#[derive(Default)]
pub struct ConsumerState {
    pub assigned_partitions: AtomicUsize,
    pub sink_reachable: AtomicBool,
}

pub struct Settings {
    pub bootstrap_servers: String,
    pub group_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<TopicTable>,
    pub batch_size: usize,
    pub fetch_wait_max_ms: u32,
}

struct PartitionHandle {
    inbox: Option<mpsc::Sender<Received>>,
    progress: Arc<PartitionProgress>,
    task: JoinHandle<()>,
    last_commit_sent: i64,
}

type Partitions = HashMap<(String, i32), PartitionHandle>;

struct Context {
    partitions: Mutex<Partitions>,
    runtime: Handle,
    outputs: Arc<Outputs>,
    state: Arc<ConsumerState>,
}

impl Context {
    fn partitions(&self) -> MutexGuard<'_, Partitions> {
        // A panic while holding the lock cannot leave the map inconsistent (every mutation
        // is a single insert or remove), so a poisoned lock is still usable.
        self.partitions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the workers of `keys` (in-flight batches finish or give up within `wait`) and
    /// returns what they completed.
    fn stop_and_collect(&self, keys: &[(String, i32)], wait: Duration) -> TopicPartitionList {
        let handles: Vec<((String, i32), PartitionHandle)> = {
            let mut partitions = self.partitions();
            keys.iter()
                .filter_map(|k| partitions.remove(k).map(|h| (k.clone(), h)))
                .collect()
        };
        for (_, handle) in &handles {
            handle.progress.stop.request();
        }
        let mut done = TopicPartitionList::new();
        let deadline = Instant::now() + wait;
        for ((topic, partition), handle) in handles {
            drop(handle.inbox);
            let remaining = deadline.saturating_duration_since(Instant::now());
            let task = handle.task;
            if self
                .runtime
                // The timer must be created inside the runtime, hence the async block.
                .block_on(async move { tokio::time::timeout(remaining, task).await })
                .is_err()
            {
                tracing::warn!(%topic, partition, "worker did not stop in time; its batch will be redelivered");
            }
            let next = handle.progress.next_offset.load(Ordering::SeqCst);
            if next >= 0 {
                let _ = done.add_partition_offset(&topic, partition, Offset::Offset(next));
            }
        }
        done
    }
}

impl ClientContext for Context {
    fn stats(&self, statistics: Statistics) {
        let metrics = &self.outputs.metrics;
        let partitions = self.partitions();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        for (topic, topic_stats) in &statistics.topics {
            for (partition, p) in &topic_stats.partitions {
                if *partition < 0 || p.hi_offset < 0 {
                    continue;
                }
                let Some(handle) = partitions.get(&(topic.clone(), *partition)) else {
                    continue;
                };
                let next = handle.progress.next_offset.load(Ordering::Relaxed);
                let position = if next >= 0 {
                    next
                } else {
                    p.committed_offset.max(0)
                };
                let lag = (p.hi_offset - position).max(0);
                let labels = [topic.as_str(), &partition.to_string()];
                metrics.lag_messages.with_label_values(&labels).set(lag);
                let last = handle.progress.last_timestamp_ms.load(Ordering::Relaxed);
                let seconds = if lag > 0 && last > 0 {
                    (now_ms - last).max(0) / 1000
                } else {
                    0
                };
                metrics.lag_seconds.with_label_values(&labels).set(seconds);
            }
        }
    }
}

impl ConsumerContext for Context {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(revoked) = rebalance {
            let keys: Vec<(String, i32)> = revoked
                .elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition()))
                .collect();
            let done = self.stop_and_collect(&keys, REVOKE_WAIT);
            tracing::info!(
                revoked = keys.len(),
                committing = done.count(),
                "partitions revoked"
            );
            if done.count() > 0
                && let Err(e) = consumer.commit(&done, CommitMode::Sync)
            {
                tracing::warn!(error = %e, "commit on revoke failed; the next owner re-applies (idempotent)");
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let assigned = consumer.assignment().map(|a| a.count()).unwrap_or(0);
        self.state
            .assigned_partitions
            .store(assigned, Ordering::SeqCst);
        let metrics = &self.outputs.metrics;
        metrics.assigned_partitions.reset();
        if let Ok(assignment) = consumer.assignment() {
            for element in assignment.elements() {
                metrics
                    .assigned_partitions
                    .with_label_values(&[element.topic()])
                    .inc();
            }
        }
        if let Rebalance::Error(e) = rebalance {
            tracing::warn!(error = %e, "rebalance error");
        } else {
            tracing::info!(assigned, "partitions assigned");
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        if let Err(e) = result {
            tracing::warn!(error = %e, "offset commit failed; a later commit covers it");
        }
    }
}

/// Runs the consumer on the calling thread (not a runtime thread: it blocks) until `shutdown`
/// is set, then drains, commits and leaves the group.
pub fn run(
    settings: Settings,
    outputs: Arc<Outputs>,
    state: Arc<ConsumerState>,
    runtime: Handle,
    shutdown: Arc<AtomicBool>,
) -> Result<(), KafkaError> {
    let context = Context {
        partitions: Mutex::new(HashMap::new()),
        runtime: runtime.clone(),
        outputs: outputs.clone(),
        state,
    };
    let mut client_config = ClientConfig::new();
    if let Some(instance) = &settings.group_instance_id {
        client_config.set("group.instance.id", instance);
    }
    let consumer: BaseConsumer<Context> = client_config
        .set("bootstrap.servers", &settings.bootstrap_servers)
        .set("group.id", &settings.group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "1000")
        .set("statistics.interval.ms", "2000")
        .set("reconnect.backoff.max.ms", "2000")
        .set("fetch.wait.max.ms", settings.fetch_wait_max_ms.to_string())
        // Workers buffer PARTITION_QUEUE messages each; librdkafka's default 64 MB prefetch on
        // top of that would dominate the pod's memory for no throughput gain.
        .set("queued.max.messages.kbytes", "8192")
        .create_with_context(context)
        .map_err(KafkaError::Create)?;
    let topics: Vec<&str> = settings.topics.iter().map(|t| t.topic.as_str()).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| KafkaError::Subscribe {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            source,
        })?;
    let mappings: HashMap<String, Arc<TopicTable>> = settings
        .topics
        .iter()
        .map(|t| (t.topic.clone(), Arc::new(t.clone())))
        .collect();
    tracing::info!(group = %settings.group_id, ?topics, "consumer started");

    let mut last_commit = Instant::now();
    while !shutdown.load(Ordering::SeqCst) {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let topic = message.topic().to_string();
                let partition = message.partition();
                outputs
                    .metrics
                    .messages_consumed
                    .with_label_values(&[&topic])
                    .inc();
                let received = Received {
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().map(<[u8]>::to_vec),
                    timestamp_ms: message.timestamp().to_millis(),
                    received_at: Instant::now(),
                };
                drop(message);
                let Some(mapping) = mappings.get(&topic) else {
                    continue;
                };
                let inbox = inbox_for(
                    &consumer,
                    &runtime,
                    &outputs,
                    mapping,
                    &topic,
                    partition,
                    settings.batch_size,
                );
                if !hand_over(&runtime, inbox, received, &shutdown) {
                    break;
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "kafka error; librdkafka reconnects by itself")
            }
            None => {}
        }
        if last_commit.elapsed() >= COMMIT_INTERVAL {
            commit_progress(&consumer);
            last_commit = Instant::now();
        }
    }

    tracing::info!("shutting down: draining partition workers");
    let keys: Vec<(String, i32)> = {
        let mut partitions = consumer.context().partitions();
        for handle in partitions.values_mut() {
            handle.inbox = None;
        }
        partitions.keys().cloned().collect()
    };
    let drained = runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + DRAIN_WAIT;
        loop {
            let finished = consumer
                .context()
                .partitions()
                .values()
                .all(|h| h.task.is_finished());
            if finished || tokio::time::Instant::now() >= deadline {
                return finished;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    if !drained {
        tracing::warn!("drain deadline reached; stopping in-flight retries");
    }
    let done = consumer.context().stop_and_collect(&keys, STOP_WAIT);
    if done.count() > 0 {
        match consumer.commit(&done, CommitMode::Sync) {
            Ok(()) => tracing::info!(partitions = done.count(), "final offsets committed"),
            Err(e) => {
                tracing::warn!(error = %e, "final commit failed; uncommitted messages are re-applied (idempotent)")
            }
        }
    }
    consumer.unsubscribe();
    close_within(consumer, CLOSE_WAIT);
    Ok(())
}

/// Dropping the client closes it (leaves the group, joins librdkafka's threads), which waits on
/// the broker; a broker that has stopped answering can hold that for a session timeout, past
/// the pod's grace period. The final offsets are committed before this, so the close gets a
/// bounded wait and the process exits either way.
fn close_within(consumer: BaseConsumer<Context>, wait: Duration) {
    let (closed, done) = std::sync::mpsc::channel();
    let closing = std::thread::Builder::new()
        .name("kafka-close".into())
        .spawn(move || {
            drop(consumer);
            let _ = closed.send(());
        });
    if closing.is_ok() && done.recv_timeout(wait).is_err() {
        tracing::warn!(
            ?wait,
            "the Kafka client did not close in time; exiting with the offsets already committed"
        );
    }
}

fn inbox_for(
    consumer: &BaseConsumer<Context>,
    runtime: &Handle,
    outputs: &Arc<Outputs>,
    mapping: &Arc<TopicTable>,
    topic: &str,
    partition: i32,
    batch_size: usize,
) -> mpsc::Sender<Received> {
    let mut partitions = consumer.context().partitions();
    let handle = partitions
        .entry((topic.to_string(), partition))
        .or_insert_with(|| {
            let (sender, receiver) = mpsc::channel(PARTITION_QUEUE);
            let progress = Arc::new(PartitionProgress::default());
            let worker = PartitionWorker {
                topic: topic.to_string(),
                partition,
                mapping: mapping.clone(),
                outputs: outputs.clone(),
                progress: progress.clone(),
                batch_size,
            };
            PartitionHandle {
                inbox: Some(sender),
                progress,
                task: runtime.spawn(worker.run(receiver)),
                last_commit_sent: -1,
            }
        });
    match &handle.inbox {
        Some(sender) => sender.clone(),
        // Only during shutdown, when no more messages are handed over.
        None => mpsc::channel(1).0,
    }
}

/// Blocks until the worker has room (backpressure on fetching); `false` on shutdown.
fn hand_over(
    runtime: &Handle,
    inbox: mpsc::Sender<Received>,
    message: Received,
    shutdown: &AtomicBool,
) -> bool {
    // Fast path: the queue has room, no need to enter the runtime.
    let message = match inbox.try_send(message) {
        Ok(()) => return true,
        Err(mpsc::error::TrySendError::Full(message)) => message,
        Err(mpsc::error::TrySendError::Closed(_)) => {
            tracing::error!("partition worker has stopped; message left uncommitted");
            return true;
        }
    };
    runtime.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_millis(200), inbox.reserve()).await {
                Ok(Ok(permit)) => {
                    permit.send(message);
                    return true;
                }
                // The worker is gone (it panicked): nothing past its progress is committed, so
                // the message is redelivered to the partition's next owner.
                Ok(Err(_)) => {
                    tracing::error!("partition worker has stopped; message left uncommitted");
                    return true;
                }
                Err(_) if shutdown.load(Ordering::SeqCst) => return false,
                Err(_) => {}
            }
        }
    })
}

/// Commits, asynchronously, every partition's progress that was not sent yet.
fn commit_progress(consumer: &BaseConsumer<Context>) {
    let mut list = TopicPartitionList::new();
    {
        let mut partitions = consumer.context().partitions();
        for ((topic, partition), handle) in partitions.iter_mut() {
            let next = handle.progress.next_offset.load(Ordering::SeqCst);
            if next > handle.last_commit_sent {
                let _ = list.add_partition_offset(topic, *partition, Offset::Offset(next));
                handle.last_commit_sent = next;
            }
        }
    }
    if list.count() > 0
        && let Err(e) = consumer.commit(&list, CommitMode::Async)
    {
        tracing::warn!(error = %e, "offset commit failed; a later commit covers it");
    }
}
