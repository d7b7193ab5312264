//! A private Kafka-protocol broker (tansu with sqlite storage) for tests that must stop and
//! restart the broker without disturbing the shared one.
//!
//! ```no_run
//! let Some(mut broker) = test_support::kafka::PrivateBroker::start() else { return };
//! let bootstrap = broker.bootstrap();
//! broker.stop();
//! broker.restart(); // same port, same data directory: topics, data and offsets survive
//! ```

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A tansu broker on a free loopback port, in its own data directory; stopped on drop.
pub struct PrivateBroker {
    port: u16,
    data_dir: PathBuf,
    child: Option<Child>,
}

/// A free loopback port (bound then released; a race with another process is unlikely and
/// surfaces as a start failure, not a wrong result).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// Waits until something accepts connections on `port`; `false` after `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// The `tansu` binary: `$TEST_TOOLS_BIN/tansu` under scripts/test, else from PATH.
fn tansu_binary() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TEST_TOOLS_BIN") {
        let candidate = Path::new(&dir).join("tansu");
        if candidate.exists() {
            return Some(candidate);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("tansu"))
        .find(|candidate| candidate.exists())
}

impl PrivateBroker {
    /// Starts a broker, or returns `None` (test skipped, or failed under
    /// `TEST_REQUIRE_SERVICES=1`) when tansu is not installed.
    pub fn start() -> Option<Self> {
        let Some(binary) = tansu_binary() else {
            if std::env::var("TEST_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("tansu is not installed but TEST_REQUIRE_SERVICES=1 (run scripts/test)");
            }
            eprintln!("skipped: tansu is not on PATH; scripts/test installs it");
            return None;
        };
        let data_dir = std::env::temp_dir().join(crate::unique_name("tansu-private"));
        std::fs::create_dir_all(&data_dir).expect("creating the broker's data directory");
        let mut broker = PrivateBroker {
            port: free_port(),
            data_dir,
            child: None,
        };
        broker.spawn(&binary);
        Some(broker)
    }

    fn spawn(&mut self, binary: &Path) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::File::create(self.data_dir.join("tansu.log")).expect("broker log");
        // tansu doubles an absolute sqlite path, so it runs inside its data directory.
        let child = Command::new(binary)
            .current_dir(&self.data_dir)
            .env("RUST_LOG", "warn")
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db", "--silent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting tansu");
        self.child = Some(child);
        assert!(
            wait_for_port(self.port, Duration::from_secs(10)),
            "tansu did not listen on port {} (log in {})",
            self.port,
            self.data_dir.display()
        );
    }

    /// `127.0.0.1:PORT`, stable across restarts.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker (as a crash would) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        let binary = tansu_binary().expect("tansu disappeared");
        self.spawn(&binary);
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
