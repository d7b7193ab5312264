//! `infra-gen cost` and the cost change in `infra-gen diff`, end to end: the binary on the
//! repository's specs, and on edited copies committed to a scratch git repository for
//! `diff --base`. Figures that depend on the specs are stated in the edits themselves, so
//! the expected amounts below are computed by hand from what each test writes.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value as Json;

fn run_in(root: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    infra_gen(&all, Path::new("/"))
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A decimal-dollar string of the JSON output, in micro-dollars.
fn micro(value: &Json) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not money: {value}"));
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |d| (-1, d));
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    sign * (whole.parse::<i64>().unwrap() * 1_000_000
        + format!("{frac:0<6}").parse::<i64>().unwrap())
}

/// A git repository holding a copy of the repository's specs, `prepare`d, in one commit.
/// The sources are absent on both sides of a `--base`, so only spec edits show.
fn committed_specs(prepare: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &repo_root().join("environments"),
        &dir.path().join("environments"),
    );
    prepare(dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "environments"]);
    git(dir.path(), &["commit", "-q", "-m", "specs"]);
    dir
}

#[test]
fn cost_prints_every_stack_with_totals_and_dated_sources() {
    let root = repo_root();
    let report = json(&succeeded(&infra_gen(&["cost", "--format", "json"], &root)));
    assert_eq!(report["currency"], "USD");
    assert_eq!(report["free_tiers"], "ignored");
    let envs = report["environments"].as_array().unwrap();
    let names: Vec<&str> = envs.iter().map(|e| e["env"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev", "prod", "staging"]);
    let mut overall = 0;
    for env in envs {
        let mut env_total = 0;
        for stack in env["stacks"].as_array().unwrap() {
            let lines = stack["lines"].as_array().unwrap();
            assert!(!lines.is_empty());
            let sum: i64 = lines.iter().map(|l| micro(&l["monthly"])).sum();
            assert_eq!(sum, micro(&stack["monthly"]), "{}", stack["stack"]);
            for line in lines {
                let source = &line["source"];
                assert!(
                    source["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("https://aws.amazon.com/")
                );
                let taken = source["taken"].as_str().unwrap();
                assert!(taken.len() == 10 && taken.starts_with("20"), "{taken}");
            }
            assert!(!stack["free"].as_array().unwrap().is_empty());
            env_total += micro(&stack["monthly"]);
        }
        assert_eq!(env_total, micro(&env["monthly"]));
        overall += env_total;
    }
    assert_eq!(overall, micro(&report["monthly"]));

    let table = succeeded(&infra_gen(
        &["cost", "--env", "dev", "--region", "us-west-2"],
        &root,
    ));
    assert!(
        table.starts_with("infra-gen-dev-us-west-2 (dev / us-west-2)\n"),
        "{table}"
    );
    assert!(table.contains("StreamFailureDlq (+2 like it)"), "{table}");
    assert!(table.contains("  stack total: $"));
    assert!(table.contains("\ndev total: $"));
    assert!(table.contains("free tiers ignored"));
    assert!(
        table.contains("  [1] kms-keys in us-west-2: https://aws.amazon.com/kms/pricing/ (taken ")
    );
    assert!(!table.contains("prod"));

    let md = succeeded(&infra_gen(&["cost", "--format", "markdown"], &root));
    assert!(md.starts_with("## infra-gen cost: $"), "{md}");
    assert!(md.contains("| **total** | | **$"));
    assert!(md.contains("<summary>prod / us-east-1: $"));
}

#[test]
fn cost_usage_errors_exit_2_and_bad_usage_exits_1_naming_the_line() {
    let root = repo_root();
    for args in [
        &["cost", "--env", "qa"][..],
        &["cost", "--region", "eu-west-1"],
        &["cost", "--format", "html"],
    ] {
        let out = infra_gen(args, &root);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    let dir = committed_specs(|_| {});
    edit(
        dir.path(),
        "dev.yaml",
        "bus: {events_per_month: 300000}",
        "bus: {events_per_month: 300000, forwarded_share: 2}",
    );
    let out = run_in(dir.path(), &["cost"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("environments/dev.yaml:")
            && stderr.contains("usage.bus.forwarded_share: 2 is outside 0..=1"),
        "{stderr}"
    );
}

/// dev's bus usage stated in full in the base commit, so the change below is exact.
const DEV_BUS: &str = "bus: {events_per_month: 300000}";
const DEV_BUS_FULL: &str =
    "bus: {events_per_month: 300000, average_event_kb: 2, forwarded_share: 0.5}";

#[test]
fn diff_base_markdown_shows_a_usage_only_cost_change() {
    let repo = committed_specs(|root| edit(root, "dev.yaml", DEV_BUS, DEV_BUS_FULL));
    edit(
        repo.path(),
        "dev.yaml",
        "events_per_month: 300000",
        "events_per_month: 1300000",
    );
    let md = succeeded(&run_in(
        repo.path(),
        &["diff", "--base", "HEAD", "--format", "markdown"],
    ));
    // Per dev stack: 1M more events ($1.00); half of them again on the peer bus ($0.50) and
    // 0.5M x 2 KB more across regions (0.005722 -> 0.024796 at $0.02/GB): +$1.519074.
    assert!(md.contains("**Monthly cost** increases by $3.04"), "{md}");
    assert!(
        md.contains("| `dev/us-west-2@HEAD -> dev/us-west-2` | $"),
        "{md}"
    );
    assert!(
        md.contains("### `dev/us-west-2@HEAD -> dev/us-west-2`: template unchanged, cost changed"),
        "{md}"
    );
    assert!(
        md.contains("| `Bus` | `AWS::Events::EventBus` | $0.30 | $1.30 | +$1.00 |"),
        "{md}"
    );
    assert!(
        md.contains("| `CrossRegionForwardRule` | `AWS::Events::Rule` | $0.16 | $0.67 | +$0.52 |"),
        "{md}"
    );
    assert!(
        md.contains("### `prod/us-west-2@HEAD -> prod/us-west-2`: no differences"),
        "{md}"
    );

    let report = json(&succeeded(&run_in(
        repo.path(),
        &["diff", "--base", "HEAD", "--format", "json"],
    )));
    assert_eq!(micro(&report["cost"]["change"]), 3_038_148);
    for stack in report["stacks"].as_array().unwrap() {
        let expected = if stack["new"].as_str().unwrap().starts_with("dev/") {
            1_519_074
        } else {
            0
        };
        assert_eq!(micro(&stack["cost"]["change"]), expected, "{stack}");
    }
}

#[test]
fn fail_takes_a_cost_threshold() {
    let repo = committed_specs(|root| edit(root, "dev.yaml", DEV_BUS, DEV_BUS_FULL));
    edit(
        repo.path(),
        "dev.yaml",
        "events_per_month: 300000",
        "events_per_month: 1300000",
    );
    let code = |threshold: &str| {
        let arg = format!("--fail={threshold}");
        let out = run_in(repo.path(), &["diff", "--base", "HEAD", &arg]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // +$3.04 a month.
    assert_eq!(code("3.05").0, Some(0));
    let (status, stderr) = code("3");
    assert_eq!(status, Some(1));
    assert!(
        stderr.contains("the monthly cost rises by $3.04"),
        "{stderr}"
    );
    assert_eq!(code("1000%").0, Some(0));
    // +$3.04 on about $3,860 is 0.07%.
    assert_eq!(code("0.05%").0, Some(1));
    // Bare --fail: any difference, and a cost change is one.
    let out = run_in(repo.path(), &["diff", "--base", "HEAD", "--fail"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run_in(repo.path(), &["diff", "--base", "HEAD", "--fail", "ten"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diff_base_prices_a_memory_change_per_resource() {
    let repo = committed_specs(|_| {});
    let prod = std::fs::read_to_string(repo.path().join("environments/prod.yaml")).unwrap();
    // The figures below assume these settings of the committed prod.yaml.
    for stated in [
        "event-router: {memory_mb: 1024, reserved_concurrency: 200, provisioned_concurrency: 10",
        "event-router: {requests_per_month: 20000000, average_duration_ms: 20",
    ] {
        assert!(prod.contains(stated), "prod.yaml no longer says `{stated}`");
    }
    edit(
        repo.path(),
        "prod.yaml",
        "event-router: {memory_mb: 1024",
        "event-router: {memory_mb: 2048",
    );
    let report = json(&succeeded(&run_in(
        repo.path(),
        &[
            "diff", "--base", "HEAD", "--env", "prod", "--format", "json",
        ],
    )));
    for stack in report["stacks"].as_array().unwrap() {
        let cost = &stack["cost"];
        // 400,000 more GB-s at $0.0000133334, 26,280,000 more provisioned GB-s at $0.0000033334.
        assert_eq!(micro(&cost["change"]), 92_935_112, "{cost}");
        let per_resource: Vec<(&str, i64)> = cost["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["resource"].as_str().unwrap(), micro(&r["change"])))
            .collect();
        assert_eq!(
            per_resource,
            [("EventRouter", 5_333_360), ("EventRouterLive", 87_601_752)]
        );
    }
}

#[test]
fn a_new_environment_adds_its_whole_cost() {
    let repo = committed_specs(|_| {});
    let dev = std::fs::read_to_string(repo.path().join("environments/dev.yaml")).unwrap();
    std::fs::write(
        repo.path().join("environments/qa.yaml"),
        dev.replace("\"111111111111\"", "\"444444444444\""),
    )
    .unwrap();
    let report = json(&succeeded(&run_in(
        repo.path(),
        &["diff", "--base", "HEAD", "--env", "qa", "--format", "json"],
    )));
    let costs = json(&succeeded(&run_in(
        repo.path(),
        &["cost", "--env", "qa", "--format", "json"],
    )));
    let qa_stacks = costs["environments"][0]["stacks"].as_array().unwrap();
    let stacks = report["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 2);
    for (diffed, priced) in stacks.iter().zip(qa_stacks) {
        assert_eq!(diffed["status"], "added");
        assert!(diffed["cost"].get("before").unwrap().is_null());
        assert_eq!(diffed["cost"]["after"], priced["monthly"]);
        assert_eq!(diffed["cost"]["change"], priced["monthly"]);
    }
    assert_eq!(report["cost"]["change"], costs["monthly"]);
}

/// `text` without its top-level `usage:` block.
fn strip_usage(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "usage:" {
            inside = true;
            continue;
        }
        if inside && (line.is_empty() || line.starts_with([' ', '#'])) {
            continue;
        }
        inside = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn a_base_that_predates_usage_is_not_estimated() {
    let repo = committed_specs(|root| {
        for file in ["defaults.yaml", "dev.yaml", "prod.yaml", "staging.yaml"] {
            let path = root.join("environments").join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, strip_usage(&text)).unwrap();
        }
    });
    // The working tree brings usage back: the templates are equal, the cost is new.
    copy_tree(
        &repo_root().join("environments"),
        &repo.path().join("environments"),
    );
    let text = succeeded(&run_in(repo.path(), &["diff", "--base", "HEAD"]));
    assert!(
        text.contains(
            "change not estimated (before: environment `dev` states no usage assumptions"
        ),
        "{text}"
    );
    assert!(
        text.contains("6 stack(s) not estimated, left out"),
        "{text}"
    );
    // A threshold cannot be exceeded by what is not estimated; it says so.
    let out = run_in(repo.path(), &["diff", "--base", "HEAD", "--fail", "1"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 stack(s) not estimated"));
}

#[test]
fn the_ci_workflow_posts_the_cost_change_on_pull_requests() {
    let out = synth_delivery();
    let ci = std::fs::read_to_string(out.path().join(".github/workflows/ci.yml")).unwrap();
    let lines: Vec<&str> = ci.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("ci.yml has no `{needle}`:\n{ci}"))
    };
    // The pull-request job renders the Markdown diff, which carries the cost change...
    let diff = at("-- diff --base \"origin/${BASE_REF}\" --format markdown");
    assert!(lines[diff].ends_with("> infra-diff.md"), "{}", lines[diff]);
    // ... and posts that file as its comment.
    let post = at("gh pr comment \"$PR_NUMBER\" --body-file infra-diff.md");
    assert!(post > diff);
    assert!(at("pull-requests: write") < diff);
}
