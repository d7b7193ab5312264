//! `infra-gen synth`: specs -> construct tree -> files, written atomically or compared.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use infra_gen::render::{self, Format};
use infra_gen::{assets, output, platform};

use super::{EXIT_INVALID, EXIT_USAGE, under_root};

/// Which engine builds the CloudFormation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Engine {
    /// infra-gen's own construct tree: every format, written to `generated/`.
    #[default]
    Native,
    /// The real aws-cdk-lib through the jsii kernel: CDK's own cloud assembly only (needs a
    /// build with the `cdk` feature, Node.js and the installed aws-cdk-lib).
    Cdk,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The engine: `native` (default) or `cdk`.
    #[arg(long, value_enum, default_value_t = Engine::Native)]
    engine: Engine,
    /// With `--engine cdk`: the function zips `infra-gen package` wrote (the CDK stages them).
    #[arg(long, value_name = "DIR", default_value = infra_gen::package::ASSET_DIR)]
    assets: PathBuf,
    /// Only these environments (repeatable); default: all.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Only these regions (repeatable); default: each environment's two regions.
    #[arg(long = "region", value_name = "NAME")]
    regions: Vec<String>,
    /// Only these formats (repeatable); default: all.
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    formats: Vec<Format>,
    /// Output directory, relative to the root; default: `generated` (native) or
    /// `target/cdk.out` (cdk: the CDK engine's output is not committed).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where the repository-level files (.github/workflows/, .octopus/) go; default: the root.
    #[arg(long, value_name = "DIR")]
    repo_out: Option<PathBuf>,
    /// Write nothing; exit 1 listing every file that differs from a fresh synth.
    #[arg(long)]
    check: bool,
}

pub fn run(root: &Path, specs_dir: &Path, args: &SynthArgs) -> anyhow::Result<ExitCode> {
    let all_envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    let mut envs = all_envs.clone();
    for wanted in &args.envs {
        if !envs.iter().any(|e| &e.name == wanted) {
            let known: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
            eprintln!(
                "error: no environment `{wanted}` in {} (known: {})",
                specs_dir.display(),
                known.join(", ")
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    }
    if !args.envs.is_empty() {
        envs.retain(|e| args.envs.contains(&e.name));
    }
    if !args.regions.is_empty() {
        for wanted in &args.regions {
            if !envs
                .iter()
                .any(|e| e.regions.iter().any(|r| &r.region == wanted))
            {
                eprintln!("error: no selected environment deploys to region `{wanted}`");
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        }
        for env in &mut envs {
            env.regions.retain(|r| args.regions.contains(&r.region));
        }
        envs.retain(|e| !e.regions.is_empty());
    }
    if args.engine == Engine::Cdk {
        return cdk(root, &envs, args);
    }
    let formats = if args.formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        args.formats.clone()
    };

    let hashes = assets::source_hashes(root)
        .with_context(|| format!("hashing the sources under {}", root.display()))?;
    let app = platform::build_app(&envs, &hashes)?;
    let files = render::render(&app, &envs, &formats, &hashes);
    // Workflows and the Octopus process span every environment, whatever --env narrows.
    let repo_files = render::render_repository(&all_envs, &formats);
    let out = under_root(root, args.out.as_deref().unwrap_or(Path::new("generated")));
    let repo_out = args
        .repo_out
        .as_deref()
        .map(|p| under_root(root, p))
        .unwrap_or_else(|| root.to_path_buf());
    if args.check {
        let mut drifted = 0;
        for (dir, set) in [(&out, &files), (&repo_out, &repo_files)] {
            let drift =
                output::check(dir, set).with_context(|| format!("reading {}", dir.display()))?;
            for d in &drift {
                println!("{d}");
            }
            drifted += drift.len();
        }
        let total = files.files().len() + repo_files.files().len();
        if drifted == 0 {
            println!("{total} generated files are up to date");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{drifted} file(s) differ from a fresh synth: run `infra-gen synth`");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    output::write(&out, &files).with_context(|| format!("writing {}", out.display()))?;
    output::write_in_place(&repo_out, &repo_files)
        .with_context(|| format!("writing under {}", repo_out.display()))?;
    let stacks: usize = app.stacks().count();
    println!(
        "synthesised {stacks} stack(s): {} file(s) into {}, {} at {}",
        files.files().len(),
        out.display(),
        repo_files.files().len(),
        repo_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--engine cdk`: the specs were resolved above (their errors reported before any kernel
/// starts); the assets are checked next, then the kernel builds and synthesises.
#[cfg(feature = "cdk")]
fn cdk(
    root: &Path,
    envs: &[infra_gen::spec::Environment],
    args: &SynthArgs,
) -> anyhow::Result<ExitCode> {
    use infra_gen::engine::cdk;
    if args.check || !args.formats.is_empty() || args.repo_out.is_some() {
        eprintln!("error: --check, --format and --repo-out apply to the native engine only");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let hashes = assets::source_hashes(root)
        .with_context(|| format!("hashing the sources under {}", root.display()))?;
    let asset_dir = under_root(root, &args.assets);
    if let Err(e) = cdk::check_assets(envs, &hashes, &asset_dir) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let out = under_root(
        root,
        args.out.as_deref().unwrap_or(Path::new("target/cdk.out")),
    );
    let done = cdk::synth(envs, &hashes, &asset_dir, &out);
    // The kernel is a child process: stop it whatever the outcome.
    jsii::shutdown_global();
    let done = done?;
    println!(
        "synthesised {} stack(s) through aws-cdk-lib into {}",
        done.stacks.len(),
        done.outdir.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "cdk"))]
fn cdk(_: &Path, _: &[infra_gen::spec::Environment], _: &SynthArgs) -> anyhow::Result<ExitCode> {
    eprintln!(
        "error: this infra-gen was built without the CDK engine: \
         cargo run -p infra-gen --features cdk -- synth --engine cdk"
    );
    Ok(ExitCode::from(EXIT_USAGE))
}
