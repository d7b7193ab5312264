//! Test-only helpers shared by every crate's integration tests.
//!
//! `scripts/test` installs the pinned tools, starts the AWS API emulator (moto) and the
//! Kafka-protocol broker (tansu) on free loopback ports, and exports where they are:
//!
//! | variable | meaning |
//! |---|---|
//! | `TEST_AWS_ENDPOINT` | base URL of the AWS API emulator, e.g. `http://127.0.0.1:41234` |
//! | `TEST_KAFKA_BOOTSTRAP` | `127.0.0.1:PORT` of the shared broker |
//! | `TEST_TOOLS_BIN` | directory of the validator commands (cfn-lint, checkov, ...) |
//! | `TEST_REQUIRE_SERVICES`, `TEST_REQUIRE_TOOLS` | `1`: a missing service or tool fails the test |
//!
//! A plain `cargo test` outside that script has none of them: tests that need a service then
//! print why they did not run and return, so the pure core stays testable anywhere, while the
//! suite proper (which sets the `TEST_REQUIRE_*` flags) can never pass by skipping.
//!
//! One emulator serves every test in parallel, so tests name their resources with
//! [`unique_name`] instead of resetting shared state.

pub mod aws;
pub mod kafka;
pub mod lambda_runtime_api;
pub mod moto;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

fn service(var: &str, require_flag: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var(require_flag).as_deref() == Ok("1") {
                panic!(
                    "{var} is not set but {require_flag}=1: {what} is required (run scripts/test)"
                );
            }
            eprintln!("skipped: {var} is not set ({what}); scripts/test provides it");
            None
        }
    }
}

/// Base URL of the AWS API emulator, or `None` (test skipped) outside the suite.
pub fn aws_endpoint() -> Option<String> {
    service(
        "TEST_AWS_ENDPOINT",
        "TEST_REQUIRE_SERVICES",
        "the AWS API emulator",
    )
}

/// Bootstrap address of the shared Kafka-protocol broker, or `None` outside the suite.
pub fn kafka_bootstrap() -> Option<String> {
    service(
        "TEST_KAFKA_BOOTSTRAP",
        "TEST_REQUIRE_SERVICES",
        "the Kafka broker",
    )
}

/// Path of a validator command installed by `scripts/tools/ensure.sh`, or `None` outside the
/// suite.
pub fn tool(name: &str) -> Option<PathBuf> {
    let dir = service(
        "TEST_TOOLS_BIN",
        "TEST_REQUIRE_TOOLS",
        "the validator tools",
    )?;
    let path = PathBuf::from(dir).join(name);
    if !path.exists() {
        panic!(
            "{} is missing: scripts/tools/ensure.sh should install it",
            path.display()
        );
    }
    Some(path)
}

/// A name unique to this process and call, safe for SQS, DynamoDB, EventBridge and Kafka:
/// `prefix-<pid>-<n>`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
