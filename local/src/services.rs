//! The processes the platform is made of: the AWS emulator, one broker per region, and the
//! functions and consumers. Each is a [`Process`], killed and reaped when dropped, with its
//! output in a log file under the platform's temporary directory.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A child process; killed (and reaped) on drop.
pub struct Process {
    pub name: String,
    child: Child,
    pub log: PathBuf,
}

impl Process {
    /// Spawns `command` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", command.get_program()))?;
        Ok(Self {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` if the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last lines of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (bound, then released for the child to bind).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `port` accepts connections, failing early if `process` exits.
pub async fn wait_for_port(
    process: &mut Process,
    port: u16,
    timeout: Duration,
) -> anyhow::Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        if let Some(status) = process.exited() {
            bail!(
                "{} exited ({status}) before listening on {port}:\n{}",
                process.name,
                process.log_tail()
            );
        }
        if Instant::now() >= deadline {
            bail!(
                "{} did not listen on {port} within {timeout:?}:\n{}",
                process.name,
                process.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where the test tools are: `$TEST_TOOLS_BIN`, else `~/.cache/infra-gen-tools/bin` (what
/// `scripts/tools/ensure.sh` installs).
pub fn default_tools_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("TEST_TOOLS_BIN") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".cache/infra-gen-tools/bin")
}

/// The tools `up` runs.
pub const REQUIRED_TOOLS: [&str; 4] = ["moto_server", "tansu", "cdk", "aws"];

/// Runs `scripts/tools/ensure.sh` when a required tool is missing from `tools_bin` (it installs
/// every test tool at its pinned version and is idempotent, but takes seconds even when
/// nothing is missing).
pub fn ensure_tools(repo_root: &Path, tools_bin: &Path) -> anyhow::Result<()> {
    if REQUIRED_TOOLS.iter().all(|t| tools_bin.join(t).exists()) {
        return Ok(());
    }
    eprintln!("local-platform: installing the test tools (scripts/tools/ensure.sh)");
    let status = Command::new("bash")
        .arg(repo_root.join("scripts/tools/ensure.sh"))
        .status()
        .context("running scripts/tools/ensure.sh")?;
    if !status.success() {
        bail!("scripts/tools/ensure.sh failed ({status})");
    }
    for tool in REQUIRED_TOOLS {
        if !tools_bin.join(tool).exists() {
            bail!("{tool} is not in {} after ensure.sh", tools_bin.display());
        }
    }
    Ok(())
}

/// One moto server for the environment's account (both regions share it).
pub async fn start_emulator(
    tools_bin: &Path,
    account: &str,
    logs: &Path,
) -> anyhow::Result<(Process, u16)> {
    let port = free_port()?;
    let mut command = Command::new(tools_bin.join("moto_server"));
    command
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_ACCOUNT_ID", account);
    let mut process = Process::spawn("moto_server", command, &logs.join("moto.log"))?;
    wait_for_port(&mut process, port, Duration::from_secs(30)).await?;
    Ok((process, port))
}

/// One tansu broker (sqlite storage in `data_dir`).
pub async fn start_broker(
    tools_bin: &Path,
    region: &str,
    data_dir: &Path,
    logs: &Path,
) -> anyhow::Result<(Process, u16)> {
    std::fs::create_dir_all(data_dir)?;
    let port = free_port()?;
    let url = format!("tcp://127.0.0.1:{port}");
    let mut command = Command::new(tools_bin.join("tansu"));
    // tansu doubles an absolute sqlite path: run it from its data directory.
    command.current_dir(data_dir).env("RUST_LOG", "warn").args([
        "broker",
        "--listener-url",
        &url,
        "--advertised-listener-url",
        &url,
        "--storage-engine",
        "sqlite://tansu.db",
        "--silent",
    ]);
    let mut process = Process::spawn(
        &format!("tansu ({region})"),
        command,
        &logs.join(format!("tansu-{region}.log")),
    )?;
    wait_for_port(&mut process, port, Duration::from_secs(30)).await?;
    Ok((process, port))
}
