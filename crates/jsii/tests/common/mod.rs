//! Shared by the kernel tests: where the installed runtime is, or why the test is skipped.
//!
//! The same rule as `test-support`'s tools: outside `scripts/test` a test whose tool is not
//! installed prints why and passes; with `TEST_REQUIRE_TOOLS=1` (set by `scripts/test`) it fails.

#![allow(dead_code)]

use std::time::Duration;

use jsii::{Kernel, KernelConfig, Manifest};

/// The installer's manifest, or `None` (skipped) when `scripts/tools/ensure.sh` has not run.
pub fn manifest() -> Option<Manifest> {
    match Manifest::discover().expect("the jsii manifest is readable") {
        Some(m) => Some(m),
        None if std::env::var("TEST_REQUIRE_TOOLS").as_deref() == Ok("1") => panic!(
            "{} is missing but TEST_REQUIRE_TOOLS=1: scripts/tools/ensure.sh installs it",
            Manifest::default_path().display()
        ),
        None => {
            eprintln!(
                "skipped: no jsii runtime at {} (scripts/tools/ensure.sh installs it)",
                Manifest::default_path().display()
            );
            None
        }
    }
}

/// A kernel of the installed runtime, CDK validation off (it starts a validation engine that
/// costs ~2 s per synth and is not what these tests check).
pub fn kernel() -> Option<Kernel> {
    let config = KernelConfig::from_manifest(manifest()?).with_env("CDK_VALIDATION", "false");
    Some(Kernel::start(config).expect("the kernel starts"))
}

/// Whether process `pid` still exists (as a process or an unreaped zombie).
pub fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits up to `limit` for `cond`.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}
