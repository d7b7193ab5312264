//! The pure core without I/O: bytes -> parsed change -> sink write, per message shape, as the
//! partition worker runs it: borrowing from the message when no event is published
//! (`parse_and_transform`), and with the owned change an event needs
//! (`parse_and_transform_with_events`).
//! Run: cargo bench -p consumer --bench parse

use consumer::corpus;
use consumer::qlik::{QlikMessageRef, parse_ref};
use consumer::transform::{into_write, to_write};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use platform_contract::TopicTable;
use std::hint::black_box;

fn row(i: usize) -> Vec<(String, Option<String>)> {
    vec![
        ("ORDER_ID".into(), Some(i.to_string())),
        ("CUSTOMER_ID".into(), Some((i % 97).to_string())),
        ("STATUS".into(), Some("SHIPPED".into())),
        ("AMOUNT".into(), Some("129.95".into())),
        ("CURRENCY".into(), Some("EUR".into())),
        ("CREATED_AT".into(), Some("2026-11-27T10:00:00.000".into())),
        ("NOTE".into(), None),
    ]
}

fn samples(shape: &str) -> Vec<Vec<u8>> {
    (0..1024)
        .map(|i| {
            let owned = row(i);
            let cols: Vec<(&str, Option<&str>)> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref()))
                .collect();
            let seq = format!(
                "{:035}",
                20261127000000000000000000000000000u128 + i as u128
            );
            match shape {
                "json_envelope_update" => {
                    corpus::json_data_message(true, "UPDATE", Some(&seq), Some(&cols), Some(&cols))
                }
                "json_bare_insert" => {
                    corpus::json_data_message(false, "INSERT", Some(&seq), Some(&cols), None)
                }
                _ => corpus::avro_data_message("UPDATE", Some(&seq), Some(&cols), None),
            }
        })
        .collect()
}

const SHAPES: [&str; 3] = [
    "json_envelope_update",
    "json_bare_insert",
    "avro_envelope_update",
];

/// Runs `apply` on 1024 messages of each shape; throughput is messages per second.
fn bench_shapes(c: &mut Criterion, group: &str, apply: impl Fn(&TopicTable, &[u8])) {
    let mapping = TopicTable {
        topic: "qlik.orders".into(),
        table: "orders".into(),
        key_columns: vec!["order_id".into()],
    };
    let mut group = c.benchmark_group(group);
    for shape in SHAPES {
        let messages = samples(shape);
        group.throughput(Throughput::Elements(messages.len() as u64));
        group.bench_function(shape, |b| {
            b.iter_batched(
                || (),
                |()| {
                    for bytes in &messages {
                        apply(&mapping, black_box(bytes));
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn parse_and_transform(c: &mut Criterion) {
    bench_shapes(c, "parse_and_transform", |mapping, bytes| {
        let Ok(QlikMessageRef::Data(change)) = parse_ref(bytes) else {
            panic!("sample did not parse");
        };
        black_box(into_write(mapping, change).expect("transform"));
    });
    bench_shapes(c, "parse_and_transform_with_events", |mapping, bytes| {
        let Ok(QlikMessageRef::Data(change)) = parse_ref(bytes) else {
            panic!("sample did not parse");
        };
        let change = change.into_owned();
        black_box(to_write(mapping, &change).expect("transform"));
        black_box(change);
    });
}

criterion_group!(benches, parse_and_transform);
criterion_main!(benches);
