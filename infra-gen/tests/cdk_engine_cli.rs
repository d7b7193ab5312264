//! `infra-gen synth --engine cdk` at its edges: what fails before the jsii kernel starts fails
//! the same way as the native engine (spec errors), or names what is missing (function zips).
//! `node` is kept off the child's PATH, so a kernel started by mistake would fail differently
//! from the expected message.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::repo_root;

fn synth(root: &Path, specs: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra-gen"))
        .arg("--root")
        .arg(root)
        .arg("--specs")
        .arg(specs)
        .arg("synth")
        .args(extra)
        .env("PATH", "/nonexistent")
        .output()
        .expect("run infra-gen")
}

/// The repository's specs with one environment's memory setting out of range.
fn broken_specs(dir: &Path) {
    let envs = repo_root().join("environments");
    for entry in std::fs::read_dir(&envs).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let dev = dir.join("dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(&dev, format!("{text}\nbogus_setting: 1\n")).unwrap();
}

#[test]
fn spec_errors_are_reported_as_the_native_engine_reports_them_before_any_kernel() {
    let scratch = tempfile::tempdir().unwrap();
    let specs = scratch.path().join("environments");
    std::fs::create_dir_all(&specs).unwrap();
    broken_specs(&specs);
    let out = scratch.path().join("out");
    let out = out.to_str().unwrap();
    let native = synth(
        &repo_root(),
        &specs,
        &[
            "--out",
            out,
            "--repo-out",
            out,
            "--format",
            "cloudformation",
        ],
    );
    let cdk = synth(&repo_root(), &specs, &["--engine", "cdk", "--out", out]);
    assert_eq!(native.status.code(), Some(1));
    assert_eq!(cdk.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&cdk.stderr);
    assert!(stderr.contains("bogus_setting"), "{stderr}");
    assert_eq!(stderr, String::from_utf8_lossy(&native.stderr));
    assert!(!Path::new(out).exists(), "nothing is written");
}

#[test]
fn a_missing_function_zip_is_named_before_any_kernel() {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");
    let cdk = synth(
        &repo_root(),
        &repo_root().join("environments"),
        &[
            "--engine",
            "cdk",
            "--env",
            "dev",
            "--assets",
            scratch.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(cdk.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&cdk.stderr);
    assert!(
        stderr.contains("infra-gen-dev-") && stderr.contains("infra-gen package"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}
