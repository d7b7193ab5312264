//! `infra-gen cost` over every stack of the repository's specs (3 environments x 2 regions).
//! Plain `std::time::Instant` timing, like the diff bench: the target is a budget (under
//! 50 ms for all six stacks), not a regression detector.
//!
//! `cargo bench -p infra-gen --bench cost` prints the median and p95 of:
//! - end to end: what the command does (read and resolve the specs, build the construct
//!   tree, price every stack, render the table and the JSON);
//! - estimate: pricing the six stacks of a tree built once, and rendering both reports.

use std::path::Path;
use std::time::{Duration, Instant};

use infra_gen::assets::SourceHashes;
use infra_gen::construct::App;
use infra_gen::cost::report::{self, CostFormat};
use infra_gen::cost::{self, StackCost, prices};
use infra_gen::platform;
use infra_gen::spec::{self, Environment};

const WARMUP: usize = 3;
const ITERATIONS: usize = 50;
const BUDGET: Duration = Duration::from_millis(50);

fn estimate(app: &App, envs: &[Environment]) -> (usize, usize) {
    let costs: Vec<StackCost> = cost::estimate_all(app.stacks(), envs, prices::prices())
        .into_iter()
        .map(|c| c.expect("every stack is priced"))
        .collect();
    let bytes = report::render(&costs, CostFormat::Table).len()
        + report::render(&costs, CostFormat::Json).len();
    (costs.len(), bytes)
}

fn end_to_end(specs: &Path) -> (usize, usize) {
    let envs = spec::load_dir(specs).expect("valid specs");
    let app = platform::build_app(&envs, &SourceHashes::default()).expect("a valid tree");
    estimate(&app, &envs)
}

/// Times `run`, which returns (stacks priced, bytes rendered); returns the p95.
fn measure(name: &str, mut run: impl FnMut() -> (usize, usize)) -> Duration {
    for _ in 0..WARMUP {
        std::hint::black_box(run());
    }
    let mut times = Vec::with_capacity(ITERATIONS);
    let mut stacks = 0;
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let (n, bytes) = std::hint::black_box(run());
        times.push(start.elapsed());
        stacks = n;
        std::hint::black_box(bytes);
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95).div_ceil(100) - 1];
    println!(
        "cost {name:<10} {stacks} stacks: median {:>7.2} ms, p95 {:>7.2} ms ({ITERATIONS} iterations)",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
    p95
}

fn main() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .join("environments");
    // The price table is parsed once per process, as in the command: outside the loops.
    prices::prices();
    let total = measure("end-to-end", || end_to_end(&specs));
    let envs = spec::load_dir(&specs).expect("valid specs");
    let app = platform::build_app(&envs, &SourceHashes::default()).expect("a valid tree");
    measure("estimate", || estimate(&app, &envs));
    if total > BUDGET {
        println!(
            "over budget: p95 {:.2} ms > {} ms",
            total.as_secs_f64() * 1e3,
            BUDGET.as_millis()
        );
    }
}
