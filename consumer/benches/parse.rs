//! The pure core without I/O: bytes -> parsed change -> sink write, per message shape.
//! Run: cargo bench -p consumer --bench parse

use consumer::corpus;
use consumer::qlik::{QlikMessage, parse};
use consumer::transform::into_write;
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

fn parse_and_transform(c: &mut Criterion) {
    let mapping = TopicTable {
        topic: "qlik.orders".into(),
        table: "orders".into(),
        key_columns: vec!["order_id".into()],
    };
    let mut group = c.benchmark_group("parse_and_transform");
    for shape in [
        "json_envelope_update",
        "json_bare_insert",
        "avro_envelope_update",
    ] {
        let messages = samples(shape);
        group.throughput(Throughput::Elements(messages.len() as u64));
        group.bench_function(shape, |b| {
            b.iter_batched(
                || (),
                |()| {
                    for bytes in &messages {
                        let Ok(QlikMessage::Data(change)) = parse(black_box(bytes)) else {
                            panic!("sample did not parse");
                        };
                        black_box(into_write(&mapping, change).expect("transform"));
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_transform);
criterion_main!(benches);
