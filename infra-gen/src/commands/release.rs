//! `infra-gen release --version SEMVER`: the Octopus packages of a version and the release
//! manifest, from a fresh synth (which must equal the committed `generated/`) and the zips of
//! `infra-gen package`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use infra_gen::output::{self, FileSet};
use infra_gen::package::release::{self, FunctionZip};
use infra_gen::package::{self};
use infra_gen::render::{self, Format};
use infra_gen::{assets, platform};

use super::{EXIT_INVALID, EXIT_USAGE, under_root};

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The release version (semantic version).
    #[arg(long)]
    version: String,
    /// Output directory (replaced), relative to the root.
    #[arg(long, default_value = "target/release")]
    out: PathBuf,
    /// Where `infra-gen package` wrote the function zips, relative to the root.
    #[arg(long, default_value = package::ASSET_DIR)]
    assets: PathBuf,
    /// The consumer image record `infra-gen package` wrote, relative to the root.
    #[arg(long, default_value = "target/images/cdc-consumer.json")]
    image: PathBuf,
    /// The committed synthesised output, relative to the root.
    #[arg(long, default_value = "generated")]
    generated: PathBuf,
    /// The Octopus space the release is created in.
    #[arg(long, default_value = "Default")]
    octopus_space: String,
}

pub fn run(root: &Path, specs_dir: &Path, args: &ReleaseArgs) -> anyhow::Result<ExitCode> {
    if let Err(e) = release::validate_semver(&args.version) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    let hashes = assets::source_hashes(root)?;
    let app = platform::build_app(&envs, &hashes)?;
    let fresh = render::render(
        &app,
        &envs,
        &[
            Format::Cloudformation,
            Format::Terraform,
            Format::Kustomize,
            Format::Observability,
        ],
        &hashes,
    );
    let generated = under_root(root, &args.generated);
    let drift = output::check(&generated, &fresh)?;
    if !drift.is_empty() {
        eprintln!(
            "{} is stale ({} file(s) differ): run `infra-gen synth` and commit it before releasing",
            generated.display(),
            drift.len()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let asset_dir = under_root(root, &args.assets);
    let mut functions = Vec::new();
    for artefact in package::artefacts(&envs, &hashes, &[]) {
        let path = asset_dir.join(artefact.file_name());
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!(
                    "error: {} is missing: run `infra-gen package` first",
                    path.display()
                );
                return Ok(ExitCode::from(EXIT_INVALID));
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        functions.push(FunctionZip {
            function: artefact.function,
            architecture: artefact.architecture,
            bytes,
        });
    }
    let image_path = under_root(root, &args.image);
    let image = match std::fs::read(&image_path) {
        Ok(bytes) => release::parse_image_record(&image_path.display().to_string(), &bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "error: {} is missing: run `infra-gen package` first (it builds the consumer image)",
                image_path.display()
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", image_path.display())),
    };
    let built = release::build(
        &args.version,
        &envs,
        &fresh,
        &functions,
        &image,
        &hashes.consumer_image_tag(),
        &args.octopus_space,
    )?;
    let mut files = FileSet::default();
    for (path, bytes) in built.files {
        files.add(path, bytes);
    }
    files.own("packages/");
    files.own("release-manifest.json");
    files.own("octopus-release.json");
    let out = under_root(root, &args.out);
    output::write(&out, &files).with_context(|| format!("writing {}", out.display()))?;
    for p in &built.manifest.packages {
        println!("{}  {}", p.sha256, p.file);
    }
    println!(
        "release {}: {} package(s) in {}",
        args.version,
        built.manifest.packages.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
