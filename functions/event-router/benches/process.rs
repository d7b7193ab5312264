//! Cold start and peak RSS of the `lambda`-profile binary, plus the warm round trip of an event
//! the rules skip (no AWS call: the runtime and decoding overhead only).
//! `cargo build --profile lambda -p event-router && cargo bench -p event-router --bench process`

use platform_contract as contract;
use serde_json::json;
use test_support::lambda_runtime_api::{lambda_profile_binary, measure_process, percentile};

fn main() {
    let Some(binary) = lambda_profile_binary("event-router") else {
        println!("skipped: build target/lambda/event-router first");
        return;
    };
    let env = [
        (contract::STAGE, "bench"),
        (contract::PEER_REGION, "us-west-2"),
        (contract::EVENT_BUS_NAME, "local"),
        (
            contract::PEER_EVENT_BUS_ARN,
            "arn:aws:events:us-west-2:123456789012:event-bus/peer",
        ),
        (
            contract::DLQ_URL,
            "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        ),
        (contract::ROUTING_RULES, "platform.orders=*"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("LOG_LEVEL", "warn"),
    ];
    let skipped =
        json!({"id": "e", "detail-type": "Other", "source": "platform.crm", "detail": {"x": 1}})
            .to_string();
    let mut cold = Vec::new();
    for _ in 0..20 {
        cold.push(
            measure_process(&binary, "event-router", &env, skipped.as_bytes(), 0, 1)
                .unwrap()
                .cold_start,
        );
    }
    cold.sort_unstable();
    let warm =
        measure_process(&binary, "event-router", &env, skipped.as_bytes(), 200, 5000).unwrap();
    println!(
        "event-router: cold start p50 {:.2} ms, max {:.2} ms (20 spawns); skip-path round trip p50 {:.3} ms, p99 {:.3} ms; peak RSS {:.1} MiB; binary {} bytes",
        percentile(&cold, 50.0).as_secs_f64() * 1e3,
        cold.last().unwrap().as_secs_f64() * 1e3,
        warm.round_trip_percentile(50.0).as_secs_f64() * 1e3,
        warm.round_trip_percentile(99.0).as_secs_f64() * 1e3,
        warm.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
        std::fs::metadata(&binary).unwrap().len(),
    );
}
