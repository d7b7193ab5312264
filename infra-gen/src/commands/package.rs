//! `infra-gen package`: builds the functions for Lambda and writes their zips, named by the
//! asset hash the templates reference.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use infra_gen::package::{self, CargoBuilder};
use infra_gen::render::{self, Format};
use infra_gen::{assets, output, platform};

use super::{EXIT_INVALID, under_root};

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Only these functions (repeatable); default: all five.
    #[arg(long = "function", value_name = "NAME")]
    functions: Vec<String>,
    /// Where the zips and their manifest go, relative to the root.
    #[arg(long, default_value = package::ASSET_DIR)]
    out: PathBuf,
    /// Cargo's target directory, relative to the root.
    #[arg(long, default_value = "target")]
    target_dir: PathBuf,
    /// The synthesised output whose assets must match what is built.
    #[arg(long, default_value = "generated")]
    generated: PathBuf,
}

pub fn run(root: &Path, specs_dir: &Path, args: &PackageArgs) -> anyhow::Result<ExitCode> {
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    let hashes = assets::source_hashes(root)?;
    // The templates must reference exactly the assets these sources build.
    let app = platform::build_app(&envs, &hashes)?;
    let fresh = render::render(&app, &envs, &[Format::Cloudformation], &hashes);
    let generated = under_root(root, &args.generated);
    let drift = output::check(&generated, &fresh)?;
    if !drift.is_empty() {
        eprintln!(
            "{} does not reference the assets the current sources build ({} file(s) differ): run `infra-gen synth` first",
            generated.display(),
            drift.len()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let artefacts = package::artefacts(&envs, &hashes, &args.functions);
    if artefacts.is_empty() {
        eprintln!("no function matches {:?}", args.functions);
        return Ok(ExitCode::from(super::EXIT_USAGE));
    }
    let builder = CargoBuilder {
        root: root.to_path_buf(),
        target_dir: under_root(root, &args.target_dir),
    };
    let out = under_root(root, &args.out);
    let packaged = package::package(root, &artefacts, &builder, &out, &mut |line| {
        eprintln!("{line}")
    })?;
    println!(
        "packaged {} artefact(s) into {}",
        packaged.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
