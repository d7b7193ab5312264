//! End to end against the real broker (tansu) and the real emulator (moto), driving the real
//! `cdc-consumer` binary. Each test has its own topics, group, table and queue.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::*;

const SIGTERM_LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_corpus_drains_to_the_exact_final_state_with_matching_metrics() {
    let Some((bootstrap, aws)) = services() else {
        return;
    };
    let deployment = Deployment::create(&bootstrap, &aws, "e2e").await;
    let corpus = build_corpus(&deployment, 25, 120, 1);
    let positions = produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let mut consumer = deployment.spawn_consumer("e2e", &[]);
    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "e2e")
        .await;

    assert_eq!(consumer.get("/health").map(|r| r.0), Some(200));
    let ready = consumer.get("/ready").expect("ready answers");
    assert_eq!(ready.0, 200, "{}", ready.1);
    let metrics = consumer.get("/metrics").expect("metrics").1;
    let data_messages = corpus
        .messages
        .iter()
        .enumerate()
        .filter(|(i, message)| message.key.is_some() && !corpus.bad.contains(i))
        .count();
    assert_eq!(
        metric_sum(&metrics, "kafka_messages_consumed_total"),
        corpus.messages.len() as f64
    );
    assert_eq!(
        metric_sum(&metrics, "dlq_messages_total"),
        corpus.bad.len() as f64
    );
    assert_eq!(
        metric_sum(&metrics, "cdc_events_processed_total"),
        data_messages as f64
    );
    assert_eq!(
        metric_sum(&metrics, "kafka_processing_duration_seconds_count"),
        corpus.messages.len() as f64
    );
    for name in ["kafka_consumer_lag", "kafka_consumer_lag_seconds"] {
        assert!(
            metrics.contains(&format!("# TYPE {name} gauge")),
            "{name} missing"
        );
    }

    let (code, took) = consumer.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0), "SIGTERM exit after {took:?}");
    assert!(
        !corpus.bad.is_empty(),
        "the corpus must contain malformed messages"
    );
    assert_final_state(&deployment, &corpus, &positions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_and_restart_loses_nothing_and_regresses_nothing() {
    let Some((bootstrap, aws)) = services() else {
        return;
    };
    let deployment = Deployment::create(&bootstrap, &aws, "kill").await;
    let corpus = build_corpus(&deployment, 40, 500, 2);
    let positions = produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    // Static membership, as a container restarted in its pod has: the restarted process
    // takes the dead one's place at once. (tansu 0.6 does not reliably rebalance away from
    // several dead dynamic members; see BENCHMARKS.md / the report.)
    let member = [("KAFKA_GROUP_INSTANCE_ID", "kill-member")];
    let mut consumer = deployment.spawn_consumer("kill", &member);
    let mut kills = 0;
    let deadline = std::time::Instant::now() + TEST_TIMEOUT;
    while kills < 3 {
        // Kill only once this process has applied something: mid-stream, not at start-up.
        let processed = consumer
            .metric_sum("cdc_events_processed_total")
            .unwrap_or(0.0);
        if processed >= 20.0 {
            consumer.sigkill();
            kills += 1;
            let committed = deployment.committed_offsets();
            eprintln!("kill {kills}: {processed} applied by the victim, committed {committed:?}");
            consumer = deployment.spawn_consumer("kill", &member);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no progress between kills"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let committed: i64 = deployment
        .committed_offsets()
        .values()
        .map(|o| (*o).max(0))
        .sum();
    let total: i64 = ends.values().sum();
    assert!(
        committed < total,
        "the stream ended before the last kill; the test proves nothing"
    );
    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "after kills")
        .await;
    let (code, _) = consumer.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0));
    assert_final_state(&deployment, &corpus, &positions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_joining_and_leaving_mid_stream_changes_nothing() {
    let Some((bootstrap, aws)) = services() else {
        return;
    };
    let deployment = Deployment::create(&bootstrap, &aws, "pair").await;
    let corpus = build_corpus(&deployment, 40, 500, 3);
    let positions = produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let mut first = deployment.spawn_consumer("first", &[]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut second = deployment.spawn_consumer("second", &[]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (code, took) = second.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0), "second instance exit after {took:?}");
    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "after the second left")
        .await;
    let (code, _) = first.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0));
    assert_final_state(&deployment, &corpus, &positions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_zero_with_offsets_committed_and_a_restart_reapplies_nothing_committed() {
    let Some((bootstrap, aws)) = services() else {
        return;
    };
    let deployment = Deployment::create(&bootstrap, &aws, "term").await;
    let corpus = build_corpus(&deployment, 40, 600, 4);
    let positions = produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let mut consumer = deployment.spawn_consumer("term-1", &[]);
    // Stop once it has made some progress but before it is done.
    let deadline = std::time::Instant::now() + TEST_TIMEOUT;
    while consumer
        .metric_sum("cdc_events_processed_total")
        .unwrap_or(0.0)
        < 50.0
    {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, took) = consumer.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0), "exit code after {took:?}");
    assert!(took < SIGTERM_LIMIT, "took {took:?}");
    let committed = deployment.committed_offsets();
    let already: i64 = committed.values().map(|o| (*o).max(0)).sum();
    assert!(already > 0, "nothing committed on SIGTERM: {committed:?}");
    let total: i64 = ends.values().sum();
    // Draining may finish everything already fetched; either way the restart must consume
    // exactly the uncommitted suffix.
    eprintln!("committed {already} of {total} on SIGTERM after {took:?}");

    let restarted = deployment.spawn_consumer("term-2", &[]);
    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "after restart")
        .await;
    // When the drain committed everything, the restart has nothing to consume and its counter
    // stays absent: let it join and fetch first, so a wrong start offset would show.
    let ready_by = std::time::Instant::now() + TEST_TIMEOUT;
    while restarted.get("/ready").map(|(status, _)| status) != Some(200) {
        assert!(
            std::time::Instant::now() < ready_by,
            "the restarted consumer never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let consumed = restarted
        .metric_sum("kafka_messages_consumed_total")
        .unwrap_or(0.0);
    assert_eq!(
        consumed as i64,
        total - already,
        "the restart re-consumed committed messages"
    );
    drop(restarted);
    assert_final_state(&deployment, &corpus, &positions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_recovers_by_itself_when_the_broker_restarts_mid_stream() {
    let Some((_, aws)) = services() else { return };
    let Some(mut broker) = test_support::kafka::PrivateBroker::start() else {
        return;
    };
    let bootstrap = broker.bootstrap();
    let deployment = Deployment::create(&bootstrap, &aws, "broker").await;
    let corpus = build_corpus(&deployment, 40, 400, 5);
    let positions = produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let mut consumer = deployment.spawn_consumer("broker", &[]);
    let deadline = std::time::Instant::now() + TEST_TIMEOUT;
    while consumer
        .metric_sum("cdc_events_processed_total")
        .unwrap_or(0.0)
        < 50.0
    {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    broker.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.restart();
    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "after broker restart")
        .await;
    let (code, _) = consumer.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0));
    assert_final_state(&deployment, &corpus, &positions).await;
}

/// Forwards `port` to `target` once `delay` has passed; until then the port refuses
/// connections, as an unreachable service does.
fn forward_after(port: u16, target: SocketAddr, delay: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("forwarder port");
        for client in listener.incoming().flatten() {
            let Ok(upstream) = TcpStream::connect(target) else {
                continue;
            };
            let (mut c1, mut u1) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
            let (mut c2, mut u2) = (client, upstream);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c1, &mut u1);
                let _ = u1.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut u2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Write);
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_sink_delays_but_never_skips_or_dead_letters() {
    let Some((bootstrap, aws)) = services() else {
        return;
    };
    let deployment = Deployment::create(&bootstrap, &aws, "outage").await;
    let corpus = build_corpus(&deployment, 25, 120, 6);
    let positions = produce(&bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let port = test_support::kafka::free_port();
    let target: SocketAddr = aws
        .trim_start_matches("http://")
        .parse()
        .expect("emulator address");
    let outage = Duration::from_secs(12);
    forward_after(port, target, outage);
    let started = std::time::Instant::now();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut consumer = deployment.spawn_consumer("outage", &[("AWS_ENDPOINT_URL", &endpoint)]);

    // Within the outage, wait until writes have been attempted and retried.
    while consumer
        .metric_sum("cdc_transient_retries_total")
        .unwrap_or(0.0)
        == 0.0
    {
        assert!(
            started.elapsed() < outage - Duration::from_secs(2),
            "no write was attempted during the outage (logs in {})",
            deployment.log_dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = consumer.get("/ready").expect("ready answers");
    assert_eq!(
        ready.0, 503,
        "ready while the sink is unreachable: {}",
        ready.1
    );
    assert!(ready.1.contains("sink_reachable=false"), "{}", ready.1);
    assert_eq!(consumer.metric_sum("dlq_messages_total"), Some(0.0));
    let table = deployment.table_state().await;
    assert!(
        table.rows.is_empty() && table.tombstones.is_empty(),
        "wrote through an unreachable sink?"
    );
    assert!(
        started.elapsed() < outage,
        "the checks ran after the outage ended"
    );

    deployment
        .wait_until_committed(&ends, TEST_TIMEOUT, "after the outage")
        .await;
    assert_eq!(
        consumer.metric_sum("dlq_messages_total"),
        Some(corpus.bad.len() as f64)
    );
    let (code, _) = consumer.terminate(SIGTERM_LIMIT);
    assert_eq!(code, Some(0));
    assert_final_state(&deployment, &corpus, &positions).await;
}
