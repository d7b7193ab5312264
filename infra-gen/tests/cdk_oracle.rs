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
fn manifest() -> Option<Manifest> {
    test_support::tool("cdk")?;
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
