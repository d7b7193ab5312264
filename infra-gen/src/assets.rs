//! Content hashes of the code `infra-gen` deploys, derived from sources rather than from built
//! artefacts, so synth never compiles and `generated/` is reproducible without a build.
//!
//! A function's source hash covers its crate, the shared crates under `crates/` (except
//! test-only ones), the workspace `Cargo.toml` and `Cargo.lock`; tests, benches and docs are
//! left out because they do not change the binary. The asset hash adds the build settings
//! (profile, target, architecture). `infra-gen package` checks that what it built carries
//! the same hash.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use platform_contract::FUNCTION_NAMES;
use sha2::{Digest, Sha256};

use crate::construct::Asset;

/// The build settings that go into every function asset hash.
pub const LAMBDA_BUILD: &str = "profile=lambda;runtime=provided.al2023";

/// Source hashes of the deployable crates, by name (`event-router`, ..., `consumer`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceHashes(pub BTreeMap<String, String>);

impl SourceHashes {
    /// The function's asset for an architecture.
    pub fn function_asset(&self, function: &str, architecture: &str) -> Asset {
        let source = self.0.get(function).map(String::as_str).unwrap_or("");
        Asset {
            source_dir: format!("functions/{function}"),
            hash: hex(&Sha256::digest(format!(
                "{source};{LAMBDA_BUILD};arch={architecture}"
            ))),
        }
    }

    /// The consumer image tag: `sha-` and 16 hex digits of its source hash.
    pub fn consumer_image_tag(&self) -> String {
        let source = self.0.get("consumer").map(String::as_str).unwrap_or("");
        format!("sha-{}", &hex(&Sha256::digest(format!("{source};image"))))[..20].to_string()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes the sources under `root` (the repository). Missing crates hash as empty, so a
/// checkout without `functions/` still synthesises.
pub fn source_hashes(root: &Path) -> io::Result<SourceHashes> {
    let mut shared = Sha256::new();
    for file in ["Cargo.toml", "Cargo.lock"] {
        hash_file(root, file, &mut shared)?;
    }
    hash_tree(root, "crates", &mut shared, &|rel| {
        !rel.starts_with("crates/test-support")
    })?;
    let shared = shared.finalize();
    let mut out = BTreeMap::new();
    for (name, dir) in FUNCTION_NAMES
        .iter()
        .map(|f| (f.to_string(), format!("functions/{f}")))
        .chain([("consumer".to_string(), "consumer".to_string())])
    {
        let mut h = Sha256::new();
        h.update(shared);
        hash_tree(root, &dir, &mut h, &|_| true)?;
        out.insert(name, hex(&h.finalize()));
    }
    Ok(SourceHashes(out))
}

fn hash_file(root: &Path, rel: &str, h: &mut Sha256) -> io::Result<()> {
    match std::fs::read(root.join(rel)) {
        Ok(bytes) => {
            h.update(rel.as_bytes());
            h.update([0]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Hashes every build-relevant file under `root/rel`, in sorted relative-path order.
fn hash_tree(
    root: &Path,
    rel: &str,
    h: &mut Sha256,
    keep: &dyn Fn(&str) -> bool,
) -> io::Result<()> {
    let mut files = Vec::new();
    let mut dirs = vec![rel.to_string()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(root.join(&dir)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{dir}/{name}");
            if !keep(&child) || name.starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                if !matches!(name.as_str(), "target" | "tests" | "benches" | "fuzz") {
                    dirs.push(child);
                }
            } else if !name.ends_with(".md") {
                files.push(child);
            }
        }
    }
    files.sort();
    for f in files {
        hash_file(root, &f, h)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_follow_sources_not_paths() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for root in [a.path(), b.path()] {
            std::fs::create_dir_all(root.join("functions/authorizer/src")).unwrap();
            std::fs::write(
                root.join("functions/authorizer/src/main.rs"),
                "fn main() {}",
            )
            .unwrap();
            std::fs::write(root.join("Cargo.lock"), "lock").unwrap();
        }
        let ha = source_hashes(a.path()).unwrap();
        assert_eq!(ha, source_hashes(b.path()).unwrap());
        std::fs::write(
            b.path().join("functions/authorizer/src/main.rs"),
            "fn main() { }",
        )
        .unwrap();
        let hb = source_hashes(b.path()).unwrap();
        assert_ne!(ha.0["authorizer"], hb.0["authorizer"]);
        assert_eq!(ha.0["event-router"], hb.0["event-router"]);
        assert_ne!(
            ha.function_asset("authorizer", "arm64"),
            ha.function_asset("authorizer", "x86_64")
        );
        std::fs::write(b.path().join("functions/authorizer/README.md"), "docs").unwrap();
        assert_eq!(hb, source_hashes(b.path()).unwrap());
    }
}
