//! Cold start and peak RSS of the `lambda`-profile binary (an empty batch per invocation: no
//! AWS call). `cargo build --profile lambda -p stream-processor && cargo bench -p stream-processor --bench process`

use platform_contract as contract;
use test_support::lambda_runtime_api::{lambda_profile_binary, measure_process, percentile};

fn main() {
    let Some(binary) = lambda_profile_binary("stream-processor") else {
        println!("skipped: build target/lambda/stream-processor first");
        return;
    };
    let env = [
        (contract::STAGE, "bench"),
        (contract::EVENT_BUS_NAME, "bus"),
        (contract::EVENTS_TABLE_NAME, "events"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("LOG_LEVEL", "warn"),
    ];
    let mut cold = Vec::new();
    let mut rss = 0;
    for _ in 0..20 {
        let m = measure_process(
            &binary,
            "stream-processor",
            &env,
            br#"{"Records":[]}"#,
            0,
            20,
        )
        .unwrap();
        cold.push(m.cold_start);
        rss = rss.max(m.peak_rss_kib.unwrap_or(0));
    }
    cold.sort_unstable();
    println!(
        "stream-processor: cold start p50 {:.2} ms, max {:.2} ms (20 spawns); peak RSS {:.1} MiB; binary {} bytes",
        percentile(&cold, 50.0).as_secs_f64() * 1e3,
        cold.last().unwrap().as_secs_f64() * 1e3,
        rss as f64 / 1024.0,
        std::fs::metadata(&binary).unwrap().len(),
    );
}
