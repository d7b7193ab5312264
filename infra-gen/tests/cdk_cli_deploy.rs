//! The CloudFormation path deployed by its own tool: the real AWS CDK CLI (`cdk bootstrap`,
//! then `cdk deploy --app <assembly>`) deploys every cloud assembly that synth writes to
//! `generated/cloudformation/` to the AWS API emulator, through `scripts/ops/deploy-emulator`
//! (the same step `local up` uses), with one emulator per account. The assemblies come from a
//! fresh synth, so the test follows the code even while `generated/` is being regenerated;
//! `synth --check` keeps the committed ones byte-identical.
//!
//! What it proves, per stack: CREATE_COMPLETE; every file asset of the asset manifest was
//! published by the CLI to the bootstrap bucket under the key the template and manifest name;
//! each function exists, with its code read from that key, byte for byte the zip that
//! `infra_gen::package` wrote under the file name the assembly references. A second run on the
//! same emulator changes nothing and succeeds.
//!
//! What it does not: the zips hold a placeholder `bootstrap`, not the compiled functions
//! (cross-compiling five arm64 binaries would cost minutes, and the emulator never runs
//! function code), so this proves the names, the publishing and the references, not the
//! code. They are made by the real `package::package` with a placeholder `Builder`, so the
//! naming, zipping and manifest are the ones `infra-gen package` uses. The docker image asset
//! is not published (no Docker engine here; deploy-emulator says so), and the resource types
//! the emulator does not create (certificates, custom domains) are taken out by
//! deploy-emulator: the settings the emulator does keep are checked by `deploy_emulator.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{repo_root, synth_all};
use infra_gen::package::{self, Builder, Packaged};
use infra_gen::{assets, spec};
use serde_json::Value;
use test_support::moto::AccountEmulator;

/// Writes a stand-in "binary" per function: the emulator stores Lambda code but never runs it.
struct PlaceholderBuilder(tempfile::TempDir);

impl Builder for PlaceholderBuilder {
    fn build(&self, package: &str, target: &str) -> anyhow::Result<PathBuf> {
        let path = self.0.path().join(format!("{package}-{target}"));
        std::fs::write(
            &path,
            format!(
                "placeholder for {package} ({target}): the emulator never runs function code\n"
            ),
        )?;
        Ok(path)
    }
}

/// One generated assembly: the stack it holds and where it deploys.
struct Assembly {
    /// `<env>-<region>`: its directory under `generated/cloudformation/`.
    name: String,
    dir: PathBuf,
    stack: String,
    account: String,
    region: String,
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `a/b/../c` -> `a/c`, without touching the filesystem (the files may not exist yet).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The (single) asset manifest of an assembly.
fn asset_manifest(assembly: &Assembly) -> Value {
    let manifest = read_json(&assembly.dir.join("manifest.json"));
    let files: Vec<&str> = manifest["artifacts"]
        .as_object()
        .unwrap()
        .values()
        .filter(|a| a["type"] == "cdk:asset-manifest")
        .map(|a| a["properties"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{}: {files:?}", assembly.dir.display());
    read_json(&assembly.dir.join(files[0]))
}

fn deploy(assemblies: &[&Assembly], emulators: &[AccountEmulator], assets: &Path) -> String {
    let script = repo_root().join("scripts/ops/deploy-emulator");
    let tools = test_support::tool("cdk").unwrap();
    let path = format!(
        "{}:{}",
        tools.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(script);
    command.env("PATH", path).arg("--assets").arg(assets);
    for emulator in emulators {
        command
            .arg("--endpoint")
            .arg(format!("{}={}", emulator.account(), emulator.endpoint()));
    }
    command.args(assemblies.iter().map(|a| &a.dir));
    let out = command
        .output()
        .expect("running scripts/ops/deploy-emulator");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "deploy-emulator failed ({}):\n{stdout}\n{}\nemulator logs: {:?}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        emulators.iter().map(|e| e.log()).collect::<Vec<_>>()
    );
    stdout
}

/// What the emulator of `assembly`'s account holds for its region (see cdk_deployed.py).
fn inspect(assembly: &Assembly, emulator: &AccountEmulator) -> Value {
    let python = test_support::tool("python-aws").unwrap();
    let script = repo_root().join("infra-gen/tests/emulator/cdk_deployed.py");
    let bucket = format!(
        "cdk-hnb659fds-assets-{}-{}",
        assembly.account, assembly.region
    );
    let out = Command::new(python)
        .arg(script)
        .args([
            &emulator.endpoint(),
            &assembly.region,
            &bucket,
            &assembly.stack,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cdk_deployed.py {}: {}",
        assembly.stack,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_generated_assembly_deploys_with_the_cdk_cli() {
    let (Some(_), Some(_), Some(_)) = (
        test_support::tool("cdk"),
        test_support::tool("python-aws"),
        test_support::tool("moto_server"),
    ) else {
        return;
    };
    let root = repo_root();
    let synthesised = synth_all();
    let generated = synthesised.path().join("cloudformation");
    let envs = spec::load_dir(&root.join("environments")).unwrap();
    let assemblies: Vec<Assembly> = envs
        .iter()
        .flat_map(|env| &env.regions)
        .map(|rs| Assembly {
            name: format!("{}-{}", rs.env, rs.region),
            dir: generated.join(format!("{}-{}", rs.env, rs.region)),
            stack: format!("infra-gen-{}-{}", rs.env, rs.region),
            account: rs.spec.account.clone(),
            region: rs.region.clone(),
        })
        .collect();
    let on_disk: BTreeSet<PathBuf> = std::fs::read_dir(&generated)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        on_disk,
        assemblies.iter().map(|a| a.dir.clone()).collect(),
        "generated/cloudformation/ holds exactly one assembly per environment and region"
    );
    assert_eq!(assemblies.len(), 6);

    // The function zips, as `infra-gen package` names and writes them.
    let hashes = assets::source_hashes(&root).unwrap();
    let artefacts = package::artefacts(&envs, &hashes, &[]);
    let staged = tempfile::tempdir().unwrap();
    let builder = PlaceholderBuilder(tempfile::tempdir().unwrap());
    let packaged: BTreeMap<String, Packaged> =
        package::package(&root, &artefacts, &builder, staged.path(), &mut |_| {})
            .unwrap()
            .into_iter()
            .map(|p| (p.file.clone(), p))
            .collect();

    // Every file an assembly takes from outside itself is one of those, where `package`
    // writes it by default (the path is relative to generated/cloudformation/<assembly>/).
    let asset_dir = root.join(package::ASSET_DIR);
    let mut referenced = BTreeSet::new();
    for assembly in &assemblies {
        let committed_dir = root.join("generated/cloudformation").join(&assembly.name);
        for (id, asset) in asset_manifest(assembly)["files"].as_object().unwrap() {
            let source = normalise(&committed_dir.join(asset["source"]["path"].as_str().unwrap()));
            if source.starts_with(&committed_dir) {
                continue;
            }
            assert_eq!(
                source.parent(),
                Some(asset_dir.as_path()),
                "{}: asset {id} is not under {}",
                assembly.stack,
                package::ASSET_DIR
            );
            let file = source.file_name().unwrap().to_str().unwrap().to_string();
            assert!(
                packaged.contains_key(&file),
                "{}: asset {id} is {file}, which `package` does not write (it writes {:?})",
                assembly.stack,
                packaged.keys()
            );
            referenced.insert(file);
        }
    }
    assert_eq!(
        referenced,
        packaged.keys().cloned().collect(),
        "every zip `package` writes is deployed by some assembly"
    );

    let accounts: BTreeSet<&str> = assemblies.iter().map(|a| a.account.as_str()).collect();
    let emulators: Vec<AccountEmulator> = accounts
        .iter()
        .map(|account| AccountEmulator::start(account).unwrap())
        .collect();
    let emulator_of = |account: &str| emulators.iter().find(|e| e.account() == account).unwrap();

    let started = Instant::now();
    let all: Vec<&Assembly> = assemblies.iter().collect();
    let stdout = deploy(&all, &emulators, staged.path());
    eprintln!(
        "deploy-emulator, {} assemblies in {} accounts: {:.1} s",
        all.len(),
        emulators.len(),
        started.elapsed().as_secs_f64()
    );
    let reported: BTreeSet<String> = stdout
        .lines()
        .filter(|l| l.starts_with("stack "))
        .map(str::to_string)
        .collect();
    let expected: BTreeSet<String> = assemblies
        .iter()
        .map(|a| {
            format!(
                "stack {} {} {} CREATE_COMPLETE",
                a.stack, a.account, a.region
            )
        })
        .collect();
    assert_eq!(reported, expected);

    for assembly in &assemblies {
        check_deployed(
            assembly,
            &inspect(assembly, emulator_of(&assembly.account)),
            &packaged,
        );
    }

    // A reused emulator: the same assemblies again change nothing and succeed.
    let dev: Vec<&Assembly> = assemblies
        .iter()
        .filter(|a| a.account == assemblies[0].account)
        .collect();
    let started = Instant::now();
    let again = deploy(&dev, &emulators, staged.path());
    eprintln!(
        "deploy-emulator again, {} assemblies: {:.1} s",
        dev.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(again.lines().filter(|l| l.starts_with("stack ")).count(), 2);
    for assembly in dev {
        let report = inspect(assembly, emulator_of(&assembly.account));
        assert_eq!(
            report["stacks"][&assembly.stack]["status"], "CREATE_COMPLETE",
            "{}: a rerun with no changes leaves the stack as it was",
            assembly.stack
        );
    }
}

/// The stack is complete, the CLI published every file asset where the template and manifest
/// look, and the functions run (would run) the bytes `package` wrote.
fn check_deployed(assembly: &Assembly, report: &Value, packaged: &BTreeMap<String, Packaged>) {
    let name = &assembly.stack;
    let stack = &report["stacks"][name];
    assert_eq!(
        stack["status"], "CREATE_COMPLETE",
        "{name}: {}",
        stack["reason"]
    );
    let bucket = format!(
        "cdk-hnb659fds-assets-{}-{}",
        assembly.account, assembly.region
    );
    let destination = format!("{}-{}", assembly.account, assembly.region);
    let objects = report["objects"].as_object().unwrap();

    // Every file asset is in the bootstrap bucket; a zip with the bytes `package` wrote.
    let mut published = BTreeMap::new();
    for (id, asset) in asset_manifest(assembly)["files"].as_object().unwrap() {
        let dest = &asset["destinations"][&destination];
        assert_eq!(dest["bucketName"], bucket.as_str(), "{name}: asset {id}");
        let key = dest["objectKey"].as_str().unwrap();
        let Some(sha256) = objects.get(key) else {
            panic!("{name}: asset {id} is not in {bucket} under {key}: {objects:?}");
        };
        let file = Path::new(asset["source"]["path"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        if let Some(zip) = packaged.get(file) {
            assert_eq!(
                sha256,
                zip.zip_sha256.as_str(),
                "{name}: {key} is not {file}"
            );
            published.insert(key.to_string(), zip);
        }
    }

    // The manifest deploys the template object it names.
    let manifest = read_json(&assembly.dir.join("manifest.json"));
    let template_url = manifest["artifacts"][name]["properties"]["stackTemplateAssetObjectUrl"]
        .as_str()
        .unwrap();
    let template_key = template_url
        .strip_prefix(&format!("s3://{bucket}/"))
        .unwrap_or_else(|| panic!("{name}: template URL {template_url} is not in {bucket}"));
    assert!(
        objects.contains_key(template_key),
        "{name}: {template_url} was not published"
    );

    // Each function's code is the object its template names, and that object is a zip asset.
    let template_file = manifest["artifacts"][name]["properties"]["templateFile"]
        .as_str()
        .unwrap();
    let template = read_json(&assembly.dir.join(template_file));
    let functions = report["functions"].as_object().unwrap();
    let mut deployed = 0;
    for (logical, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let props = &resource["Properties"];
        let function_name = props["FunctionName"].as_str().unwrap();
        let key = props["Code"]["S3Key"].as_str().unwrap();
        assert_eq!(
            props["Code"]["S3Bucket"]["Fn::Sub"],
            "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}",
            "{name}: {logical} reads its code from the bootstrap bucket"
        );
        let zip = published
            .get(key)
            .unwrap_or_else(|| panic!("{name}: {logical}'s code {key} is no file asset"));
        assert_eq!(
            stack["resources"][logical]["physical"], function_name,
            "{name}: {logical}"
        );
        let function = &functions[function_name];
        assert!(
            function["location"]
                .as_str()
                .is_some_and(|l| l.ends_with(&format!("/{key}"))),
            "{name}: {function_name} does not run {key}: {function}"
        );
        assert_eq!(
            function["code_sha256_hex"],
            zip.zip_sha256.as_str(),
            "{name}: {function_name} holds other bytes than {}",
            zip.file
        );
        assert_eq!(
            function["code_size"], zip.zip_bytes,
            "{name}: {function_name}"
        );
        deployed += 1;
    }
    assert_eq!(deployed, 5, "{name}: the five functions");
}
