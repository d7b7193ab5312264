//! The delivery chain names only what it publishes:
//! - every overlay runs an image (account, region, repository, tag) that its stack's
//!   repository holds in both CloudFormation and Terraform, and that the promotion workflow
//!   pushes there before it applies the overlay, under the tag `infra-gen package` names;
//! - every file a Terraform module uploads is one `infra-gen package` writes, at a path that
//!   resolves from the module directory to the package directory;
//! - the workflow is the only deployer (Octopus records), and each stage publishes code and
//!   image before anything that names them is applied;
//! - checkov, run as users run it on `generated/`, finds nothing.

mod common;

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use common::*;
use infra_gen::{assets, package, spec};

/// The OCI layout `infra-gen package` writes and the workflow pushes from.
const IMAGE_LAYOUT: &str = "target/images/cdc-consumer";
const IMAGE_RECORD: &str = "target/images/cdc-consumer.json";

/// An image reference split into what must agree along the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImageRef {
    account: String,
    region: String,
    repository: String,
    tag: String,
}

impl ImageRef {
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`.
    fn parse(image: &str) -> Option<ImageRef> {
        let (host, rest) = image.split_once('/')?;
        let (account, host) = host.split_once(".dkr.ecr.")?;
        let region = host.strip_suffix(".amazonaws.com")?;
        let (repository, tag) = rest.rsplit_once(':')?;
        Some(ImageRef {
            account: account.into(),
            region: region.into(),
            repository: repository.into(),
            tag: tag.into(),
        })
    }
}

/// The container images of a rendered overlay.
fn overlay_images(overlay: &Path) -> Vec<String> {
    let rendered = kustomize(overlay);
    let mut images: Vec<String> = String::from_utf8_lossy(&rendered)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("image: "))
        .map(|i| i.trim_matches('"').to_string())
        .collect();
    images.sort();
    images.dedup();
    images
}

/// What the rest of the chain says one env-region's consumer image is.
struct Published {
    /// From the CloudFormation template and its manifest (the stack's account and region).
    cloudformation: ImageRef,
    /// From the Terraform module (provider's allowed account, region variable, repository).
    terraform: ImageRef,
    /// From the promotion workflow's matrix entry for the stage and region.
    workflow: ImageRef,
}

/// The `name = "..."` value (or other string attribute) of a Terraform resource block.
fn tf_string(text: &str, kind: &str, name: &str, attribute: &str) -> String {
    let start = text
        .find(&format!("resource \"{kind}\" \"{name}\" {{"))
        .unwrap_or_else(|| panic!("no {kind}.{name}"));
    let block = &text[start..start + text[start..].find("\n}\n").unwrap()];
    block
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == attribute).then(|| value.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("{kind}.{name} has no {attribute}"))
}

fn published(generated: &Path, workflow: &serde_json::Value, env: &str, region: &str) -> Published {
    let tag = assets::source_hashes(&repo_root())
        .unwrap()
        .consumer_image_tag();
    let unit = generated.join(format!("cloudformation/{env}-{region}"));
    let stack = format!("infra-gen-{env}-{region}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(unit.join("manifest.json")).unwrap()).unwrap();
    let environment = manifest["artifacts"][&stack]["environment"]
        .as_str()
        .unwrap()
        .strip_prefix("aws://")
        .unwrap()
        .to_string();
    let (account, cfn_region) = environment.split_once('/').unwrap();
    let template: serde_json::Value = serde_json::from_slice(
        &std::fs::read(unit.join(format!("{stack}.template.json"))).unwrap(),
    )
    .unwrap();
    let repositories: Vec<&serde_json::Value> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::ECR::Repository")
        .collect();
    assert_eq!(repositories.len(), 1, "{stack}: one image repository");
    let cloudformation = ImageRef {
        account: account.into(),
        region: cfn_region.into(),
        repository: repositories[0]["Properties"]["RepositoryName"]
            .as_str()
            .unwrap()
            .into(),
        tag: tag.clone(),
    };

    let module = generated.join(format!("terraform/{env}/{region}"));
    let main_tf = std::fs::read_to_string(module.join("main.tf")).unwrap();
    let versions = std::fs::read_to_string(module.join("versions.tf")).unwrap();
    let variables = std::fs::read_to_string(module.join("variables.tf")).unwrap();
    let tf_account = versions
        .lines()
        .find_map(|l| l.trim().strip_prefix("allowed_account_ids = [\""))
        .and_then(|rest| rest.strip_suffix("\"]"))
        .expect("the provider pins its account");
    let region_variable = &variables[variables.find("variable \"region\"").unwrap()..];
    let tf_region = region_variable
        .lines()
        .find_map(|l| l.trim().strip_prefix("default     = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("the region variable has its default");
    let terraform = ImageRef {
        account: tf_account.into(),
        region: tf_region.into(),
        repository: tf_string(
            &main_tf,
            "aws_ecr_repository",
            "consumer_image_repository",
            "name",
        ),
        tag: tag.clone(),
    };

    let job = &workflow["jobs"][format!("deploy-{env}")];
    let entry = job["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["region"] == region)
        .unwrap_or_else(|| panic!("deploy-{env} has no {region}"));
    let registry = format!("{}/x:y", entry["registry"].as_str().unwrap());
    let host = ImageRef::parse(&registry).expect("the matrix names an ECR registry");
    let workflow = ImageRef {
        account: host.account,
        region: host.region,
        repository: entry["repository"].as_str().unwrap().into(),
        // The tag is the one `package` recorded (checked in the step's script below).
        tag,
    };
    Published {
        cloudformation,
        terraform,
        workflow,
    }
}

/// The differences between an overlay's images and what the chain publishes, as messages.
fn mismatches(unit: &str, images: &[String], published: &Published) -> Vec<String> {
    let [image] = images else {
        return vec![format!("{unit}: runs {images:?}, not exactly one image")];
    };
    let Some(running) = ImageRef::parse(image) else {
        return vec![format!("{unit}: {image} is not an ECR image reference")];
    };
    let mut out = Vec::new();
    for (source, expected) in [
        ("CloudFormation", &published.cloudformation),
        ("Terraform", &published.terraform),
        ("the promotion workflow", &published.workflow),
    ] {
        for (part, got, want) in [
            ("account", &running.account, &expected.account),
            ("region", &running.region, &expected.region),
            ("repository", &running.repository, &expected.repository),
            ("tag", &running.tag, &expected.tag),
        ] {
            if got != want {
                out.push(format!(
                    "{unit}: the overlay's {part} is {got}, {source} publishes {want}"
                ));
            }
        }
    }
    out
}

fn workflow_json(delivery: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(delivery.join(".github/workflows/promote.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("promote.yml is YAML")
}

fn step_index(steps: &[serde_json::Value], needle: &str) -> usize {
    steps
        .iter()
        .position(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)))
        .unwrap_or_else(|| panic!("no step runs `{needle}`"))
}

#[test]
fn every_overlay_runs_an_image_the_chain_publishes() {
    let generated = synth_all();
    let delivery = synth_delivery();
    let workflow = workflow_json(delivery.path());
    let envs = spec::load_dir(&repo_root().join("environments")).unwrap();
    let mut compared = 0;
    for env in &envs {
        // The stage's publish step pushes package's layout, under package's tag, to the
        // matrix's registry and repository, between the stack and the overlay.
        let steps = workflow["jobs"][format!("deploy-{}", env.name)]["steps"]
            .as_array()
            .unwrap()
            .clone();
        let deploy = step_index(&steps, "deploy --app");
        let publish = step_index(&steps, "skopeo copy");
        let apply = step_index(&steps, "kubectl apply -k");
        assert!(
            deploy < publish && publish < apply,
            "{}: the stack, then the image, then the overlay",
            env.name
        );
        let script = steps[publish]["run"].as_str().unwrap();
        for expected in [
            format!("record={IMAGE_RECORD}"),
            "tag=$(jq -r .tag \"$record\")".to_string(),
            "wanted=\"${REGISTRY}/${REPOSITORY}:${tag}\"".to_string(),
            format!("\"oci:{IMAGE_LAYOUT}:${{tag}}\" \"docker://${{wanted}}\""),
            "test \"$pushed\" = \"$digest\"".to_string(),
        ] {
            assert!(
                script.contains(&expected),
                "{}: no `{expected}` in\n{script}",
                env.name
            );
        }
        let step_env = &steps[publish]["env"];
        assert_eq!(step_env["REGISTRY"], "${{ matrix.registry }}");
        assert_eq!(step_env["REPOSITORY"], "${{ matrix.repository }}");

        for rs in &env.regions {
            let unit = format!("{}-{}", rs.env, rs.region);
            let overlay = generated.path().join(format!("kustomize/overlays/{unit}"));
            let images = overlay_images(&overlay);
            let chain = published(generated.path(), &workflow, &rs.env, &rs.region);
            let wrong = mismatches(&unit, &images, &chain);
            assert!(wrong.is_empty(), "{}", wrong.join("\n"));
            compared += 1;
        }
    }
    assert_eq!(compared, 6);

    // The comparison fails when any part of an overlay's image differs.
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&generated.path().join("kustomize"), copy.path());
    let overlay = copy.path().join("overlays/staging-us-east-1");
    let kustomization = overlay.join("kustomization.yaml");
    let original = std::fs::read_to_string(&kustomization).unwrap();
    let chain = published(generated.path(), &workflow, "staging", "us-east-1");
    let tag = &chain.cloudformation.tag;
    for (part, from, to) in [
        (
            "tag",
            format!("newTag: {tag}"),
            "newTag: sha-0000000000000000".to_string(),
        ),
        (
            "account",
            "222222222222.dkr".to_string(),
            "999999999999.dkr".to_string(),
        ),
        (
            "region",
            "ecr.us-east-1".to_string(),
            "ecr.eu-west-1".to_string(),
        ),
        (
            "repository",
            "/infra-gen/cdc-consumer".to_string(),
            "/infra-gen/other".to_string(),
        ),
    ] {
        assert!(
            original.contains(&from),
            "{part}: no `{from}` in\n{original}"
        );
        std::fs::write(&kustomization, original.replace(&from, &to)).unwrap();
        let wrong = mismatches("altered", &overlay_images(&overlay), &chain);
        assert_eq!(wrong.len(), 3, "{part}: {wrong:?}");
        assert!(
            wrong
                .iter()
                .all(|w| w.contains(&format!("the overlay's {part} is"))),
            "{wrong:?}"
        );
    }
}

/// `a/b/../c` -> `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => assert!(out.pop(), "{} climbs above the root", path.display()),
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_file_a_terraform_module_uploads_is_one_package_writes() {
    let generated = synth_all();
    let root = repo_root();
    let envs = spec::load_dir(&root.join("environments")).unwrap();
    let hashes = assets::source_hashes(&root).unwrap();
    let produced: Vec<PathBuf> = package::artefacts(&envs, &hashes, &[])
        .iter()
        .map(|a| Path::new(package::ASSET_DIR).join(a.file_name()))
        .collect();
    let mut referenced = 0;
    for env in &envs {
        for rs in &env.regions {
            let module = format!("terraform/{}/{}", rs.env, rs.region);
            let dir = generated.path().join(&module);
            let mut text = String::new();
            for file in files_matching(&dir, |p| p.ends_with(".tf")) {
                text.push_str(&std::fs::read_to_string(file).unwrap());
            }
            assert!(
                !text.contains("cdk-hnb659fds"),
                "{module}: names the CDK bootstrap bucket, which only `cdk deploy` fills"
            );
            // Every `${path.module}/...` path, as the repository sees it.
            let paths: Vec<&str> = text
                .split("\"${path.module}/")
                .skip(1)
                .map(|rest| &rest[..rest.find('"').unwrap()])
                .collect();
            assert!(!paths.is_empty(), "{module}: uploads nothing");
            for relative in paths {
                let resolved = normalise(&Path::new("generated").join(&module).join(relative));
                assert!(
                    produced.contains(&resolved),
                    "{module}: {relative} resolves to {}, which `infra-gen package` does not write (it writes {produced:?})",
                    resolved.display()
                );
                referenced += 1;
            }
            // Each function's code is the module's own object, and each object exists.
            for function in rs.spec.functions.keys() {
                let id = infra_gen::construct::LogicalId::from_path(&[function]).snake_case();
                let object = format!("aws_s3_object.{id}_code");
                assert_eq!(
                    tf_string(&text, "aws_lambda_function", &id, "s3_key"),
                    format!("{object}.key"),
                    "{module}: {function}"
                );
                assert!(
                    text.contains(&format!("resource \"aws_s3_object\" \"{id}_code\" {{")),
                    "{module}: no {object}"
                );
            }
        }
    }
    // Each module uploads each of its functions' zips twice over: `source` and `source_hash`.
    assert_eq!(referenced, 6 * 5 * 2);
}

#[test]
fn octopus_records_and_the_workflow_alone_deploys() {
    let delivery = synth_delivery();
    let process =
        std::fs::read_to_string(delivery.path().join(".octopus/deployment_process.ocl")).unwrap();
    for deploying in [
        "Octopus.AwsRunCloudFormation",
        "kubectl apply",
        "Octopus.KubernetesRunScript",
        "packages",
    ] {
        assert!(
            !process.contains(deploying),
            "the Octopus process deploys ({deploying}); the workflow is the only deployer"
        );
    }
    let workflow = workflow_json(delivery.path());
    let jobs = workflow["jobs"].as_object().unwrap();
    let envs = spec::load_dir(&repo_root().join("environments")).unwrap();
    for env in infra_gen::render::delivery::promotion_order(&envs) {
        let record = &jobs[&format!("record-{}", env.name)];
        let needs: Vec<&str> = record["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            needs.contains(&format!("deploy-{}", env.name).as_str()),
            "Octopus records {} only after the workflow deployed it: {needs:?}",
            env.name
        );
        let script = record["steps"][0]["run"].as_str().unwrap();
        assert!(
            script.contains("/deployments/create/untenanted/v1"),
            "{script}"
        );
    }
    // Built once: only the build job runs `package`.
    let packaging: Vec<&String> = jobs
        .iter()
        .filter(|(_, job)| {
            job["steps"].as_array().into_iter().flatten().any(|s| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.contains("infra-gen -- package"))
            })
        })
        .map(|(name, _)| name)
        .collect();
    assert_eq!(packaging, ["build"]);
}

/// checkov as users run it: `checkov -d generated/` and `checkov -d generated/kustomize
/// --framework kustomize`, from the repository root, on the committed output.
#[test]
fn checkov_as_users_run_it_on_generated_finds_nothing() {
    let Some(checkov) = test_support::tool("checkov") else {
        return;
    };
    for args in [
        vec!["-d", "generated/"],
        vec!["-d", "generated/kustomize", "--framework", "kustomize"],
    ] {
        let out = Command::new(&checkov)
            .args(&args)
            .args(["--skip-download", "--quiet", "--compact", "-o", "json"])
            .env("BC_SKIP_MAPPING", "TRUE")
            .current_dir(repo_root())
            .output()
            .expect("run checkov");
        let text = String::from_utf8_lossy(&out.stdout);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "checkov {args:?}: not JSON ({e}):\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let reports = match json {
            serde_json::Value::Array(reports) => reports,
            report => vec![report],
        };
        let mut failures = Vec::new();
        let (mut passed, mut frameworks) = (0, Vec::new());
        for report in &reports {
            passed += report["summary"]["passed"].as_u64().unwrap_or(0);
            frameworks.push(report["check_type"].as_str().unwrap_or("?").to_string());
            for check in report["results"]["failed_checks"]
                .as_array()
                .into_iter()
                .flatten()
            {
                failures.push(format!(
                    "{} {} in {}",
                    check["check_id"], check["resource"], check["file_path"]
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "checkov {args:?}: {} failed checks:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(
            frameworks.iter().any(|f| f == "kustomize") && passed > 500,
            "checkov {args:?} scanned too little: {frameworks:?}, {passed} passed"
        );
        assert!(
            out.status.success(),
            "checkov {args:?} exited {}",
            out.status
        );
    }
}

/// The repository each overlay pulls from is what its template creates: the template's data
/// key and image repository, exactly as generated, created by CloudFormation on the emulator
/// (one per account, so the registry's account is the stack's), answer with the overlay's
/// image name. moto keeps the name and tag immutability; it drops scanning, encryption and the
/// lifecycle policy (cfn-lint and checkov check those statically).
#[test]
fn the_repository_each_overlay_pulls_from_is_created_by_its_stack() {
    let Some(aws) = test_support::tool("aws") else {
        return;
    };
    let generated = synth_all();
    let envs = spec::load_dir(&repo_root().join("environments")).unwrap();
    let mut created = 0;
    for env in &envs {
        let account = &env.spec().account;
        let Some(emulator) = test_support::moto::AccountEmulator::start(account) else {
            return;
        };
        for rs in &env.regions {
            let unit = format!("{}-{}", rs.env, rs.region);
            let stack = format!("infra-gen-{unit}");
            let template: serde_json::Value = serde_json::from_slice(
                &std::fs::read(
                    generated
                        .path()
                        .join(format!("cloudformation/{unit}/{stack}.template.json")),
                )
                .unwrap(),
            )
            .unwrap();
            let resources = template["Resources"].as_object().unwrap();
            let (repository_id, _) = resources
                .iter()
                .find(|(_, r)| r["Type"] == "AWS::ECR::Repository")
                .expect("the stack creates the image repository");
            let subset = serde_json::json!({
                "Resources": {
                    "DataKey": resources["DataKey"],
                    repository_id.clone(): resources[repository_id],
                }
            });
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), subset.to_string()).unwrap();
            let run = |args: &[&str]| -> serde_json::Value {
                let out = Command::new(&aws)
                    .args([
                        "--endpoint-url",
                        &emulator.endpoint(),
                        "--region",
                        &rs.region,
                    ])
                    .args(["--output", "json"])
                    .args(args)
                    .env("AWS_ACCESS_KEY_ID", format!("AKIA{account}"))
                    .env("AWS_SECRET_ACCESS_KEY", "emulator")
                    .output()
                    .expect("run the AWS CLI");
                assert!(
                    out.status.success(),
                    "aws {args:?}: {} (emulator log {})",
                    String::from_utf8_lossy(&out.stderr),
                    emulator.log().display()
                );
                serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
            };
            run(&[
                "cloudformation",
                "create-stack",
                "--stack-name",
                &stack,
                "--template-body",
                &format!("file://{}", file.path().display()),
            ]);
            let mut status = String::new();
            for _ in 0..60 {
                status =
                    run(&["cloudformation", "describe-stacks", "--stack-name", &stack])["Stacks"]
                        [0]["StackStatus"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                if !status.ends_with("_IN_PROGRESS") {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            assert_eq!(status, "CREATE_COMPLETE", "{unit}");
            let images =
                overlay_images(&generated.path().join(format!("kustomize/overlays/{unit}")));
            let (name, _tag) = images[0].rsplit_once(':').unwrap();
            let repository = name.split_once('/').unwrap().1;
            let described = run(&[
                "ecr",
                "describe-repositories",
                "--repository-names",
                repository,
            ]);
            let found = &described["repositories"][0];
            assert_eq!(found["repositoryUri"], name, "{unit}");
            assert_eq!(found["imageTagMutability"], "IMMUTABLE", "{unit}");
            created += 1;
        }
    }
    assert_eq!(created, 6);
}
