//! The `lambda`-profile binary as a process behind the local Runtime API: cold start (spawn to
//! first /next), warm round trip for an RS256 token, peak RSS. Needs
//! `cargo build --profile lambda -p authorizer` first. `cargo bench -p authorizer --bench process`

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use platform_contract as contract;
use serde_json::json;
use test_support::lambda_runtime_api::{lambda_profile_binary, measure_process, percentile};

fn main() {
    let Some(binary) = lambda_profile_binary("authorizer") else {
        println!(
            "skipped: build target/lambda/authorizer first (cargo build --profile lambda -p authorizer)"
        );
        return;
    };
    let dir = env!("CARGO_MANIFEST_DIR");
    let jwks = std::fs::read_to_string(format!("{dir}/tests/keys/jwks.json")).unwrap();
    let env = [
        (contract::STAGE, "bench"),
        (contract::JWT_ISSUER, "https://issuer"),
        (contract::JWT_AUDIENCE, "api"),
        (
            contract::JWT_SECRET_ARN,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:unused",
        ),
        (contract::JWKS_JSON, jwks.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("LOG_LEVEL", "warn"),
    ];
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let key = EncodingKey::from_rsa_der(
        &std::fs::read(format!("{dir}/tests/keys/rsa_private.der")).unwrap(),
    );
    let token = encode(
        &Header {
            kid: Some("rsa-1".into()),
            ..Header::new(Algorithm::RS256)
        },
        &json!({"sub": "u", "iss": "https://issuer", "aud": "api", "exp": exp}),
        &key,
    )
    .unwrap();
    let payload = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": "arn:aws:execute-api:us-east-1:1:a/p/GET/x"}).to_string();

    let mut cold = Vec::new();
    for _ in 0..20 {
        let m = measure_process(&binary, "authorizer", &env, payload.as_bytes(), 0, 1).unwrap();
        cold.push(m.cold_start);
    }
    cold.sort_unstable();
    let warm = measure_process(&binary, "authorizer", &env, payload.as_bytes(), 200, 5000).unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "authorizer: cold start p50 {:.2} ms, max {:.2} ms (20 spawns); warm round trip p50 {:.3} ms, p99 {:.3} ms (5000); peak RSS {:.1} MiB; binary {} bytes",
        ms(percentile(&cold, 50.0)),
        ms(*cold.last().unwrap()),
        ms(warm.round_trip_percentile(50.0)),
        ms(warm.round_trip_percentile(99.0)),
        warm.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
        std::fs::metadata(&binary).unwrap().len(),
    );
}
