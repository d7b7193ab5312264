//! Every command of docs/runbooks/disaster-recovery.md runs, in the runbook's order, against
//! the AWS API emulator: the real scripts and the real AWS CLI, on a scratch environment that
//! has what the commands act on (the region's Route 53 health check, its dead-letter queues
//! with router and transformer dead letters). The re-drive block runs in
//! local/tests/redrive.rs.
//! The runbook's first block sets the variables; the test sets a scratch environment's instead.

mod common;

use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};

const RUNBOOK: &str = "docs/runbooks/disaster-recovery.md";
const REGION: &str = "us-west-2";
const PEER: &str = "us-east-1";

/// The runbook's `sh` blocks, in order.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

/// Whether a command is on PATH (`aws` and `jq` are the operator's tools, not validators).
fn on_path(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Shell {
    endpoint: String,
    variables: String,
    /// Holds an `aws` that adds `--endpoint-url`: the AWS CLI v1 ignores `AWS_ENDPOINT_URL`
    /// for SQS.
    shim: tempfile::TempDir,
}

impl Shell {
    /// Runs `script` with bash in the repository root, after the variables, against the
    /// emulator.
    fn run(&self, script: &str) -> Output {
        Command::new("bash")
            .args([
                "-euo",
                "pipefail",
                "-c",
                &format!("{}{script}", self.variables),
            ])
            .current_dir(repo_root())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.shim.path().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", REGION)
            .output()
            .unwrap()
    }

    fn ok(&self, script: &str) -> String {
        let out = self.run(script);
        assert!(
            out.status.success(),
            "`{script}` exited {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn dead_letter(source: &str, payload: Value) -> String {
    json!({
        "version": "1.0",
        "error": "peer circuit open",
        "source": source,
        "retryCount": 3,
        "failedAt": "2026-11-30T18:00:00Z",
        "payload": payload,
    })
    .to_string()
}

#[test]
fn every_runbook_command_runs_and_does_what_the_runbook_says() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    if !(on_path("aws") && on_path("jq")) {
        assert_ne!(
            std::env::var("TEST_REQUIRE_TOOLS").as_deref(),
            Ok("1"),
            "the runbook needs the AWS CLI and jq on PATH"
        );
        eprintln!("skipped: the AWS CLI or jq is not on PATH");
        return;
    }
    let text = std::fs::read_to_string(repo_root().join(RUNBOOK)).unwrap();
    let blocks = blocks(&text);
    assert!(
        blocks[0].trim_start().starts_with("ENV="),
        "the first block sets the variables"
    );
    let env = test_support::unique_name("dr").replace('-', "");
    let record = format!("api.{env}.example.com");
    let regional = infra_gen::platform::Names::regional_api_domain(&record, REGION);
    let shim = tempfile::tempdir().unwrap();
    let real_aws = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v aws"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let aws = shim.path().join("aws");
    std::fs::write(
        &aws,
        format!(
            "#!/bin/sh\nexec {} --endpoint-url \"$AWS_ENDPOINT_URL\" \"$@\"\n",
            real_aws.trim()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sh = Shell {
        endpoint,
        variables: format!("ENV={env} RECORD={record} REGION={REGION} PEER={PEER}\n"),
        shim,
    };

    // What the environment's stacks would have made.
    let check_id = sh.ok(&format!(
        "aws route53 create-health-check --caller-reference {env} --output text --query HealthCheck.Id \
         --health-check-config Type=HTTPS,FullyQualifiedDomainName={regional},Port=443,ResourcePath=/live,RequestInterval=30,FailureThreshold=3"
    ));
    let check_id = check_id.trim();
    for queue in ["events-dlq", "stream-failures", "cdc-dlq"] {
        sh.ok(&format!(
            "aws sqs create-queue --region $REGION --queue-name infra-gen-$ENV-{queue} >/dev/null"
        ));
    }
    let event = |id: u32| {
        json!({"version": "0", "id": format!("e{id}"), "source": "platform.orders", "detail-type": "OrderPlaced",
               "account": "123456789012", "time": "2026-11-30T18:00:00Z", "region": REGION, "resources": [],
               "detail": {"orderId": id}})
    };
    for body in [
        dead_letter("event-router", event(1)),
        dead_letter("event-router", event(2)),
        dead_letter("event-transformer", json!("not an event")),
    ] {
        let quoted = shell_quote(&body);
        sh.ok(&format!(
            "url=$(aws sqs get-queue-url --region $REGION --queue-name infra-gen-$ENV-events-dlq --output text --query QueueUrl)
             aws sqs send-message --region $REGION --queue-url $url --message-body {quoted} >/dev/null"
        ));
    }
    let path = |sh: &Shell| {
        sh.ok(&format!(
            "aws route53 get-health-check --health-check-id {check_id} --output text --query HealthCheck.HealthCheckConfig.ResourcePath"
        ))
        .trim()
        .to_string()
    };

    // The runbook, block by block, in its order.
    let [_variables, status, out, back_in, depths, _redrive] = blocks.as_slice() else {
        panic!(
            "{RUNBOOK} has {} sh blocks; this test knows 6: update it with the runbook",
            blocks.len()
        );
    };
    let said = sh.ok(status);
    assert!(
        said.contains(&format!("{regional}: health check {check_id} probes /live")),
        "{said}"
    );

    let said = sh.ok(out);
    assert!(said.contains("forced out"), "{said}");
    assert_eq!(path(&sh), "/forced-out");

    let said = sh.ok(back_in);
    assert!(said.contains("probes /live: in"), "{said}");
    assert_eq!(path(&sh), "/live");

    let said = sh.ok(depths);
    assert!(said.contains("events-dlq: 3\n"), "{said}");
    assert!(
        said.contains("stream-failures: 0\n") && said.contains("cdc-dlq: 0\n"),
        "{said}"
    );

    // The re-drive block runs `local-platform redrive`, which this crate's tests cannot
    // build: local/tests/redrive.rs runs it, with the binary on PATH.
}

/// `s` as one single-quoted shell word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
