//! The `infra-gen` binary end to end: determinism across checkout paths, the drift check,
//! exit codes, and that a failed synth leaves the output directory exactly as it was.

mod common;

use common::*;

/// What synth reads: the specs and the sources it hashes.
fn copy_checkout(to: &std::path::Path) {
    let root = repo_root();
    for dir in ["environments", "functions", "consumer", "crates"] {
        if root.join(dir).exists() {
            copy_tree(&root.join(dir), &to.join(dir));
        }
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(root.join(file), to.join(file)).unwrap();
    }
}

#[test]
fn two_checkout_paths_give_identical_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let nested = b.path().join("some/deeper/checkout");
    copy_checkout(a.path());
    copy_checkout(&nested);
    for root in [a.path(), nested.as_path()] {
        let out = infra_gen(
            &["--root", root.to_str().unwrap(), "synth"],
            std::path::Path::new("/"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let first = tree(&a.path().join("generated"));
    assert!(first.len() > 30, "only {} files", first.len());
    assert_eq!(first, tree(&nested.join("generated")));
    for dir in [".github", ".octopus"] {
        let delivery = tree(&a.path().join(dir));
        assert!(!delivery.is_empty(), "no {dir}");
        assert_eq!(delivery, tree(&nested.join(dir)));
    }
    // And the same as a synth of the repository itself.
    assert_eq!(first, tree(synth_all().path()));
    for (path, bytes) in &first {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(a.path().to_str().unwrap()),
            "{path} contains the checkout path"
        );
    }
}

#[test]
fn check_reports_drift_and_writes_nothing() {
    let out = synth_all();
    let out_arg = out.path().to_str().unwrap();
    // Only the generated/ formats: the repository's own .github/ must not be touched.
    let synth = |extra: &[&str]| {
        let mut args = vec!["synth", "--out", out_arg];
        args.extend(GENERATED_FORMATS);
        args.extend(extra);
        infra_gen(&args, &repo_root())
    };
    let clean = synth(&["--check"]);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );

    let template = out
        .path()
        .join("cloudformation/dev-us-west-2/infra-gen-dev-us-west-2.template.json");
    std::fs::write(&template, "{}").unwrap();
    std::fs::write(
        out.path()
            .join("cloudformation/dev-us-west-2/leftover.json"),
        "{}",
    )
    .unwrap();
    std::fs::remove_file(out.path().join("kustomize/base/pdb.yaml")).unwrap();
    let before = tree(out.path());
    let drift = synth(&["--check"]);
    assert_eq!(drift.status.code(), Some(1));
    let listing = String::from_utf8_lossy(&drift.stdout);
    assert!(
        listing.contains(
            "changed  cloudformation/dev-us-west-2/infra-gen-dev-us-west-2.template.json"
        ),
        "{listing}"
    );
    assert!(
        listing.contains("stale    cloudformation/dev-us-west-2/leftover.json"),
        "{listing}"
    );
    assert!(
        listing.contains("missing  kustomize/base/pdb.yaml"),
        "{listing}"
    );
    assert_eq!(
        before,
        tree(out.path()),
        "--check wrote to the output directory"
    );

    // A real synth repairs all three.
    assert!(synth(&[]).status.success());
    assert!(synth(&["--check"]).status.success());
}

#[test]
fn narrowed_synth_keeps_other_environments() {
    let out = synth_all();
    let out_arg = out.path().to_str().unwrap();
    let full = tree(out.path());
    let result = infra_gen(
        &[
            "synth",
            "--env",
            "dev",
            "--region",
            "us-east-1",
            "--format",
            "terraform",
            "--out",
            out_arg,
        ],
        &repo_root(),
    );
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(full, tree(out.path()));
}

#[test]
fn a_bad_spec_exits_1_names_the_line_and_leaves_the_output_untouched() {
    let checkout = tempfile::tempdir().unwrap();
    copy_tree(
        &repo_root().join("environments"),
        &checkout.path().join("environments"),
    );
    assert!(infra_gen(&["synth"], checkout.path()).status.success());
    let before = tree(&checkout.path().join("generated"));
    let prod = checkout.path().join("environments/prod.yaml");
    let text = std::fs::read_to_string(&prod)
        .unwrap()
        .replace("memory_mb: 1024, reserved", "memory_mb: 99999, reserved");
    std::fs::write(&prod, &text).unwrap();
    let line = text.lines().position(|l| l.contains("99999")).unwrap() + 1;

    let result = infra_gen(&["synth"], checkout.path());
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains(&format!("environments/prod.yaml:{line}:")),
        "{stderr}"
    );
    assert!(
        stderr.contains("functions.event-router.memory_mb"),
        "{stderr}"
    );
    assert_eq!(before, tree(&checkout.path().join("generated")));
    assert_eq!(
        infra_gen(&["validate"], checkout.path()).status.code(),
        Some(1)
    );
}

#[test]
fn usage_errors_exit_2() {
    let root = repo_root();
    assert_eq!(
        infra_gen(&["synth", "--format", "pulumi"], &root)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        infra_gen(&["synth", "--env", "nope", "--check"], &root)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(infra_gen(&["frobnicate"], &root).status.code(), Some(2));
    for command in [
        &["--help"][..],
        &["synth", "--help"],
        &["validate", "--help"],
        &["list", "--help"],
    ] {
        assert!(infra_gen(command, &root).status.success());
    }
}

#[test]
fn list_names_every_stack() {
    let out = infra_gen(&["list"], &repo_root());
    let text = String::from_utf8_lossy(&out.stdout);
    for stack in [
        "infra-gen-dev-us-west-2",
        "infra-gen-staging-us-east-1",
        "infra-gen-prod-us-west-2",
    ] {
        assert!(text.contains(stack), "{text}");
    }
}

/// The promotion smoke-checks `/health` (401 without a token) and the open `/live` (200) in
/// every environment (the peer region calls `/live`, with or without `dns`), in GitHub Actions
/// and Octopus.
#[test]
fn promotion_smoke_checks_the_health_and_liveness_routes_everywhere() {
    let out = synth_delivery();
    let workflow =
        std::fs::read_to_string(out.path().join(".github/workflows/promote.yml")).unwrap();
    let envs = infra_gen::spec::load_dir(&repo_root().join("environments")).unwrap();
    for env in &envs {
        let job = workflow
            .split("\n  deploy-")
            .find(|job| job.starts_with(&format!("{}:", env.name)))
            .unwrap_or_else(|| panic!("no deploy job for {}", env.name));
        assert!(job.contains("\"${url}health\")\n          test \"$code\" = 401"));
        assert!(
            job.contains("\"${url}live\")\n          test \"$code\" = 200"),
            "{}",
            env.name
        );
    }
    // Octopus: one process for every environment, so the step must not be scoped to some.
    let process =
        std::fs::read_to_string(out.path().join(".octopus/deployment_process.ocl")).unwrap();
    for region in &envs[0].spec().regions {
        let step = process
            .split("\nstep ")
            .find(|s| s.starts_with(&format!("\"smoke-check-live-{region}\"")))
            .unwrap_or_else(|| panic!("no liveness smoke check in {region}"));
        assert!(!step.contains("environments ="), "{step}");
        assert!(
            step.contains("live\\\"); test \\\"$code\\\" = 200"),
            "{step}"
        );
    }
}
