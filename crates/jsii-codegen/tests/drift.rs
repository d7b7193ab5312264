//! The committed `crates/aws-cdk-lib` is exactly what the generator makes from the pinned
//! assemblies the installer fetched (`scripts/tools/ensure.d/jsii.sh`).
//!
//! After changing the generator or the pins, regenerate with
//! `JSII_BINDGEN_BLESS=1 cargo test -p jsii-codegen --test drift`.

use std::path::{Path, PathBuf};

use jsii_codegen::presets;

fn manifest_assemblies() -> Option<Vec<PathBuf>> {
    let path = jsii::Manifest::default_path();
    if !path.exists() {
        if std::env::var_os("TEST_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
            panic!(
                "{} is missing: scripts/tools/ensure.sh should install it",
                path.display()
            );
        }
        eprintln!(
            "skipped: no jsii manifest at {} (run scripts/tools/ensure.sh)",
            path.display()
        );
        return None;
    }
    let manifest = jsii::Manifest::read(&path).expect("reading the jsii manifest");
    Some(
        presets::AWS_CDK_LIB_ASSEMBLIES
            .iter()
            .map(|name| {
                manifest
                    .assemblies
                    .get(*name)
                    .unwrap_or_else(|| panic!("the jsii manifest has no assembly model for {name}"))
                    .clone()
            })
            .collect(),
    )
}

#[test]
fn committed_aws_cdk_lib_bindings_match_the_pinned_assemblies() {
    let Some(paths) = manifest_assemblies() else {
        return;
    };
    let asms: Vec<_> = paths
        .iter()
        .map(|p| jsii_codegen::read_assembly(p).unwrap())
        .collect();
    let note = asms
        .iter()
        .map(|a| format!("{}@{}", a.name, a.version))
        .collect::<Vec<_>>()
        .join(", ");
    let opts = presets::aws_cdk_lib_options(&asms[0].version, note);
    let generated = jsii_codegen::generate(&asms, &opts).unwrap();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../aws-cdk-lib");
    if std::env::var_os("JSII_BINDGEN_BLESS").is_some_and(|v| v == "1") {
        jsii_codegen::write(&out, &generated.files).unwrap();
        return;
    }
    let drift = jsii_codegen::compare(&out, &generated.files).unwrap();
    assert!(
        drift.is_empty(),
        "crates/aws-cdk-lib is out of date; regenerate with JSII_BINDGEN_BLESS=1 cargo test -p jsii-codegen --test drift\n{}",
        drift.join("\n")
    );
}
