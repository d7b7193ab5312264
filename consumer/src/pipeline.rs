//! One partition's work: parse, transform and apply its messages in offset order, dead-letter
//! what can never apply, retry what failed transiently, and only then advance the offset that
//! may be committed. Partitions run concurrently, each in its own task.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use platform_contract::TopicTable;
use platform_events::CdcEvent;
use tokio::sync::{Notify, mpsc};

use crate::metrics::Metrics;
use crate::outputs::{DeadLetters, EventPublisher, FailedMessage, cdc_event};
use crate::qlik::{self, DataChange, QlikMessageRef};
use crate::sink::{ApplyOutcome, OutputError, Sink};
use crate::transform::{self, SinkWrite};

/// A Kafka message handed to a partition worker.
#[derive(Debug, Clone)]
pub struct Received {
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub timestamp_ms: Option<i64>,
    pub received_at: Instant,
}

/// Everything a worker writes to.
pub struct Outputs {
    pub sink: Arc<dyn Sink>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub events: Option<Arc<dyn EventPublisher>>,
    pub metrics: Metrics,
    pub region: String,
}

/// A stop request that wakes sleeping retries at once.
#[derive(Default)]
pub struct Stop {
    flag: AtomicBool,
    notify: Notify,
}

impl Stop {
    pub fn request(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration`; `true` if a stop was requested meanwhile.
    async fn sleep(&self, duration: Duration) -> bool {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.requested() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => self.requested(),
            _ = notified => true,
        }
    }
}

/// What the committer and the lag metrics read from a worker.
pub struct PartitionProgress {
    /// The next offset to consume: every earlier message is applied or dead-lettered.
    /// -1 until the first batch is done.
    pub next_offset: AtomicI64,
    /// Kafka timestamp (ms) of the last message done, for the lag-in-seconds metric.
    pub last_timestamp_ms: AtomicI64,
    pub stop: Stop,
}

impl Default for PartitionProgress {
    fn default() -> Self {
        PartitionProgress {
            next_offset: AtomicI64::new(-1),
            last_timestamp_ms: AtomicI64::new(-1),
            stop: Stop::default(),
        }
    }
}

/// The worker stopped before finishing a batch; the batch's offsets stay uncommitted.
#[derive(Debug, PartialEq, Eq)]
pub struct Stopped;

pub struct PartitionWorker {
    pub topic: String,
    pub partition: i32,
    pub mapping: Arc<TopicTable>,
    pub outputs: Arc<Outputs>,
    pub progress: Arc<PartitionProgress>,
    pub batch_size: usize,
}

const BACKOFF_START: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What became of one message of a batch.
enum Handling {
    Write {
        write: SinkWrite,
        /// Kept only when events are published; otherwise the change moves into the write.
        change: Option<Box<DataChange>>,
    },
    Metadata,
    DeadLetter {
        error: String,
        retry_count: u32,
    },
}

impl PartitionWorker {
    /// Runs until the channel closes (drain) or a stop is requested (revoke, deadline).
    pub async fn run(self, mut inbox: mpsc::Receiver<Received>) {
        let mut batch = Vec::with_capacity(self.batch_size);
        while let Some(first) = inbox.recv().await {
            if self.progress.stop.requested() {
                return;
            }
            batch.clear();
            batch.push(first);
            while batch.len() < self.batch_size {
                match inbox.try_recv() {
                    Ok(message) => batch.push(message),
                    Err(_) => break,
                }
            }
            if self.process_batch(&batch).await.is_err() {
                return;
            }
        }
    }

    /// Applies a batch; on success every message in it is commit-eligible.
    pub async fn process_batch(&self, batch: &[Received]) -> Result<(), Stopped> {
        let mut handlings: Vec<Handling> = batch.iter().map(|m| self.interpret(m)).collect();
        self.apply_writes(&mut handlings).await?;
        self.publish_events(batch, &mut handlings).await?;
        self.dead_letter(batch, &handlings).await?;
        let metrics = &self.outputs.metrics;
        for message in batch {
            metrics
                .processing_duration
                .observe(message.received_at.elapsed().as_secs_f64());
        }
        if let Some(last) = batch.last() {
            self.progress
                .last_timestamp_ms
                .store(last.timestamp_ms.unwrap_or(-1), Ordering::Relaxed);
            self.progress
                .next_offset
                .store(last.offset + 1, Ordering::SeqCst);
        }
        Ok(())
    }

    fn interpret(&self, message: &Received) -> Handling {
        let Some(payload) = message.payload.as_deref() else {
            return Handling::DeadLetter {
                error: "message has no value (a tombstone); Qlik never sends one".into(),
                retry_count: 0,
            };
        };
        match qlik::parse_ref(payload) {
            Ok(QlikMessageRef::Metadata(_)) => Handling::Metadata,
            Ok(QlikMessageRef::Data(change)) => {
                let (result, kept) = if self.outputs.events.is_some() {
                    let change = change.into_owned();
                    (
                        transform::to_write(&self.mapping, &change),
                        Some(Box::new(change)),
                    )
                } else {
                    (transform::into_write(&self.mapping, change), None)
                };
                match result {
                    Ok(write) => Handling::Write {
                        write,
                        change: kept,
                    },
                    Err(e) => Handling::DeadLetter {
                        error: format!("transform: {e}"),
                        retry_count: 0,
                    },
                }
            }
            Err(e) => Handling::DeadLetter {
                error: format!("parse: {e}"),
                retry_count: 0,
            },
        }
    }

    /// Applies the writes in rounds: round k holds the k-th change of each key in the batch,
    /// so changes to one row stay in offset order while distinct rows are written together.
    async fn apply_writes(&self, handlings: &mut [Handling]) -> Result<(), Stopped> {
        let mut round_of_key: HashMap<&str, usize> = HashMap::new();
        let mut rounds: Vec<Vec<usize>> = Vec::new();
        for (index, handling) in handlings.iter().enumerate() {
            if let Handling::Write { write, .. } = handling {
                let round = round_of_key.entry(write.pk.as_str()).or_insert(0);
                if rounds.len() <= *round {
                    rounds.push(Vec::new());
                }
                rounds[*round].push(index);
                *round += 1;
            }
        }
        let mut outcomes: HashMap<usize, Result<ApplyOutcome, (OutputError, u32)>> = HashMap::new();
        for round in rounds {
            let mut pending = round;
            let mut attempt: u32 = 0;
            let mut backoff = BACKOFF_START;
            while !pending.is_empty() {
                let writes: Vec<SinkWrite> = pending
                    .iter()
                    .filter_map(|i| match &handlings[*i] {
                        Handling::Write { write, .. } => Some(write.clone()),
                        _ => None,
                    })
                    .collect();
                let results = self.outputs.sink.apply(&writes).await;
                let mut retry = Vec::new();
                let mut last_error = None;
                for (index, result) in pending.iter().zip(results) {
                    match result {
                        Ok(outcome) => {
                            outcomes.insert(*index, Ok(outcome));
                        }
                        Err(e) if e.is_transient() => {
                            last_error = Some(e);
                            retry.push(*index);
                        }
                        Err(e) => {
                            outcomes.insert(*index, Err((e, attempt)));
                        }
                    }
                }
                pending = retry;
                if let Some(error) = last_error {
                    attempt += 1;
                    self.retry_pause("sink", &error, attempt, &mut backoff)
                        .await?;
                }
            }
        }
        for (index, outcome) in outcomes {
            let Handling::Write { write, .. } = &handlings[index] else {
                continue;
            };
            let operation = write.operation.as_str();
            match outcome {
                Ok(ApplyOutcome::Applied) => {
                    self.outputs
                        .metrics
                        .record_change(&write.table, operation, "applied")
                }
                Ok(ApplyOutcome::Stale) => {
                    self.outputs.metrics.stale_writes.inc();
                    self.outputs
                        .metrics
                        .record_change(&write.table, operation, "stale");
                    // Nothing changed, so there is no event to publish either.
                    handlings[index] = Handling::Metadata;
                }
                Err((error, retry_count)) => {
                    self.outputs
                        .metrics
                        .record_change(&write.table, operation, "dead_lettered");
                    handlings[index] = Handling::DeadLetter {
                        error: format!("apply: {error}"),
                        retry_count,
                    };
                }
            }
        }
        Ok(())
    }

    async fn publish_events(
        &self,
        batch: &[Received],
        handlings: &mut [Handling],
    ) -> Result<(), Stopped> {
        let Some(publisher) = &self.outputs.events else {
            return Ok(());
        };
        let (indices, events): (Vec<usize>, Vec<CdcEvent>) = handlings
            .iter()
            .enumerate()
            .filter_map(|(i, h)| match h {
                Handling::Write {
                    write,
                    change: Some(change),
                } => Some((
                    i,
                    cdc_event(
                        &write.table,
                        &self.mapping.key_columns,
                        change,
                        format!("{}/{}/{}", self.topic, self.partition, batch[i].offset),
                        &self.outputs.region,
                    ),
                )),
                _ => None,
            })
            .unzip();
        if events.is_empty() {
            return Ok(());
        }
        let mut attempt = 0;
        let mut backoff = BACKOFF_START;
        loop {
            match publisher.publish(&events).await {
                Ok(()) => return Ok(()),
                Err(e) if e.is_transient() => {
                    attempt += 1;
                    self.retry_pause("events", &e, attempt, &mut backoff)
                        .await?;
                }
                Err(e) => {
                    // The rows are written; what failed is the event, so the dead letter says so.
                    for index in indices {
                        handlings[index] = Handling::DeadLetter {
                            error: format!("publish event (row applied): {e}"),
                            retry_count: attempt,
                        };
                    }
                    return Ok(());
                }
            }
        }
    }

    async fn dead_letter(&self, batch: &[Received], handlings: &[Handling]) -> Result<(), Stopped> {
        for (message, handling) in batch.iter().zip(handlings) {
            let Handling::DeadLetter { error, retry_count } = handling else {
                continue;
            };
            let failed = FailedMessage {
                topic: self.topic.clone(),
                partition: self.partition,
                offset: message.offset,
                key: message.key.clone(),
                payload: message.payload.clone().unwrap_or_default(),
                error: error.clone(),
                retry_count: *retry_count,
            };
            tracing::warn!(topic = %self.topic, partition = self.partition, offset = message.offset,
                error = %error, "dead-lettering message");
            let mut attempt = 0;
            let mut backoff = BACKOFF_START;
            // Even a permanent refusal is retried: the dead-letter queue is the last place a
            // message can go, and a stuck partition (visible as lag) is better than a lost one.
            while let Err(e) = self.outputs.dead_letters.send(&failed).await {
                attempt += 1;
                self.retry_pause("dlq", &e, attempt, &mut backoff).await?;
            }
            self.outputs.metrics.dlq_messages.inc();
        }
        Ok(())
    }

    async fn retry_pause(
        &self,
        output: &str,
        error: &OutputError,
        attempt: u32,
        backoff: &mut Duration,
    ) -> Result<(), Stopped> {
        self.outputs
            .metrics
            .transient_retries
            .with_label_values(&[output])
            .inc();
        if attempt == 1 || attempt.is_power_of_two() {
            tracing::warn!(topic = %self.topic, partition = self.partition, output, attempt,
                error = %error, "output failed; retrying");
        }
        let jitter = Duration::from_millis(fastrand::u64(0..=backoff.as_millis() as u64 / 2));
        if self.progress.stop.sleep(*backoff + jitter).await {
            return Err(Stopped);
        }
        *backoff = (*backoff * 2).min(BACKOFF_MAX);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::MemoryDeadLetters;
    use crate::sink::{BoxFuture, MemorySink};
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    /// Fails the first `transient_failures` calls, refuses writes to `refused_pk` permanently,
    /// and otherwise behaves like the in-memory sink.
    struct FlakySink {
        inner: MemorySink,
        transient_failures: AtomicUsize,
        refused_pk: Option<String>,
        calls: Mutex<Vec<usize>>,
    }

    impl Sink for FlakySink {
        fn apply<'a>(
            &'a self,
            writes: &'a [SinkWrite],
        ) -> BoxFuture<'a, Vec<Result<ApplyOutcome, OutputError>>> {
            Box::pin(async move {
                self.calls.lock().unwrap().push(writes.len());
                if self
                    .transient_failures
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    return writes
                        .iter()
                        .map(|_| Err(OutputError::Transient("throttled".into())))
                        .collect();
                }
                let mut results = Vec::new();
                for write in writes {
                    if Some(&write.pk) == self.refused_pk.as_ref() {
                        results.push(Err(OutputError::Permanent("ValidationException".into())));
                    } else {
                        results.extend(self.inner.apply(std::slice::from_ref(write)).await);
                    }
                }
                results
            })
        }

        fn check(&self) -> BoxFuture<'_, Result<(), OutputError>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn worker(sink: Arc<FlakySink>, dead_letters: Arc<MemoryDeadLetters>) -> PartitionWorker {
        worker_with_events(sink, dead_letters, None)
    }

    fn worker_with_events(
        sink: Arc<dyn Sink>,
        dead_letters: Arc<MemoryDeadLetters>,
        events: Option<Arc<dyn EventPublisher>>,
    ) -> PartitionWorker {
        PartitionWorker {
            topic: "qlik.customers".into(),
            partition: 0,
            mapping: Arc::new(TopicTable {
                topic: "qlik.customers".into(),
                table: "customers".into(),
                key_columns: vec!["ID".into()],
            }),
            outputs: Arc::new(Outputs {
                sink,
                dead_letters,
                events,
                metrics: Metrics::new().unwrap(),
                region: "us-east-1".into(),
            }),
            progress: Arc::new(PartitionProgress::default()),
            batch_size: 100,
        }
    }

    fn message(offset: i64, payload: Vec<u8>) -> Received {
        Received {
            offset,
            key: None,
            payload: Some(payload),
            timestamp_ms: Some(1),
            received_at: Instant::now(),
        }
    }

    fn change(op: &str, seq: u32, id: &str, name: &str) -> Vec<u8> {
        let cols: &[(&str, Option<&str>)] = &[("ID", Some(id)), ("NAME", Some(name))];
        crate::corpus::json_data_message(true, op, Some(&seq.to_string()), Some(cols), None)
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_same_row_changes_apply_in_order() {
        let sink = Arc::new(FlakySink {
            inner: MemorySink::new(),
            transient_failures: AtomicUsize::new(3),
            refused_pk: None,
            calls: Mutex::new(Vec::new()),
        });
        let dead_letters = Arc::new(MemoryDeadLetters::default());
        let worker = worker(sink.clone(), dead_letters.clone());
        let batch = vec![
            message(10, change("INSERT", 1, "1", "a")),
            message(11, change("INSERT", 2, "2", "b")),
            message(12, change("UPDATE", 3, "1", "c")),
            message(13, b"garbage".to_vec()),
            message(14, change("DELETE", 4, "2", "b")),
        ];
        worker.process_batch(&batch).await.unwrap();
        let rows = sink.inner.snapshot();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows["customers#1"].sequence, 3);
        assert_eq!(worker.progress.next_offset.load(Ordering::SeqCst), 15);
        // Three failed attempts of round one, then round one (keys 1, 2) and round two.
        assert_eq!(*sink.calls.lock().unwrap(), vec![2, 2, 2, 2, 2]);
        let sent = dead_letters.sent.lock().unwrap();
        assert_eq!(sent.len(), 1, "only the garbage is dead-lettered");
        assert_eq!(
            (sent[0].offset, sent[0].payload.as_slice()),
            (13, &b"garbage"[..])
        );
        assert!(sent[0].error.starts_with("parse:"), "{}", sent[0].error);
    }

    #[tokio::test]
    async fn permanent_refusals_are_dead_lettered_with_their_attempts() {
        let sink = Arc::new(FlakySink {
            inner: MemorySink::new(),
            transient_failures: AtomicUsize::new(1),
            refused_pk: Some("customers#9".into()),
            calls: Mutex::new(Vec::new()),
        });
        let dead_letters = Arc::new(MemoryDeadLetters::default());
        let worker = worker(sink.clone(), dead_letters.clone());
        let batch = vec![
            message(0, change("INSERT", 1, "9", "too big")),
            message(1, change("INSERT", 2, "8", "fine")),
        ];
        worker.process_batch(&batch).await.unwrap();
        let sent = dead_letters.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].offset, sent[0].retry_count), (0, 1));
        assert!(sent[0].error.contains("ValidationException"));
        assert!(sink.inner.snapshot().contains_key("customers#8"));
    }

    #[tokio::test]
    async fn a_stop_during_retries_leaves_the_batch_uncommitted() {
        let sink = Arc::new(FlakySink {
            inner: MemorySink::new(),
            transient_failures: AtomicUsize::new(usize::MAX),
            refused_pk: None,
            calls: Mutex::new(Vec::new()),
        });
        let worker = worker(sink, Arc::new(MemoryDeadLetters::default()));
        let progress = worker.progress.clone();
        let stopper = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            progress.stop.request();
        });
        let result = worker
            .process_batch(&[message(5, change("INSERT", 1, "1", "a"))])
            .await;
        stopper.await.unwrap();
        assert_eq!(result, Err(Stopped));
        assert_eq!(worker.progress.next_offset.load(Ordering::SeqCst), -1);
    }

    /// Keeps every event it is given.
    #[derive(Default)]
    struct RecordedEvents(Mutex<Vec<CdcEvent>>);

    impl EventPublisher for RecordedEvents {
        fn publish<'a>(&'a self, events: &'a [CdcEvent]) -> BoxFuture<'a, Result<(), OutputError>> {
            Box::pin(async move {
                self.0.lock().unwrap().extend_from_slice(events);
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_delete_publishes_a_remove_and_the_older_changes_replayed_after_it_publish_nothing() {
        let sink = Arc::new(MemorySink::new());
        let events = Arc::new(RecordedEvents::default());
        let worker = worker_with_events(
            sink.clone(),
            Arc::new(MemoryDeadLetters::default()),
            Some(events.clone()),
        );
        let refresh = crate::corpus::json_data_message(
            false,
            "REFRESH",
            None,
            Some(&[("ID", Some("1")), ("NAME", Some("loaded"))]),
            None,
        );
        let delete = crate::corpus::avro_data_message(
            "DELETE",
            Some("3"),
            None,
            Some(&[("ID", Some("1")), ("NAME", Some("b"))]),
        );
        // The first batch applies every change in order; the second is a task restart
        // re-sending them, the third a late duplicate of the middle one.
        let history = [
            refresh,
            change("INSERT", 1, "1", "a"),
            change("UPDATE", 2, "1", "b"),
            delete,
        ];
        let batches: [&[usize]; 3] = [&[0, 1, 2, 3], &[0, 1, 2, 3], &[2]];
        let mut offset = 0;
        for batch in batches {
            let messages: Vec<_> = batch
                .iter()
                .map(|i| {
                    offset += 1;
                    message(offset, history[*i].clone())
                })
                .collect();
            worker.process_batch(&messages).await.unwrap();
        }
        assert!(sink.snapshot().is_empty(), "{:?}", sink.items());
        let published = events.0.lock().unwrap();
        let operations: Vec<_> = published.iter().map(|e| e.operation).collect();
        use platform_events::CdcOperation::{Insert, Modify, Remove};
        // Only the first pass applied anything, and then the replayed DELETE (same sequence,
        // a harmless rewrite): never a replayed row.
        assert_eq!(operations, [Insert, Insert, Modify, Remove, Remove]);
        let remove = &published[3];
        assert_eq!(
            (remove.after.as_ref(), remove.sequence.as_str()),
            (None, "3")
        );
        assert_eq!(remove.before.as_ref().unwrap()["NAME"], "b");
    }
}
