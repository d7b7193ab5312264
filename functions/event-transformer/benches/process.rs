//! event-transformer: the in-process cost of validation + enrichment, then the
//! `lambda`-profile binary's cold start, peak RSS and warm round trip. The round trip of a
//! valid event includes its PutItem and PutEvents calls, so it needs the emulator
//! (`TEST_AWS_ENDPOINT`) and mostly measures the emulator; it is reported separately.
//! `cargo build --profile lambda -p event-transformer && cargo bench -p event-transformer --bench process`

use std::time::{Duration, Instant};

use event_transformer::{Config, Registry, transform};
use platform_contract as contract;
use serde_json::json;
use test_support::lambda_runtime_api::{lambda_profile_binary, measure_process, percentile};

fn main() {
    let event = json!({"version": "0", "id": "e-1", "detail-type": "OrderCreated", "source": "shop", "time": "2026-11-27T09:00:00Z",
        "detail": {"schemaVersion": "2", "orderId": "o-1", "customerId": "c-1", "currency": "USD", "correlationId": "corr",
                   "lines": (0..20).map(|i| json!({"sku": format!("SKU-{i}"), "quantity": 1 + i % 3, "unitPrice": 9.99})).collect::<Vec<_>>()}});
    let registry = Registry::load().unwrap();
    let config = Config {
        stage: "bench".into(),
        region: "us-east-1".into(),
        bus: "b".into(),
        table: "t".into(),
        dlq_url: "d".into(),
    };
    let mut samples = Vec::new();
    for i in 0..21_000 {
        let t = Instant::now();
        let envelope = transform(
            &event,
            &registry,
            &config,
            "2026-11-27T09:00:01.000Z".into(),
        )
        .unwrap();
        let elapsed = t.elapsed();
        std::hint::black_box(envelope);
        if i >= 1000 {
            samples.push(elapsed);
        }
    }
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "event-transformer transform(): p50 {:.1} us, p99 {:.1} us (20 000 runs, 20-line OrderCreated v2)",
        us(percentile(&samples, 50.0)),
        us(percentile(&samples, 99.0))
    );

    let Some(binary) = lambda_profile_binary("event-transformer") else {
        println!("skipped process figures: build target/lambda/event-transformer first");
        return;
    };
    let base = [
        (contract::STAGE, "bench"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("LOG_LEVEL", "warn"),
    ];
    let mut env: Vec<(&str, String)> = base.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let endpoint = std::env::var("TEST_AWS_ENDPOINT").ok();
    if let Some(endpoint) = &endpoint {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (table, bus, dlq) = runtime.block_on(async {
            let aws = test_support::aws::Emulator::connect(endpoint, "us-east-1").await;
            let (table, _) = aws.table("bench-events", false).await;
            let (bus, _) = aws.bus("bench-bus").await;
            let dlq = aws.queue("bench-dlq").await.url;
            (table, bus, dlq)
        });
        env.extend([
            ("AWS_ENDPOINT_URL", endpoint.clone()),
            (contract::EVENTS_TABLE_NAME, table),
            (contract::EVENT_BUS_NAME, bus),
            (contract::DLQ_URL, dlq),
        ]);
    } else {
        env.extend([
            (contract::EVENTS_TABLE_NAME, "t".into()),
            (contract::EVENT_BUS_NAME, "b".into()),
            (contract::DLQ_URL, "d".into()),
        ]);
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let payload = event.to_string();
    let mut cold = Vec::new();
    for _ in 0..20 {
        cold.push(
            measure_process(&binary, "event-transformer", &env, b"{}", 0, 0)
                .unwrap()
                .cold_start,
        );
    }
    cold.sort_unstable();
    print!(
        "event-transformer process: cold start p50 {:.2} ms, max {:.2} ms (20 spawns); binary {} bytes",
        percentile(&cold, 50.0).as_secs_f64() * 1e3,
        cold.last().unwrap().as_secs_f64() * 1e3,
        std::fs::metadata(&binary).unwrap().len()
    );
    if endpoint.is_some() {
        let warm = measure_process(
            &binary,
            "event-transformer",
            &env,
            payload.as_bytes(),
            50,
            1000,
        )
        .unwrap();
        println!(
            "; round trip with emulator calls p50 {:.2} ms, p99 {:.2} ms (1000); peak RSS {:.1} MiB",
            warm.round_trip_percentile(50.0).as_secs_f64() * 1e3,
            warm.round_trip_percentile(99.0).as_secs_f64() * 1e3,
            warm.peak_rss_kib.unwrap_or(0) as f64 / 1024.0
        );
    } else {
        println!("; round trip skipped (no TEST_AWS_ENDPOINT)");
    }
}
