//! Verification latency per algorithm, through the authorizer's own `verify` (header peek,
//! key lookup, signature, claims). Prints p50/p99/max. `cargo bench -p authorizer --bench verify`

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use authorizer::{Config, KeyStore, verify};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use platform_aws::AwsError;
use platform_aws::secrets::SecretSource;
use serde_json::json;
use test_support::lambda_runtime_api::percentile;

const SECRET: &str = "an-hs256-bench-secret-of-at-least-32-bytes";
const ITERATIONS: usize = 20_000;

struct FixedSecret;

impl SecretSource for FixedSecret {
    async fn fetch(&self, _secret_id: &str) -> Result<String, AwsError> {
        Ok(json!({"kid": "hs-1", "secret": SECRET}).to_string())
    }
}

fn key(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let jwks = String::from_utf8(key("jwks.json")).unwrap();
    let keys = KeyStore::new(Some(&jwks), None, FixedSecret, "s".into()).unwrap();
    let config = Config {
        stage: "bench".into(),
        issuer: "https://issuer".into(),
        audience: "api".into(),
        leeway_seconds: 30,
        secret_arn: "s".into(),
        jwks_json: None,
        jwks_url: None,
        policy_resource: None,
    };
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims =
        json!({"sub": "user-1", "iss": "https://issuer", "aud": "api", "exp": exp, "scope": "a b"});
    for (alg, kid, signing) in [
        (
            Algorithm::RS256,
            "rsa-1",
            EncodingKey::from_rsa_der(&key("rsa_private.der")),
        ),
        (
            Algorithm::ES256,
            "ec-1",
            EncodingKey::from_ec_der(&key("ec_private.der")),
        ),
        (
            Algorithm::HS256,
            "hs-1",
            EncodingKey::from_secret(SECRET.as_bytes()),
        ),
    ] {
        let header = Header {
            kid: Some(kid.into()),
            ..Header::new(alg)
        };
        let token = encode(&header, &claims, &signing).unwrap();
        let mut samples: Vec<Duration> = Vec::with_capacity(ITERATIONS);
        for i in 0..ITERATIONS + 1000 {
            let started = Instant::now();
            let outcome = runtime.block_on(verify(&token, &keys, &config));
            let elapsed = started.elapsed();
            assert!(outcome.is_ok(), "{alg:?}: {outcome:?}");
            if i >= 1000 {
                samples.push(elapsed);
            }
        }
        samples.sort_unstable();
        println!(
            "verify {alg:?}: p50 {:.1} us, p99 {:.1} us, max {:.1} us ({ITERATIONS} runs)",
            percentile(&samples, 50.0).as_secs_f64() * 1e6,
            percentile(&samples, 99.0).as_secs_f64() * 1e6,
            samples.last().unwrap().as_secs_f64() * 1e6,
        );
    }
}
