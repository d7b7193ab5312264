//! `infra-gen release` end to end (with stand-in function zips: building them is
//! `infra-gen package`'s job, covered by its own tests), and that a one-line source change
//! changes exactly the affected asset hashes.

mod common;

use std::path::Path;

use common::*;
use infra_gen::{assets, package, spec};

/// Writes a zip for every artefact the specs deploy, named as `infra-gen package` names them.
fn stand_in_function_zips(root: &Path, dir: &Path) -> usize {
    let envs = spec::load_dir(&root.join("environments")).unwrap();
    let artefacts = package::artefacts(&envs, &assets::source_hashes(root).unwrap(), &[]);
    for a in &artefacts {
        let bytes = package::archive::zip(vec![package::archive::Entry::executable(
            "bootstrap",
            a.function.as_bytes().to_vec(),
        )])
        .unwrap();
        std::fs::write(dir.join(a.file_name()), bytes).unwrap();
    }
    artefacts.len()
}

/// Writes a stand-in of the consumer image record `infra-gen package` writes, under `dir`.
fn stand_in_image_record(root: &Path, dir: &Path) -> std::path::PathBuf {
    let record = serde_json::json!({
        "repository": "infra-gen/cdc-consumer",
        "tag": assets::source_hashes(root).unwrap().consumer_image_tag(),
        "digest": format!("sha256:{}", "ab".repeat(32)),
        "compressed_size_bytes": 1234,
        "architecture": "amd64",
    });
    let path = dir.join("cdc-consumer.json");
    std::fs::write(&path, record.to_string()).unwrap();
    path
}

fn release(version: &str, generated: &Path, assets_dir: &Path, out: &Path) -> std::process::Output {
    let image = assets_dir.join("cdc-consumer.json");
    infra_gen(
        &[
            "release",
            "--version",
            version,
            "--generated",
            generated.to_str().unwrap(),
            "--assets",
            assets_dir.to_str().unwrap(),
            "--image",
            image.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &repo_root(),
    )
}

#[test]
fn release_writes_every_package_with_its_sha256_and_is_reproducible() {
    let generated = synth_all();
    let assets_dir = tempfile::tempdir().unwrap();
    let functions = stand_in_function_zips(&repo_root(), assets_dir.path());
    assert_eq!(functions, 5, "all functions are arm64 in every environment");
    stand_in_image_record(&repo_root(), assets_dir.path());
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    for out in [first.path(), second.path()] {
        let result = release("1.4.0-rc.1", generated.path(), assets_dir.path(), out);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    assert_eq!(
        tree(first.path()),
        tree(second.path()),
        "two releases of the same inputs differ"
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.path().join("release-manifest.json")).unwrap())
            .unwrap();
    let packages = manifest["packages"].as_array().unwrap();
    // An infrastructure bundle and a Kubernetes bundle per environment and region, plus the functions.
    assert_eq!(packages.len(), 6 + 6 + 5);
    for p in packages {
        let file = first.path().join(p["file"].as_str().unwrap());
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(
            p["sha256"],
            infra_gen::assets::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes))
        );
        assert_eq!(
            p["file"],
            format!("packages/{}.1.4.0-rc.1.zip", p["id"].as_str().unwrap())
        );
    }
    let ids: Vec<&str> = packages.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"infra-gen.infra.prod.us-east-1")
            && ids.contains(&"infra-gen.fn.authorizer.arm64"),
        "{ids:?}"
    );

    // The prod us-east-1 bundle holds exactly that stack's files.
    let bundle = std::fs::read(
        first
            .path()
            .join("packages/infra-gen.infra.prod.us-east-1.1.4.0-rc.1.zip"),
    )
    .unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    for expected in [
        "cloudformation/prod-us-east-1/infra-gen-prod-us-east-1.template.json",
        "terraform/prod/us-east-1/main.tf",
        "kustomize/overlays/prod-us-east-1/kustomization.yaml",
        "kustomize/overlays/prod-us-east-1/prometheus-operator/prometheusrule.yaml",
        "observability/prod/grafana/kafka-consumer-lag.json",
        "observability/prod/prometheus/rules.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .all(|n| !n.contains("us-west-2") && !n.contains("dev")),
        "{names:?}"
    );

    let octopus: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.path().join("octopus-release.json")).unwrap())
            .unwrap();
    assert_eq!(octopus["releaseVersion"], "1.4.0-rc.1");
    // The manifest names the image every stage publishes, by digest.
    assert_eq!(
        manifest["image"]["digest"],
        format!("sha256:{}", "ab".repeat(32))
    );
    assert_eq!(
        manifest["image"]["tag"],
        assets::source_hashes(&repo_root())
            .unwrap()
            .consumer_image_tag()
    );
}

#[test]
fn release_refuses_bad_versions_missing_zips_and_stale_output() {
    let generated = synth_all();
    let assets_dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    assert_eq!(
        release("1.4", generated.path(), assets_dir.path(), out.path())
            .status
            .code(),
        Some(2)
    );
    let missing = release("1.4.0", generated.path(), assets_dir.path(), out.path());
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("run `infra-gen package` first"));
    stand_in_function_zips(&repo_root(), assets_dir.path());
    // Without the image record: refused, naming the file and the command that writes it.
    let no_image = release("1.4.0", generated.path(), assets_dir.path(), out.path());
    assert_eq!(no_image.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&no_image.stderr);
    assert!(
        stderr.contains("cdc-consumer.json is missing: run `infra-gen package` first"),
        "{stderr}"
    );
    let record = stand_in_image_record(&repo_root(), assets_dir.path());
    // An image built from other sources than the overlays name: refused.
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("\"sha-", "\"sha-0")).unwrap();
    let stale_image = release("1.4.0", generated.path(), assets_dir.path(), out.path());
    assert!(!stale_image.status.success());
    assert!(String::from_utf8_lossy(&stale_image.stderr).contains("run `infra-gen package` again"));
    stand_in_image_record(&repo_root(), assets_dir.path());
    std::fs::write(
        generated.path().join("terraform/dev/us-west-2/main.tf"),
        "# edited by hand\n",
    )
    .unwrap();
    let stale = release("1.4.0", generated.path(), assets_dir.path(), out.path());
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("stale"));
    assert!(tree(out.path()).is_empty(), "a refused release wrote files");
}

#[test]
fn a_one_line_change_changes_exactly_the_affected_asset_hashes() {
    let checkout = tempfile::tempdir().unwrap();
    for dir in ["functions", "consumer", "crates"] {
        copy_tree(&repo_root().join(dir), &checkout.path().join(dir));
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(repo_root().join(file), checkout.path().join(file)).unwrap();
    }
    let before = assets::source_hashes(checkout.path()).unwrap();
    let main = checkout.path().join("functions/authorizer/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text}\n// one more line\n")).unwrap();
    let after = assets::source_hashes(checkout.path()).unwrap();
    let changed: Vec<&String> = before
        .0
        .keys()
        .filter(|k| before.0[*k] != after.0[*k])
        .collect();
    assert_eq!(changed, ["authorizer"]);

    // A shared crate is part of every deployable's hash.
    let contract = checkout.path().join("crates/platform-contract/src/lib.rs");
    let text = std::fs::read_to_string(&contract).unwrap();
    std::fs::write(&contract, format!("{text}\n// shared change\n")).unwrap();
    let shared = assets::source_hashes(checkout.path()).unwrap();
    assert!(after.0.keys().all(|k| after.0[k] != shared.0[k]));
}
