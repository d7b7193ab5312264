//! The functions of a region as host-built processes, each behind its own local Lambda
//! Runtime API (`lambda-local`), with the environment as deployed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use lambda_local::{Outcome, RuntimeApi};

use crate::deploy::DeployedFunction;
use crate::services::Process;

/// How to (re)start one function process.
struct Spec {
    program: PathBuf,
    name: String,
    environment: BTreeMap<String, String>,
    log: PathBuf,
}

/// One function: its Runtime API (kept across restarts, so callers hold one handle) and, while
/// the region is up, its process.
pub struct Function {
    pub name: String,
    pub timeout: Duration,
    api: Arc<RuntimeApi>,
    spec: Spec,
    process: Mutex<Option<Process>>,
}

/// Why an invocation produced no response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function answered with an error (`{"errorType", "errorMessage"}`).
    #[error("{0}")]
    Function(String),
    /// No answer: not running, timed out, or failed to start.
    #[error("{0}")]
    Unavailable(String),
}

impl Function {
    /// Invokes the function with `payload` and waits up to its deployed timeout.
    pub async fn invoke(&self, payload: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        if !self.running() {
            return Err(InvokeError::Unavailable(format!(
                "{} is not running",
                self.name
            )));
        }
        let api = Arc::clone(&self.api);
        let timeout = self.timeout;
        let outcome = tokio::task::spawn_blocking(move || api.invoke(&payload, timeout))
            .await
            .map_err(|e| InvokeError::Unavailable(e.to_string()))?
            .map_err(InvokeError::Unavailable)?;
        match outcome {
            Outcome::Response(body) => Ok(body),
            Outcome::Error(body) => Err(InvokeError::Function(
                String::from_utf8_lossy(&body).into_owned(),
            )),
        }
    }

    pub fn running(&self) -> bool {
        self.process
            .lock()
            .map(|mut p| p.as_mut().is_some_and(|p| p.exited().is_none()))
            .unwrap_or(false)
    }

    /// The process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.lock().ok()?.as_ref().map(Process::id)
    }

    /// Starts the process (if not running) and waits for its first `GET /next`.
    pub async fn start(&self) -> anyhow::Result<()> {
        if self.running() {
            return Ok(());
        }
        let mut command = Command::new(&self.spec.program);
        command.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
            .envs(self.api.lambda_env(&self.spec.name))
            .envs(&self.spec.environment);
        let process = Process::spawn(&self.name, command, &self.spec.log)?;
        *self.process.lock().expect("function lock") = Some(process);
        let api = Arc::clone(&self.api);
        let ready = tokio::task::spawn_blocking(move || {
            api.wait_first_next(Duration::from_secs(20)).is_some()
        })
        .await?;
        if !ready {
            let tail = self
                .process
                .lock()
                .ok()
                .and_then(|p| p.as_ref().map(Process::log_tail))
                .unwrap_or_default();
            bail!(
                "{} did not start ({:?}):\n{tail}",
                self.name,
                self.api.init_error()
            );
        }
        Ok(())
    }

    /// Kills the process (the region is taken down); invocations fail until [`Function::start`].
    pub fn stop(&self) {
        if let Ok(mut process) = self.process.lock() {
            process.take();
        }
    }
}

/// Where the host-built binaries are: `$LOCAL_PLATFORM_BIN_DIR`, else the Cargo target
/// directory of the running executable (`target/debug` for `cargo run` and `cargo test`).
pub fn default_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LOCAL_PLATFORM_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

/// The binaries the platform runs, by program name.
pub const PROGRAMS: [&str; 6] = [
    "event-router",
    "stream-processor",
    "event-transformer",
    "health-checker",
    "authorizer",
    "cdc-consumer",
];

/// Fails, naming the build command, when a binary is missing.
pub fn check_binaries(bin_dir: &Path) -> anyhow::Result<()> {
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|p| !bin_dir.join(p).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} missing in {}: build the workspace first (`cargo build --workspace`)",
            missing.join(", "),
            bin_dir.display()
        );
    }
    Ok(())
}

/// Prepares one function: its Runtime API and process spec. `overrides` are the variables the
/// local platform must point elsewhere (the emulator, the peer's local API).
pub fn prepare(
    deployed: &DeployedFunction,
    bin_dir: &Path,
    overrides: &BTreeMap<String, String>,
    log: &Path,
) -> anyhow::Result<Function> {
    let api = RuntimeApi::start_for(&deployed.arn).context("starting a Runtime API")?;
    let mut environment = deployed.environment.clone();
    environment.extend(overrides.clone());
    Ok(Function {
        name: deployed.name.clone(),
        timeout: Duration::from_secs(deployed.timeout_seconds),
        api: Arc::new(api),
        spec: Spec {
            program: bin_dir.join(&deployed.program),
            name: deployed.name.clone(),
            environment,
            log: log.to_path_buf(),
        },
        process: Mutex::new(None),
    })
}
