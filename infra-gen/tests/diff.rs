//! `infra-gen diff` end to end: the binary on the repository's specs and on edited copies of
//! them (`--root`), a past commit of a scratch git repository (`--base`), and the engine on
//! real synthesised templates for the changes the specs cannot express (a new function, a
//! new table key schema: both are the platform's code, not its configuration).

mod common;

use std::path::Path;

use common::*;
use infra_gen::diff::compare::{self, StackTemplate};
use infra_gen::diff::{ChangeKind, StackStatus};
use infra_gen::{assets, platform, spec};
use serde_json::{Value as Json, json};

fn json_report(args: &[&str], root: &Path) -> Json {
    let root = root.to_str().unwrap();
    let mut all = vec!["--root", root, "diff", "--format", "json"];
    all.extend_from_slice(args);
    let text = succeeded(&infra_gen(&all, Path::new("/")));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// (logical id, property paths) of every changed resource of one stack of a JSON report.
fn changed(stack: &Json) -> Vec<(String, Vec<String>)> {
    stack["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let paths = r["properties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["path"].as_str().unwrap().to_string())
                .collect();
            (r["logical_id"].as_str().unwrap().to_string(), paths)
        })
        .collect()
}

fn resource<'a>(stack: &'a Json, id: &str) -> &'a Json {
    stack["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["logical_id"] == id)
        .unwrap_or_else(|| panic!("no change to {id} in {stack:#}"))
}

/// A scratch copy of the specs only: the sources are absent on both sides of every
/// comparison, so asset hashes agree and only spec edits show. (So every `--base` test also
/// covers paths that are missing at the base commit: crates/, functions/, Cargo.toml, ...)
fn specs_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &repo_root().join("environments"),
        &dir.path().join("environments"),
    );
    dir
}

/// A git repository whose one commit holds the repository's specs.
fn committed_specs() -> tempfile::TempDir {
    let dir = specs_copy();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "environments"]);
    git(dir.path(), &["commit", "-q", "-m", "specs"]);
    dir
}

#[test]
fn regions_of_each_environment_differ_only_where_the_spec_says() {
    let report = json_report(
        &["--env", "prod", "--regions", "us-west-2,us-east-1"],
        &repo_root(),
    );
    assert_eq!(report["stacks"].as_array().unwrap().len(), 1);
    let stack = &report["stacks"][0];
    assert_eq!(stack["old"], "prod/us-west-2");
    assert_eq!(stack["new"], "prod/us-east-1");
    assert_eq!(stack["template"], json!([]));
    let changes = changed(stack);
    let ids: Vec<&str> = changes.iter().map(|(id, _)| id.as_str()).collect();
    // prod's us-east-1 override of stream.batch_size, and each region's EKS OIDC provider
    // (the consumer's trust policy). The brokers are Kustomize-only, and the peer health
    // URL is by definition the other region's: both normalise to the same template.
    assert_eq!(ids, ["ConsumerRole", "StreamProcessorEventSource"]);
    let batch = resource(stack, "StreamProcessorEventSource");
    assert_eq!(
        batch["properties"],
        json!([{"path": "Properties.BatchSize", "old": 500, "new": 250, "replacement": false, "security": false}])
    );
    let trust = resource(stack, "ConsumerRole");
    assert_eq!(trust["security"], true);
    assert_eq!(trust["replacement"], false);
    for (_, paths) in changes.iter().filter(|(id, _)| id == "ConsumerRole") {
        for path in paths {
            assert!(
                path.starts_with("Properties.AssumeRolePolicyDocument.Statement[0]."),
                "{path}"
            );
        }
    }
    for p in trust["properties"].as_array().unwrap() {
        let text = format!("{}{}{}", p["path"], p["old"], p["new"]);
        assert!(text.contains("oidc"), "{text}");
        assert!(
            !text.contains("us-west-2") && !text.contains("us-east-1"),
            "{text}"
        );
    }

    // dev and staging have no region-specific settings beyond the OIDC provider.
    for env in ["dev", "staging"] {
        let report = json_report(&["--env", env], &repo_root());
        let ids: Vec<String> = changed(&report["stacks"][0])
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["ConsumerRole"], "{env}");
    }
}

#[test]
fn memory_changed_in_prod_only_shows_in_prod_only() {
    let repo = committed_specs();
    edit(
        repo.path(),
        "prod.yaml",
        "health-checker: {log_retention_days: 365}",
        "health-checker: {memory_mb: 256, log_retention_days: 365}",
    );
    let report = json_report(&["--base", "HEAD"], repo.path());
    let stacks = report["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 6);
    for stack in stacks {
        let label = stack["new"].as_str().unwrap();
        assert_eq!(stack["old"], format!("{label}@HEAD"));
        if label.starts_with("prod/") {
            assert_eq!(stack["status"], "modified", "{label}");
            assert_eq!(
                resource(stack, "HealthChecker")["properties"],
                json!([{"path": "Properties.MemorySize", "old": 128, "new": 256, "replacement": false, "security": false}])
            );
            assert_eq!(changed(stack).len(), 1, "{label}");
        } else {
            assert_eq!(stack["status"], "unchanged", "{label}");
        }
    }
    assert_eq!(report["summary"]["resources_modified"], 2);

    // --env narrows to one environment.
    let staging = json_report(&["--base", "HEAD", "--env", "staging"], repo.path());
    assert_eq!(staging["stacks"].as_array().unwrap().len(), 2);
    assert_eq!(staging["summary"]["resources_modified"], 0);
}

#[test]
fn widening_an_iam_statement_is_flagged_as_security() {
    let repo = committed_specs();
    // Lets the consumer put events on the bus: a new statement in its role's policy.
    edit(
        repo.path(),
        "staging.yaml",
        "consumer:\n",
        "consumer:\n  publish_cdc_events: true\n",
    );
    let report = json_report(&["--base", "HEAD", "--env", "staging"], repo.path());
    assert_eq!(report["summary"]["security"], 2);
    for stack in report["stacks"].as_array().unwrap() {
        assert_eq!(changed(stack).len(), 1, "{stack:#}");
        let role = resource(stack, "ConsumerRole");
        assert_eq!(role["security"], true);
        let grant = &role["properties"][0];
        assert_eq!(
            grant["path"],
            "Properties.Policies[0].PolicyDocument.Statement[4]"
        );
        assert_eq!(grant["old"], Json::Null);
        assert_eq!(grant["new"]["Action"], "events:PutEvents");
        assert_eq!(grant["security"], true);
    }
}

#[test]
fn switching_the_dns_routing_policy_replaces_the_shared_records() {
    let repo = committed_specs();
    edit(
        repo.path(),
        "prod.yaml",
        "  routing: latency\n",
        "  routing: failover\n  primary_region: us-west-2\n",
    );
    let report = json_report(&["--base", "HEAD", "--env", "prod"], repo.path());
    for stack in report["stacks"].as_array().unwrap() {
        assert_eq!(changed(stack).len(), 1, "{stack:#}");
        let record = resource(stack, "ApiRecord");
        assert_eq!(record["replacement"], true, "{record:#}");
        let paths: Vec<&str> = record["properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["Properties.Failover", "Properties.Region"]);
    }
}

#[test]
fn renaming_the_api_record_replaces_certificate_domain_mapping_and_record() {
    let repo = committed_specs();
    edit(
        repo.path(),
        "prod.yaml",
        "  record: api.example.com\n",
        "  record: events.example.com\n",
    );
    let report = json_report(&["--base", "HEAD", "--env", "prod"], repo.path());
    for stack in report["stacks"].as_array().unwrap() {
        let label = stack["new"].as_str().unwrap();
        // Every DNS resource names the record, and so does the health-checker's peer URL.
        for id in [
            "ApiCertificate",
            "ApiDomain",
            "ApiRegionalDomain",
            "ApiRecord",
            "ApiRegionalRecord",
        ] {
            assert_eq!(resource(stack, id)["replacement"], true, "{label} {id}");
        }
        assert_eq!(
            resource(stack, "ApiCertificate")["security"],
            true,
            "{label}"
        );
        assert_eq!(
            resource(stack, "HealthChecker")["replacement"],
            false,
            "{label}"
        );
    }
}

#[test]
fn fail_exits_1_only_when_something_differs() {
    let repo = committed_specs();
    let root = repo.path().to_str().unwrap();
    let args = ["--root", root, "diff", "--base", "HEAD", "--fail"];
    let clean = infra_gen(&args, Path::new("/"));
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("no differences"));

    edit(
        repo.path(),
        "dev.yaml",
        "lambda_error_threshold: 10",
        "lambda_error_threshold: 20",
    );
    let dirty = infra_gen(&args, Path::new("/"));
    assert_eq!(dirty.status.code(), Some(1), "{}", stdout(&dirty));
    // Without --fail, differences are not a failure.
    let report = infra_gen(&args[..args.len() - 1], Path::new("/"));
    assert_eq!(report.status.code(), Some(0));
    assert!(stdout(&report).contains("Properties.Threshold: 10 -> 20"));
}

#[test]
fn a_new_environment_is_a_whole_stack_addition() {
    let repo = committed_specs();
    std::fs::copy(
        repo.path().join("environments/staging.yaml"),
        repo.path().join("environments/qa.yaml"),
    )
    .unwrap();
    let report = json_report(&["--base", "HEAD"], repo.path());
    let added: Vec<&str> = report["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "added")
        .map(|s| s["new"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["qa/us-east-1", "qa/us-west-2"]);
    assert_eq!(report["summary"]["stacks_added"], 2);
}

#[test]
fn an_unknown_base_ref_is_a_usage_error() {
    let repo = committed_specs();
    let root = repo.path().to_str().unwrap();
    let unknown = infra_gen(
        &["--root", root, "diff", "--base", "no-such-ref"],
        Path::new("/"),
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-ref"));
    let option = infra_gen(
        &["--root", root, "diff", "--base=--output=/tmp/x"],
        Path::new("/"),
    );
    assert_eq!(option.status.code(), Some(2));
}

#[test]
fn invalid_specs_at_the_base_commit_exit_1() {
    let repo = committed_specs();
    edit(
        repo.path(),
        "prod.yaml",
        "memory_mb: 1024",
        "memory_mb: 99999",
    );
    git(repo.path(), &["commit", "-q", "-am", "invalid"]);
    edit(
        repo.path(),
        "prod.yaml",
        "memory_mb: 99999",
        "memory_mb: 1024",
    );
    let out = infra_gen(
        &[
            "--root",
            repo.path().to_str().unwrap(),
            "diff",
            "--base",
            "HEAD",
        ],
        Path::new("/"),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("memory_mb") && stderr.contains("the specs at HEAD"),
        "{stderr}"
    );
}

#[test]
fn environments_compare_region_by_region_without_names_or_accounts() {
    let report = json_report(&["--from", "staging", "--to", "prod"], &repo_root());
    let stacks = report["stacks"].as_array().unwrap();
    let pairs: Vec<(&str, &str)> = stacks
        .iter()
        .map(|s| (s["old"].as_str().unwrap(), s["new"].as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("staging/us-west-2", "prod/us-west-2"),
            ("staging/us-east-1", "prod/us-east-1")
        ]
    );
    for stack in stacks {
        let router = resource(stack, "EventRouter");
        let memory = router["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["path"] == "Properties.MemorySize")
            .unwrap();
        assert_eq!(
            (&memory["old"], &memory["new"]),
            (&json!(512), &json!(1024))
        );
        // Names and account ids are normalised away: no change is only a rename.
        let text = stack.to_string();
        for raw in [
            "222222222222",
            "333333333333",
            "infra-gen-staging",
            "InfraGenStaging",
        ] {
            assert!(!text.contains(raw), "{raw} in {text}");
        }
    }
}

#[test]
fn text_and_markdown_output() {
    let root = repo_root();
    let text = succeeded(&infra_gen(&["diff", "--env", "prod"], &root));
    assert!(
        text.starts_with("diff prod: us-west-2 -> us-east-1\n"),
        "{text}"
    );
    assert!(text.contains("~ StreamProcessorEventSource (AWS::Lambda::EventSourceMapping)"));
    assert!(text.contains("Properties.BatchSize: 500 -> 250"));
    assert!(text.contains("~ ConsumerRole (AWS::IAM::Role) [SECURITY]"));
    // Not a terminal: no colour unless asked for.
    assert!(!text.contains('\x1b'));
    let coloured = succeeded(&infra_gen(
        &["diff", "--env", "prod", "--color", "always"],
        &root,
    ));
    assert!(coloured.contains("\x1b[33m~ StreamProcessorEventSource"));

    let md = succeeded(&infra_gen(
        &["diff", "--env", "prod", "--format", "markdown"],
        &root,
    ));
    assert!(
        md.starts_with("## infra-gen diff: prod: us-west-2 -> us-east-1\n"),
        "{md}"
    );
    assert!(md.contains("### `prod/us-west-2 -> prod/us-east-1`: modified"));
    assert!(md.contains(
        "| | Resource | Type | Property | Old | New | Flags |\n|---|---|---|---|---|---|---|\n"
    ));
    assert!(md.contains(
        "| ~ | `StreamProcessorEventSource` | `AWS::Lambda::EventSourceMapping` | `Properties.BatchSize` | `500` | `250` |  |"
    ));
    assert!(md.contains("| SECURITY |"));
}

#[test]
fn usage_errors_exit_2() {
    let root = repo_root();
    for args in [
        &["diff", "--env", "prod", "--regions", "us-west-2"][..],
        &["diff", "--env", "prod", "--regions", "us-west-2,eu-west-1"],
        &["diff", "--env", "prod", "--regions", "us-west-2,us-west-2"],
        &["diff", "--env", "qa"],
        &["diff", "--from", "staging", "--to", "qa"],
        &["diff"],
        &["diff", "--from", "staging"],
    ] {
        let out = infra_gen(args, &root);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn invalid_specs_exit_1() {
    let dir = specs_copy();
    edit(
        dir.path(),
        "prod.yaml",
        "memory_mb: 1024",
        "memory_mb: 99999",
    );
    let out = infra_gen(
        &[
            "--root",
            dir.path().to_str().unwrap(),
            "diff",
            "--env",
            "prod",
        ],
        Path::new("/"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("memory_mb"));
}

/// The repository's templates, synthesised in process.
fn synthesised() -> Vec<StackTemplate> {
    let root = repo_root();
    let envs = spec::load_dir(&root.join("environments")).unwrap();
    let hashes = assets::source_hashes(&root).unwrap();
    compare::stack_templates(&platform::build_app(&envs, &hashes).unwrap())
}

fn edited(stacks: &[StackTemplate], edit: impl Fn(&mut Json)) -> Vec<StackTemplate> {
    stacks
        .iter()
        .cloned()
        .map(|mut s| {
            edit(&mut s.template);
            s
        })
        .collect()
}

#[test]
fn adding_a_function_is_reported_as_added_resources() {
    let old = synthesised();
    // A sixth function the way the platform builds one: function, role and log group.
    let new = edited(&old, |t| {
        let resources = t["Resources"].as_object_mut().unwrap();
        for (from, to) in [
            ("EventRouter", "AuditSink"),
            ("EventRouterRole", "AuditSinkRole"),
            ("EventRouterLogs", "AuditSinkLogs"),
        ] {
            let copy = resources[from].clone();
            resources.insert(to.into(), copy);
        }
    });
    let report = compare::against_base(&old, &new, "fixture", Some("prod")).unwrap();
    assert_eq!(report.stacks.len(), 2);
    for stack in &report.stacks {
        let added: Vec<(&str, &str, bool)> = stack
            .resources
            .iter()
            .map(|r| {
                assert_eq!(r.change, ChangeKind::Added);
                (r.logical_id.as_str(), r.resource_type.as_str(), r.security)
            })
            .collect();
        assert_eq!(
            added,
            [
                ("AuditSink", "AWS::Lambda::Function", false),
                ("AuditSinkLogs", "AWS::Logs::LogGroup", false),
                ("AuditSinkRole", "AWS::IAM::Role", true),
            ]
        );
    }
    assert_eq!(report.summary.resources_added, 6);
    assert_eq!(report.summary.security, 2);
}

#[test]
fn changing_the_table_key_schema_is_flagged_as_replacement() {
    let old = synthesised();
    let new = edited(&old, |t| {
        let table = &mut t["Resources"]["EventsTable"]["Properties"];
        table["KeySchema"][0]["AttributeName"] = json!("tenant");
        table["AttributeDefinitions"][0]["AttributeName"] = json!("tenant");
    });
    let report = compare::against_base(&old, &new, "fixture", None).unwrap();
    assert_eq!(report.summary.replacements, 6);
    for stack in &report.stacks {
        assert_eq!(stack.status, StackStatus::Modified);
        assert_eq!(stack.resources.len(), 1);
        let table = &stack.resources[0];
        assert_eq!(table.logical_id, "EventsTable");
        assert!(table.replacement && !table.security);
        let flagged: Vec<(&str, bool)> = table
            .properties
            .iter()
            .map(|p| (p.path.as_str(), p.replacement))
            .collect();
        assert_eq!(
            flagged,
            [
                ("Properties.AttributeDefinitions[0].AttributeName", false),
                ("Properties.KeySchema[0].AttributeName", true),
            ]
        );
    }
}
