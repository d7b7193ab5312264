//! `local-platform load` end to end, one test per scenario against a real target: an HTTP
//! server on loopback that checks the bearer token (the health scenario's request shape and
//! error counting), the AWS emulator's EventBridge (every event put arrives), and the Kafka
//! broker (every change produced is on the topic and is a Qlik message the consumer parses).
//! Each also checks the bounds (count, time) and the loopback guard.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use local_platform::load::{self, Discovered, LoadArgs, Scenario};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

fn args(scenario: Scenario) -> LoadArgs {
    LoadArgs {
        scenario,
        env: "dev".into(),
        region: "us-west-2".into(),
        requests: 40,
        seconds: 30,
        concurrency: 4,
        url: None,
        bootstrap: None,
        token: None,
        topic: "qlik.orders".into(),
        key_column: "order_id".into(),
        source: "platform.load".into(),
        detail_type: "OrderCreated".into(),
        json: false,
        endpoints: None,
    }
}

/// An API stand-in on loopback: `GET /dev/health` answers 200 to `Bearer good`, 401 otherwise.
async fn api() -> String {
    let app = axum::Router::new().route(
        "/dev/health",
        axum::routing::get(|headers: HeaderMap| async move {
            match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                Some("Bearer good") => (StatusCode::OK, r#"{"status":"healthy"}"#),
                _ => (StatusCode::UNAUTHORIZED, r#"{"message":"Unauthorized"}"#),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/dev")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_counts_answers_by_status_within_the_bounds() {
    let url = api().await;
    let discovered = Discovered {
        api_url: Some(("the test API", url.clone())),
        token: Some("good".into()),
        ..Discovered::default()
    };
    let report = load::run(&args(Scenario::Health), &discovered)
        .await
        .unwrap();
    assert_eq!(
        (report.requests, report.succeeded, report.error_count()),
        (40, 40, 0),
        "{report}"
    );
    assert!(
        report.p50_ms <= report.p95_ms
            && report.p95_ms <= report.p99_ms
            && report.p99_ms <= report.max_ms,
        "{report}"
    );
    assert!(
        report.throughput > 0.0 && report.target.ends_with("/dev/health"),
        "{report}"
    );

    let mut forged = args(Scenario::Health);
    forged.token = Some("forged".into());
    let report = load::run(&forged, &discovered).await.unwrap();
    assert_eq!(report.succeeded, 0, "{report}");
    assert_eq!(
        report.errors.get("Client Error(401)"),
        Some(&40),
        "{report}"
    );

    // The time bound ends a run whose count would take far longer.
    let mut long = args(Scenario::Health);
    long.requests = load::MAX_REQUESTS;
    long.seconds = 1;
    let report = load::run(&long, &discovered).await.unwrap();
    assert!(
        report.requests < load::MAX_REQUESTS && report.seconds < 5.0,
        "{report}"
    );

    // Nothing listens on port 1: every request is an error, counted with its reason.
    let mut refused = args(Scenario::Health);
    refused.requests = 5;
    refused.url = Some("http://127.0.0.1:1/dev".into());
    let report = load::run(&refused, &discovered).await.unwrap();
    assert_eq!(
        (report.requests, report.succeeded, report.error_count()),
        (5, 0, 5),
        "{report}"
    );
}

#[tokio::test]
async fn a_target_not_given_explicitly_must_be_loopback() {
    for (scenario, discovered) in [
        (
            Scenario::Health,
            Discovered {
                api_url: Some(("the local platform", "https://api.example.com/dev".into())),
                token: Some("t".into()),
                ..Discovered::default()
            },
        ),
        (
            Scenario::Events,
            Discovered {
                aws_endpoint: Some((
                    "AWS_ENDPOINT_URL",
                    "https://events.us-west-2.amazonaws.com".into(),
                )),
                ..Discovered::default()
            },
        ),
        (
            Scenario::Cdc,
            Discovered {
                kafka_bootstrap: Some(("the local platform", "10.0.0.7:9092".into())),
                ..Discovered::default()
            },
        ),
    ] {
        let error = load::run(&args(scenario), &discovered)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("refusing to load"), "{error}");
    }
    let error = load::run(&args(Scenario::Health), &Discovered::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("pass --url"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_put_on_the_regions_bus() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let emulator = test_support::aws::Emulator::connect(&endpoint, "us-west-2").await;
    let env = test_support::unique_name("load").replace('-', "");
    let bus = format!("infra-gen-{env}");
    emulator
        .events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap();
    let delivered = emulator.queue_for_source(&bus, "platform.load").await;
    let mut run = args(Scenario::Events);
    run.env = env;
    run.requests = 25;
    let discovered = Discovered {
        aws_endpoint: Some(("TEST_AWS_ENDPOINT", endpoint.clone())),
        ..Discovered::default()
    };
    let report = load::run(&run, &discovered).await.unwrap();
    assert_eq!((report.requests, report.succeeded), (25, 25), "{report}");
    let arrived = emulator.receive_json(&delivered.url, 25).await;
    assert_eq!(arrived.len(), 25);
    assert!(
        arrived
            .iter()
            .all(|e| e["detail-type"] == "OrderCreated" && e["detail"]["currency"] == "USD")
    );

    // A bus that does not exist: every put is refused, and counted as an error.
    run.env = "nosuchenv".into();
    run.requests = 3;
    let report = load::run(&run, &discovered).await.unwrap();
    assert_eq!((report.succeeded, report.error_count()), (0, 3), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdc_changes_are_produced_to_the_broker() {
    let Some(bootstrap) = test_support::kafka_bootstrap() else {
        return;
    };
    let topic = test_support::unique_name("qlik.load");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap();
    for created in admin
        .create_topics(
            &[NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap()
    {
        created.unwrap();
    }
    let mut run = args(Scenario::Cdc);
    run.topic = topic.clone();
    run.requests = 30;
    run.bootstrap = Some(bootstrap.clone());
    let report = load::run(&run, &Discovered::default()).await.unwrap();
    assert_eq!((report.requests, report.succeeded), (30, 30), "{report}");

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", test_support::unique_name("load-check"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let mut parsed = 0;
    for _ in 0..300 {
        if parsed == 30 {
            break;
        }
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            let change = consumer::qlik::parse(message.payload().unwrap()).unwrap();
            assert!(
                matches!(change, consumer::qlik::QlikMessage::Data(_)),
                "{change:?}"
            );
            parsed += 1;
        }
    }
    assert_eq!(
        parsed, 30,
        "every change is on the topic and parses as Qlik's"
    );
}
