//! End-to-end rates against the local broker, all measured in one run so the ratios compare
//! like with like on a shared machine:
//! 1. a bare rdkafka consume loop on a topic (the ceiling);
//! 2. the consumer pipeline on the same topic with the in-memory sink;
//! 3. receipt-to-commit-eligible latency while producing at 10,000 msg/s;
//! 4. the `cdc-consumer` binary with the DynamoDB sink on the emulator, batch size 1 vs 100,
//!    with its peak RSS.
//!
//! Run: TEST_KAFKA_BOOTSTRAP=127.0.0.1:9092 TEST_AWS_ENDPOINT=http://127.0.0.1:5056 \
//!      cargo bench -p consumer --bench throughput

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use consumer::config::Config;
use consumer::metrics::Metrics;
use consumer::outputs::MemoryDeadLetters;
use consumer::pipeline::Outputs;
use consumer::sink::MemorySink;
use platform_contract::TopicTable;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

const MESSAGES: usize = 100_000;
const PACED_RATE: usize = 10_000;
const PACED_SECONDS: usize = 5;
/// tansu answers a waiting fetch only at its deadline, where Kafka answers as soon as data
/// arrives; a short deadline makes tansu deliver as Kafka would. Both loops use it.
const FETCH_WAIT_MAX_MS: u32 = 10;

fn message(i: usize) -> common::Produced {
    let id = (i % 20_000).to_string();
    let seq = format!(
        "{:035}",
        20261127000000000000000000000000000u128 + i as u128
    );
    let name = format!("customer {i}");
    let cols: [(&str, Option<&str>); 4] = [
        ("ORDER_ID", Some(&id)),
        ("STATUS", Some("SHIPPED")),
        ("NAME", Some(&name)),
        ("NOTE", None),
    ];
    let bytes =
        consumer::corpus::json_data_message(true, "UPDATE", Some(&seq), Some(&cols), Some(&cols));
    common::Produced {
        topic: String::new(),
        key: Some(id),
        value: Some(bytes),
        partition: None,
    }
}

async fn create_topic(bootstrap: &str, name: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin");
    for r in admin
        .create_topics(
            &[NewTopic::new(name, 3, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create topic")
    {
        r.expect("topic created");
    }
}

async fn produce_topic(bootstrap: &str, topic: &str, range: std::ops::Range<usize>) -> Duration {
    let messages: Vec<common::Produced> = range
        .map(|i| common::Produced {
            topic: topic.to_string(),
            ..message(i)
        })
        .collect();
    let start = Instant::now();
    common::produce(bootstrap, &messages).await;
    start.elapsed()
}

fn bare_loop(bootstrap: &str, topic: &str, expected: usize) -> Duration {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", test_support::unique_name("bench-bare"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", FETCH_WAIT_MAX_MS.to_string())
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut count = 0;
    let mut bytes = 0usize;
    let mut first = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    while count < expected && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            first.get_or_insert_with(Instant::now);
            bytes += m.payload().map_or(0, <[u8]>::len);
            count += 1;
        }
    }
    assert_eq!(count, expected, "bare loop did not see every message");
    std::hint::black_box(bytes);
    first.map(|f| f.elapsed()).unwrap_or_default()
}

fn config(bootstrap: &str, topic: &str, batch_size: usize) -> Config {
    Config {
        stage: "bench".into(),
        log_level: None,
        region: "us-east-1".into(),
        bootstrap_servers: bootstrap.into(),
        group_id: test_support::unique_name("bench-pipeline"),
        group_instance_id: None,
        topics: vec![TopicTable {
            topic: topic.into(),
            table: "orders".into(),
            key_columns: vec!["ORDER_ID".into()],
        }],
        table_name: "unused".into(),
        dlq_url: "unused".into(),
        event_bus_name: None,
        metrics_address: SocketAddr::from(([127, 0, 0, 1], 0)),
        batch_size,
        fetch_wait_max_ms: FETCH_WAIT_MAX_MS,
        tombstone_ttl: std::time::Duration::from_secs(
            platform_contract::DEFAULT_CDC_TOMBSTONE_TTL_SECONDS,
        ),
    }
}

/// Runs the pipeline with the in-memory sink until `expected` messages are commit-eligible.
/// Returns the time from the first received message and the metrics.
async fn pipeline(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    during: impl std::future::Future<Output = ()>,
) -> (Duration, Metrics) {
    let metrics = Metrics::new().expect("metrics");
    let outputs = Outputs {
        sink: Arc::new(MemorySink::new()),
        dead_letters: Arc::new(MemoryDeadLetters::default()),
        events: None,
        metrics: metrics.clone(),
        region: "us-east-1".into(),
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    let run = tokio::spawn(consumer::app::run_until(
        config(bootstrap, topic, 100),
        outputs,
        shutdown.clone(),
    ));
    let mut first = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    tokio::pin!(during);
    let mut during_done = false;
    loop {
        if !during_done {
            tokio::select! {
                _ = &mut during => during_done = true,
                _ = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let consumed: u64 = metrics.messages_consumed.with_label_values(&[topic]).get();
        if consumed > 0 {
            first.get_or_insert_with(Instant::now);
        }
        if metrics.processing_duration.get_sample_count() as usize >= expected
            || Instant::now() > deadline
        {
            break;
        }
    }
    let elapsed = first.map(|f| f.elapsed()).unwrap_or_default();
    shutdown.store(true, Ordering::SeqCst);
    let _ = run.await;
    (elapsed, metrics)
}

/// The processing-duration histogram as collected: total count and cumulative buckets.
fn processing_histogram(metrics: &Metrics) -> prometheus::proto::Histogram {
    let proto = prometheus::core::Collector::collect(&metrics.processing_duration);
    proto[0].get_metric()[0].get_histogram().clone()
}

/// The share of observations at or below `bound` seconds (a bucket bound).
fn share_within(metrics: &Metrics, bound: f64) -> f64 {
    let histogram = processing_histogram(metrics);
    let total = histogram.get_sample_count() as f64;
    histogram
        .get_bucket()
        .iter()
        .find(|bucket| (bucket.upper_bound() - bound).abs() < 1e-12)
        .map_or(f64::NAN, |bucket| bucket.cumulative_count() as f64 / total)
}

/// The upper bound of the histogram bucket holding the given quantile.
fn quantile_bound(metrics: &Metrics, q: f64) -> f64 {
    let histogram = processing_histogram(metrics);
    let total = histogram.get_sample_count() as f64;
    histogram
        .get_bucket()
        .iter()
        .find(|bucket| bucket.cumulative_count() as f64 >= q * total)
        .map_or(f64::INFINITY, |bucket| bucket.upper_bound())
}

async fn dynamo_run(bootstrap: &str, aws: &str, batch_size: usize, rows: usize, changes: usize) {
    let deployment =
        common::Deployment::create(bootstrap, aws, &format!("bench{batch_size}")).await;
    let corpus = common::build_corpus(&deployment, rows, changes, 9);
    common::produce(bootstrap, &corpus.messages).await;
    let ends = deployment.end_offsets();
    let start = Instant::now();
    let mut process = deployment.spawn_consumer(
        "bench",
        &[
            ("CDC_BATCH_SIZE", &batch_size.to_string()),
            ("LOG_LEVEL", "warn"),
        ],
    );
    deployment
        .wait_until_committed(&ends, Duration::from_secs(600), "dynamo bench")
        .await;
    let elapsed = start.elapsed();
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", process.child.id())).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .to_string();
    let (code, took) = process.terminate(Duration::from_secs(30));
    println!(
        "dynamodb-emulator sink, CDC_BATCH_SIZE={batch_size}: {} messages in {:.2?} = {:.0} msg/s (incl. start-up and group join); peak {hwm}; SIGTERM exit {code:?} in {took:.2?}",
        corpus.messages.len(),
        elapsed,
        corpus.messages.len() as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let Ok(bootstrap) = std::env::var("TEST_KAFKA_BOOTSTRAP") else {
        eprintln!("TEST_KAFKA_BOOTSTRAP is not set; nothing to measure");
        return;
    };
    // `cargo bench` passes --bench; a filter argument selects nothing here.
    let topic = test_support::unique_name("bench.qlik.orders");
    create_topic(&bootstrap, &topic).await;
    let produced = produce_topic(&bootstrap, &topic, 0..MESSAGES).await;
    println!(
        "produced {MESSAGES} messages in {produced:.2?} = {:.0} msg/s",
        MESSAGES as f64 / produced.as_secs_f64()
    );

    let bare = bare_loop(&bootstrap, &topic, MESSAGES);
    let bare_rate = MESSAGES as f64 / bare.as_secs_f64();
    println!("bare rdkafka loop: {MESSAGES} in {bare:.2?} = {bare_rate:.0} msg/s");
    let (ours, _) = pipeline(&bootstrap, &topic, MESSAGES, async {}).await;
    let our_rate = MESSAGES as f64 / ours.as_secs_f64();
    println!(
        "pipeline, in-memory sink: {MESSAGES} in {ours:.2?} = {our_rate:.0} msg/s = {:.2}x the bare loop",
        our_rate / bare_rate
    );
    let bare_again = bare_loop(&bootstrap, &topic, MESSAGES);
    println!(
        "bare rdkafka loop (again, to bracket): {:.0} msg/s",
        MESSAGES as f64 / bare_again.as_secs_f64()
    );

    let paced_topic = test_support::unique_name("bench.qlik.paced");
    create_topic(&bootstrap, &paced_topic).await;
    let paced_total = PACED_RATE * PACED_SECONDS;
    let producer_bootstrap = bootstrap.clone();
    let producer_topic = paced_topic.clone();
    let paced_producer = async move {
        // Wait for the group to settle so the latency is steady-state, then send 1% of the
        // rate every 10 ms from one producer.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let producer: rdkafka::producer::FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &producer_bootstrap)
            .set("linger.ms", "1")
            .create()
            .expect("producer");
        let step = PACED_RATE / 100;
        let start = Instant::now();
        let mut deliveries = Vec::with_capacity(paced_total);
        for tick in 0..paced_total / step {
            for i in tick * step..(tick + 1) * step {
                let message = message(i);
                let key = message.key.unwrap_or_default();
                let value = message.value.unwrap_or_default();
                let record = rdkafka::producer::FutureRecord::to(&producer_topic)
                    .key(&key)
                    .payload(&value);
                match producer.send_result(record) {
                    Ok(delivery) => deliveries.push(delivery),
                    Err((e, _)) => panic!("paced send failed: {e}"),
                }
            }
            let next = start + Duration::from_millis(10 * (tick as u64 + 1));
            tokio::time::sleep_until(next.into()).await;
        }
        let produced_in = start.elapsed();
        for delivery in deliveries {
            delivery.await.expect("delivery").expect("delivered");
        }
        println!("paced producer: {paced_total} messages sent in {produced_in:.2?}");
    };
    let (paced, metrics) = pipeline(&bootstrap, &paced_topic, paced_total, paced_producer).await;
    println!(
        "paced {PACED_RATE} msg/s for {PACED_SECONDS} s ({paced:.2?}): receipt to commit-eligible p50 <= {:.2} ms, p99 <= {:.2} ms (histogram bucket bounds); {:.3}% within 5 ms",
        quantile_bound(&metrics, 0.50) * 1000.0,
        quantile_bound(&metrics, 0.99) * 1000.0,
        share_within(&metrics, 0.005) * 100.0
    );

    if let Ok(aws) = std::env::var("TEST_AWS_ENDPOINT") {
        for batch_size in [1, 100] {
            dynamo_run(&bootstrap, &aws, batch_size, 200, 1000).await;
        }
    }
}
