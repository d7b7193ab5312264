//! A private AWS API emulator (moto server) for one account, for tests that deploy whole
//! stacks with their fixed names (the CDK CLI, `scripts/ops/deploy-emulator`) and so cannot
//! share the suite's emulator.
//!
//! One moto process serves one account (`MOTO_ACCOUNT_ID`): a test that deploys several
//! accounts starts one per account.
//!
//! ```no_run
//! let Some(emulator) = test_support::moto::AccountEmulator::start("111111111111") else { return };
//! let url = emulator.endpoint(); // http://localhost:PORT
//! ```

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::kafka::{free_port, wait_for_port};

/// A moto server for `account` on a free loopback port; killed on drop (also on panic).
pub struct AccountEmulator {
    account: String,
    port: u16,
    log: PathBuf,
    child: Child,
}

impl AccountEmulator {
    /// Starts the emulator, or returns `None` (test skipped, or failed under
    /// `TEST_REQUIRE_TOOLS=1`) outside the suite.
    pub fn start(account: &str) -> Option<Self> {
        let binary = crate::tool("moto_server")?;
        let port = free_port();
        let log = std::env::temp_dir().join(format!("{}.log", crate::unique_name("moto")));
        let child = Command::new(binary)
            .env("MOTO_ACCOUNT_ID", account)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("the emulator's log file"))
            .spawn()
            .expect("starting moto_server");
        let emulator = AccountEmulator {
            account: account.to_string(),
            port,
            log,
            child,
        };
        assert!(
            wait_for_port(port, Duration::from_secs(30)),
            "moto_server for {account} did not listen on port {port} (log in {})",
            emulator.log.display()
        );
        Some(emulator)
    }

    /// `http://localhost:PORT`: moto reads the bucket of a CloudFormation template URL from
    /// the path only when the host is `localhost`, so the CDK CLI needs this form.
    pub fn endpoint(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The server's log (requests and tracebacks), for failure messages.
    pub fn log(&self) -> &std::path::Path {
        &self.log
    }
}

impl Drop for AccountEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Kept when the test failed: its tracebacks say what the emulator could not do.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}
