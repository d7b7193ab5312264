//! The CDK engine's output deployed by the real AWS CDK CLI: `infra-gen synth --engine cdk
//! --env <env>` writes each environment's assembly (one per environment, since
//! `scripts/ops/deploy-emulator` serves one account per assembly) and the CLI deploys all six
//! stacks to the AWS API emulator, one emulator per account, as `cdk_cli_deploy.rs` does for
//! the native engine's assemblies.
//!
//! What it proves, per stack: CREATE_COMPLETE, and each of the five functions exists with its
//! code read from the bootstrap bucket, byte for byte the zip `infra_gen::package` wrote (CDK
//! staged it into the assembly and the CLI published it). The zips hold a placeholder
//! `bootstrap`, as in `cdk_cli_deploy.rs` (the emulator never runs function code), and
//! deploy-emulator takes out the resource types the emulator does not create (certificates,
//! custom domains).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use common::repo_root;
use infra_gen::package::{self, Builder, Packaged};
use infra_gen::{assets, spec};
use jsii::Manifest;
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

#[test]
fn the_cdk_engine_s_six_stacks_deploy_with_the_cdk_cli() {
    let (Some(_), Some(_), Some(_)) = (
        test_support::tool("cdk"),
        test_support::tool("python-aws"),
        test_support::tool("moto_server"),
    ) else {
        return;
    };
    // The command's kernel finds the installed runtime itself; without it, fail here, clearly.
    Manifest::discover()
        .expect("the jsii manifest is readable")
        .expect("scripts/tools/ensure.sh installs the jsii runtime");
    let root = repo_root();
    let envs = spec::load_dir(&root.join("environments")).unwrap();
    let hashes = assets::source_hashes(&root).unwrap();

    // The function zips, as `infra-gen package` names and writes them.
    let artefacts = package::artefacts(&envs, &hashes, &[]);
    let staged = tempfile::tempdir().unwrap();
    let builder = PlaceholderBuilder(tempfile::tempdir().unwrap());
    let packaged: BTreeMap<String, Packaged> =
        package::package(&root, &artefacts, &builder, staged.path(), &mut |_| {})
            .unwrap()
            .into_iter()
            .map(|p| (p.file.clone(), p))
            .collect();

    // One assembly per environment (one account each), written by the command itself:
    // `infra-gen synth --engine cdk --env <env>`.
    let out = tempfile::tempdir().unwrap();
    let mut assemblies = Vec::new();
    for env in &envs {
        let dir = out.path().join(&env.name);
        let synth = Command::new(env!("CARGO_BIN_EXE_infra-gen"))
            .arg("--root")
            .arg(&root)
            .args(["synth", "--engine", "cdk", "--env", &env.name, "--assets"])
            .arg(staged.path())
            .arg("--out")
            .arg(&dir)
            // CDK's validation plugins cost seconds and check nothing deployed here.
            .env("CDK_VALIDATION", "false")
            .output()
            .unwrap();
        assert!(
            synth.status.success(),
            "synth --engine cdk --env {}: {}",
            env.name,
            String::from_utf8_lossy(&synth.stderr)
        );
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let stacks = manifest["artifacts"]
            .as_object()
            .unwrap()
            .values()
            .filter(|a| a["type"] == "aws:cloudformation:stack")
            .count();
        assert_eq!(stacks, 2, "{}", env.name);
        assemblies.push(dir);
    }

    let accounts: BTreeSet<&str> = envs
        .iter()
        .map(|e| e.regions[0].spec.account.as_str())
        .collect();
    let emulators: Vec<AccountEmulator> = accounts
        .iter()
        .map(|account| AccountEmulator::start(account).unwrap())
        .collect();

    let tools = test_support::tool("cdk").unwrap();
    let path = format!(
        "{}:{}",
        tools.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(root.join("scripts/ops/deploy-emulator"));
    command.env("PATH", path);
    for emulator in &emulators {
        command
            .arg("--endpoint")
            .arg(format!("{}={}", emulator.account(), emulator.endpoint()));
    }
    command.args(&assemblies);
    let started = Instant::now();
    let output = command
        .output()
        .expect("running scripts/ops/deploy-emulator");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "deploy-emulator failed ({}):\n{stdout}\n{}\nemulator logs: {:?}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        emulators.iter().map(|e| e.log()).collect::<Vec<_>>()
    );
    eprintln!(
        "deploy-emulator, the CDK engine's {} assemblies: {:.1} s",
        assemblies.len(),
        started.elapsed().as_secs_f64()
    );

    let reported: BTreeSet<String> = stdout
        .lines()
        .filter(|l| l.starts_with("stack "))
        .map(str::to_string)
        .collect();
    let expected: BTreeSet<String> = envs
        .iter()
        .flat_map(|e| &e.regions)
        .map(|rs| {
            format!(
                "stack infra-gen-{}-{} {} {} CREATE_COMPLETE",
                rs.env, rs.region, rs.spec.account, rs.region
            )
        })
        .collect();
    assert_eq!(reported, expected);

    // Each function runs (would run) the bytes `package` wrote, published by the CLI.
    let python = test_support::tool("python-aws").unwrap();
    for rs in envs.iter().flat_map(|e| &e.regions) {
        let stack = format!("infra-gen-{}-{}", rs.env, rs.region);
        let emulator = emulators
            .iter()
            .find(|e| e.account() == rs.spec.account)
            .unwrap();
        let bucket = format!("cdk-hnb659fds-assets-{}-{}", rs.spec.account, rs.region);
        let inspected = Command::new(&python)
            .arg(root.join("infra-gen/tests/emulator/cdk_deployed.py"))
            .args([&emulator.endpoint(), &rs.region, &bucket, &stack])
            .output()
            .unwrap();
        assert!(
            inspected.status.success(),
            "cdk_deployed.py {stack}: {}",
            String::from_utf8_lossy(&inspected.stderr)
        );
        let report: Value = serde_json::from_slice(&inspected.stdout).unwrap();
        assert_eq!(
            report["stacks"][&stack]["status"], "CREATE_COMPLETE",
            "{stack}: {}",
            report["stacks"][&stack]["reason"]
        );
        for name in platform_contract::FUNCTION_NAMES {
            let settings = &rs.spec.functions[name];
            let file = hashes
                .function_asset(name, settings.architecture.as_str())
                .file_name(name);
            let zip = &packaged[&file];
            let function = &report["functions"][format!("infra-gen-{}-{name}", rs.env)];
            assert_eq!(
                function["code_sha256_hex"],
                zip.zip_sha256.as_str(),
                "{stack}: {name} holds other bytes than {file}: {function}"
            );
        }
    }
}
