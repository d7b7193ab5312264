//! One file per subcommand; this module holds the shared options and the dispatch.

mod cost;
mod diff;
mod list;
mod package;
mod release;
mod synth;
mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use infra_gen::spec::{self, Environment, LoadError};

/// Exit code of invalid specs and of drift.
pub const EXIT_INVALID: u8 = 1;
/// Exit code of a usage error (clap uses the same).
pub const EXIT_USAGE: u8 = 2;

/// Synthesises the event platform's CloudFormation, Terraform and Kustomize from the layered
/// specs in environments/.
#[derive(Debug, Parser)]
#[command(name = "infra-gen", version, about, long_about = None)]
pub struct Cli {
    /// Repository root: specs, sources and output paths are relative to it.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Spec directory, relative to the root.
    #[arg(long, global = true, default_value = "environments")]
    specs: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write (or, with --check, compare) the generated files.
    Synth(synth::SynthArgs),
    /// Check the specs only.
    Validate,
    /// List environments, regions and stacks.
    List,
    /// Semantic diff of the synthesised CloudFormation: regions, environments, or a past commit.
    Diff(diff::DiffArgs),
    /// Monthly cost per environment and region at AWS list prices, offline.
    Cost(cost::CostArgs),
    /// Build the functions (content-hashed Lambda zips) and the consumer's OCI image.
    Package(package::PackageArgs),
    /// Write the Octopus packages and the release manifest of a version.
    Release(release::ReleaseArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let specs_dir = under_root(&cli.root, &cli.specs);
    match &cli.command {
        Command::Synth(args) => synth::run(&cli.root, &specs_dir, args),
        Command::Validate => validate::run(&specs_dir),
        Command::List => list::run(&specs_dir),
        Command::Diff(args) => diff::run(&cli.root, &cli.specs, args),
        Command::Cost(args) => cost::run(&specs_dir, args),
        Command::Package(args) => package::run(&cli.root, &specs_dir, args),
        Command::Release(args) => release::run(&cli.root, &specs_dir, args),
    }
}

/// `root/path`, without a leading `./` so messages name files the way users type them.
pub fn under_root(root: &Path, path: &Path) -> PathBuf {
    if root == Path::new(".") || path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

/// Loads the specs; invalid specs are printed and become `Err(exit code)`.
fn load(specs_dir: &Path) -> anyhow::Result<Result<Vec<Environment>, ExitCode>> {
    match spec::load_dir(specs_dir) {
        Ok(envs) => Ok(Ok(envs)),
        Err(LoadError::Invalid(errors)) => {
            eprintln!("{errors}");
            eprintln!(
                "{} error(s) in the specs; nothing was written",
                errors.0.len()
            );
            Ok(Err(ExitCode::from(EXIT_INVALID)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes a report to standard output. A reader that stopped early (`| head`) is not a
/// failure of the command, so a broken pipe is not an error.
fn print_report(text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => written.context("writing the report"),
    }
}
