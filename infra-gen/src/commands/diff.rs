//! `infra-gen diff`: semantic diffs of the synthesised CloudFormation, offline. Both sides are
//! synthesised in memory (nothing is written to `generated/`); a past commit's side from a
//! `git archive` of what synth reads, extracted into a temporary directory.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;
use clap::{ArgGroup, Args, ValueEnum};
use infra_gen::cost::diff::CostTotals;
use infra_gen::cost::{Money, prices};
use infra_gen::diff::Report;
use infra_gen::diff::compare::{self, StackTemplate};
use infra_gen::diff::report::{self, OutputFormat};
use infra_gen::{assets, platform};

use super::{EXIT_INVALID, EXIT_USAGE, under_root};

/// What synth reads besides the specs: the sources the asset hashes cover.
const SOURCE_PATHS: [&str; 5] = [
    "crates",
    "functions",
    "consumer",
    "Cargo.toml",
    "Cargo.lock",
];

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").required(true).multiple(true).args(["env", "from", "base"])))]
pub struct DiffArgs {
    /// Compare this environment's two regions; with --base, only this environment.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// The environment's two regions, old side first (default: as the spec lists them).
    #[arg(
        long,
        value_delimiter = ',',
        requires = "env",
        conflicts_with = "base",
        value_name = "A,B"
    )]
    regions: Vec<String>,
    /// Compare this environment (old side) with --to, region by region.
    #[arg(long, value_name = "ENV", requires = "to", conflicts_with_all = ["env", "base"])]
    from: Option<String>,
    /// The new side of --from.
    #[arg(long, value_name = "ENV", requires = "from")]
    to: Option<String>,
    /// Compare every environment and region at this commit with the working tree.
    #[arg(long, value_name = "GIT_REF")]
    base: Option<String>,
    /// Text (for a terminal), JSON (for tools), or Markdown (for a pull-request comment).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// ANSI colour in text output; `auto` colours only a terminal.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Exit 1 when anything differs (a template or a monthly cost). With a threshold, exit 1
    /// only when the total monthly cost rises by more than it: dollars (`--fail 100`) or a
    /// share of the cost before (`--fail 5%`).
    #[arg(
        long,
        value_name = "THRESHOLD",
        num_args = 0..=1,
        default_missing_value = "any",
        value_parser = parse_fail
    )]
    fail: Option<FailWhen>,
}

/// When `--fail` fails the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailWhen {
    AnyDifference,
    CostRisesBy(Money),
    /// In basis points of the cost before (1% = 100).
    CostRisesByShare(i128),
}

fn parse_fail(text: &str) -> Result<FailWhen, String> {
    if text == "any" {
        return Ok(FailWhen::AnyDifference);
    }
    let invalid =
        || format!("`{text}` is not a threshold: give dollars (100) or a percentage (5%)");
    match text.strip_suffix('%') {
        // Money::parse reads the percentage as a decimal with six places: 1% = 1,000,000.
        Some(share) => Money::parse(share)
            .map(|m| FailWhen::CostRisesByShare(i128::from(m.0) / 10_000))
            .ok_or_else(invalid),
        None => Money::parse(text)
            .map(FailWhen::CostRisesBy)
            .ok_or_else(invalid),
    }
}

/// Whether `report` trips `when`.
fn fails(report: &Report, when: FailWhen) -> bool {
    match when {
        FailWhen::AnyDifference => report.has_differences(),
        FailWhen::CostRisesBy(limit) => cost_rises(report, &limit.cents(), |t| t.change > limit),
        FailWhen::CostRisesByShare(bp) => {
            cost_rises(report, &format!("{}.{:02}%", bp / 100, bp % 100), |t| {
                t.change_basis_points()
                    .map_or(t.change > Money::ZERO, |share| share > bp)
            })
        }
    }
}

/// Applies a cost threshold to the report's totals, saying why it fails.
fn cost_rises(report: &Report, limit: &str, over: impl Fn(&CostTotals) -> bool) -> bool {
    let Some(totals) = &report.cost else {
        eprintln!("error: --fail with a cost threshold, but no stack's cost could be compared");
        return true;
    };
    if totals.stacks_not_estimated > 0 {
        eprintln!(
            "warning: {} stack(s) not estimated; the threshold applies to the others",
            totals.stacks_not_estimated
        );
    }
    let failed = over(totals);
    if failed {
        eprintln!(
            "the monthly cost rises by {} ({} -> {}), more than {limit}",
            totals.change.cents(),
            totals.before.cents(),
            totals.after.cents()
        );
    }
    failed
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// `specs` is the spec directory relative to the root (as given to `--specs`), so the past
/// commit's side can find its own copy.
pub fn run(root: &Path, specs: &Path, args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let new = match synthesise(root, &under_root(root, specs))? {
        Ok(stacks) => stacks,
        Err(code) => return Ok(code),
    };
    let compared = if let Some(base) = &args.base {
        if specs.is_absolute() {
            eprintln!("error: --base needs --specs relative to the root");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
        let tree = match materialise(root, base, specs)? {
            Ok(tree) => tree,
            Err(code) => return Ok(code),
        };
        let old = match synthesise(tree.path(), &tree.path().join(specs))? {
            Ok(stacks) => stacks,
            Err(code) => {
                eprintln!("(those are the specs at {base}, extracted into a temporary directory)");
                return Ok(code);
            }
        };
        compare::against_base(&old, &new, base, args.env.as_deref())
    } else if let (Some(from), Some(to)) = (&args.from, &args.to) {
        compare::environments(&new, from, to)
    } else if let Some(env) = &args.env {
        let regions: Vec<&str> = args.regions.iter().map(String::as_str).collect();
        compare::regions(&new, env, &regions)
    } else {
        // clap's argument group already requires one of them.
        eprintln!("error: give --env, --from/--to or --base");
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let report = match compared {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal(),
    };
    let text = report::render(&report, args.format, color);
    super::print_report(&text)?;
    Ok(if args.fail.is_some_and(|when| fails(&report, when)) {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// The templates of every stack the specs under `root` describe; invalid specs are printed
/// and become `Err(exit code)`.
fn synthesise(
    root: &Path,
    specs_dir: &Path,
) -> anyhow::Result<Result<Vec<StackTemplate>, ExitCode>> {
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(Err(code)),
    };
    let hashes = assets::source_hashes(root)
        .with_context(|| format!("hashing the sources under {}", root.display()))?;
    let app = platform::build_app(&envs, &hashes)?;
    Ok(Ok(compare::priced_stack_templates(
        &app,
        &envs,
        prices::prices(),
    )))
}

fn git(root: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(root);
    command
}

/// Extracts what synth reads (specs and hashed sources) at `base` into a temporary
/// directory. Paths missing at that commit are skipped; an unknown ref is a usage error.
fn materialise(
    root: &Path,
    base: &str,
    specs: &Path,
) -> anyhow::Result<Result<tempfile::TempDir, ExitCode>> {
    // Not an option in disguise: the ref is passed to git as an argument.
    if base.starts_with('-') {
        eprintln!("error: `{base}` is not a git ref");
        return Ok(Err(ExitCode::from(EXIT_USAGE)));
    }
    let commit = git(root)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{base}^{{commit}}"))
        .output()
        .context("running git")?;
    if !commit.status.success() {
        eprintln!(
            "error: `{base}` is not a commit in {}: {}",
            root.display(),
            String::from_utf8_lossy(&commit.stderr).trim()
        );
        return Ok(Err(ExitCode::from(EXIT_USAGE)));
    }
    // The root may be a subdirectory of the repository: archive that subtree.
    let prefix = git(root)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .context("running git rev-parse")?;
    let prefix = String::from_utf8_lossy(&prefix.stdout).trim().to_string();
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    let tree = format!("{commit}:{prefix}");

    let specs = specs.to_string_lossy().replace('\\', "/");
    let wanted: Vec<&str> = std::iter::once(specs.as_str())
        .chain(SOURCE_PATHS)
        .collect();
    let listed = git(root)
        .args(["ls-tree", "--name-only", &tree, "--"])
        .args(&wanted)
        .output()
        .context("running git ls-tree")?;
    anyhow::ensure!(
        listed.status.success(),
        "git ls-tree {tree} failed: {}",
        String::from_utf8_lossy(&listed.stderr).trim()
    );
    let present: Vec<PathBuf> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(PathBuf::from)
        .collect();

    let dir = tempfile::Builder::new()
        .prefix("infra-gen-diff-base-")
        .tempdir()
        .context("creating a temporary directory")?;
    if present.is_empty() {
        return Ok(Ok(dir));
    }
    let mut archive = git(root)
        .args(["archive", "--format=tar", &tree, "--"])
        .args(&present)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running git archive")?;
    let tar_input = archive
        .stdout
        .take()
        .context("git archive has no output pipe")?;
    let extract = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir.path())
        .stdin(tar_input)
        .output()
        .context("running tar")?;
    let archived = archive.wait_with_output().context("running git archive")?;
    anyhow::ensure!(
        archived.status.success(),
        "git archive {tree} failed: {}",
        String::from_utf8_lossy(&archived.stderr).trim()
    );
    anyhow::ensure!(
        extract.status.success(),
        "extracting git archive {tree} failed: {}",
        String::from_utf8_lossy(&extract.stderr).trim()
    );
    Ok(Ok(dir))
}
