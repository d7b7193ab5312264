//! The example app's synth time, end to end, in Rust (kernel start, aws-cdk-lib load, the app's
//! calls, synth) against the same app in plain JavaScript in one Node process (`app.js`: node
//! start, `require('aws-cdk-lib')`, the app, synth). With CDK validation off (the host's own
//! cost) and on (aws-cdk-lib's default: both pay for its validation engine).
//!
//! `cargo bench -p cdk-app --bench synth`; skipped when the installer has not run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use jsii::{KernelConfig, Manifest};

fn app_js() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("app.js")
}

/// A fresh process kernel each time, as a run of the `cdk-app` binary has.
fn rust_once(manifest: &Manifest, validation: &str) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    jsii::global_with(
        KernelConfig::from_manifest(manifest.clone()).with_env("CDK_VALIDATION", validation),
    )
    .unwrap();
    cdk_app::synth(dir.path()).unwrap();
    let elapsed = t.elapsed();
    jsii::shutdown_global();
    elapsed
}

fn js_once(manifest: &Manifest, validation: &str) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let status = Command::new("node")
        .arg("--preserve-symlinks")
        .arg(app_js())
        .arg(dir.path())
        .env("NODE_PATH", manifest.node_modules.as_ref().unwrap())
        .env("CDK_VALIDATION", validation)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let elapsed = t.elapsed();
    assert!(status.success());
    elapsed
}

fn benches(c: &mut Criterion) {
    let Some(manifest) = Manifest::discover().unwrap() else {
        eprintln!("skipped: the jsii runtime is not installed (scripts/tools/ensure.sh)");
        return;
    };
    for (validation, label) in [("false", "validation_off"), ("true", "validation_on")] {
        let mut group = c.benchmark_group(format!("synth_{label}"));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(15));
        group.bench_function("rust_jsii_host", |b| {
            b.iter_custom(|n| (0..n).map(|_| rust_once(&manifest, validation)).sum())
        });
        group.bench_function("javascript_one_node_process", |b| {
            b.iter_custom(|n| (0..n).map(|_| js_once(&manifest, validation)).sum())
        });
        group.finish();
    }
}

criterion_group!(synth_benches, benches);

fn main() {
    synth_benches();
    Criterion::default().configure_from_args().final_summary();
}
