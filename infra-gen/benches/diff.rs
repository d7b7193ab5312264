//! `infra-gen diff` over every environment and region pair: each environment's two regions,
//! and each pair of environments region by region. Plain `std::time::Instant` timing (no
//! criterion: the target is a budget, under 100 ms, not a regression detector).
//!
//! `cargo bench -p infra-gen --bench diff` prints the median and p95 of two measurements:
//! - end to end: read and resolve the specs, hash the sources, build the construct tree,
//!   render every template, and diff every pair, rendering each report as JSON;
//! - synth only: the first four steps, for scale (it includes reading every source file);
//! - engine: only the diffs and their reports, over templates synthesised once.

use std::path::Path;
use std::time::{Duration, Instant};

use infra_gen::diff::compare::{self, StackTemplate};
use infra_gen::diff::report;
use infra_gen::{assets, platform, spec};

const WARMUP: usize = 3;
const ITERATIONS: usize = 50;
const BUDGET: Duration = Duration::from_millis(100);

fn synthesise(root: &Path) -> Vec<StackTemplate> {
    let envs = spec::load_dir(&root.join("environments")).expect("valid specs");
    let hashes = assets::source_hashes(root).expect("readable sources");
    let app = platform::build_app(&envs, &hashes).expect("a valid construct tree");
    compare::stack_templates(&app)
}

/// Every pair's report as JSON; returns the total length so the work is not optimised away.
fn diff_all_pairs(stacks: &[StackTemplate]) -> (usize, usize) {
    let reports = compare::all_pairs(stacks);
    let bytes = reports.iter().map(|r| report::json(r).len()).sum();
    (reports.len(), bytes)
}

/// Times `run`, which returns (how many `unit`s it produced, bytes produced).
fn measure(name: &str, unit: &str, mut run: impl FnMut() -> (usize, usize)) -> Duration {
    for _ in 0..WARMUP {
        std::hint::black_box(run());
    }
    let mut times = Vec::with_capacity(ITERATIONS);
    let mut count = 0;
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let (reports, bytes) = std::hint::black_box(run());
        times.push(start.elapsed());
        count = reports;
        std::hint::black_box(bytes);
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95).div_ceil(100) - 1];
    println!(
        "diff {name:<11} {count} {unit}: median {:>8.2} ms, p95 {:>8.2} ms ({ITERATIONS} iterations)",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
    p95
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    let end_to_end = measure("end-to-end", "comparisons", || {
        diff_all_pairs(&synthesise(&root))
    });
    measure("synth only", "stacks", || {
        let stacks = synthesise(&root);
        (
            stacks.len(),
            stacks.iter().map(|s| s.template.to_string().len()).sum(),
        )
    });
    let stacks = synthesise(&root);
    measure("engine", "comparisons", || diff_all_pairs(&stacks));
    if end_to_end > BUDGET {
        println!(
            "over budget: p95 {:.2} ms > {} ms",
            end_to_end.as_secs_f64() * 1e3,
            BUDGET.as_millis()
        );
    }
}
