//! `infra-gen package`: builds the functions for Lambda and writes their zips, named by the
//! asset hash the templates reference, then the consumer's OCI image under the tag the
//! overlays reference (`target/images/cdc-consumer/` and `target/images/cdc-consumer.json`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use infra_gen::package::consumer_image::{self, CargoConsumerBuilder};
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
    /// Where the consumer's OCI layout and its record go, relative to the root.
    #[arg(long, default_value = consumer_image::IMAGE_DIR)]
    images_out: PathBuf,
    /// Only the functions, not the consumer image.
    #[arg(long, conflicts_with = "image_only")]
    no_image: bool,
    /// Only the consumer image, not the functions.
    #[arg(long)]
    image_only: bool,
}

pub fn run(root: &Path, specs_dir: &Path, args: &PackageArgs) -> anyhow::Result<ExitCode> {
    let envs = match super::load(specs_dir)? {
        Ok(envs) => envs,
        Err(code) => return Ok(code),
    };
    let hashes = assets::source_hashes(root)?;
    // The templates must reference exactly the assets these sources build.
    let app = platform::build_app(&envs, &hashes)?;
    let fresh = render::render(
        &app,
        &envs,
        &[Format::Cloudformation, Format::Kustomize],
        &hashes,
    );
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
    if !args.image_only
        && let Some(failure) = package_functions(root, &envs, &hashes, args)?
    {
        return Ok(failure);
    }
    if args.no_image {
        return Ok(ExitCode::SUCCESS);
    }
    let mut repositories: Vec<&str> = envs
        .iter()
        .flat_map(|env| &env.regions)
        .map(|rs| rs.spec.consumer.image_repository.as_str())
        .collect();
    repositories.sort();
    repositories.dedup();
    let [repository] = repositories.as_slice() else {
        eprintln!(
            "consumer.image_repository differs between environments ({}): the image record names one repository",
            repositories.join(", ")
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    };
    let builder = CargoConsumerBuilder {
        root: root.to_path_buf(),
        target_dir: under_root(root, &args.target_dir),
    };
    let out = under_root(root, &args.images_out);
    eprintln!("cdc-consumer image: building");
    let (record, image) = consumer_image::package_consumer_image(root, &builder, repository, &out)?;
    println!(
        "packaged {}:{} ({}, {}, {} layers, {} KiB compressed) into {}",
        record.repository,
        record.tag,
        record.digest,
        record.architecture,
        image.layer_count,
        record.compressed_size_bytes / 1024,
        out.join(consumer_image::CONSUMER_IMAGE).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Builds and zips the functions; `Some(code)` when there is nothing to build.
fn package_functions(
    root: &Path,
    envs: &[infra_gen::spec::Environment],
    hashes: &assets::SourceHashes,
    args: &PackageArgs,
) -> anyhow::Result<Option<ExitCode>> {
    let artefacts = package::artefacts(envs, hashes, &args.functions);
    if artefacts.is_empty() {
        eprintln!("no function matches {:?}", args.functions);
        return Ok(Some(ExitCode::from(super::EXIT_USAGE)));
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
    Ok(None)
}
