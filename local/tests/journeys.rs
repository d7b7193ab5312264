//! Journeys through the whole platform: both regions of `dev` on this machine (the AWS
//! emulator, a broker per region, the stacks deployed with the CDK CLI, the functions and
//! consumers as processes), started by each test on free ports and torn down at its end, also
//! on a panic. One platform serves journeys a-c; d starts the binary itself. The two tests
//! take turns (a lock), so at most one platform runs at a time on the 2-core machines.
//!
//! The spec is `environments/` with one change to `dev`, in a temporary directory that the
//! platform synthesises: us-east-1's consumer publishes CDC events (so journey b sees both
//! settings of `consumer.publish_cdc_events`). The transform rule routes what dev routes
//! (`routing.detail_types`: the transformer's schema'd `OrderCreated` and `CustomerUpdated`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use local_platform::{Options, Platform, feed};
use platform_aws::http::HttpClient;
use platform_events::keys::EventsTableKey;
use serde_json::{Value, json};
use test_support::aws::Emulator;

/// One platform at a time.
static ONE_PLATFORM: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The tools the platform runs, or `None` (skipped) outside the test command.
fn tools() -> Option<PathBuf> {
    for tool in ["moto_server", "tansu", "cdk", "aws"] {
        test_support::tool(tool)?;
    }
    test_support::tool("moto_server").and_then(|p| p.parent().map(Path::to_path_buf))
}

/// `environments/` with dev changed as the module documentation says.
fn journey_specs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = repo_root().join("environments");
    std::fs::copy(
        source.join("defaults.yaml"),
        dir.path().join("defaults.yaml"),
    )
    .unwrap();
    let dev = std::fs::read_to_string(source.join("dev.yaml")).unwrap();
    let anchor = "      eks_cluster_name: dev-use1\n";
    assert!(
        dev.contains(anchor),
        "dev.yaml's us-east-1 consumer block moved"
    );
    let dev = dev.replace(anchor, &format!("{anchor}      publish_cdc_events: true\n"));
    std::fs::write(dir.path().join("dev.yaml"), dev).unwrap();
    dir
}

async fn start(specs: &Path, tools_bin: PathBuf) -> Platform {
    let mut options = Options::new("dev");
    options.environments = Some(specs.to_path_buf());
    options.tools_bin = tools_bin;
    let started = Instant::now();
    let platform = Platform::start(options).await.expect("the platform starts");
    eprintln!("platform up in {:.1} s", started.elapsed().as_secs_f64());
    platform
}

/// Polls `check` every 200 ms until it returns `Some`, for at most `seconds`.
async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {seconds} s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = hyper::Request::get(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = HttpClient::new(1 << 20)
        .send(
            request.body(Full::<Bytes>::default()).unwrap(),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, body)
}

async fn item(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
) -> Option<serde_json::Map<String, Value>> {
    let out = dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
        .send()
        .await
        .ok()?;
    out.items()
        .first()
        .map(platform_aws::dynamodb::item_to_json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journeys_through_both_regions() {
    let Some(tools_bin) = tools() else { return };
    let _one = ONE_PLATFORM.lock().await;
    let specs = journey_specs();
    let platform = start(specs.path(), tools_bin).await;
    let started = Instant::now();
    event_crosses_regions(&platform).await;
    a_row_is_streamed_as_a_cdc_event(&platform).await;
    eprintln!("journey a: {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    qlik_change_becomes_a_row(&platform).await;
    eprintln!("journey b: {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    health_through_the_api(&platform).await;
    eprintln!("journey c: {:.1} s", started.elapsed().as_secs_f64());
    platform.shutdown().await;
}

/// a, first leg: an `OrderCreated` event put on us-west-2's bus (a detail-type dev routes to
/// the transformer) is validated and enriched, stored under its full key (`pk` and `sk`, as
/// infra-gen's events table declares them), read from the stream and published as a CDC
/// event; the transformer's own forwarded copy is not delivered back to it (nothing is
/// dead-lettered, and it runs once); and the health status is stored under its full key.
///
/// This journey found two defects, both fixed: the transformer and the health-checker wrote
/// `pk` only, so every PutItem failed with `Missing the key sk in the item`; and dev's
/// `routing.detail_types` named types the transformer has no schema for, so every event it
/// received was dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_is_transformed_stored_and_streamed() {
    let Some(tools_bin) = tools() else { return };
    let _one = ONE_PLATFORM.lock().await;
    let specs = journey_specs();
    let platform = start(specs.path(), tools_bin).await;
    let started = Instant::now();
    let aws = &platform.endpoints().aws;
    let west = platform.region("us-west-2").unwrap();
    let west_aws = Emulator::connect(aws, "us-west-2").await;
    let cdc_events = west_aws
        .queue_for_source(&west.bus_name, "platform.stream-processor")
        .await;
    let order = json!({
        "orderId": "order-journey-a",
        "customerId": "customer-7",
        "amount": 42.5,
        "currency": "EUR",
        "correlationId": "journey-a",
    });
    let id = feed::put_event(
        aws,
        "us-west-2",
        &west.bus_name,
        "shop.orders",
        "OrderCreated",
        &order,
    )
    .await
    .unwrap();
    let key = EventsTableKey::event(&id);
    let pk = key.pk.clone();
    let stored = eventually(30, "the transformed event in us-west-2's table", || {
        let (client, table, pk) = (
            west_aws.dynamodb.clone(),
            west.events_table.clone(),
            pk.clone(),
        );
        async move { item(&client, &table, &pk).await }
    })
    .await;
    assert_eq!(stored["sk"], key.sk.as_str(), "stored under its full key");
    let stored_text = Value::Object(stored.clone()).to_string();
    assert!(
        stored_text.contains("journey-a"),
        "correlation id kept: {stored_text}"
    );
    assert!(
        stored_text.contains("us-west-2"),
        "enriched with the receiving region: {stored_text}"
    );
    assert!(
        stored_text.contains("order-journey-a"),
        "the detail is stored: {stored_text}"
    );
    let published = west_aws.receive_json(&cdc_events.url, 1).await;
    let insert = published
        .iter()
        .find(|e| e.to_string().contains(&pk))
        .unwrap_or_else(|| panic!("no CDC event for {pk}: {published:?}"));
    assert_eq!(insert["detail-type"], "CdcInsert", "{insert}");
    // The transformer forwarded the event with its detail-type (OrderCreated) and its own
    // source; the transform rule excludes that source, so the copy is not delivered back to
    // the transformer (which would dead-letter it as its own output).
    let dead_letters = west_aws.receive_polling(&west.events_dlq_url, 1, 3).await;
    assert!(
        dead_letters.is_empty(),
        "nothing is dead-lettered: {dead_letters:?}\nevent-transformer log:\n{}",
        log_tail(&west.logs.join("event-transformer.log"))
    );
    let transformer_log =
        std::fs::read_to_string(west.logs.join("event-transformer.log")).unwrap_or_default();
    let invocations = transformer_log
        .lines()
        .filter(|l| l.contains(r#""lambda_invocations_total""#) && l.contains(r#""_aws""#))
        .count();
    assert_eq!(
        invocations,
        1,
        "the transformer ran once, for the fed event only:\n{}",
        log_tail(&west.logs.join("event-transformer.log"))
    );

    let token = platform.token("journey-a").unwrap();
    let (status, _) = get(&format!("{}/health", west.api), Some(&token)).await;
    assert_eq!(status, 200);
    let health_key = EventsTableKey::health("us-west-2");
    let health = eventually(10, "the health status in us-west-2's table", || {
        let (client, table, pk) = (
            west_aws.dynamodb.clone(),
            west.events_table.clone(),
            health_key.pk.clone(),
        );
        async move { item(&client, &table, &pk).await }
    })
    .await;
    assert_eq!(health["sk"], health_key.sk.as_str(), "{health:?}");
    assert_eq!(health["region"], "us-west-2", "{health:?}");
    eprintln!(
        "journey a, first leg: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    platform.shutdown().await;
}

/// a, second leg: `route.request` events put on us-west-2's bus (one over the compression
/// threshold) are routed by the router to us-east-1's bus and read there in their original
/// form. The deployed rules route only `route.request` events, so the CDC event of the first
/// leg stays in its region by design.
async fn event_crosses_regions(platform: &Platform) {
    let aws = &platform.endpoints().aws;
    let west = platform.region("us-west-2").unwrap();
    let east = platform.region("us-east-1").unwrap();
    let east_aws = Emulator::connect(aws, "us-east-1").await;
    let routed = east_aws
        .queue_for_source(&east.bus_name, "platform.event-router")
        .await;
    let small = json!({"orderId": "route-small", "note": "small"});
    let large = json!({"orderId": "route-large", "note": "x".repeat(20_000)});
    for detail in [&small, &large] {
        feed::put_event(
            aws,
            "us-west-2",
            &west.bus_name,
            "shop.orders",
            "route.request",
            detail,
        )
        .await
        .unwrap();
    }
    let arrived = east_aws.receive_json(&routed.url, 2).await;
    assert_eq!(
        arrived.len(),
        2,
        "both routed events reach us-east-1: {arrived:?}"
    );
    let mut compressed = 0;
    for event in &arrived {
        assert_eq!(event["detail-type"], "route.request");
        let raw = event["detail"].to_string();
        let cross: platform_events::CrossRegionEvent =
            serde_json::from_value(event["detail"].clone()).expect("a cross-region event");
        assert_eq!(cross.source_region, "us-west-2");
        assert_eq!(cross.destination_region, "us-east-1");
        if raw.contains("_platformCompressed") {
            compressed += 1;
            assert!(
                raw.len() < 10_000,
                "compressed on the wire: {} bytes",
                raw.len()
            );
        }
        let original = cross.into_original().expect("decodes");
        let expected = if original.detail["orderId"] == "route-large" {
            &large
        } else {
            &small
        };
        assert_eq!(&original.detail, expected, "readable in its original form");
    }
    assert_eq!(compressed, 1, "only the large event is compressed");
}

/// a, the stream part of the first leg without the transformer (see
/// [`an_event_is_transformed_stored_and_streamed`]): a row written to us-west-2's events table
/// is read from its stream through the deployed event source mapping and published by the
/// stream-processor as a `CdcInsert` event on the region's bus.
async fn a_row_is_streamed_as_a_cdc_event(platform: &Platform) {
    let aws = &platform.endpoints().aws;
    let west = platform.region("us-west-2").unwrap();
    let west_aws = Emulator::connect(aws, "us-west-2").await;
    let cdc_events = west_aws
        .queue_for_source(&west.bus_name, "platform.stream-processor")
        .await;
    let row = json!({"pk": "event#journey-a-stream", "sk": "v1", "orderId": "streamed"});
    west_aws
        .dynamodb
        .put_item()
        .table_name(&west.events_table)
        .set_item(Some(platform_aws::dynamodb::json_to_item(
            row.as_object().unwrap(),
        )))
        .send()
        .await
        .unwrap();
    let published: Vec<Value> = west_aws
        .receive_polling(&cdc_events.url, 1, 60)
        .await
        .iter()
        .filter_map(|m| serde_json::from_str(m.body()?).ok())
        .collect();
    let insert = published
        .iter()
        .find(|e| e.to_string().contains("event#journey-a-stream"))
        .unwrap_or_else(|| {
            panic!(
                "no CDC event for the row: {published:?}\nstream-processor log:\n{}",
                log_tail(&west.logs.join("stream-processor.log"))
            )
        });
    assert_eq!(insert["detail-type"], "CdcInsert", "{insert}");
    assert!(
        insert["detail"].to_string().contains("streamed"),
        "{insert}"
    );
}

/// b. A Qlik change produced to a region's broker becomes a row, and a CDC event only where
/// the spec enables `consumer.publish_cdc_events` (us-east-1 in the journey spec).
async fn qlik_change_becomes_a_row(platform: &Platform) {
    let aws = &platform.endpoints().aws;
    let mut observers = Vec::new();
    for region in ["us-west-2", "us-east-1"] {
        let endpoints = platform.region(region).unwrap();
        let emulator = Emulator::connect(aws, region).await;
        let events = emulator
            .queue_for_source(&endpoints.bus_name, "cdc-consumer")
            .await;
        observers.push((region, endpoints.clone(), emulator, events));
    }
    for (region, endpoints, _, _) in &observers {
        let topic = &endpoints.cdc_topics[0];
        let key = &topic.key_columns[0];
        let id = format!("journey-b-{region}");
        let producer = feed::producer(&endpoints.kafka_bootstrap).unwrap();
        let message = feed::qlik_insert(7, &[(key, &id), ("name", "Ada")]);
        feed::produce(&producer, &topic.topic, &id, &message)
            .await
            .unwrap();
    }
    for (region, endpoints, emulator, events) in &observers {
        let topic = &endpoints.cdc_topics[0];
        let pk = format!("{}#journey-b-{region}", topic.table);
        let row = eventually(
            60,
            &format!("the row in {region}'s cdc-state table"),
            || {
                let (client, table, pk) = (
                    emulator.dynamodb.clone(),
                    endpoints.cdc_table.clone(),
                    pk.clone(),
                );
                async move { item(&client, &table, &pk).await }
            },
        )
        .await;
        assert_eq!(row["name"], "Ada", "{row:?}");
        assert_eq!(row["_op"], "INSERT", "{row:?}");
        let published = emulator
            .receive_polling(
                &events.url,
                1,
                if endpoints.publish_cdc_events { 20 } else { 3 },
            )
            .await;
        if endpoints.publish_cdc_events {
            assert_eq!(published.len(), 1, "{region} publishes a CDC event");
            assert!(
                published[0]
                    .body()
                    .unwrap_or_default()
                    .contains(&format!("journey-b-{region}"))
            );
        } else {
            assert!(
                published.is_empty(),
                "{region} publishes nothing: {published:?}"
            );
        }
    }
    assert!(
        observers.iter().any(|(_, e, _, _)| e.publish_cdc_events)
            && observers.iter().any(|(_, e, _, _)| !e.publish_cdc_events),
        "the journey spec has one region of each setting"
    );
}

/// c. `GET /health` with a valid token: both regions healthy in every check, the peer's
/// through its API front's open `/live`; without a token 401; a forged token 403.
async fn health_through_the_api(platform: &Platform) {
    let token = platform.token("journey-c").unwrap();
    let forged = local_platform::token::mint(
        &"f".repeat(64),
        &local_platform::token::TokenRequest {
            issuer: platform.region("us-west-2").unwrap().jwt_issuer.clone(),
            audience: platform.region("us-west-2").unwrap().jwt_audience.clone(),
            subject: "mallory".into(),
            scope: "local".into(),
            lifetime_seconds: 600,
        },
    )
    .unwrap();
    for (region, peer) in [("us-west-2", "us-east-1"), ("us-east-1", "us-west-2")] {
        let api = &platform.region(region).unwrap().api;
        let peer_live_before = platform.api_requests(peer, "/live").unwrap();
        let (status, health) = get(&format!("{api}/health"), Some(&token)).await;
        assert_eq!(status, 200, "{health}");
        assert_eq!(health["region"], region);
        assert_eq!(health["status"], "healthy", "{health}");
        let checks = health["checks"].as_array().unwrap();
        for check in checks {
            assert_eq!(check["status"], "healthy", "{region}: {check}");
        }
        let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
        assert!(
            names.contains(&format!("peer:{peer}").as_str()),
            "{names:?}"
        );
        assert!(
            names.contains(&"table") && names.contains(&"bus"),
            "{names:?}"
        );
        assert!(
            platform.api_requests(peer, "/live").unwrap() > peer_live_before,
            "the peer check went through {peer}'s API front"
        );

        let (status, body) = get(&format!("{api}/health"), None).await;
        assert_eq!(status, 401, "{body}");
        let (status, body) = get(&format!("{api}/health"), Some(&forged)).await;
        assert!(
            status == 403 || status == 401,
            "forged token: {status} {body}"
        );
        let (status, body) = get(&format!("{api}/health"), Some("not.a.token")).await;
        assert!(
            status == 403 || status == 401,
            "garbage token: {status} {body}"
        );
        let (status, body) = get(&format!("{api}/live"), None).await;
        assert_eq!((status, body), (200, json!({"status": "healthy"})));
    }
}

/// d. `up`, then SIGINT: the command exits cleanly and leaves no process and no temporary
/// directory behind.
#[test]
fn up_then_ctrl_c_leaves_nothing_behind() {
    let Some(tools_bin) = tools() else { return };
    let _one = ONE_PLATFORM.blocking_lock();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_local-platform"))
        .args(["up", "--env", "dev"])
        .env("TEST_TOOLS_BIN", &tools_bin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    // Killed if the test fails before the SIGINT.
    struct Guard(u32);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
    let guard = Guard(child.id());
    let stdout = child.stdout.take().unwrap();
    let mut temp_dir = None;
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.unwrap();
        if let Some(file) = line.strip_prefix("export LOCAL_PLATFORM_ENDPOINTS=") {
            temp_dir = Path::new(file).parent().map(Path::to_path_buf);
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    let temp_dir = temp_dir.expect("up printed its endpoints file");
    assert!(temp_dir.is_dir());
    let descendants = descendants(child.id());
    assert!(
        descendants.len() >= 14,
        "emulator, 2 brokers, 10 functions, 2 consumers: {descendants:?}"
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    std::mem::forget(guard);
    assert!(exit.success(), "up exits 0 on Ctrl-C: {exit}");
    assert!(!temp_dir.exists(), "{} is left behind", temp_dir.display());
    let alive: Vec<u32> = descendants
        .into_iter()
        .filter(|pid| Path::new(&format!("/proc/{pid}")).exists())
        .collect();
    assert!(alive.is_empty(), "processes left behind: {alive:?}");
}

/// The last lines of a function's log that are not DEBUG, for failure messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(r#""level":"DEBUG""#))
        .collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Every process below `pid` (from /proc).
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents = std::collections::BTreeMap::<u32, Vec<u32>>::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces, so read after the last ')'.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        parents.entry(ppid).or_default().push(child);
    }
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        for &c in parents.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            out.push(c);
            stack.push(c);
        }
    }
    out
}
