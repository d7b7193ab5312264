//! The cost of each kind of conditional write on the emulator's DynamoDB, one request at a
//! time, so that the tombstone path (issue #11) can be compared with the writes around it and
//! with the `DeleteItem` a DELETE used to be. The emulator serialises requests, so these are
//! its per-request latencies, not DynamoDB's; what they show is whether a kind costs more than
//! another on the same server.
//!
//! Run: TEST_AWS_ENDPOINT=http://127.0.0.1:5056 cargo bench -p consumer --bench sink

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue as Dynamo;
use consumer::qlik::Operation;
use consumer::sink::{ApplyOutcome, DynamoSink, Sink};
use consumer::transform::{AttributeValue, SinkWrite, WriteKind};
use test_support::aws::Emulator;

const ROWS: usize = 300;
const ROUNDS: usize = 3;

fn write(pk: &str, sequence: u128, kind: WriteKind) -> SinkWrite {
    let operation = match kind {
        WriteKind::Delete => Operation::Delete,
        WriteKind::Upsert(_) => Operation::Update,
    };
    SinkWrite {
        table: "orders".into(),
        pk: pk.into(),
        sequence,
        operation,
        timestamp: Some("2026-11-27T10:00:00.000".into()),
        kind,
    }
}

/// The row of the parse benchmark: seven columns, one null.
fn row(i: usize) -> WriteKind {
    let text = |s: &str| AttributeValue::String(s.into());
    WriteKind::Upsert(vec![
        ("ORDER_ID".into(), text(&i.to_string())),
        ("CUSTOMER_ID".into(), text(&(i % 97).to_string())),
        ("STATUS".into(), text("SHIPPED")),
        ("AMOUNT".into(), text("129.95")),
        ("CURRENCY".into(), text("EUR")),
        ("CREATED_AT".into(), text("2026-11-27T10:00:00.000")),
        ("NOTE".into(), AttributeValue::Null),
    ])
}

/// One kind of write: its name and the latencies measured.
struct Kind {
    name: &'static str,
    latencies: Vec<Duration>,
}

impl Kind {
    fn report(&mut self) {
        self.latencies.sort_unstable();
        let at = |q: f64| self.latencies[((self.latencies.len() - 1) as f64 * q) as usize];
        let total: Duration = self.latencies.iter().sum();
        println!(
            "{:<48} n={:<5} p50 {:>6.2} ms  p99 {:>6.2} ms  mean {:>6.2} ms",
            self.name,
            self.latencies.len(),
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3 / self.latencies.len() as f64,
        );
    }
}

async fn timed(sink: &DynamoSink, kind: &mut Kind, write: SinkWrite, expected: ApplyOutcome) {
    let start = Instant::now();
    let outcome = sink.apply(std::slice::from_ref(&write)).await.remove(0);
    kind.latencies.push(start.elapsed());
    assert_eq!(outcome, Ok(expected), "{}: {write:?}", kind.name);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(aws) = std::env::var("TEST_AWS_ENDPOINT") else {
        eprintln!("TEST_AWS_ENDPOINT is not set; nothing to measure");
        return;
    };
    let emulator = Emulator::connect(&aws, "us-east-1").await;
    let (table, _) = emulator.table("bench-sink", false).await;
    let client = emulator.dynamodb.clone();
    let sink = DynamoSink::new(client.clone(), &table, Duration::from_secs(14 * 24 * 3600));
    let mut kinds: Vec<Kind> = [
        "upsert, new row",
        "upsert over an older row",
        "DELETE: tombstone PutItem over a row",
        "older upsert refused by the tombstone (stale)",
        "re-insert over an older tombstone",
        "before #11: conditional DeleteItem of a row",
    ]
    .into_iter()
    .map(|name| Kind {
        name,
        latencies: Vec::with_capacity(ROWS * ROUNDS),
    })
    .collect();
    for round in 0..ROUNDS {
        for i in 0..ROWS {
            let pk = format!("orders#{round}-{i}");
            use ApplyOutcome::{Applied, Stale};
            timed(&sink, &mut kinds[0], write(&pk, 10, row(i)), Applied).await;
            timed(&sink, &mut kinds[1], write(&pk, 11, row(i)), Applied).await;
            timed(
                &sink,
                &mut kinds[2],
                write(&pk, 12, WriteKind::Delete),
                Applied,
            )
            .await;
            timed(&sink, &mut kinds[3], write(&pk, 11, row(i)), Stale).await;
            timed(&sink, &mut kinds[4], write(&pk, 13, row(i)), Applied).await;
            // The previous DELETE path, over the row just re-inserted.
            let start = Instant::now();
            client
                .delete_item()
                .table_name(&table)
                .key("pk", Dynamo::S(pk))
                .condition_expression("attribute_not_exists(#pk) OR #seq <= :seq")
                .expression_attribute_names("#pk", "pk")
                .expression_attribute_names("#seq", "_seq")
                .expression_attribute_values(":seq", Dynamo::N("14".into()))
                .send()
                .await
                .expect("DeleteItem");
            kinds[5].latencies.push(start.elapsed());
        }
    }
    println!("{ROWS} rows x {ROUNDS} rounds on {aws}, one request at a time:");
    for kind in &mut kinds {
        kind.report();
    }
}
