//! `jsii-bindgen`: writes (or checks) a crate of typed Rust bindings for jsii assemblies.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Parser;

/// Generate typed Rust bindings from jsii assemblies.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The primary assembly (`.jsii`, a file-redirect `.jsii`, or `.jsii.gz`), then its jsii
    /// dependencies (each becomes a top-level module of the crate).
    #[arg(required = true)]
    assemblies: Vec<PathBuf>,
    /// The crate directory to write (Cargo.toml and src/ are replaced).
    #[arg(long)]
    out: PathBuf,
    /// Package name of the generated crate.
    #[arg(long)]
    crate_name: String,
    /// A `[dependencies]` line of the generated crate, e.g. `jsii = { path = "../jsii" }`.
    #[arg(long = "dep")]
    dependencies: Vec<String>,
    /// Generate only these submodules (cargo feature names, comma-separated) and what they
    /// stand on; all when absent.
    #[arg(long, value_delimiter = ',')]
    modules: Option<Vec<String>>,
    /// Default features of the generated crate (comma-separated).
    #[arg(long, value_delimiter = ',')]
    default_features: Vec<String>,
    /// Compare with what is in `--out` instead of writing; fail when it differs.
    #[arg(long)]
    check: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut asms = Vec::new();
    for path in &cli.assemblies {
        asms.push(jsii_codegen::read_assembly(path)?);
    }
    let primary = &asms[0];
    let note = asms
        .iter()
        .map(|a| format!("{}@{}", a.name, a.version))
        .collect::<Vec<_>>()
        .join(", ");
    let opts = jsii_codegen::Options {
        crate_name: cli.crate_name.clone(),
        crate_version: format!("0.1.0+{}", primary.version.replace('.', "-")),
        dependencies: cli.dependencies.clone(),
        source_note: note,
        modules: cli.modules.clone(),
        default_features: cli.default_features.clone(),
    };
    let generated = jsii_codegen::generate(&asms, &opts)?;
    if cli.check {
        let drift = jsii_codegen::compare(&cli.out, &generated.files)?;
        if !drift.is_empty() {
            bail!(
                "{} is out of date with its assemblies (regenerate with jsii-bindgen):\n  {}",
                cli.out.display(),
                drift.join("\n  ")
            );
        }
        return Ok(());
    }
    jsii_codegen::write(&cli.out, &generated.files)
        .with_context(|| format!("writing {}", cli.out.display()))?;
    let bytes: usize = generated.files.values().map(String::len).sum();
    eprintln!(
        "wrote {} files ({:.1} MB) to {}; {} members not mapped",
        generated.files.len(),
        bytes as f64 / 1e6,
        cli.out.display(),
        generated.skipped.len()
    );
    for s in generated.skipped.iter().take(20) {
        eprintln!("  not mapped: {s}");
    }
    Ok(())
}
