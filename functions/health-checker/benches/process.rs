//! Cold start and peak RSS at start-up of the `lambda`-profile binary (no invocation: every
//! health check calls AWS). `cargo build --profile lambda -p health-checker && cargo bench -p health-checker --bench process`

use platform_contract as contract;
use test_support::lambda_runtime_api::{lambda_profile_binary, measure_process, percentile};

fn main() {
    let Some(binary) = lambda_profile_binary("health-checker") else {
        println!("skipped: build target/lambda/health-checker first");
        return;
    };
    let env = [
        (contract::STAGE, "bench"),
        (contract::PEER_REGION, "us-west-2"),
        (contract::EVENTS_TABLE_NAME, "events"),
        (contract::EVENT_BUS_NAME, "bus"),
        (
            contract::HEALTH_DLQ_URLS,
            "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        ),
        (contract::DLQ_DEPTH_THRESHOLD, "10"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("LOG_LEVEL", "warn"),
    ];
    let mut cold = Vec::new();
    let mut rss = 0;
    for _ in 0..20 {
        let m = measure_process(&binary, "health-checker", &env, b"{}", 0, 0).unwrap();
        cold.push(m.cold_start);
        rss = rss.max(m.peak_rss_kib.unwrap_or(0));
    }
    cold.sort_unstable();
    println!(
        "health-checker: cold start p50 {:.2} ms, max {:.2} ms (20 spawns); RSS after start-up {:.1} MiB; binary {} bytes",
        percentile(&cold, 50.0).as_secs_f64() * 1e3,
        cold.last().unwrap().as_secs_f64() * 1e3,
        rss as f64 / 1024.0,
        std::fs::metadata(&binary).unwrap().len(),
    );
}
