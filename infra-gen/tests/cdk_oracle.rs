//! The oracle: every stack built by both engines, the native one (in memory, as `synth` renders
//! it) and the CDK one (`engine::cdk` through the jsii kernel and aws-cdk-lib), compared by
//! `engine::oracle` (inventory both ways, properties, permission pairs per principal). Every
//! difference must be in `docs/cdk-oracle-report.md` with its justification; the test fails on
//! one that is not, on a row that no longer matches, and on a row still `UNJUSTIFIED`.
//!
//! Regenerate the report (justifications are kept by key):
//! `INFRA_GEN_ORACLE_BLESS=1 cargo test -p infra-gen --features cdk --test cdk_oracle`.
//!
//! The CDK engine stages function code at synth, so the test writes a placeholder zip under
//! each name `infra-gen package` would write (the oracle compares where code comes from, not
//! what it is).

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use common::repo_root;
use infra_gen::engine::{cdk, oracle};
use infra_gen::render::{self, Format};
use infra_gen::{assets, platform, spec};
use jsii::{KernelConfig, Manifest};
use serde_json::Value;

const REPORT: &str = "docs/cdk-oracle-report.md";
const REGENERATE: &str =
    "INFRA_GEN_ORACLE_BLESS=1 cargo test -p infra-gen --features cdk --test cdk_oracle";

/// The installer's jsii manifest, or `None` (skipped outside the suite; a failure inside it).
/// The validators are needed too: their verdicts are part of the report.
fn manifest() -> Option<Manifest> {
    test_support::tool("cdk")?;
    test_support::tool("cfn-lint")?;
    test_support::tool("checkov")?;
    Some(
        Manifest::discover()
            .expect("the jsii manifest is readable")
            .expect("scripts/tools/ensure.sh installs the jsii runtime"),
    )
}

fn write_placeholder_zip(path: &Path) {
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file("bootstrap", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"placeholder: the oracle compares templates, not code\n")
        .unwrap();
    zip.finish().unwrap();
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// cfn-lint's findings on the templates in `dir`, by level and rule: `0 errors, 30 warnings
/// (W3005 x30)`.
fn cfn_lint(dir: &Path) -> String {
    let tool = test_support::tool("cfn-lint").unwrap();
    let templates: Vec<_> = templates_in(dir);
    let out = Command::new(tool)
        .args(["--format", "parseable"])
        .args(&templates)
        .output()
        .unwrap();
    // parseable: file:line:column:end-line:end-column:rule:message
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let rule = line
            .split(':')
            .nth(5)
            .unwrap_or_else(|| panic!("cfn-lint: {line}"));
        *rules.entry(rule.to_string()).or_default() += 1;
    }
    let level = |prefix: char| -> usize {
        rules
            .iter()
            .filter(|(r, _)| r.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    };
    let detail: Vec<String> = rules.iter().map(|(r, n)| format!("{r} x{n}")).collect();
    format!(
        "{} errors, {} warnings, {} informational{}",
        level('E'),
        level('W'),
        level('I'),
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        }
    )
}

/// checkov's CloudFormation verdict on the templates in `dir`: passed, failed and the failed
/// checks by id.
fn checkov(dir: &Path) -> String {
    let tool = test_support::tool("checkov").unwrap();
    let out = Command::new(tool)
        .args([
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
            "--framework",
            "cloudformation",
            "-d",
        ])
        .arg(dir)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports = match json {
        Value::Array(a) => a,
        one => vec![one],
    };
    let (mut passed, mut failed) = (0, 0);
    let mut checks: BTreeMap<String, usize> = BTreeMap::new();
    for r in &reports {
        passed += r["summary"]["passed"].as_u64().unwrap_or(0);
        failed += r["summary"]["failed"].as_u64().unwrap_or(0);
        for c in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            *checks
                .entry(c["check_id"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
    }
    let detail: Vec<String> = checks.iter().map(|(c, n)| format!("{c} x{n}")).collect();
    format!(
        "{passed} passed, {failed} failed{}",
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        }
    )
}

fn templates_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".template.json"))
        .collect();
    found.sort();
    found
}

#[test]
fn the_native_engine_differs_from_aws_cdk_lib_only_as_the_report_justifies() {
    let Some(manifest) = manifest() else {
        return;
    };
    let root = repo_root();
    let envs = spec::load_dir(&root.join("environments")).expect("the specs resolve");
    let hashes = assets::source_hashes(&root).unwrap();

    // The native engine, as `synth` renders it.
    let app = platform::build_app(&envs, &hashes).unwrap();
    let native = render::render(&app, &envs, &[Format::Cloudformation], &hashes);

    // The CDK engine, on placeholder zips under the names `package` writes.
    let asset_dir = tempfile::tempdir().unwrap();
    for rs in envs.iter().flat_map(|e| &e.regions) {
        for name in platform_contract::FUNCTION_NAMES {
            let arch = rs.spec.functions[name].architecture.as_str();
            let file = hashes.function_asset(name, arch).file_name(name);
            write_placeholder_zip(&asset_dir.path().join(file));
        }
    }
    // CDK's validation plugins start an engine that costs seconds and compares nothing here.
    jsii::global_with(KernelConfig::from_manifest(manifest).with_env("CDK_VALIDATION", "false"))
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let done = cdk::synth(&envs, &hashes, asset_dir.path(), out.path());
    jsii::shutdown_global();
    let done = done.unwrap();
    assert_eq!(done.stacks.len(), 6, "{:?}", done.stacks);

    // Both engines' templates alone in a directory each, for the validators (the CDK
    // assembly also holds its staged zips and tree.json).
    let validated = tempfile::tempdir().unwrap();
    let (native_dir, cdk_dir) = (
        validated.path().join("native"),
        validated.path().join("cdk"),
    );
    std::fs::create_dir_all(&native_dir).unwrap();
    std::fs::create_dir_all(&cdk_dir).unwrap();
    for (path, bytes) in native.files() {
        if path.ends_with(".template.json") {
            let name = Path::new(path).file_name().unwrap();
            std::fs::write(native_dir.join(name), bytes).unwrap();
        }
    }
    for template in templates_in(out.path()) {
        std::fs::copy(&template, cdk_dir.join(template.file_name().unwrap())).unwrap();
    }
    assert_eq!(templates_in(&native_dir).len(), 6);
    assert_eq!(templates_in(&cdk_dir).len(), 6);
    let validations = [
        oracle::Validation {
            tool: "cfn-lint".into(),
            native: cfn_lint(&native_dir),
            cdk: cfn_lint(&cdk_dir),
        },
        oracle::Validation {
            tool: "checkov (cloudformation)".into(),
            native: checkov(&native_dir),
            cdk: checkov(&cdk_dir),
        },
    ];

    let mut counts = Vec::new();
    let mut differences = Vec::new();
    for rs in envs.iter().flat_map(|e| &e.regions) {
        let stack = platform::Names::new(rs).stack();
        let dir = format!("cloudformation/{}-{}", rs.env, rs.region);
        let native_template: Value = serde_json::from_slice(
            native
                .get(&format!("{dir}/{stack}.template.json"))
                .unwrap_or_else(|| panic!("native {stack}")),
        )
        .unwrap();
        let native_manifest: Value =
            serde_json::from_slice(native.get(&format!("{dir}/manifest.json")).unwrap()).unwrap();
        let tags: BTreeMap<String, String> = serde_json::from_value(
            native_manifest["artifacts"][&stack]["properties"]["tags"].clone(),
        )
        .unwrap();
        let cdk_template = read_json(&out.path().join(format!("{stack}.template.json")));
        let pair = oracle::StackPair {
            stack: stack.clone(),
            env: rs.env.clone(),
            region: rs.region.clone(),
            peer_region: rs.peer_region.clone(),
            account: rs.spec.account.clone(),
            tags,
            native: &native_template,
            cdk: &cdk_template,
        };
        let (c, d) = oracle::compare(&pair);
        assert!(c.matched > 0, "{stack}: nothing matched: {c:?}");
        counts.push((stack, c));
        differences.extend(d);
    }

    let path = root.join(REPORT);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = oracle::report(
        &counts,
        &validations,
        &differences,
        &oracle::justifications(&committed),
        REGENERATE,
    );
    if std::env::var_os("INFRA_GEN_ORACLE_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    } else {
        assert!(
            fresh == committed,
            "{REPORT} is not what the engines produce now; regenerate it with `{REGENERATE}` \
             and justify the new rows"
        );
    }
    let unjustified: Vec<String> = oracle::justifications(&fresh)
        .into_iter()
        .filter(|(_, why)| why == oracle::UNJUSTIFIED || why.is_empty())
        .map(|(key, _)| key)
        .collect();
    assert!(
        unjustified.is_empty(),
        "{} difference(s) without a justification in {REPORT}:\n{}",
        unjustified.len(),
        unjustified.join("\n")
    );
}
