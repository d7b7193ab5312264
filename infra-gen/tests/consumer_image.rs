//! The consumer's OCI image.
//!
//! - Pure and fast: the same inputs give the same layout, byte for byte, in any directory; any
//!   change to the binary changes the digest.
//! - With the suite's tools (`TEST_TOOLS_BIN`): the real image, built once per test process by
//!   the code `infra-gen package` runs (a release build of the consumer in the shared
//!   `target/`), is read by `skopeo`, pushed to a real registry (`docker-registry` on a free
//!   loopback port) and pulled back under the same digest, then unpacked by `umoci` and run by
//!   `bubblewrap` as UID 1001 with a read-only root.
//!
//! Network: the run happens in a network namespace of its own that has only loopback. The
//! suite's shared broker and emulator listen on the host's loopback, which that namespace
//! cannot reach, so the test re-runs itself (`runs_inside_its_namespace`) inside
//! `bwrap --unshare-net` and starts a private broker and emulator there, next to the image.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use infra_gen::package::consumer_image::{
    self, CONSUMER_IMAGE, CargoConsumerBuilder, ImageRecord, write_consumer_image,
};
use infra_gen::package::image::RuntimeFiles;
use test_support::kafka::{PrivateBroker, free_port, wait_for_port};

const REPOSITORY: &str = "infra-gen/cdc-consumer";
const TARGET: &str = "x86_64-unknown-linux-gnu";

fn fixed_runtime() -> RuntimeFiles {
    RuntimeFiles {
        libraries: vec![
            (
                "/lib/x86_64-linux-gnu/libc.so.6".into(),
                b"libc bytes".to_vec(),
            ),
            ("/lib64/ld-linux-x86-64.so.2".into(), b"loader".to_vec()),
        ],
        ca_bundle: b"-----BEGIN CERTIFICATE-----\n".to_vec(),
    }
}

#[test]
fn the_same_inputs_give_the_same_layout_in_any_directory() {
    let binary = b"\x7fELF the consumer".to_vec();
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let nested = second.path().join("a/much/deeper/checkout");
    let (a, _) = write_consumer_image(
        binary.clone(),
        &fixed_runtime(),
        TARGET,
        REPOSITORY,
        "sha-0123456789abcdef",
        first.path(),
    )
    .unwrap();
    let (b, _) = write_consumer_image(
        binary,
        &fixed_runtime(),
        TARGET,
        REPOSITORY,
        "sha-0123456789abcdef",
        &nested,
    )
    .unwrap();
    assert_eq!(a, b);
    assert!(a.digest.starts_with("sha256:") && a.digest.len() == 71);
    assert_eq!(a.architecture, "amd64");
    assert_eq!(
        common::tree(&first.path().join(CONSUMER_IMAGE)),
        common::tree(&nested.join(CONSUMER_IMAGE))
    );
    // The record is the documented shape, nothing more.
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(first.path().join(format!("{CONSUMER_IMAGE}.json"))).unwrap(),
    )
    .unwrap();
    let keys: Vec<&str> = record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "repository",
            "tag",
            "digest",
            "compressed_size_bytes",
            "architecture"
        ]
    );
    assert_eq!(record["digest"], a.digest.as_str());
}

#[test]
fn any_change_to_the_binary_or_its_libraries_changes_the_digest() {
    let out = tempfile::tempdir().unwrap();
    let base = b"\x7fELF the consumer, version one".to_vec();
    let digest_of = |binary: Vec<u8>, runtime: &RuntimeFiles| {
        write_consumer_image(binary, runtime, TARGET, REPOSITORY, "sha-1", out.path())
            .unwrap()
            .0
            .digest
    };
    let original = digest_of(base.clone(), &fixed_runtime());
    let mut seen = std::collections::BTreeSet::from([original.clone()]);
    // Every single-byte change at every position, and a longer binary.
    for position in 0..base.len() {
        let mut changed = base.clone();
        changed[position] ^= 0x01;
        assert!(
            seen.insert(digest_of(changed, &fixed_runtime())),
            "flipping byte {position} kept a digest already seen"
        );
    }
    let mut longer = base.clone();
    longer.push(0);
    assert!(seen.insert(digest_of(longer, &fixed_runtime())));
    let mut runtime = fixed_runtime();
    runtime.libraries[0].1.push(b'!');
    assert!(seen.insert(digest_of(base.clone(), &runtime)));
    // The host's files change only the runtime layer: the binary's layer is the same blob.
    let (_, before) = write_consumer_image(
        base.clone(),
        &fixed_runtime(),
        TARGET,
        REPOSITORY,
        "sha-1",
        out.path(),
    )
    .unwrap();
    let (_, after) =
        write_consumer_image(base, &runtime, TARGET, REPOSITORY, "sha-1", out.path()).unwrap();
    assert_ne!(before.blobs[1], after.blobs[1]);
    assert_eq!(before.blobs[2], after.blobs[2]);
}

// ---- the real image --------------------------------------------------------------------------

struct Built {
    _dir: tempfile::TempDir,
    images: PathBuf,
    record: ImageRecord,
}

impl Built {
    fn layout(&self) -> String {
        format!(
            "oci:{}:{}",
            self.images.join(CONSUMER_IMAGE).display(),
            self.record.tag
        )
    }
}

/// The image, built once per test process exactly as `infra-gen package` builds it (release
/// build in the shared `target/`, so the suite pays for it once), into a scratch directory.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = common::repo_root();
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path().join("images");
        let builder = CargoConsumerBuilder {
            root: root.clone(),
            target_dir: root.join("target"),
        };
        let (record, image) =
            consumer_image::package_consumer_image(&root, &builder, REPOSITORY, &images)
                .expect("building the consumer image");
        eprintln!(
            "image {}:{} {} ({} layers, {} bytes compressed, {} bytes uncompressed)",
            record.repository,
            record.tag,
            record.digest,
            image.layer_count,
            image.compressed_size,
            image.uncompressed_size
        );
        Built {
            _dir: dir,
            images,
            record,
        }
    })
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// Unpacks the image's root filesystem with umoci (rootless: every file owned by the caller).
fn unpack(umoci: &Path, built: &Built, into: &Path) -> PathBuf {
    let bundle = into.join("bundle");
    run(Command::new(umoci)
        .args(["unpack", "--rootless", "--image"])
        .arg(format!(
            "{}:{}",
            built.images.join(CONSUMER_IMAGE).display(),
            built.record.tag
        ))
        .arg(&bundle));
    bundle.join("rootfs")
}

#[test]
fn skopeo_and_umoci_read_the_image_as_built() {
    let (Some(skopeo), Some(umoci)) = (test_support::tool("skopeo"), test_support::tool("umoci"))
    else {
        return;
    };
    let built = built();
    assert_eq!(built.record.repository, REPOSITORY);
    assert!(built.record.tag.starts_with("sha-") && built.record.tag.len() == 20);
    let config = json(&run(Command::new(&skopeo).args([
        "inspect",
        "--config",
        &built.layout(),
    ])));
    assert_eq!(config["config"]["User"], "1001");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/cdc-consumer"])
    );
    assert!(config["config"]["Cmd"].is_null(), "no shell command");
    assert_eq!(
        config["config"]["ExposedPorts"],
        serde_json::json!({ format!("{}/tcp", platform_contract::DEFAULT_METRICS_PORT): {} })
    );
    assert_eq!(config["architecture"], built.record.architecture.as_str());
    let inspect = json(&run(
        Command::new(&skopeo).args(["inspect", &built.layout()])
    ));
    assert_eq!(inspect["Digest"], built.record.digest.as_str());
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 2);

    let scratch = tempfile::tempdir().unwrap();
    let rootfs = unpack(&umoci, built, scratch.path());
    let files: Vec<String> = common::tree(&rootfs).into_iter().map(|(p, _)| p).collect();
    for shell in ["bin/sh", "bin/bash", "bin/busybox", "usr/bin/sh"] {
        assert!(!rootfs.join(shell).exists(), "{shell} in the image");
    }
    assert!(
        files
            .iter()
            .all(|f| !f.ends_with("/sh") && !f.contains("busybox")),
        "{files:?}"
    );
    for wanted in [
        "usr/local/bin/cdc-consumer",
        "etc/passwd",
        "etc/group",
        "etc/ssl/certs/ca-certificates.crt",
        "lib64/ld-linux-x86-64.so.2",
        "lib/x86_64-linux-gnu/libc.so.6",
    ] {
        assert!(
            files.iter().any(|f| f == wanted),
            "{wanted} missing: {files:?}"
        );
    }
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap();
    assert!(passwd.contains(":1001:1001:"), "{passwd}");
    // Only the binary, its libraries and the runtime files: nothing else a shell could use.
    let unexpected: Vec<&String> = files
        .iter()
        .filter(|f| !(f.starts_with("lib") || f.starts_with("etc/")))
        .filter(|f| f.as_str() != "usr/local/bin/cdc-consumer")
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}

#[test]
fn infra_gen_package_writes_the_image_every_overlay_runs() {
    if test_support::tool("skopeo").is_none() {
        return;
    }
    let built = built();
    let root = common::repo_root();
    let out = tempfile::tempdir().unwrap();
    let output = common::infra_gen(
        &[
            "package",
            "--image-only",
            "--images-out",
            out.path().to_str().unwrap(),
        ],
        &root,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join(format!("{CONSUMER_IMAGE}.json"))).unwrap(),
    )
    .unwrap();
    // The command and the library give the same image.
    assert_eq!(record["digest"], built.record.digest.as_str());
    assert_eq!(record["repository"], built.record.repository.as_str());
    assert_eq!(record["tag"], built.record.tag.as_str());
    // Every overlay runs exactly this repository and tag.
    let overlays = root.join("generated/kustomize/overlays");
    let mut checked = 0;
    for overlay in std::fs::read_dir(&overlays).unwrap() {
        let file = overlay.unwrap().path().join("kustomization.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        let kustomization: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let image = &kustomization["images"][0];
        assert_eq!(image["name"], "cdc-consumer", "{}", file.display());
        assert!(
            image["newName"].as_str().is_some_and(
                |n| n.ends_with(&format!(".amazonaws.com/{}", built.record.repository))
            ),
            "{}: {}",
            file.display(),
            image["newName"]
        );
        assert_eq!(
            image["newTag"],
            built.record.tag.as_str(),
            "{}",
            file.display()
        );
        checked += 1;
    }
    assert!(checked >= 6, "{checked} overlays");
}

/// A child process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_registry_serves_the_pushed_image_under_its_recorded_digest() {
    let (Some(skopeo), Some(registry)) = (
        test_support::tool("skopeo"),
        test_support::tool("docker-registry"),
    ) else {
        return;
    };
    let built = built();
    let scratch = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = scratch.path().join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            scratch.path().join("storage").display()
        ),
    )
    .unwrap();
    let _registry = Guard(
        Command::new(&registry)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(scratch.path().join("registry.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    assert!(
        wait_for_port(port, Duration::from_secs(20)),
        "docker-registry did not listen on {port}"
    );
    let remote = format!(
        "docker://127.0.0.1:{port}/{}:{}",
        built.record.repository, built.record.tag
    );
    run(Command::new(&skopeo).args([
        "--insecure-policy",
        "copy",
        // As the promotion workflow pushes: the digest must survive the copy.
        "--preserve-digests",
        "--dest-tls-verify=false",
        &built.layout(),
        &remote,
    ]));
    let inspect = json(&run(Command::new(&skopeo).args([
        "inspect",
        "--tls-verify=false",
        &remote,
    ])));
    assert_eq!(inspect["Digest"], built.record.digest.as_str());
    // The registry's own answer, without skopeo in between.
    let (status, headers, _) = http_get(
        port,
        &format!(
            "/v2/{}/manifests/{}",
            built.record.repository, built.record.tag
        ),
        "application/vnd.oci.image.manifest.v1+json",
    );
    assert_eq!(status, 200);
    assert!(
        headers
            .to_ascii_lowercase()
            .contains(&format!("docker-content-digest: {}", built.record.digest)),
        "{headers}"
    );
    // Pulled back, the layout is the image that was pushed.
    let pulled = scratch.path().join("pulled");
    run(Command::new(&skopeo).args([
        "--insecure-policy",
        "copy",
        "--src-tls-verify=false",
        &remote,
        &format!("oci:{}:{}", pulled.display(), built.record.tag),
    ]));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pulled.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        index["manifests"][0]["digest"],
        built.record.digest.as_str()
    );
    let original = common::tree(&built.images.join(CONSUMER_IMAGE));
    let again = common::tree(&pulled);
    let blobs = |t: &[(String, Vec<u8>)]| -> Vec<(String, Vec<u8>)> {
        t.iter()
            .filter(|(p, _)| p.starts_with("blobs/"))
            .cloned()
            .collect()
    };
    assert_eq!(blobs(&original), blobs(&again));
}

/// One HTTP/1.1 GET on loopback: status, header block, body.
fn http_get(port: u16, path: &str, accept: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or((response.as_str(), ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// `Some((status, body))`, or `None` while nothing answers.
fn probe(port: u16, path: &str) -> Option<(u16, String)> {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).ok()?;
    let (status, _, body) = http_get(port, path, "*/*");
    (status != 0).then_some((status, body))
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

const INNER: &str = "runs_inside_its_namespace";
const ROOTFS_VAR: &str = "CONSUMER_IMAGE_ROOTFS";

#[test]
fn the_image_runs_as_uid_1001_read_only_on_loopback_only_and_answers_its_probes() {
    let tools = ["umoci", "bwrap", "tansu", "moto_server", "aws"].map(test_support::tool);
    let [Some(umoci), Some(bwrap), ..] = &tools else {
        return;
    };
    if tools.iter().any(Option::is_none) {
        return;
    }
    let built = built();
    let scratch = tempfile::tempdir().unwrap();
    let rootfs = unpack(umoci, built, scratch.path());
    // A new network namespace (bwrap brings its loopback up) over the host's filesystem; a
    // user namespace too, so that this works without root.
    let output = Command::new(bwrap)
        .args(["--dev-bind", "/", "/", "--unshare-net", "--unshare-user"])
        .args(["--uid", "0", "--gid", "0", "--die-with-parent", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([INNER, "--exact", "--ignored", "--nocapture"])
        .env(ROOTFS_VAR, &rootfs)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the inner test did not run:\n{stdout}"
    );
}

/// Runs only when the test above starts it inside its network namespace.
#[test]
#[ignore = "started by the_image_runs_as_uid_1001_... inside its own network namespace"]
fn runs_inside_its_namespace() {
    let rootfs = PathBuf::from(std::env::var(ROOTFS_VAR).expect("started by the outer test"));
    let interfaces = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    let names: Vec<&str> = interfaces
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(names, ["lo"], "a namespace with loopback only");
    let tool = |name: &str| test_support::tool(name).expect("checked by the outer test");

    let broker = PrivateBroker::start().expect("tansu");
    let topic = test_support::unique_name("image-cdc");
    run(Command::new(tool("tansu"))
        .args(["topic", "create", "--partitions", "1", "--broker"])
        .arg(format!("tcp://{}", broker.bootstrap()))
        .arg(&topic));

    let aws_port = free_port();
    let moto = Guard(
        Command::new(tool("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &aws_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(wait_for_port(aws_port, Duration::from_secs(30)), "moto");
    let endpoint = format!("http://127.0.0.1:{aws_port}");
    let aws = |args: &[&str]| {
        run(Command::new(tool("aws"))
            .args(args)
            .args(["--endpoint-url", &endpoint, "--region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test"))
    };
    let queue = json(&aws(&[
        "sqs",
        "create-queue",
        "--queue-name",
        &test_support::unique_name("image-dlq"),
    ]));
    let table = test_support::unique_name("image-cdc-state");

    let metrics_port = free_port();
    let mut consumer = Command::new(tool("bwrap"));
    consumer
        .args(["--ro-bind"])
        .arg(&rootfs)
        .args(["/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"])
        .args(["--unshare-user", "--uid", "1001", "--gid", "1001"])
        .args(["--unshare-ipc", "--unshare-uts", "--cap-drop", "ALL"])
        .args(["--die-with-parent", "--new-session", "--clearenv"]);
    let env = [
        ("STAGE", "test".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL", endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap()),
        ("KAFKA_GROUP_ID", test_support::unique_name("image-group")),
        ("KAFKA_FETCH_WAIT_MAX_MS", "10".to_string()),
        ("CDC_TOPIC_TABLES", format!("{topic}=customers:customer_id")),
        ("CDC_TABLE_NAME", table.clone()),
        (
            "CDC_DLQ_URL",
            queue["QueueUrl"].as_str().unwrap().to_string(),
        ),
        ("METRICS_PORT", metrics_port.to_string()),
        ("METRICS_BIND_ADDRESS", "127.0.0.1".to_string()),
    ];
    for (name, value) in &env {
        consumer.args(["--setenv", name, value]);
    }
    // The image's own entrypoint, nothing from the host.
    let mut consumer = Guard(
        consumer
            .arg("--")
            .arg("/usr/local/bin/cdc-consumer")
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );

    wait_until("/health", Duration::from_secs(30), || {
        if let Some(exit) = consumer.0.try_wait().unwrap() {
            panic!("the consumer exited before answering /health: {exit}");
        }
        probe(metrics_port, "/health").is_some_and(|(s, _)| s == 200)
    });
    let pid = consumer_pid(consumer.0.id());
    let uid_map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    assert_eq!(uid_map.split_whitespace().next(), Some("1001"), "{uid_map}");
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    let root = mounts
        .lines()
        .find(|l| l.split_whitespace().nth(4) == Some("/"))
        .expect("a root mount");
    assert!(
        root.split_whitespace()
            .nth(5)
            .is_some_and(|o| o.split(',').any(|f| f == "ro")),
        "the root is not read-only: {root}"
    );

    // No table yet: not ready, and it says why.
    let (status, body) = probe(metrics_port, "/ready").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("sink_reachable=false"), "{body}");
    aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        &table,
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    let mut last = None;
    wait_until(
        "/ready after the table exists",
        Duration::from_secs(90),
        || {
            last = probe(metrics_port, "/ready");
            last.as_ref().is_some_and(|(s, _)| *s == 200)
        },
    );
    let body = last.unwrap().1;
    assert!(
        body.contains("assigned_partitions=1") && body.contains("sink_reachable=true"),
        "{body}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?");
    eprintln!("consumer idle under bwrap, ready: {rss}");

    // SIGTERM: drains, commits, leaves the group, exits 0.
    let kill = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(45);
    let exit = loop {
        if let Some(status) = consumer.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 45 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    drop(moto);
}

/// The consumer's pid: bwrap's child (bwrap itself stays as its parent and reports its exit
/// status).
fn consumer_pid(bwrap: u32) -> u32 {
    let children = std::fs::read_to_string(format!("/proc/{bwrap}/task/{bwrap}/children")).unwrap();
    let child: u32 = children
        .split_whitespace()
        .next()
        .expect("bwrap has a child")
        .parse()
        .unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap();
    assert_eq!(comm.trim(), "cdc-consumer");
    child
}
