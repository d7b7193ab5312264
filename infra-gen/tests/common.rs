//! Shared by the integration tests: the repository, a synth into a scratch directory, and the
//! file listing of a tree.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the built `infra-gen` binary.
pub fn infra_gen(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra-gen"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run infra-gen")
}

/// The formats that `synth` writes under `generated/`.
pub const GENERATED_FORMATS: [&str; 8] = [
    "--format",
    "cloudformation",
    "--format",
    "terraform",
    "--format",
    "kustomize",
    "--format",
    "observability",
];

/// Synthesises every environment and region of the repository's specs, in the formats that
/// live under `generated/`, into a fresh scratch directory.
pub fn synth_all() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["synth", "--out", out.path().to_str().unwrap()];
    args.extend(GENERATED_FORMATS);
    let result = infra_gen(&args, &repo_root());
    assert!(
        result.status.success(),
        "synth failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// Synthesises the repository-level delivery files (.github/workflows/, .octopus/) into a
/// fresh scratch directory.
pub fn synth_delivery() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let result = infra_gen(
        &[
            "synth",
            "--format",
            "github-actions",
            "--format",
            "octopus",
            "--out",
            &format!("{dir}/unused"),
            "--repo-out",
            dir,
        ],
        &repo_root(),
    );
    assert!(
        result.status.success(),
        "synth failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// Every file under `dir` with its bytes, sorted by relative path.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Files under `dir` whose relative path satisfies `pick`, as full paths.
pub fn files_matching(dir: &Path, pick: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| pick(p))
        .map(|(p, _)| dir.join(p))
        .collect()
}

pub fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        if rel.split('/').any(|c| c == "target") {
            continue;
        }
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard output of a run that must have succeeded; the failure message shows both streams.
pub fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(out)
}

/// Replaces the first `from` in a spec file of `root`'s `environments/` (which must contain it).
pub fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("environments").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Runs git in `root` with a fixed identity, asserting success.
pub fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=infra-gen test",
            "-c",
            "user.email=test@example.com",
        ])
        .args(args)
        .current_dir(root)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kubectl kustomize DIR`'s output; panics with kubectl's stderr when it fails.
pub fn kustomize(dir: &Path) -> Vec<u8> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is on the machine");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
