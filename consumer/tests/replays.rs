//! Order must not matter. Kafka delivers at least once, Qlik re-sends a block of changes after
//! a task restart, and a row's changes may reach different partitions; the sink orders writes by
//! change sequence, so whatever order and however many copies of a source's changes arrive, the
//! table must end in the source's final state, and a row the source deleted last must read as
//! absent.
//!
//! Each case is a random source history (full load, then inserts, updates, deletes and
//! re-inserts, every message in a random JSON or Avro shape), delivered as a random
//! permutation of the history plus re-sent blocks and duplicates. The seeds are fixed, so a
//! failure names its seed and reproduces.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue as Dynamo;
use consumer::corpus;
use consumer::metrics::Metrics;
use consumer::outputs::MemoryDeadLetters;
use consumer::pipeline::{Outputs, PartitionProgress, PartitionWorker, Received};
use consumer::qlik::{ChangeSequence, QlikMessage, parse};
use consumer::sink::{
    ApplyOutcome, BoxFuture, DynamoSink, MemoryItem, MemoryRow, MemorySink, OutputError, Sink,
    is_tombstone,
};
use consumer::transform::{AttributeValue, SinkWrite, WriteKind, to_write};
use platform_contract::TopicTable;
use test_support::aws::Emulator;

/// One change of a source history, as Qlik sends it.
#[derive(Debug, Clone)]
struct Change {
    operation: &'static str,
    /// `None` for full load (REFRESH).
    sequence: Option<ChangeSequence>,
    key: u32,
    name: Option<String>,
    bytes: Vec<u8>,
}

/// A source history and the table it must leave.
struct History {
    changes: Vec<Change>,
    /// pk -> the row as the source has it at the end; rows the source deleted are absent.
    expected: BTreeMap<String, MemoryRow>,
}

/// Limits of a generated history.
#[derive(Clone, Copy)]
struct Size {
    keys: u32,
    changes: usize,
}

fn columns(key: u32, name: Option<&str>) -> Vec<(String, AttributeValue)> {
    vec![
        ("ID".into(), AttributeValue::String(key.to_string())),
        (
            "NAME".into(),
            name.map_or(AttributeValue::Null, |n| AttributeValue::String(n.into())),
        ),
    ]
}

/// The message of one change in a random one of Qlik's shapes: JSON with or without the
/// envelope, Avro, and both DELETE shapes.
fn encode(
    rng: &mut fastrand::Rng,
    operation: &str,
    sequence: Option<ChangeSequence>,
    key: u32,
    name: Option<&str>,
) -> Vec<u8> {
    let id = key.to_string();
    let image: &[(&str, Option<&str>)] = &[("ID", Some(&id)), ("NAME", name)];
    let sequence = sequence.map(|s| format!("{s:035}"));
    let sequence = sequence.as_deref();
    match (operation, rng.u8(0..3)) {
        ("DELETE", 0) => corpus::json_data_message(true, operation, sequence, None, Some(image)),
        ("DELETE", 1) => corpus::json_data_message(false, operation, sequence, Some(image), None),
        ("DELETE", _) => corpus::avro_data_message(operation, sequence, None, Some(image)),
        (_, 0) => corpus::json_data_message(true, operation, sequence, Some(image), Some(image)),
        (_, 1) => corpus::json_data_message(false, operation, sequence, Some(image), None),
        _ => corpus::avro_data_message(operation, sequence, Some(image), None),
    }
}

/// A full load of some of the keys, then CDC changes with increasing sequences: an INSERT of an
/// absent row (a re-insert, if it was deleted), else an UPDATE or a DELETE.
fn history(rng: &mut fastrand::Rng, size: Size, table: &str) -> History {
    let keys = rng.u32(1..=size.keys);
    let mut state: BTreeMap<u32, Option<(ChangeSequence, Option<String>)>> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut push = |rng: &mut fastrand::Rng, operation, sequence, key, name: Option<String>| {
        let bytes = encode(rng, operation, sequence, key, name.as_deref());
        changes.push(Change {
            operation,
            sequence,
            key,
            name,
            bytes,
        });
    };
    for key in 0..keys {
        if rng.u8(0..10) < 7 {
            let name = Some(format!("k{key}-loaded"));
            push(rng, "REFRESH", None, key, name.clone());
            state.insert(key, Some((0, name)));
        }
    }
    // Full sequences, as Qlik's: 35 digits, beyond 64 bits.
    let mut sequence: ChangeSequence = 20261127000000000000000000000000000 + rng.u128(0..1000);
    for version in 0..rng.usize(1..=size.changes) {
        sequence += rng.u128(1..=3);
        let key = rng.u32(0..keys);
        let exists = state.get(&key).is_some_and(Option::is_some);
        let operation = match (exists, rng.u8(0..10)) {
            (false, _) => "INSERT",
            (true, 0..=3) => "DELETE",
            (true, _) => "UPDATE",
        };
        // Some values are null, as source columns can be.
        let name = (version % 4 != 3).then(|| format!("k{key}-v{version}"));
        push(rng, operation, Some(sequence), key, name.clone());
        let after = (operation != "DELETE").then_some((sequence, name));
        state.insert(key, after);
    }
    let expected = state
        .into_iter()
        .filter_map(|(key, row)| {
            let (sequence, name) = row?;
            let row = MemoryRow {
                sequence,
                columns: columns(key, name.as_deref()),
            };
            Some((format!("{table}#{key}"), row))
        })
        .collect();
    History { changes, expected }
}

/// Every change at least once, in a random order, with blocks re-sent (a Qlik task resuming
/// from its last checkpoint) and single duplicates (redelivery after a crash or rebalance).
fn delivery(rng: &mut fastrand::Rng, changes: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..changes).collect();
    for _ in 0..rng.usize(0..=2) {
        let start = rng.usize(0..changes);
        let end = rng.usize(start..=changes);
        order.extend(start..end);
    }
    for _ in 0..rng.usize(0..=changes) {
        order.push(rng.usize(0..changes));
    }
    rng.shuffle(&mut order);
    order
}

fn mapping(table: &str) -> TopicTable {
    TopicTable {
        topic: format!("qlik.{table}"),
        table: table.into(),
        key_columns: vec!["ID".into()],
    }
}

fn worker(sink: Arc<dyn Sink>, table: &str) -> PartitionWorker {
    PartitionWorker {
        topic: format!("qlik.{table}"),
        partition: 0,
        mapping: Arc::new(mapping(table)),
        outputs: Arc::new(Outputs {
            sink,
            dead_letters: Arc::new(MemoryDeadLetters::default()),
            events: None,
            metrics: Metrics::new().expect("metrics"),
            region: common::REGION.into(),
        }),
        progress: Arc::new(PartitionProgress::default()),
        batch_size: 1000,
    }
}

/// Runs `order` through a partition worker in batches of random sizes, so that one batch holds
/// several changes of a row (applied in rounds) as the real pipeline sees them.
async fn deliver(
    rng: &mut fastrand::Rng,
    worker: &PartitionWorker,
    history: &History,
    order: &[usize],
) {
    let messages: Vec<Received> = order
        .iter()
        .enumerate()
        .map(|(offset, index)| Received {
            offset: offset as i64,
            key: None,
            payload: Some(history.changes[*index].bytes.clone()),
            timestamp_ms: None,
            received_at: Instant::now(),
        })
        .collect();
    let mut rest = messages.as_slice();
    while !rest.is_empty() {
        let (batch, tail) = rest.split_at(rng.usize(1..=rest.len().min(8)));
        worker
            .process_batch(batch)
            .await
            .expect("no stop is requested");
        rest = tail;
    }
}

fn describe(history: &History, order: &[usize]) -> String {
    let changes: Vec<String> = history
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let sequence = c.sequence.map_or("-".into(), |s| (s % 100_000).to_string());
            format!(
                "#{i} {} key {} seq ..{sequence} name {:?}",
                c.operation, c.key, c.name
            )
        })
        .collect();
    format!(
        "history:\n  {}\ndelivered (history indices): {order:?}",
        changes.join("\n  ")
    )
}

const SEEDS: std::ops::Range<u64> = 0..2000;
const SIZE: Size = Size {
    keys: 4,
    changes: 14,
};

/// Runs every seed's history through a worker writing to `sink()`; the seed of the first case
/// whose table differs from the source, with what went wrong, or `None`.
async fn first_counterexample<S: Sink + 'static>(
    sink: impl Fn() -> Arc<S>,
    rows: impl Fn(&S) -> HashMap<String, MemoryRow>,
) -> Option<String> {
    for seed in SEEDS {
        let mut rng = fastrand::Rng::with_seed(seed);
        let history = history(&mut rng, SIZE, "customers");
        let order = delivery(&mut rng, history.changes.len());
        let target = sink();
        deliver(
            &mut rng,
            &worker(target.clone(), "customers"),
            &history,
            &order,
        )
        .await;
        let table: BTreeMap<String, MemoryRow> = rows(&*target).into_iter().collect();
        if table != history.expected {
            return Some(format!(
                "seed {seed}: table\n  {table:?}\nexpected\n  {:?}\n{}",
                history.expected,
                describe(&history, &order)
            ));
        }
    }
    None
}

#[tokio::test]
async fn any_order_with_any_duplicates_ends_in_the_source_state() {
    let sink = || Arc::new(MemorySink::new());
    if let Some(failure) = first_counterexample(sink, MemorySink::snapshot).await {
        panic!("{failure}");
    }
}

/// The sink before tombstones: a DELETE removed the item and remembered nothing.
#[derive(Default)]
struct ForgetfulSink(std::sync::Mutex<HashMap<String, MemoryRow>>);

impl Sink for ForgetfulSink {
    fn apply<'a>(
        &'a self,
        writes: &'a [SinkWrite],
    ) -> BoxFuture<'a, Vec<Result<ApplyOutcome, OutputError>>> {
        Box::pin(async move {
            let mut rows = self.0.lock().unwrap();
            writes
                .iter()
                .map(|write| {
                    if rows
                        .get(&write.pk)
                        .is_some_and(|r| r.sequence > write.sequence)
                    {
                        return Ok(ApplyOutcome::Stale);
                    }
                    match &write.kind {
                        WriteKind::Upsert(columns) => {
                            let row = MemoryRow {
                                sequence: write.sequence,
                                columns: columns.clone(),
                            };
                            rows.insert(write.pk.clone(), row);
                        }
                        WriteKind::Delete => drop(rows.remove(&write.pk)),
                    }
                    Ok(ApplyOutcome::Applied)
                })
                .collect()
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), OutputError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The property has teeth: the sink of issue #11 resurrects rows within the seed set.
#[tokio::test]
async fn a_sink_without_tombstones_fails_the_property() {
    let forgetful = first_counterexample(Arc::<ForgetfulSink>::default, |sink| {
        sink.0.lock().unwrap().clone()
    })
    .await;
    let failure =
        forgetful.expect("the seeds never made a sink without tombstones resurrect a row");
    eprintln!(
        "caught, as it should be: {}",
        failure.lines().next().unwrap_or_default()
    );
}

fn item_from_dynamo(item: &HashMap<String, Dynamo>) -> (String, MemoryItem) {
    let pk = item["pk"].as_s().expect("pk").clone();
    let sequence = item["_seq"]
        .as_n()
        .expect("_seq")
        .parse()
        .expect("a sequence");
    if is_tombstone(item) {
        return (pk, MemoryItem::Tombstone { sequence });
    }
    let mut columns: Vec<_> = item
        .iter()
        .filter(|(name, _)| !name.starts_with('_') && name.as_str() != "pk")
        .map(|(name, value)| {
            let value = match value {
                Dynamo::S(s) => AttributeValue::String(s.clone()),
                Dynamo::Null(_) => AttributeValue::Null,
                other => panic!("unexpected attribute {other:?}"),
            };
            (name.clone(), value)
        })
        .collect();
    columns.sort_by(|a, b| a.0.cmp(&b.0));
    (pk, MemoryItem::Row(MemoryRow { sequence, columns }))
}

/// The same property against the emulator's DynamoDB, which evaluates the real condition
/// expressions: every write's outcome must be the model's, and the table must end as the
/// model's items (rows and tombstones) and as the source.
#[tokio::test]
async fn the_emulator_table_agrees_with_the_model_write_for_write() {
    let Some(aws) = test_support::aws_endpoint() else {
        return;
    };
    let emulator = Emulator::connect(&aws, common::REGION).await;
    let (table, _) = emulator.table("replays", false).await;
    let sink = DynamoSink::new(emulator.dynamodb.clone(), &table, Duration::from_secs(3600));
    let mut model = HashMap::new();
    let mut expected = BTreeMap::new();
    let size = Size {
        keys: 3,
        changes: 8,
    };
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let source_table = format!("seed{seed}");
        let history = history(&mut rng, size, &source_table);
        let order = delivery(&mut rng, history.changes.len());
        for (step, index) in order.iter().enumerate() {
            let QlikMessage::Data(change) = parse(&history.changes[*index].bytes).unwrap() else {
                panic!("not a data change");
            };
            let write = to_write(&mapping(&source_table), &change).unwrap();
            let outcome = sink.apply(std::slice::from_ref(&write)).await.remove(0);
            assert_eq!(
                outcome,
                Ok(MemorySink::apply_one(&mut model, &write)),
                "seed {seed}, step {step}: the emulator and the model disagree on {write:?}\n{}",
                describe(&history, &order)
            );
        }
        expected.extend(history.expected);
    }
    let mut items = BTreeMap::new();
    let mut start = None;
    loop {
        let page = emulator
            .dynamodb
            .scan()
            .table_name(&table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        items.extend(page.items().iter().map(item_from_dynamo));
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    let normalised: BTreeMap<String, MemoryItem> = model
        .iter()
        .map(|(pk, item)| {
            let mut item = item.clone();
            if let MemoryItem::Row(row) = &mut item {
                row.columns.sort_by(|a, b| a.0.cmp(&b.0));
            }
            (pk.clone(), item)
        })
        .collect();
    assert_eq!(items, normalised, "the emulator's table is not the model's");
    let rows: BTreeMap<String, MemoryRow> = MemorySink::rows(&model).into_iter().collect();
    assert_eq!(rows, expected, "the model's rows are not the source's");
}
