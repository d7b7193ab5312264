//! The jsii host's costs: starting a kernel and loading the aws-cdk-lib closure (warm package
//! cache), and per-call round trips (create, invoke, get, static invoke, the `stats` floor).
//! Prints the host's and the kernel's peak RSS at the end.
//!
//! `cargo bench -p jsii --bench kernel`; skipped when the installer has not run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use jsii::{Kernel, KernelConfig, Manifest};
use serde_json::json;

fn config(manifest: &Manifest) -> KernelConfig {
    KernelConfig::from_manifest(manifest.clone()).with_env("CDK_VALIDATION", "false")
}

fn start_and_load(c: &mut Criterion, manifest: &Manifest) {
    let mut group = c.benchmark_group("kernel");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("start", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                let t = Instant::now();
                let k = Kernel::start(config(manifest)).unwrap();
                total += t.elapsed();
                k.close().unwrap();
            }
            total
        })
    });
    group.bench_function("start_and_load_aws_cdk_lib", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                let t = Instant::now();
                let k = Kernel::start(config(manifest)).unwrap();
                k.require("aws-cdk-lib").unwrap();
                total += t.elapsed();
                k.close().unwrap();
            }
            total
        })
    });
    group.finish();
}

fn round_trips(c: &mut Criterion, kernel: &Kernel) {
    let app = kernel
        .create(
            "aws-cdk-lib.App",
            vec![json!({"analyticsReporting": false})],
        )
        .unwrap();
    app.pin();
    let stack = kernel
        .create("aws-cdk-lib.Stack", vec![app.to_wire(), json!("Bench")])
        .unwrap();
    stack.pin();

    let mut group = c.benchmark_group("round_trip");
    group.bench_function("stats", |b| b.iter(|| black_box(kernel.stats().unwrap())));
    group.bench_function("get_stack_name", |b| {
        b.iter(|| black_box(stack.get("stackName").unwrap()))
    });
    group.bench_function("invoke_to_json_string", |b| {
        b.iter(|| black_box(stack.invoke("toJsonString", vec![json!({"a": 1})]).unwrap()))
    });
    group.bench_function("sinvoke_duration_minutes", |b| {
        // The result is not adopted, so no `del` follows (as in the probe's numbers).
        b.iter(|| {
            black_box(
                kernel
                    .sinvoke("aws-cdk-lib.Duration", "minutes", vec![json!(5)])
                    .unwrap(),
            )
        })
    });
    group.bench_function("create_dependency_group", |b| {
        b.iter(|| {
            let g = kernel.create("constructs.DependencyGroup", vec![]).unwrap();
            g.pin();
            black_box(g)
        })
    });
    group.bench_function("create_and_drop_dependency_group", |b| {
        // Each drop adds a `del`, sent before the next request.
        b.iter(|| black_box(kernel.create("constructs.DependencyGroup", vec![]).unwrap()))
    });
    let mut n = 0u64;
    group.bench_function("create_cfn_queue", |b| {
        b.iter(|| {
            n += 1;
            let q = kernel
                .create(
                    "aws-cdk-lib.aws_sqs.CfnQueue",
                    vec![
                        stack.to_wire(),
                        json!(format!("Q{n}")),
                        json!({"delaySeconds": 5}),
                    ],
                )
                .unwrap();
            q.pin();
            black_box(q)
        })
    });
    group.finish();
}

/// Peak resident set of a process, from /proc (kB).
fn peak_rss_kb(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

fn benches(c: &mut Criterion) {
    let Some(manifest) = Manifest::discover().unwrap() else {
        eprintln!("skipped: the jsii runtime is not installed (scripts/tools/ensure.sh)");
        return;
    };
    start_and_load(c, &manifest);
    let kernel = Kernel::start(config(&manifest)).unwrap();
    kernel.require("aws-cdk-lib").unwrap();
    round_trips(c, &kernel);
    println!(
        "peak RSS: host {} kB, kernel {} kB",
        peak_rss_kb("self").unwrap_or(0),
        peak_rss_kb(&kernel.pid().to_string()).unwrap_or(0)
    );
    kernel.close().unwrap();
}

criterion_group!(kernel_benches, benches);

fn main() {
    kernel_benches();
    Criterion::default().configure_from_args().final_summary();
}
