//! Packaging: Lambda zips named by content hash and the consumer's OCI image named by its tag
//! (`infra-gen package`), and Octopus release packages (`infra-gen release`).
//!
//! The asset hash that templates reference comes from the sources (`crate::assets`), so synth
//! never compiles. Packaging builds the functions, refuses to run when `generated/` does not
//! reference the assets the current sources hash to, and checks that the sources did not
//! change while it built.

pub mod archive;
pub mod consumer_image;
pub mod image;
pub mod release;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::assets::{SourceHashes, hex};
use crate::spec::Environment;

/// Where `package` writes, relative to the repository root (the cloud assemblies point here).
pub const ASSET_DIR: &str = "target/lambda-assets";
/// The Cargo profile of Lambda artefacts (see the workspace Cargo.toml).
pub const PROFILE: &str = "lambda";

/// One function artefact to build: a function for one architecture.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Artefact {
    pub function: String,
    pub architecture: String,
    pub asset_hash: String,
}

impl Artefact {
    pub fn file_name(&self) -> String {
        format!("{}-{}.zip", self.function, self.asset_hash)
    }

    /// The Rust target triple of the Lambda architecture.
    pub fn rust_target(&self) -> &'static str {
        match self.architecture.as_str() {
            "x86_64" => "x86_64-unknown-linux-gnu",
            _ => "aarch64-unknown-linux-gnu",
        }
    }
}

/// Every (function, architecture) some environment deploys, once.
pub fn artefacts(
    environments: &[Environment],
    hashes: &SourceHashes,
    only: &[String],
) -> Vec<Artefact> {
    let mut set = BTreeSet::new();
    for env in environments {
        for rs in &env.regions {
            for (function, settings) in &rs.spec.functions {
                if !only.is_empty() && !only.contains(function) {
                    continue;
                }
                let arch = settings.architecture.as_str();
                set.insert(Artefact {
                    function: function.clone(),
                    architecture: arch.to_string(),
                    asset_hash: hashes.function_asset(function, arch).hash,
                });
            }
        }
    }
    set.into_iter().collect()
}

/// Builds one function binary; the edge to Cargo, replaceable in tests.
pub trait Builder {
    /// Builds `package`'s binary for `target` and returns the binary's path.
    fn build(&self, package: &str, target: &str) -> anyhow::Result<PathBuf>;
}

/// Builds with `cargo build --profile lambda --target ...` in the workspace.
pub struct CargoBuilder {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Builder for CargoBuilder {
    fn build(&self, package: &str, target: &str) -> anyhow::Result<PathBuf> {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&self.root)
            .args([
                "build",
                "--locked",
                "--quiet",
                "--profile",
                PROFILE,
                "--target",
                target,
                "-p",
                package,
            ])
            .arg("--target-dir")
            .arg(&self.target_dir)
            .status()?;
        anyhow::ensure!(
            status.success(),
            "cargo build of {package} for {target} failed ({status})"
        );
        Ok(self.target_dir.join(target).join(PROFILE).join(package))
    }
}

/// What `package` wrote, also recorded in `<out>/manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Packaged {
    pub function: String,
    pub architecture: String,
    pub asset_hash: String,
    pub file: String,
    pub zip_sha256: String,
    pub zip_bytes: u64,
}

/// Builds and zips every artefact into `out`, reporting progress through `progress`.
pub fn package(
    root: &Path,
    artefacts: &[Artefact],
    builder: &dyn Builder,
    out: &Path,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Vec<Packaged>> {
    let before = crate::assets::source_hashes(root)?;
    std::fs::create_dir_all(out)?;
    let mut packaged = Vec::new();
    for (i, artefact) in artefacts.iter().enumerate() {
        progress(&format!(
            "[{}/{}] {} ({}): building",
            i + 1,
            artefacts.len(),
            artefact.function,
            artefact.architecture
        ));
        let binary_path = builder.build(&artefact.function, artefact.rust_target())?;
        let binary = std::fs::read(&binary_path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", binary_path.display()))?;
        // provided.al2023 runs the executable named `bootstrap`.
        let bytes = archive::zip(vec![archive::Entry::executable("bootstrap", binary)])?;
        let file = artefact.file_name();
        write_atomically(&out.join(&file), &bytes)?;
        let entry = Packaged {
            function: artefact.function.clone(),
            architecture: artefact.architecture.clone(),
            asset_hash: artefact.asset_hash.clone(),
            file,
            zip_sha256: hex(&Sha256::digest(&bytes)),
            zip_bytes: bytes.len() as u64,
        };
        progress(&format!(
            "[{}/{}] {} ({}): {} ({} KiB)",
            i + 1,
            artefacts.len(),
            entry.function,
            entry.architecture,
            entry.file,
            entry.zip_bytes / 1024
        ));
        packaged.push(entry);
    }
    let after = crate::assets::source_hashes(root)?;
    anyhow::ensure!(
        before == after,
        "the sources changed while packaging: the artefacts may not match their asset hashes; run `infra-gen package` again"
    );
    let manifest = serde_json::to_string_pretty(&packaged)? + "\n";
    write_atomically(&out.join("manifest.json"), manifest.as_bytes())?;
    Ok(packaged)
}

/// Writes beside the target and renames over it, so a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut staged = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut staged, bytes)?;
    staged.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands in for Cargo: "builds" a binary whose bytes are the package and target names,
    /// so the test exercises naming, zipping, the manifest and the source check, not rustc.
    struct EchoBuilder(tempfile::TempDir);

    impl Builder for EchoBuilder {
        fn build(&self, package: &str, target: &str) -> anyhow::Result<PathBuf> {
            let path = self.0.path().join(format!("{package}-{target}"));
            std::fs::write(&path, format!("{package} for {target}"))?;
            Ok(path)
        }
    }

    fn artefact(function: &str, arch: &str) -> Artefact {
        Artefact {
            function: function.into(),
            architecture: arch.into(),
            asset_hash: format!("{function}{arch}hash"),
        }
    }

    #[test]
    fn packages_are_named_by_hash_and_identical_across_runs() {
        let root = tempfile::tempdir().unwrap();
        let builder = EchoBuilder(tempfile::tempdir().unwrap());
        let wanted = [
            artefact("authorizer", "arm64"),
            artefact("event-router", "x86_64"),
        ];
        let first_out = tempfile::tempdir().unwrap();
        let second_out = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        let first = package(root.path(), &wanted, &builder, first_out.path(), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap();
        let second = package(
            root.path(),
            &wanted,
            &builder,
            second_out.path(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(first, second);
        assert_eq!(first[0].file, "authorizer-authorizerarm64hash.zip");
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].starts_with("[1/2] authorizer (arm64)"));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(first_out.path().join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest[1]["zip_sha256"], first[1].zip_sha256);
        assert_eq!(
            std::fs::read(first_out.path().join(&first[1].file)).unwrap(),
            std::fs::read(second_out.path().join(&second[1].file)).unwrap()
        );
    }

    #[test]
    fn the_rust_target_follows_the_architecture() {
        assert_eq!(
            artefact("a", "arm64").rust_target(),
            "aarch64-unknown-linux-gnu"
        );
        assert_eq!(
            artefact("a", "x86_64").rust_target(),
            "x86_64-unknown-linux-gnu"
        );
    }
}
