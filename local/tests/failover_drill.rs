//! The failover drill (issue 12), on the whole local platform: both regions of `dev`, with a
//! spec in which us-west-2's router routes `platform.drill` events to us-east-1 and its circuit
//! opens after 3 failures for 4 seconds.
//!
//! 1. Both regions up: us-west-2's `GET /health` (with a token) is healthy, its peer check too.
//! 2. us-east-1 goes down (functions, API front, consumer stop; its AWS answers 503).
//!    us-west-2's health turns degraded and names the peer, through the real path: its
//!    health-checker calls us-east-1's open `/live` on us-east-1's API front, which is gone.
//! 3. Events meant for the peer: the router fails `threshold` times, opens its circuit
//!    (its EMF says `circuit_breaker_state` 2) and stops calling the peer (later dead letters
//!    say "circuit open" and record no attempt). Every event is dead-lettered with its
//!    context (the original event, the error, the attempts); none reaches the peer.
//! 4. us-east-1 comes back: after the open period the circuit half-opens (1) and, after its
//!    two probes succeed, closes (0); new events are routed again.
//! 5. The operator command re-drives the dead letters until the queue is empty; every event
//!    arrived at us-east-1 exactly once, by id, with the counts checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use local_platform::{Options, Platform, aws_api, feed};
use platform_events::{CrossRegionEvent, DeadLetter, HealthStatus};
use serde_json::json;

const WEST: &str = "us-west-2";
const EAST: &str = "us-east-1";
const FAILURE_THRESHOLD: usize = 3;
const OPEN_SECONDS: u64 = 4;
const DRILL_SOURCE: &str = "platform.drill";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The repository's specs, with dev's router routing the drill's events and a short circuit.
fn drill_specs(dir: &Path) {
    let source = repo_root().join("environments");
    std::fs::copy(source.join("defaults.yaml"), dir.join("defaults.yaml")).unwrap();
    let mut dev = std::fs::read_to_string(source.join("dev.yaml")).unwrap();
    dev.push_str(&format!(
        "\n# The failover drill (local/tests/failover_drill.rs).\nrouter:\n  routes: [\"{DRILL_SOURCE}=route.request\"]\n  circuit_failure_threshold: {FAILURE_THRESHOLD}\n  circuit_open_seconds: {OPEN_SECONDS}\n"
    ));
    std::fs::write(dir.join("dev.yaml"), dev).unwrap();
}

/// Polls `check` every 500 ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// us-west-2's `GET /health` through its API front, with a token.
async fn health(api: &str, token: &str) -> Option<HealthStatus> {
    let client = platform_aws::http::HttpClient::new(1 << 20);
    let request = hyper::Request::get(format!("{api}/health"))
        .header("authorization", format!("Bearer {token}"))
        .body(http_body_util::Full::default())
        .unwrap();
    let response = client.send(request, Duration::from_secs(10)).await.ok()?;
    serde_json::from_slice(&response.body).ok()
}

fn peer_check(status: &HealthStatus) -> Option<&platform_events::CheckResult> {
    status
        .checks
        .iter()
        .find(|c| c.name == format!("peer:{EAST}"))
}

/// The router's `circuit_breaker_state` values, in the order its invocations emitted them.
fn circuit_states(log: &Path) -> Vec<i64> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|line| line.get("circuit_breaker_state")?.as_f64())
        .map(|v| v as i64)
        .collect()
}

/// Every message in `url` without hiding any (visibility 0), by message id.
async fn peek(sqs: &aws_sdk_sqs::Client, url: &str, expected: usize) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    for _ in 0..40 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            seen.insert(m.message_id.unwrap(), m.body.unwrap());
        }
        if seen.len() >= expected {
            break;
        }
    }
    seen
}

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|n| attributes[n].parse::<u64>().unwrap())
    .sum()
}

/// Drains the recording queue: the original event id of each routed event that arrived.
async fn arrived(sqs: &aws_sdk_sqs::Client, url: &str, into: &mut BTreeMap<String, u32>) {
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return;
        }
        for m in messages {
            let event: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(event["source"], "platform.event-router");
            let wrapped: CrossRegionEvent =
                serde_json::from_value(event["detail"].clone()).unwrap();
            let original = wrapped.into_original().unwrap();
            assert_eq!(original.source, DRILL_SOURCE);
            *into.entry(original.id).or_insert(0) += 1;
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// Waits until every id in `ids` has arrived (and returns how often each did).
async fn wait_arrived(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    seen: &mut BTreeMap<String, u32>,
    ids: &[String],
) {
    let started = Instant::now();
    while !ids.iter().all(|id| seen.contains_key(id)) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not arrived at {EAST}: {:?}",
            ids.iter()
                .filter(|id| !seen.contains_key(*id))
                .collect::<Vec<_>>()
        );
        arrived(sqs, url, seen).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_drill() {
    if test_support::tool("moto_server").is_none() {
        return;
    }
    let started = Instant::now();
    let specs = tempfile::tempdir().unwrap();
    drill_specs(specs.path());
    let mut options = Options::new("dev");
    options.environments = Some(specs.path().to_path_buf());
    let platform = Platform::start(options).await.unwrap();
    let up_after = started.elapsed();
    let endpoints = platform.endpoints().clone();
    let west = platform.region(WEST).unwrap().clone();
    let token = platform.token("drill").unwrap();
    let west_sqs = aws_sdk_sqs::Client::new(&aws_api::sdk_config(&endpoints.aws, WEST).await);
    let east_config = aws_api::sdk_config(&endpoints.aws, EAST).await;
    let east_sqs = aws_sdk_sqs::Client::new(&east_config);
    let east_events = aws_sdk_eventbridge::Client::new(&east_config);

    // What the router delivers to us-east-1, recorded by a rule of the test's own.
    let recorder = east_sqs
        .create_queue()
        .queue_name("drill-arrived")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let recorder_arn = east_sqs
        .get_queue_attributes()
        .queue_url(&recorder)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let east_bus = platform.region(EAST).unwrap().bus_name.clone();
    east_events
        .put_rule()
        .name("drill-arrived")
        .event_bus_name(&east_bus)
        .event_pattern(json!({"source": ["platform.event-router"]}).to_string())
        .send()
        .await
        .unwrap();
    east_events
        .put_targets()
        .rule("drill-arrived")
        .event_bus_name(&east_bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("recorder")
                .arn(recorder_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let put = |n: &str| {
        let (aws, bus) = (endpoints.aws.clone(), west.bus_name.clone());
        let n = n.to_string();
        async move {
            feed::put_event(
                &aws,
                WEST,
                &bus,
                DRILL_SOURCE,
                "route.request",
                &json!({"drill": n}),
            )
            .await
            .unwrap()
        }
    };
    let mut seen = BTreeMap::new();

    // 1. Both regions up, and routing works.
    let healthy = eventually(
        "us-west-2 healthy with its peer",
        Duration::from_secs(60),
        || {
            let (api, token) = (west.api.clone(), token.clone());
            async move {
                let status = health(&api, &token).await?;
                (status.status == platform_events::Health::Healthy).then_some(status)
            }
        },
    )
    .await;
    assert_eq!(
        peer_check(&healthy).map(|c| c.status),
        Some(platform_events::Health::Healthy),
        "{healthy:?}"
    );
    let mut before = Vec::new();
    for n in 0..2 {
        before.push(put(&format!("before-{n}")).await);
    }
    wait_arrived(&east_sqs, &recorder, &mut seen, &before).await;

    // 2. us-east-1 down: us-west-2 degraded, naming the peer.
    let outage = Instant::now();
    platform.take_down(EAST).await.unwrap();
    let degraded = eventually("us-west-2 degraded", Duration::from_secs(30), || {
        let (api, token) = (west.api.clone(), token.clone());
        async move {
            let status = health(&api, &token).await?;
            (status.status == platform_events::Health::Degraded).then_some(status)
        }
    })
    .await;
    let peer = peer_check(&degraded).expect("the peer check is named peer:us-east-1");
    assert_eq!(
        peer.status,
        platform_events::Health::Unhealthy,
        "{degraded:?}"
    );
    assert!(
        degraded
            .checks
            .iter()
            .all(|c| c.name == peer.name || c.status == platform_events::Health::Healthy),
        "only the peer check fails: {degraded:?}"
    );

    // 3. Events for the peer: dead-lettered with their context, the circuit opens.
    const DURING: usize = 8;
    let mut during = Vec::new();
    for n in 0..DURING {
        during.push(put(&format!("during-{n}")).await);
    }
    let letters = eventually("every event dead-lettered", Duration::from_secs(90), || {
        let (sqs, url) = (west_sqs.clone(), west.events_dlq_url.clone());
        async move {
            let letters = peek(&sqs, &url, DURING).await;
            (letters.len() >= DURING).then_some(letters)
        }
    })
    .await;
    let mut dead: BTreeMap<String, DeadLetter> = BTreeMap::new();
    for body in letters.values() {
        let letter: DeadLetter = platform_events::decode(body.as_bytes()).unwrap();
        assert_eq!(letter.source, "event-router");
        let id = letter.payload["id"].as_str().unwrap().to_string();
        assert_eq!(
            letter.payload["detail"]["drill"]
                .as_str()
                .map(|d| d.starts_with("during-")),
            Some(true)
        );
        assert!(
            dead.insert(id, letter).is_none(),
            "one dead letter per event"
        );
    }
    let mut dead_ids: Vec<&String> = dead.keys().collect();
    let mut during_sorted: Vec<&String> = during.iter().collect();
    dead_ids.sort();
    during_sorted.sort();
    assert_eq!(
        dead_ids, during_sorted,
        "every event of the outage, and only those"
    );
    let failed = dead
        .values()
        .filter(|l| l.retry_count > 0 && l.error.contains("failed after"))
        .count();
    let short_circuited = dead
        .values()
        .filter(|l| l.retry_count == 0 && l.error == format!("circuit open for {EAST}"))
        .count();
    assert_eq!(failed + short_circuited, DURING, "{dead:#?}");
    assert!(
        failed >= FAILURE_THRESHOLD && short_circuited >= 1,
        "the circuit opened after {FAILURE_THRESHOLD} failures and peer calls stopped: {failed} failed, {short_circuited} short-circuited"
    );
    let router_log = west.logs.join("event-router.log");
    assert_eq!(
        circuit_states(&router_log).last(),
        Some(&2),
        "the router reports its circuit open"
    );

    // 4. us-east-1 back: the circuit half-opens, then closes on two good probes.
    platform.bring_up(EAST).await.unwrap();
    let outage_lasted = outage.elapsed();
    tokio::time::sleep(Duration::from_secs(OPEN_SECONDS + 1)).await;
    let states_before = circuit_states(&router_log).len();
    let mut after = Vec::new();
    for n in 0..3 {
        let id = put(&format!("after-{n}")).await;
        wait_arrived(&east_sqs, &recorder, &mut seen, std::slice::from_ref(&id)).await;
        after.push(id);
    }
    let states: Vec<i64> = circuit_states(&router_log)[states_before..].to_vec();
    assert_eq!(
        states,
        [1, 0, 0],
        "half-open after the first probe, closed after the second"
    );
    assert_eq!(
        peek(&west_sqs, &west.events_dlq_url, DURING + 1)
            .await
            .len(),
        DURING,
        "nothing more is dead-lettered once the peer is back"
    );
    let healthy_again = eventually("us-west-2 healthy again", Duration::from_secs(30), || {
        let (api, token) = (west.api.clone(), token.clone());
        async move {
            let status = health(&api, &token).await?;
            (status.status == platform_events::Health::Healthy).then_some(status)
        }
    })
    .await;
    assert_eq!(
        peer_check(&healthy_again).map(|c| c.status),
        Some(platform_events::Health::Healthy)
    );

    // 5. The operator command, until the queue is empty.
    let mut redriven = 0;
    let mut runs = 0;
    while depth(&west_sqs, &west.events_dlq_url).await > 0 {
        runs += 1;
        assert!(runs <= 3, "the re-drive did not empty the queue in 3 runs");
        let output = Command::new(env!("CARGO_BIN_EXE_local-platform"))
            .args(["redrive", "--env", "dev", "--region", WEST, "--specs"])
            .arg(specs.path())
            .env("AWS_ENDPOINT_URL", &endpoints.aws)
            .env("AWS_ACCESS_KEY_ID", aws_api::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", aws_api::SECRET_KEY)
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stdout).to_string();
        let count: usize = said
            .split("re-drove ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{said}{}", String::from_utf8_lossy(&output.stderr)));
        redriven += count;
    }
    assert_eq!(
        redriven, DURING,
        "the re-drive counted every dead letter once"
    );
    wait_arrived(&east_sqs, &recorder, &mut seen, &during).await;
    // Anything late would show up now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    arrived(&east_sqs, &recorder, &mut seen).await;
    let all: Vec<&String> = before.iter().chain(&during).chain(&after).collect();
    assert_eq!(
        seen.len(),
        all.len(),
        "no event arrived that was not put: {seen:?}"
    );
    for id in all {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "{id} arrived exactly once: {seen:?}"
        );
    }
    assert_eq!(depth(&west_sqs, &west.events_dlq_url).await, 0);

    eprintln!(
        "failover drill: {failed} event(s) failed against the down peer, then {short_circuited} short-circuited; \
         platform up in {:.1} s, outage {:.1} s, whole drill {:.1} s, {runs} re-drive run(s)",
        up_after.as_secs_f64(),
        outage_lasted.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    platform.shutdown().await;
}
