//! The end-to-end harness: real broker (tansu), real emulator (moto), the real binary.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use consumer::corpus;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use test_support::aws::Emulator;

pub const REGION: &str = "us-east-1";

/// One message to produce.
#[derive(Debug, Clone)]
pub struct Produced {
    pub topic: String,
    pub key: Option<String>,
    pub value: Option<Vec<u8>>,
    /// `None`: the producer's partitioner picks it from the key.
    pub partition: Option<i32>,
}

type Columns = Vec<(String, Option<String>)>;
/// pk -> (sequence, columns) of the rows a reader of the table sees.
pub type Rows = BTreeMap<String, (String, BTreeMap<String, Option<String>>)>;
pub const PARTITIONS: i32 = 3;
pub const TEST_TIMEOUT: Duration = Duration::from_secs(150);

/// One deployment under test: its topics, group, table and queue.
pub struct Deployment {
    pub bootstrap: String,
    pub aws_endpoint: String,
    pub group: String,
    pub topics: Vec<(String, String, Vec<String>)>,
    pub table: String,
    pub dlq_url: String,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub log_dir: PathBuf,
}

impl Deployment {
    pub async fn create(bootstrap: &str, aws_endpoint: &str, prefix: &str) -> Self {
        let emulator = Emulator::connect(aws_endpoint, REGION).await;
        let (table, _) = emulator.table(&format!("{prefix}-rows"), false).await;
        let dlq_url = emulator.queue(&format!("{prefix}-dlq")).await.url;
        let topics = vec![
            (
                test_support::unique_name(&format!("{prefix}.qlik.customers")),
                "customers".to_string(),
                vec!["customer_id".to_string()],
            ),
            (
                test_support::unique_name(&format!("{prefix}.qlik.orders")),
                "orders".to_string(),
                vec!["order_id".to_string(), "line".to_string()],
            ),
            (
                test_support::unique_name(&format!("{prefix}.qlik.products")),
                "products".to_string(),
                vec!["product_id".to_string()],
            ),
        ];
        let log_dir = std::env::temp_dir().join(test_support::unique_name(prefix));
        std::fs::create_dir_all(&log_dir).unwrap();
        let deployment = Deployment {
            bootstrap: bootstrap.to_string(),
            aws_endpoint: aws_endpoint.to_string(),
            group: test_support::unique_name(&format!("{prefix}-group")),
            topics,
            table,
            dlq_url,
            dynamo: emulator.dynamodb,
            sqs: emulator.sqs,
            log_dir,
        };
        deployment.create_topics().await;
        deployment
    }

    async fn create_topics(&self) {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .expect("admin client");
        let new: Vec<NewTopic> = self
            .topics
            .iter()
            .map(|(t, _, _)| NewTopic::new(t, PARTITIONS, TopicReplication::Fixed(1)))
            .collect();
        let results = admin
            .create_topics(&new, &AdminOptions::new())
            .await
            .expect("create topics");
        for r in results {
            r.expect("topic created");
        }
    }

    pub fn topic_tables(&self) -> String {
        self.topics
            .iter()
            .map(|(t, table, keys)| format!("{t}={table}:{}", keys.join(",")))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Starts the consumer binary with the deployment's configuration.
    pub fn spawn_consumer(&self, name: &str, extra_env: &[(&str, &str)]) -> ConsumerProcess {
        let port = test_support::kafka::free_port();
        let log = self.log_dir.join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_cdc-consumer"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("STAGE", "test")
            .env("LOG_LEVEL", "info")
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_ENDPOINT_URL", &self.aws_endpoint)
            .env("KAFKA_BOOTSTRAP_SERVERS", &self.bootstrap)
            .env("KAFKA_GROUP_ID", &self.group)
            .env("CDC_TOPIC_TABLES", self.topic_tables())
            .env("CDC_TABLE_NAME", &self.table)
            .env("CDC_DLQ_URL", &self.dlq_url)
            .env("METRICS_PORT", port.to_string())
            .env("METRICS_BIND_ADDRESS", "127.0.0.1");
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("spawn cdc-consumer");
        ConsumerProcess {
            child,
            metrics_port: port,
            log,
        }
    }

    /// The end offset of every partition of every topic.
    pub fn end_offsets(&self) -> BTreeMap<(String, i32), i64> {
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .unwrap();
        let mut ends = BTreeMap::new();
        for (topic, _, _) in &self.topics {
            for p in 0..PARTITIONS {
                let (_, high) = client
                    .fetch_watermarks(topic, p, Duration::from_secs(10))
                    .expect("watermarks");
                ends.insert((topic.clone(), p), high);
            }
        }
        ends
    }

    /// The group's committed offset of every partition (-1 when none).
    pub fn committed_offsets(&self) -> BTreeMap<(String, i32), i64> {
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", &self.group)
            .create()
            .unwrap();
        let mut list = TopicPartitionList::new();
        for (topic, _, _) in &self.topics {
            for p in 0..PARTITIONS {
                list.add_partition(topic, p);
            }
        }
        let mut out = BTreeMap::new();
        if let Ok(committed) = client.committed_offsets(list, Duration::from_secs(10)) {
            for e in committed.elements() {
                let offset = match e.offset() {
                    Offset::Offset(o) => o,
                    _ => -1,
                };
                out.insert((e.topic().to_string(), e.partition()), offset);
            }
        }
        out
    }

    /// Waits until the group has committed every partition up to its end.
    pub async fn wait_until_committed(
        &self,
        ends: &BTreeMap<(String, i32), i64>,
        timeout: Duration,
        what: &str,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let committed = self.committed_offsets();
            let behind: Vec<_> = ends
                .iter()
                .filter(|(k, end)| committed.get(*k).copied().unwrap_or(-1) < **end && **end > 0)
                .collect();
            if behind.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: partitions not fully committed after {timeout:?}: {behind:?} committed {committed:?} (logs in {})",
                self.log_dir.display()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The table as a reader sees it (rows; tombstones read as absent) and its tombstones:
    /// pk -> the DELETE's sequence. Every tombstone must expire in the future, and keep none of
    /// the row's columns.
    pub async fn table_state(&self) -> TableState {
        let mut state = TableState::default();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        loop {
            let page = self
                .dynamo
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("scan");
            for item in page.items() {
                let pk = item["pk"].as_s().unwrap().clone();
                let seq = item["_seq"].as_n().unwrap().clone();
                let columns: BTreeMap<String, Option<String>> = item
                    .iter()
                    .filter(|(k, _)| !k.starts_with('_') && k.as_str() != "pk")
                    .map(|(k, v)| {
                        let value = match v {
                            AttributeValue::S(s) => Some(s.clone()),
                            AttributeValue::Null(_) => None,
                            other => panic!("unexpected attribute {other:?}"),
                        };
                        (k.clone(), value)
                    })
                    .collect();
                if consumer::sink::is_tombstone(item) {
                    let expires: u64 = item["_expires"].as_n().unwrap().parse().unwrap();
                    assert!(expires > now, "tombstone {pk} expired at {expires}");
                    assert!(columns.is_empty(), "tombstone {pk} keeps {columns:?}");
                    state.tombstones.insert(pk, seq);
                } else {
                    state.rows.insert(pk, (seq, columns));
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        state
    }

    /// Drains the dead-letter queue: (topic, partition, offset) -> (original bytes, body).
    pub async fn drain_dlq(&self) -> BTreeMap<(String, i32, i64), (Vec<u8>, serde_json::Value)> {
        let mut out = BTreeMap::new();
        let mut empty_polls = 0;
        while empty_polls < 2 {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.dlq_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            let messages = received.messages();
            if messages.is_empty() {
                empty_polls += 1;
                continue;
            }
            for m in messages {
                let body: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
                let payload = &body["payload"];
                let key = (
                    payload["topic"].as_str().unwrap().to_string(),
                    payload["partition"].as_i64().unwrap() as i32,
                    payload["offset"].as_i64().unwrap(),
                );
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(payload["valueBase64"].as_str().unwrap())
                    .unwrap();
                // Redelivery after a crash may dead-letter the same message twice
                // (at-least-once); it is the same message, so the map keeps one.
                out.insert(key, (bytes, body.clone()));
                self.sqs
                    .delete_message()
                    .queue_url(&self.dlq_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        out
    }
}

/// What the table holds.
#[derive(Debug, Default)]
pub struct TableState {
    pub rows: Rows,
    /// pk -> the sequence of the DELETE that left the tombstone.
    pub tombstones: BTreeMap<String, String>,
}

pub struct ConsumerProcess {
    pub child: Child,
    pub metrics_port: u16,
    pub log: PathBuf,
}

impl ConsumerProcess {
    pub fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGTERM and wait; returns the exit code and how long the exit took.
    pub fn terminate(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let start = Instant::now();
        self.signal("TERM");
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), start.elapsed());
            }
            if start.elapsed() > limit {
                self.sigkill();
                return (None, start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET path` on the probe server: (status, body).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.metrics_port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split_whitespace().nth(1)?.parse().ok()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Some((status, body))
    }

    /// The sum of a metric's samples (all label sets) from /metrics.
    pub fn metric_sum(&self, name: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics")?;
        Some(metric_sum(&body, name))
    }
}

pub fn metric_sum(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.starts_with(name) && matches!(l.as_bytes().get(name.len()), Some(b'{') | Some(b' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

impl Drop for ConsumerProcess {
    fn drop(&mut self) {
        self.sigkill();
    }
}

/// A produced corpus with what the sink and the DLQ must hold once it is consumed.
pub struct Corpus {
    /// The messages in production order.
    pub messages: Vec<Produced>,
    /// Index into `messages` of every message that must be dead-lettered.
    pub bad: BTreeSet<usize>,
    /// pk -> (sequence, columns) of every row that must exist at the end.
    pub expected: Rows,
    /// pk -> sequence of every row whose last change is a DELETE: its tombstone.
    pub deleted: BTreeMap<String, String>,
}

/// One data change of a row, kept to replay it.
struct Change {
    operation: &'static str,
    sequence: Option<u128>,
    columns: Columns,
}

/// A Qlik message in one of its shapes: JSON with (0) or without (1) the envelope, Avro (2), or
/// JSON with both images (3); a DELETE's image is its before image in shapes 0 and 2.
fn encode(change: &Change, shape: usize) -> Vec<u8> {
    let image: Vec<(&str, Option<&str>)> = change
        .columns
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect();
    let image = Some(image.as_slice());
    let sequence = change.sequence.map(|s| format!("{s:035}"));
    let (op, seq) = (change.operation, sequence.as_deref());
    match (op, shape % 4) {
        ("DELETE", 0) => corpus::json_data_message(true, op, seq, None, image),
        ("DELETE", 1) => corpus::json_data_message(false, op, seq, image, None),
        ("DELETE", _) => corpus::avro_data_message(op, seq, None, image),
        (_, 0) => corpus::json_data_message(true, op, seq, image, None),
        (_, 1) => corpus::json_data_message(false, op, seq, image, None),
        (_, 2) => corpus::avro_data_message(op, seq, image, None),
        _ => corpus::json_data_message(true, op, seq, image, image),
    }
}

/// A deterministic corpus over the deployment's three topics: metadata first, full load
/// (REFRESH), then CDC changes in every shape (JSON with and without envelope, Avro, both
/// DELETE shapes), with malformed messages mixed in; `rows` rows per table, `changes` CDC
/// changes per table. A row's changes go to its own partition, as Qlik keys them.
///
/// Then what a real stream also carries, none of which may change the table: a block of the
/// table's messages re-sent (a Qlik task resuming from its last checkpoint), and, shuffled
/// together, every older change of each row deleted last, replayed in JSON and in Avro, and
/// the DELETE of each row deleted and inserted again, each on the row's partition or another.
pub fn build_corpus(deployment: &Deployment, rows: usize, changes: usize, seed: u64) -> Corpus {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut messages = Vec::new();
    let mut bad = BTreeSet::new();
    let mut expected = BTreeMap::new();
    let mut deleted = BTreeMap::new();
    let mut sequence: u128 = 20261127000000000000000000000000000;
    for (topic, table, keys) in &deployment.topics {
        let key_names: Vec<&str> = keys.iter().map(String::as_str).collect();
        messages.push(Produced {
            topic: topic.clone(),
            key: None,
            value: Some(corpus::json_metadata_message(
                table,
                &key_names,
                &["name", "status"],
            )),
            partition: None,
        });
        let first_of_table = messages.len();
        // Every data change of every row of this table, in order: key values -> (the row's
        // partition, its changes).
        let mut history: BTreeMap<Vec<String>, (i32, Vec<Change>)> = BTreeMap::new();
        let key_values = |row: usize| -> Vec<String> {
            if keys.len() == 2 {
                vec![(row / 3).to_string(), (row % 3).to_string()]
            } else {
                vec![format!("{row}")]
            }
        };
        let partition_of = |row: usize| (row % PARTITIONS as usize) as i32;
        let message = |kv: &[String], value: Vec<u8>, partition: i32| Produced {
            topic: topic.clone(),
            key: Some(format!("{table}#{}", kv.join("#"))),
            value: Some(value),
            partition: Some(partition),
        };
        let emit = |messages: &mut Vec<Produced>,
                    history: &mut BTreeMap<_, (i32, Vec<Change>)>,
                    op: &'static str,
                    seq: Option<u128>,
                    row: usize,
                    version: usize,
                    shape: usize| {
            let kv = key_values(row);
            let mut columns: Columns = keys
                .iter()
                .cloned()
                .zip(kv.iter().cloned().map(Some))
                .collect();
            columns.push(("name".into(), Some(format!("{table}-{row}-v{version}"))));
            columns.push((
                "status".into(),
                if version.is_multiple_of(3) {
                    None
                } else {
                    Some(format!("s{version}"))
                },
            ));
            let change = Change {
                operation: op,
                sequence: seq,
                columns,
            };
            messages.push(message(&kv, encode(&change, shape), partition_of(row)));
            let (_, changes) = history.entry(kv).or_insert((partition_of(row), Vec::new()));
            changes.push(change);
        };
        for row in 0..rows {
            emit(&mut messages, &mut history, "REFRESH", None, row, 0, row);
        }
        for i in 0..changes {
            sequence += 1 + rng.u128(0..5);
            let row = rng.usize(0..rows + rows / 4);
            let exists = history
                .get(&key_values(row))
                .and_then(|(_, changes)| changes.last())
                .is_some_and(|last| last.operation != "DELETE");
            let op = match (exists, rng.u8(0..10)) {
                (false, _) => "INSERT",
                (true, 0..=1) => "DELETE",
                (true, _) => "UPDATE",
            };
            emit(
                &mut messages,
                &mut history,
                op,
                Some(sequence),
                row,
                i + 1,
                rng.usize(0..4),
            );
            if rng.u8(0..25) == 0 {
                let malformed: Vec<u8> = match rng.u8(0..6) {
                    0 => b"{\"magic\":\"atMSG\",\"type\":\"DT\",\"message\":{\"data\":".to_vec(),
                    1 => b"not a qlik message at all".to_vec(),
                    2 => corpus::json_data_message(
                        true,
                        "MERGE",
                        Some("1"),
                        Some(&[("x", Some("1"))]),
                        None,
                    ),
                    3 => corpus::json_data_message(
                        true,
                        "INSERT",
                        Some("2"),
                        Some(&[("unrelated", Some("1"))]),
                        None,
                    ),
                    4 => {
                        let mut avro = corpus::avro_data_message(
                            "UPDATE",
                            Some("3"),
                            Some(&[("a", Some("b"))]),
                            None,
                        );
                        avro.truncate(avro.len() / 2);
                        avro
                    }
                    _ => corpus::json_data_message(
                        false,
                        "UPDATE",
                        None,
                        Some(&[("x", Some("1"))]),
                        None,
                    ),
                };
                bad.insert(messages.len());
                messages.push(Produced {
                    topic: topic.clone(),
                    key: Some(format!("bad-{i}")),
                    value: Some(malformed),
                    partition: None,
                });
            }
        }

        // A task restart: the last fifth of the table's messages, from a point before it,
        // again in order on the same partitions (malformed ones are dead-lettered again).
        let table_end = messages.len();
        let block_start = table_end - (table_end - first_of_table) / 5;
        for index in block_start..table_end {
            if bad.contains(&index) {
                bad.insert(messages.len());
            }
            messages.push(messages[index].clone());
        }
        let mut replays = Vec::new();
        // The row's own partition or, as often, another one.
        let partition = |rng: &mut fastrand::Rng, own: i32| {
            if rng.bool() {
                own
            } else {
                (own + rng.i32(1..PARTITIONS)) % PARTITIONS
            }
        };
        for (kv, (own, changes)) in &history {
            let last_delete = changes.iter().rposition(|c| c.operation == "DELETE");
            let deleted_last = last_delete == Some(changes.len() - 1);
            for (position, change) in changes.iter().enumerate() {
                if deleted_last && change.operation != "DELETE" {
                    // Older than the row's last DELETE: replayed in JSON and in Avro.
                    for shape in [rng.usize(0..2), 2] {
                        let to = partition(&mut rng, *own);
                        replays.push(message(kv, encode(change, shape), to));
                    }
                } else if change.operation == "DELETE" && position + 1 < changes.len() {
                    // A DELETE the row outlived (it was inserted again).
                    let to = partition(&mut rng, *own);
                    replays.push(message(kv, encode(change, rng.usize(0..3)), to));
                }
            }
        }
        rng.shuffle(&mut replays);
        messages.extend(replays);

        for (kv, (_, changes)) in history {
            let pk = format!("{table}#{}", kv.join("#"));
            let last = changes.last().expect("a row has changes");
            let seq = last.sequence.unwrap_or(0).to_string();
            if last.operation == "DELETE" {
                deleted.insert(pk, seq);
            } else {
                let columns = last.columns.iter().cloned().collect();
                expected.insert(pk, (seq, columns));
            }
        }
    }
    Corpus {
        messages,
        bad,
        expected,
        deleted,
    }
}

/// Produces `messages` and returns each message's (topic, partition, offset).
pub async fn produce(bootstrap: &str, messages: &[Produced]) -> Vec<(String, i32, i64)> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "60000")
        .create()
        .expect("producer");
    let mut pending = Vec::with_capacity(messages.len());
    for message in messages {
        let mut record: FutureRecord<'_, String, Vec<u8>> = FutureRecord::to(&message.topic);
        if let Some(k) = &message.key {
            record = record.key(k);
        }
        if let Some(v) = &message.value {
            record = record.payload(v);
        }
        if let Some(p) = message.partition {
            record = record.partition(p);
        }
        loop {
            match producer.send_result(record) {
                Ok(future) => {
                    pending.push(future);
                    break;
                }
                Err((_, returned)) => {
                    record = returned;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    let mut positions = Vec::with_capacity(pending.len());
    for (future, message) in pending.into_iter().zip(messages) {
        let delivery = future.await.expect("delivery canceled").expect("delivered");
        positions.push((message.topic.clone(), delivery.partition, delivery.offset));
    }
    positions
}

/// Asserts the final table state and DLQ content against the corpus.
pub async fn assert_final_state(
    deployment: &Deployment,
    corpus: &Corpus,
    positions: &[(String, i32, i64)],
) {
    let table = deployment.table_state().await;
    assert_eq!(
        table.tombstones, corpus.deleted,
        "tombstones differ from the rows deleted last"
    );
    let state = table.rows;
    let missing: Vec<_> = corpus
        .expected
        .keys()
        .filter(|k| !state.contains_key(*k))
        .collect();
    let extra: Vec<_> = state
        .keys()
        .filter(|k| !corpus.expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "rows missing {missing:?}, unexpected {extra:?}"
    );
    for (pk, expected) in &corpus.expected {
        assert_eq!(&state[pk], expected, "row {pk} differs");
    }
    let dlq = deployment.drain_dlq().await;
    let expected_bad: BTreeSet<(String, i32, i64)> =
        corpus.bad.iter().map(|i| positions[*i].clone()).collect();
    let got: BTreeSet<(String, i32, i64)> = dlq.keys().cloned().collect();
    assert_eq!(
        got, expected_bad,
        "dead-lettered messages differ from the malformed ones"
    );
    for index in &corpus.bad {
        let (bytes, body) = &dlq[&positions[*index]];
        assert_eq!(
            Some(bytes),
            corpus.messages[*index].value.as_ref(),
            "DLQ lost the original bytes"
        );
        assert!(
            !body["error"].as_str().unwrap_or_default().is_empty(),
            "DLQ entry without an error"
        );
        assert!(
            body["retryCount"].is_u64(),
            "DLQ entry without a retry count: {body}"
        );
        assert_eq!(body["source"], "cdc-consumer");
    }
}

/// Both services, or `None` (skipped) outside scripts/test.
pub fn services() -> Option<(String, String)> {
    let bootstrap = test_support::kafka_bootstrap()?;
    let aws = test_support::aws_endpoint()?;
    Some((bootstrap, aws))
}
