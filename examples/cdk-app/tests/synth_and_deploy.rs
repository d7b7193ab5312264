//! The Rust CDK app end to end: synthesised through the typed bindings and the jsii kernel, equal to the same app in
//! JavaScript (`app.js`), and deployed by the real CDK CLI (`scripts/ops/deploy-emulator`) on
//! an emulator of its own, where the table, the queue and the function that names them exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use jsii::{KernelConfig, Manifest};
use serde_json::Value;
use test_support::moto::AccountEmulator;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The installer's manifest, or `None` (skipped outside the suite; a failure inside it).
fn manifest() -> Option<Manifest> {
    // Under scripts/test this fails rather than skips when the tools are missing.
    test_support::tool("cdk")?;
    Some(
        Manifest::discover()
            .expect("the jsii manifest is readable")
            .expect("scripts/tools/ensure.sh installs the jsii runtime"),
    )
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

fn template(outdir: &Path) -> Value {
    read_json(&outdir.join(format!("{}.template.json", cdk_app::STACK_NAME)))
}

/// Synthesises the Rust app into a fresh directory, with the process's kernel (CDK validation
/// off: it starts an engine that costs seconds and checks nothing this test asserts).
fn synth_rust(manifest: &Manifest) -> (tempfile::TempDir, cdk_app::Synthesised) {
    jsii::global_with(
        KernelConfig::from_manifest(manifest.clone()).with_env("CDK_VALIDATION", "false"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let done = cdk_app::synth(dir.path()).unwrap();
    (dir, done)
}

fn synth_js(manifest: &Manifest, outdir: &Path) -> Value {
    let out = Command::new("node")
        .arg("--preserve-symlinks")
        .arg(repo_root().join("examples/cdk-app/app.js"))
        .arg(outdir)
        .env("NODE_PATH", manifest.node_modules.as_ref().unwrap())
        .env("CDK_VALIDATION", "false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "app.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_rust_app_synthesises_what_the_javascript_app_does() {
    let Some(manifest) = manifest() else {
        return;
    };
    let (dir, done) = synth_rust(&manifest);
    let rust = template(dir.path());

    let resources = rust["Resources"].as_object().unwrap();
    let of_type = |t: &str| {
        resources
            .iter()
            .filter(|(_, r)| r["Type"] == t)
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect::<Vec<_>>()
    };
    let [(table_id, _)] = &of_type("AWS::DynamoDB::Table")[..] else {
        panic!("one table: {resources:?}")
    };
    let [(queue_id, queue)] = &of_type("AWS::SQS::Queue")[..] else {
        panic!("one queue")
    };
    let [(_, function)] = &of_type("AWS::Lambda::Function")[..] else {
        panic!("one function")
    };
    assert_eq!(queue["Properties"]["VisibilityTimeout"], 60);
    assert_eq!(
        function["Properties"]["Environment"]["Variables"]["TABLE_NAME"],
        serde_json::json!({"Ref": table_id})
    );
    // The grants: the function's role may write the table and send to the queue.
    let [(_, policy)] = &of_type("AWS::IAM::Policy")[..] else {
        panic!("one policy")
    };
    let statements = policy["Properties"]["PolicyDocument"]["Statement"].to_string();
    assert!(statements.contains("dynamodb:PutItem") && statements.contains(table_id.as_str()));
    assert!(statements.contains("sqs:SendMessage") && statements.contains(queue_id.as_str()));
    // The Rust aspect visited every construct and made every resource deletable.
    assert_eq!(done.visited, 14);
    for (id, r) in resources {
        assert_eq!(r["DeletionPolicy"], "Delete", "{id}");
    }
    assert!(dir.path().join("manifest.json").is_file());

    let js_dir = tempfile::tempdir().unwrap();
    let js = synth_js(&manifest, js_dir.path());
    assert_eq!(js["visited"], 14);
    // Byte for byte, not only equal as JSON.
    let file = format!("{}.template.json", cdk_app::STACK_NAME);
    assert_eq!(
        std::fs::read_to_string(js_dir.path().join(&file)).unwrap(),
        std::fs::read_to_string(dir.path().join(&file)).unwrap(),
        "the two apps differ"
    );
}

#[test]
fn the_cdk_cli_deploys_the_rust_app_on_the_emulator() {
    let Some(manifest) = manifest() else {
        return;
    };
    let Some(emulator) = AccountEmulator::start(cdk_app::ACCOUNT) else {
        return;
    };
    let (dir, _) = synth_rust(&manifest);

    let tools = test_support::tool("cdk").unwrap();
    let bin = tools.parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(repo_root().join("scripts/ops/deploy-emulator"))
        .env("PATH", &path)
        .arg("--endpoint")
        .arg(format!("{}={}", emulator.account(), emulator.endpoint()))
        .arg(dir.path())
        .output()
        .expect("running scripts/ops/deploy-emulator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "deploy-emulator failed ({}):\n{stdout}\n{}\nemulator log: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        emulator.log().display()
    );
    let expected = format!(
        "stack {} {} {} CREATE_COMPLETE",
        cdk_app::STACK_NAME,
        cdk_app::ACCOUNT,
        cdk_app::REGION
    );
    assert!(stdout.lines().any(|l| l == expected), "{stdout}");

    // The function the stack created names a table and a queue that exist.
    let aws = |args: &[&str]| -> Value {
        let out = Command::new(bin.join("aws"))
            .args(args)
            .args([
                "--endpoint-url",
                &emulator.endpoint(),
                "--region",
                cdk_app::REGION,
                "--output",
                "json",
            ])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let functions = aws(&["lambda", "list-functions"]);
    let function = functions["Functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["FunctionName"]
                .as_str()
                .unwrap()
                .starts_with("JsiiCdkApp-Handler")
        })
        .unwrap_or_else(|| panic!("no function: {functions}"));
    let vars = &function["Environment"]["Variables"];
    let table = vars["TABLE_NAME"].as_str().unwrap();
    let described = aws(&["dynamodb", "describe-table", "--table-name", table]);
    assert_eq!(described["Table"]["TableStatus"], "ACTIVE");
    let queue_url = vars["QUEUE_URL"].as_str().unwrap();
    let attributes = aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        queue_url,
        "--attribute-names",
        "VisibilityTimeout",
    ]);
    assert_eq!(attributes["Attributes"]["VisibilityTimeout"], "60");
}
