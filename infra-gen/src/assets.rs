//! Content hashes of the code `infra-gen` deploys, derived from sources rather than from built
//! artefacts, so synth never compiles and `generated/` is reproducible without a build.
//!
//! A function's source hash covers its crate, the workspace crates it is built from (its path
//! dependencies, transitively, read from the `Cargo.toml`s), the workspace `Cargo.toml` and
//! `Cargo.lock`; dev-dependencies, tests, benches and docs are left out because they do not
//! change the binary, and so are the other crates under `crates/` (the jsii host, the
//! bindings): a change there must not redeploy functions that do not contain it. The asset hash adds the build settings
//! (profile, target, architecture). `infra-gen package` checks that what it built carries
//! the same hash.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path};

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
    let mut shared = Vec::new();
    for file in ["Cargo.toml", "Cargo.lock"] {
        append_file(root, file, &mut shared)?;
    }
    let shared = Sha256::digest(&shared);
    let workspace_paths = workspace_dependency_paths(root)?;
    // Each crate's files are read once, however many deployables are built from it.
    let mut trees: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (name, dir) in FUNCTION_NAMES
        .iter()
        .map(|f| (f.to_string(), format!("functions/{f}")))
        .chain([("consumer".to_string(), "consumer".to_string())])
    {
        let mut h = Sha256::new();
        h.update(shared);
        for crate_dir in build_closure(root, &dir, &workspace_paths)? {
            if !trees.contains_key(&crate_dir) {
                let mut bytes = Vec::new();
                append_tree(root, &crate_dir, &mut bytes)?;
                trees.insert(crate_dir.clone(), bytes);
            }
            h.update(&trees[&crate_dir]);
        }
        out.insert(name, hex(&h.finalize()));
    }
    Ok(SourceHashes(out))
}

/// The crate at `dir` and the workspace crates its binary is built from: path dependencies
/// (normal and build, by `path` or through `workspace = true`), transitively, as
/// repository-relative directories. Optional ones count: a feature may enable them.
fn build_closure(
    root: &Path,
    dir: &str,
    workspace_paths: &BTreeMap<String, String>,
) -> io::Result<BTreeSet<String>> {
    let mut closure = BTreeSet::new();
    let mut pending = vec![dir.to_string()];
    while let Some(dir) = pending.pop() {
        if !closure.insert(dir.clone()) {
            continue;
        }
        let Some(manifest) = read_manifest(root, &format!("{dir}/Cargo.toml"))? else {
            continue;
        };
        for (name, dep) in dependency_entries(&manifest) {
            if let Some(path) = dep.get("path").and_then(|p| p.as_str()) {
                pending.push(normalise(&Path::new(&dir).join(path)));
            } else if dep.get("workspace").and_then(|w| w.as_bool()) == Some(true)
                && let Some(path) = workspace_paths.get(name)
            {
                pending.push(path.clone());
            }
        }
    }
    Ok(closure)
}

/// `[workspace.dependencies]` entries with a `path`: name to repository-relative directory.
fn workspace_dependency_paths(root: &Path) -> io::Result<BTreeMap<String, String>> {
    let Some(manifest) = read_manifest(root, "Cargo.toml")? else {
        return Ok(BTreeMap::new());
    };
    let deps = manifest
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table_like());
    Ok(deps
        .into_iter()
        .flat_map(|t| t.iter())
        .filter_map(|(name, dep)| {
            let path = dep.as_table_like()?.get("path")?.as_str()?;
            Some((name.to_string(), normalise(Path::new(path))))
        })
        .collect())
}

/// Every entry of the dependency tables that build the binary: `[dependencies]`,
/// `[build-dependencies]` and their `[target.<cfg>.…]` forms; entries that are only a version
/// string are left out (they are not workspace crates).
fn dependency_entries(manifest: &toml_edit::DocumentMut) -> Vec<(&str, &dyn toml_edit::TableLike)> {
    let tables = ["dependencies", "build-dependencies"];
    let top = tables.iter().filter_map(|t| manifest.get(t));
    let per_target = manifest
        .get("target")
        .and_then(|t| t.as_table_like())
        .into_iter()
        .flat_map(|t| t.iter())
        .flat_map(|(_, cfg)| tables.iter().filter_map(move |t| cfg.get(t)));
    top.chain(per_target)
        .filter_map(|table| table.as_table_like())
        .flat_map(|table| table.iter())
        .filter_map(|(name, dep)| Some((name, dep.as_table_like()?)))
        .collect()
}

/// Parses `root/rel`; `None` when it does not exist (a checkout without that crate).
fn read_manifest(root: &Path, rel: &str) -> io::Result<Option<toml_edit::DocumentMut>> {
    let text = match std::fs::read_to_string(root.join(rel)) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    text.parse()
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{rel}: {e}")))
}

/// `functions/x/../../crates/aws` as `crates/aws`, with `/` separators on every platform.
fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Appends what the hash reads of a file: its path, length and bytes.
fn append_file(root: &Path, rel: &str, out: &mut Vec<u8>) -> io::Result<()> {
    match std::fs::read(root.join(rel)) {
        Ok(bytes) => {
            out.extend_from_slice(rel.as_bytes());
            out.push(0);
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(&bytes);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Appends every build-relevant file under `root/rel`, in sorted relative-path order.
fn append_tree(root: &Path, rel: &str, out: &mut Vec<u8>) -> io::Result<()> {
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
            if name.starts_with('.') {
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
        append_file(root, &f, out)?;
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
    #[test]
    fn hashes_cover_the_crates_a_binary_is_built_from_and_no_others() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace.dependencies]\nshared = { path = \"crates/shared\" }\n",
        );
        write(
            "functions/authorizer/Cargo.toml",
            "[dependencies]\nshared.workspace = true\n\
             [target.'cfg(unix)'.dependencies]\nunixy = { path = \"../../crates/unixy\" }\n\
             [dev-dependencies]\ntesty = { path = \"../../crates/testy\" }\n",
        );
        write(
            "crates/shared/Cargo.toml",
            "[dependencies]\ndeep = { path = \"../deep\" }\n",
        );
        for krate in ["shared", "deep", "unixy", "testy", "unrelated"] {
            write(&format!("crates/{krate}/src/lib.rs"), "");
        }
        let authorizer = || source_hashes(root.path()).unwrap().0["authorizer"].clone();
        let changed = |krate: &str| {
            let before = authorizer();
            write(
                &format!("crates/{krate}/src/lib.rs"),
                &format!("// {krate}"),
            );
            authorizer() != before
        };
        assert!(!changed("testy"), "a dev-dependency is not in the binary");
        assert!(
            !changed("unrelated"),
            "nor is a crate it does not depend on"
        );
        assert!(changed("unixy"), "a target-specific dependency is");
        assert!(changed("deep"), "so is a dependency of a dependency");
        assert!(changed("shared"), "and one named through the workspace");
    }
    #[test]
    fn the_deployables_of_this_repository_are_built_from_the_platform_crates_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let workspace = workspace_dependency_paths(root).unwrap();
        let consumer = build_closure(root, "consumer", &workspace).unwrap();
        assert_eq!(
            consumer.iter().map(String::as_str).collect::<Vec<_>>(),
            [
                "consumer",
                "crates/aws",
                "crates/events",
                "crates/platform-contract",
                "crates/telemetry"
            ]
        );
        for function in FUNCTION_NAMES {
            let closure =
                build_closure(root, &format!("functions/{function}"), &workspace).unwrap();
            assert!(closure.contains("crates/platform-contract"), "{closure:?}");
            assert!(
                closure
                    .iter()
                    .all(|c| c == &format!("functions/{function}") || consumer.contains(c)),
                "{function}: {closure:?}"
            );
        }
    }
}
