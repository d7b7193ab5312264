//! A local Lambda Runtime API, enough to run a real `lambda_runtime` binary as a process.
//!
//! Serves `GET /2018-06-01/runtime/invocation/next`, `POST .../invocation/{id}/response`,
//! `POST .../invocation/{id}/error` and `POST /2018-06-01/runtime/init/error` on a free loopback
//! port. Each response is written with one `write` on a `TCP_NODELAY` socket (otherwise Nagle's
//! algorithm adds ~40 ms stalls to every round trip). Plain std threads, no dependencies, so the
//! harness itself adds nothing measurable to cold-start or round-trip benchmarks.
//!
//! ```no_run
//! use lambda_local::RuntimeApi;
//! let api = RuntimeApi::start().unwrap();
//! let _function = api.spawn(env!("CARGO_MANIFEST_DIR").as_ref(), "my-fn", &[]).unwrap();
//! let outcome = api.invoke(br#"{"x":1}"#, std::time::Duration::from_secs(10)).unwrap();
//! ```

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PREFIX: &str = "/2018-06-01/runtime";
/// Requests larger than this are refused (the real API's limit is 6 MB).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The AWS SDK variables that point a function process at the emulator with static
/// credentials (the standard `AWS_ENDPOINT_URL`, so the binary is the production one).
pub fn emulator_aws_env(endpoint: &str, region: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_REGION", region.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]
}

/// What the function answered to one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The body POSTed to `.../response`.
    Response(Vec<u8>),
    /// The body POSTed to `.../error` (`{"errorType", "errorMessage"}`).
    Error(Vec<u8>),
}

impl Outcome {
    /// The response body, or the error body as the `Err` text.
    pub fn into_response(self) -> Result<Vec<u8>, String> {
        match self {
            Outcome::Response(body) => Ok(body),
            Outcome::Error(body) => Err(String::from_utf8_lossy(&body).into_owned()),
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Vec<u8>)>,
    outcomes: HashMap<String, Outcome>,
    first_next_at: Option<Instant>,
    init_error: Option<String>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    started_at: Instant,
    /// Sent as `Lambda-Runtime-Invoked-Function-Arn` with every invocation.
    function_arn: String,
}

/// The invoked-function ARN of [`RuntimeApi::start`].
const DEFAULT_FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:local";

/// The emulator; stops serving when dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
}

/// A spawned function process, killed when dropped.
pub struct FunctionProcess {
    pub child: Child,
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RuntimeApi {
    /// Binds a free loopback port and starts serving.
    pub fn start() -> io::Result<Self> {
        Self::start_for(DEFAULT_FUNCTION_ARN)
    }

    /// Like [`RuntimeApi::start`], telling the function it runs as `function_arn` (the local
    /// platform passes the deployed function's ARN).
    pub fn start_for(function_arn: &str) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            started_at: Instant::now(),
            function_arn: function_arn.to_string(),
        });
        let accept_shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if lock(&accept_shared).shutdown {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let connection_shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || {
                    let _ = serve_connection(stream, &connection_shared);
                });
            }
        });
        Ok(Self { address, shared })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// The variables a `lambda_runtime` binary needs (it panics without any of them).
    pub fn lambda_env(&self, function_name: &str) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address()),
            ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function_name}"),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Spawns `program` with a clean environment: only `PATH`, the Lambda variables and `env`.
    /// stdout and stderr are inherited so the function's logs show in test output.
    pub fn spawn(
        &self,
        program: &Path,
        function_name: &str,
        env: &[(&str, &str)],
    ) -> io::Result<FunctionProcess> {
        self.spawn_with(program, function_name, env, Stdio::inherit())
    }

    /// Like [`RuntimeApi::spawn`] with a chosen stdout (e.g. `Stdio::piped()` to read logs).
    pub fn spawn_with(
        &self,
        program: &Path,
        function_name: &str,
        env: &[(&str, &str)],
        stdout: Stdio,
    ) -> io::Result<FunctionProcess> {
        let mut command = Command::new(program);
        command.env_clear();
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        command
            .envs(self.lambda_env(function_name))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout);
        Ok(FunctionProcess {
            child: command.spawn()?,
        })
    }

    /// Queues an invocation and waits for the function's answer.
    pub fn invoke(&self, payload: &[u8], timeout: Duration) -> Result<Outcome, String> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = format!("req-{:08}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.shared);
        state.queue.push_back((id.clone(), payload.to_vec()));
        self.shared.changed.notify_all();
        loop {
            if let Some(outcome) = state.outcomes.remove(&id) {
                return Ok(outcome);
            }
            if let Some(error) = &state.init_error {
                return Err(format!("function reported an init error: {error}"));
            }
            let now = Instant::now();
            if now >= deadline {
                state.queue.retain(|(queued, _)| *queued != id);
                return Err(format!("no answer to {id} within {timeout:?}"));
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until the function's first `GET /next`; returns the time since [`RuntimeApi::start`]
    /// and the instant it arrived (for cold-start measurements), or `None` on timeout or init
    /// error.
    pub fn wait_first_next(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.shared);
        loop {
            if let Some(at) = state.first_next_at {
                return Some(at);
            }
            if state.init_error.is_some() {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The body of `POST /runtime/init/error`, if the function reported one.
    pub fn init_error(&self) -> Option<String> {
        lock(&self.shared).init_error.clone()
    }

    /// When the emulator started.
    pub fn started_at(&self) -> Instant {
        self.shared.started_at
    }
}

/// The function binary built with the workspace `lambda` profile (`target/lambda/<name>`, or
/// `$LAMBDA_BIN_DIR/<name>`), if it exists. Benchmarks measure that artefact, not a debug build.
pub fn lambda_profile_binary(name: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("LAMBDA_BIN_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/lambda"));
    let path = dir.join(name);
    path.is_file().then_some(path)
}

/// What [`measure_process`] observed.
#[derive(Debug, Clone)]
pub struct ProcessMeasurement {
    /// From spawning the process to its first `GET /next`.
    pub cold_start: Duration,
    /// Each invocation's round trip through the emulator, sorted ascending.
    pub round_trips: Vec<Duration>,
    /// Peak resident set size (`VmHWM`), in KiB.
    pub peak_rss_kib: Option<u64>,
}

impl ProcessMeasurement {
    /// The `p`-th percentile (0-100) of the round trips.
    pub fn round_trip_percentile(&self, p: f64) -> Duration {
        percentile(&self.round_trips, p)
    }
}

/// The `p`-th percentile (0-100) of sorted durations (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Spawns `program` behind a fresh emulator, measures its cold start, then sends `payload`
/// `iterations` times (after `warmup` unmeasured ones) and reads the process's peak RSS.
/// Benchmarks only: the caller decides what the figures mean.
pub fn measure_process(
    program: &Path,
    function_name: &str,
    env: &[(&str, &str)],
    payload: &[u8],
    warmup: usize,
    iterations: usize,
) -> Result<ProcessMeasurement, String> {
    let api = RuntimeApi::start().map_err(|e| e.to_string())?;
    let spawned = Instant::now();
    let process = api
        .spawn_with(program, function_name, env, Stdio::null())
        .map_err(|e| format!("spawning {}: {e}", program.display()))?;
    let first_next = api
        .wait_first_next(Duration::from_secs(10))
        .ok_or_else(|| {
            format!(
                "{function_name} never asked for work: {:?}",
                api.init_error()
            )
        })?;
    let cold_start = first_next.saturating_duration_since(spawned);
    for _ in 0..warmup {
        api.invoke(payload, Duration::from_secs(10))?;
    }
    let mut round_trips = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        match api.invoke(payload, Duration::from_secs(10))? {
            Outcome::Response(_) => round_trips.push(started.elapsed()),
            Outcome::Error(body) => return Err(String::from_utf8_lossy(&body).into_owned()),
        }
    }
    round_trips.sort_unstable();
    let peak_rss_kib = std::fs::read_to_string(format!("/proc/{}/status", process.child.id()))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        });
    Ok(ProcessMeasurement {
        cold_start,
        round_trips,
        peak_rss_kib,
    })
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        lock(&self.shared).shutdown = true;
        self.shared.changed.notify_all();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value
                .trim()
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
        }
    }
    if content_length > MAX_BODY_BYTES {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request { method, path, body }))
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> io::Result<()> {
    let mut response = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\n");
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = response.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)
}

fn serve_connection(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        let path = request.path.strip_prefix(PREFIX).unwrap_or("");
        match (request.method.as_str(), path) {
            ("GET", "/invocation/next") => {
                let mut state = lock(shared);
                state.first_next_at.get_or_insert_with(Instant::now);
                shared.changed.notify_all();
                let (id, payload) = loop {
                    if state.shutdown {
                        return Ok(());
                    }
                    if let Some(next) = state.queue.pop_front() {
                        break next;
                    }
                    state = shared
                        .changed
                        .wait_timeout(state, Duration::from_millis(200))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                };
                drop(state);
                let deadline_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis() + 30_000)
                    .unwrap_or(0);
                respond(
                    &mut writer,
                    "200 OK",
                    &[
                        ("Lambda-Runtime-Aws-Request-Id", id),
                        ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
                        (
                            "Lambda-Runtime-Invoked-Function-Arn",
                            shared.function_arn.clone(),
                        ),
                        (
                            "Lambda-Runtime-Trace-Id",
                            "Root=1-00000000-000000000000000000000000;Sampled=0".to_string(),
                        ),
                    ],
                    &payload,
                )?;
            }
            ("POST", "/init/error") => {
                lock(shared).init_error = Some(String::from_utf8_lossy(&request.body).into_owned());
                shared.changed.notify_all();
                respond(&mut writer, "202 Accepted", &[], b"{}")?;
            }
            ("POST", rest) => {
                let outcome = rest
                    .strip_prefix("/invocation/")
                    .and_then(|r| r.split_once('/'))
                    .and_then(|(id, kind)| match kind {
                        "response" => {
                            Some((id.to_string(), Outcome::Response(request.body.clone())))
                        }
                        "error" => Some((id.to_string(), Outcome::Error(request.body.clone()))),
                        _ => None,
                    });
                match outcome {
                    Some((id, outcome)) => {
                        lock(shared).outcomes.insert(id, outcome);
                        shared.changed.notify_all();
                        respond(&mut writer, "202 Accepted", &[], b"{}")?;
                    }
                    None => respond(&mut writer, "404 Not Found", &[], b"{}")?,
                }
            }
            _ => respond(&mut writer, "404 Not Found", &[], b"{}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays the runtime client's part over raw HTTP.
    fn http(address: &str, request: &str) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut content_length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                content_length = v.trim().parse().unwrap();
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).unwrap();
        head + &String::from_utf8(body).unwrap()
    }

    #[test]
    fn serves_next_and_collects_responses_and_errors() {
        let api = Arc::new(RuntimeApi::start().unwrap());
        let address = api.address();
        let client = std::thread::spawn(move || {
            for _ in 0..2 {
                let next = http(
                    &address,
                    "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n",
                );
                let id = next
                    .lines()
                    .find_map(|l| l.strip_prefix("Lambda-Runtime-Aws-Request-Id: "))
                    .unwrap()
                    .to_string();
                let payload = next.rsplit("\r\n\r\n").next().unwrap().to_string();
                let kind = if payload.contains("fail") {
                    "error"
                } else {
                    "response"
                };
                let body = format!("{{\"echo\":{payload}}}");
                let post = format!(
                    "POST /2018-06-01/runtime/invocation/{id}/{kind} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                assert!(http(&address, &post).starts_with("HTTP/1.1 202"));
            }
        });
        let ok = api.invoke(br#"{"n":1}"#, Duration::from_secs(5)).unwrap();
        assert_eq!(ok, Outcome::Response(br#"{"echo":{"n":1}}"#.to_vec()));
        let failed = api.invoke(br#""fail""#, Duration::from_secs(5)).unwrap();
        assert_eq!(failed, Outcome::Error(br#"{"echo":"fail"}"#.to_vec()));
        assert!(api.wait_first_next(Duration::from_secs(1)).is_some());
        client.join().unwrap();
    }

    #[test]
    fn an_unanswered_invocation_times_out() {
        let api = RuntimeApi::start().unwrap();
        let error = api.invoke(b"{}", Duration::from_millis(50)).unwrap_err();
        assert!(error.contains("no answer"), "{error}");
        assert!(api.wait_first_next(Duration::from_millis(10)).is_none());
    }
}
