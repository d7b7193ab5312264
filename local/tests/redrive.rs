//! The runbook's re-drive command (docs/runbooks/disaster-recovery.md, "DLQ re-drive"), run as
//! the runbook writes it, with the built `local-platform` on PATH, against the AWS emulator: a
//! scratch environment's region holds router dead letters (one over the compression
//! threshold), a transformer's, an event EventBridge could not deliver and a consumer's poison
//! message; the peer region's bus has a rule recording what the router delivers there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use platform_events::{CrossRegionEvent, DeadLetter};
use serde_json::{Value, json};
use test_support::aws::{Emulator, Queue};

const RUNBOOK: &str = "docs/runbooks/disaster-recovery.md";
const REGION: &str = "us-west-2";
const PEER: &str = "us-east-1";

/// The workspace root: the nearest directory above this crate with the lockfile.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .unwrap()
        .to_path_buf()
}

/// The runbook's `sh` block that runs `local-platform redrive`.
fn redrive_block() -> String {
    let text = std::fs::read_to_string(repo_root().join(RUNBOOK)).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    let mut matching: Vec<String> = blocks
        .into_iter()
        .filter(|b| b.contains("local-platform redrive"))
        .collect();
    assert_eq!(matching.len(), 1, "{RUNBOOK} has one re-drive block");
    matching.remove(0)
}

/// A scratch environment `env` in `dir/environments`: the repository's defaults and dev
/// settings under another name, so its queues and bus are this test's alone.
fn scratch_specs(dir: &Path, env: &str) {
    let specs = dir.join("environments");
    std::fs::create_dir_all(&specs).unwrap();
    let source = repo_root().join("environments");
    std::fs::copy(source.join("defaults.yaml"), specs.join("defaults.yaml")).unwrap();
    std::fs::copy(source.join("dev.yaml"), specs.join(format!("{env}.yaml"))).unwrap();
}

struct Scratch {
    env: String,
    dir: tempfile::TempDir,
    local: Emulator,
    peer: Emulator,
    endpoint: String,
}

impl Scratch {
    async fn new(endpoint: &str, with_peer_bus: bool) -> (Self, Option<Queue>) {
        let env = test_support::unique_name("rd").replace('-', "");
        let dir = tempfile::tempdir().unwrap();
        scratch_specs(dir.path(), &env);
        let local = Emulator::connect(endpoint, REGION).await;
        let peer = Emulator::connect(endpoint, PEER).await;
        for queue in ["events-dlq", "stream-failures", "cdc-dlq"] {
            local
                .sqs
                .create_queue()
                .queue_name(format!("infra-gen-{env}-{queue}"))
                .send()
                .await
                .unwrap();
        }
        let seen = if with_peer_bus {
            let bus = format!("infra-gen-{env}");
            peer.events
                .create_event_bus()
                .name(&bus)
                .send()
                .await
                .unwrap();
            Some(peer.queue_for_source(&bus, "platform.event-router").await)
        } else {
            None
        };
        let scratch = Self {
            env,
            dir,
            local,
            peer,
            endpoint: endpoint.to_string(),
        };
        (scratch, seen)
    }

    async fn url(&self, queue: &str) -> String {
        self.local
            .sqs
            .get_queue_url()
            .queue_name(format!("infra-gen-{}-{queue}", self.env))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap()
    }

    async fn send(&self, queue: &str, body: String, attributes: &[(&str, &str)]) {
        let mut request = self
            .local
            .sqs
            .send_message()
            .queue_url(self.url(queue).await)
            .message_body(body);
        for (name, value) in attributes {
            request = request.message_attributes(
                *name,
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(*value)
                    .build()
                    .unwrap(),
            );
        }
        request.send().await.unwrap();
    }

    /// (visible, hidden) messages in one of the region's queues.
    async fn depth(&self, queue: &str) -> (u64, u64) {
        let attributes = self
            .local
            .sqs
            .get_queue_attributes()
            .queue_url(self.url(queue).await)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        let get = |name| attributes[&name].parse().unwrap();
        (
            get(QueueAttributeName::ApproximateNumberOfMessages),
            get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// Runs the runbook's block in the scratch checkout, with the runbook's variables.
    fn redrive(&self) -> Output {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_local-platform"));
        let script = format!(
            "ENV={} REGION={REGION} PEER={PEER}\n{}",
            self.env,
            redrive_block()
        );
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(self.dir.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    binary.parent().unwrap().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    }
}

fn routed_event(n: u32, detail: Value) -> Value {
    json!({"version": "0", "id": format!("event-{n}"), "source": "platform.orders",
           "detail-type": "route.request", "account": "123456789012",
           "time": "2026-11-30T18:00:00Z", "region": REGION, "resources": [], "detail": detail})
}

fn router_letter(event: Value) -> String {
    serde_json::to_string(&DeadLetter::new(
        "event-router",
        "circuit open for us-east-1",
        0,
        event,
    ))
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_dead_letters_reach_the_peer_once_as_the_router_sends_them_and_the_rest_stay() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let (scratch, seen) = Scratch::new(&endpoint, true).await;
    let seen = seen.unwrap();
    // Twelve router dead letters (more than one receive), one of them over the spec's
    // 8192-byte compression threshold.
    let big = json!({"orderId": "12", "notes": "x".repeat(20_000)});
    let mut sent = BTreeMap::new();
    for n in 1..=12 {
        let detail = if n == 12 {
            big.clone()
        } else {
            json!({"orderId": n.to_string()})
        };
        sent.insert(format!("event-{n}"), detail.clone());
        scratch
            .send("events-dlq", router_letter(routed_event(n, detail)), &[])
            .await;
    }
    let invalid = DeadLetter::new(
        "event-transformer",
        "/amount: required",
        0,
        json!({"id": "bad"}),
    );
    scratch
        .send("events-dlq", serde_json::to_string(&invalid).unwrap(), &[])
        .await;
    scratch
        .send(
            "events-dlq",
            routed_event(99, json!({})).to_string(),
            &[
                ("RULE_ARN", "arn:aws:events:us-west-2:1:rule/x"),
                ("TARGET_ARN", "arn:aws:lambda:us-west-2:1:function:y"),
            ],
        )
        .await;
    scratch
        .send(
            "cdc-dlq",
            serde_json::to_string(&DeadLetter::new(
                "cdc-consumer",
                "unparseable",
                0,
                json!({"topic": "qlik.orders"}),
            ))
            .unwrap(),
            &[],
        )
        .await;

    let first = scratch.redrive();
    let said = text(&first);
    assert_eq!(
        first.status.code(),
        Some(1),
        "something is left, so exit 1: {said}"
    );
    assert!(
        said.contains("re-drove 12 router dead letter(s)") && said.contains("left 2 message(s)"),
        "{said}"
    );
    assert!(
        said.contains("left x1: invalid event")
            && said.contains("left x1: undelivered by EventBridge"),
        "{said}"
    );
    assert!(
        said.contains(&format!("infra-gen-{}-cdc-dlq: 1 waiting", scratch.env)),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "infra-gen-{}-stream-failures: 0 waiting",
            scratch.env
        )),
        "{said}"
    );

    // What arrived on the peer bus is what the router sends: its source, the original
    // detail-type, and the original event (id, detail) inside the cross-region wrapper.
    let arrived = scratch.peer.receive_json(&seen.url, 12).await;
    let mut received = BTreeMap::new();
    for event in &arrived {
        assert_eq!(event["source"], "platform.event-router", "{event}");
        assert_eq!(event["detail-type"], "route.request");
        let wrapped: CrossRegionEvent = serde_json::from_value(event["detail"].clone()).unwrap();
        assert_eq!(
            (
                wrapped.source_region.as_str(),
                wrapped.destination_region.as_str()
            ),
            (REGION, PEER)
        );
        let compressed = wrapped.event.detail.get("_platformCompressed").is_some();
        let original = wrapped.into_original().unwrap();
        assert_eq!(
            compressed,
            original.id == "event-12",
            "only the big one is compressed"
        );
        assert!(
            received
                .insert(original.id.clone(), original.detail)
                .is_none(),
            "{} twice",
            original.id
        );
    }
    assert_eq!(
        received, sent,
        "every router dead letter arrived once, unchanged"
    );
    let extra = scratch.peer.receive_polling(&seen.url, 1, 2).await;
    assert!(extra.is_empty(), "no event arrives twice: {extra:?}");
    // The router's are gone; the two others are visible again for the operator.
    assert_eq!(scratch.depth("events-dlq").await, (2, 0));

    // A second run moves nothing more: the peer sees no event twice.
    let second = scratch.redrive();
    assert!(
        text(&second).contains("re-drove 0 router dead letter(s)"),
        "{}",
        text(&second)
    );
    let again = scratch.peer.receive_polling(&seen.url, 1, 2).await;
    assert!(again.is_empty(), "nothing is sent twice: {again:?}");
    assert_eq!(scratch.depth("events-dlq").await, (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_kept_when_the_peer_bus_refuses_its_event() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    // No bus in the peer region: every put fails.
    let (scratch, _) = Scratch::new(&endpoint, false).await;
    for n in 1..=3 {
        scratch
            .send(
                "events-dlq",
                router_letter(routed_event(n, json!({"orderId": n}))),
                &[],
            )
            .await;
    }
    let run = scratch.redrive();
    let said = text(&run);
    assert_eq!(run.status.code(), Some(1), "{said}");
    assert!(
        said.contains("re-drove 0 router dead letter(s)") && said.contains("left 3 message(s)"),
        "{said}"
    );
    assert!(said.contains("put failed"), "{said}");
    assert_eq!(
        scratch.depth("events-dlq").await,
        (3, 0),
        "nothing deleted, all visible again"
    );
}
