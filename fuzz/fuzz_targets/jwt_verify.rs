//! Any bytes as a bearer token through the authorizer's full verification (header peek, key
//! lookup by kid, signature and claims): a denial is fine, a panic or an Allow is a bug.
#![no_main]

use std::sync::OnceLock;

use authorizer::{Config, KeyStore, verify};
use libfuzzer_sys::fuzz_target;
use platform_aws::AwsError;
use platform_aws::secrets::SecretSource;

struct FixedSecret;

impl SecretSource for FixedSecret {
    async fn fetch(&self, _secret_id: &str) -> Result<String, AwsError> {
        Ok(r#"{"kid": "hs-1", "secret": "an-hs256-fuzz-secret-of-at-least-32-bytes"}"#.into())
    }
}

struct State {
    runtime: tokio::runtime::Runtime,
    keys: KeyStore<FixedSecret>,
    config: Config,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        runtime: tokio::runtime::Builder::new_current_thread().build().unwrap(),
        keys: KeyStore::new(
            Some(include_str!("../../functions/authorizer/tests/keys/jwks.json")),
            None,
            FixedSecret,
            "secret".into(),
        )
        .unwrap(),
        config: Config {
            stage: "fuzz".into(),
            issuer: "https://issuer".into(),
            audience: "api".into(),
            leeway_seconds: 30,
            secret_arn: "secret".into(),
            jwks_json: None,
            jwks_url: None,
            policy_resource: None,
        },
    })
}

fuzz_target!(|bytes: &[u8]| {
    let token = String::from_utf8_lossy(bytes);
    let s = state();
    let outcome = s.runtime.block_on(verify(&token, &s.keys, &s.config));
    // Random bytes cannot carry a valid signature from the test keys.
    assert!(outcome.is_err(), "fuzz input was accepted");
});
