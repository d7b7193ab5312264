//! The kernel process and the request/response/callback loop.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, ReentrantMutex};
use serde_json::{Map, Value, json};

use crate::error::{CallbackError, Error, KernelError, KernelErrorKind, Result};
use crate::host::{CallContext, CreateOptions, HostObject, Override};
use crate::manifest::{Manifest, Package, tools_home};
use crate::objref::{Handle, ObjRef};
use crate::wire;

/// How many lines of the kernel's stderr a [`Error::KernelExited`] quotes.
const STDERR_TAIL_LINES: usize = 20;
/// How many queued `del` requests are written before their responses are read: enough to
/// save the round trips, few enough that the responses never fill the socket buffer (which
/// would block the kernel's writes and then ours).
const DEL_BATCH: usize = 64;
/// How long [`Kernel::close`] waits for the kernel to exit after `{"exit":0}` before killing it.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// How to start a kernel.
#[derive(Debug, Clone)]
pub struct KernelConfig {
    /// The `node` executable (`$JSII_NODE`, else `node` on `PATH`).
    pub node: PathBuf,
    /// `@jsii/runtime`'s `webpack/lib/program.js`, run directly with the protocol on FD 3
    /// (`$JSII_RUNTIME_PROGRAM`, else the installer's).
    pub program: PathBuf,
    /// The runtime version `hello` must report; `None` skips the check.
    pub expected_version: Option<String>,
    /// Arguments for node before the program, e.g. `--max-old-space-size=4069` (the official
    /// clients' heap cap: aws-cdk-lib's type model is large).
    pub node_args: Vec<String>,
    /// Where the kernel caches extracted tarballs (`JSII_RUNTIME_PACKAGE_CACHE_ROOT`); `None`
    /// leaves the kernel's default (`~/.cache/aws/jsii/package-cache`) or the caller's env var.
    pub package_cache: Option<PathBuf>,
    /// Extra environment for the kernel process, e.g. `CDK_VALIDATION=false`.
    pub env: Vec<(String, String)>,
    /// Log every protocol line on stderr (`> request`, `< response`).
    pub trace: bool,
    /// The installer's manifest, for [`Kernel::require`].
    pub manifest: Option<Manifest>,
}

impl KernelConfig {
    /// A configuration running the runtime and packages of `manifest`.
    pub fn from_manifest(manifest: Manifest) -> Self {
        let mut c = Self::base(manifest.runtime.program());
        c.expected_version = Some(manifest.runtime.version.clone());
        c.manifest = Some(manifest);
        c
    }

    /// A configuration running `program` (a `webpack/lib/program.js`), no manifest.
    pub fn from_program(program: impl Into<PathBuf>) -> Self {
        Self::base(program.into())
    }

    fn base(program: PathBuf) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let node_options = var("NODE_OPTIONS").unwrap_or_default();
        let node_args = if node_options.contains("--max-old-space-size") {
            Vec::new()
        } else {
            vec!["--max-old-space-size=4069".to_owned()]
        };
        let package_cache = if var("JSII_RUNTIME_PACKAGE_CACHE_ROOT").is_some() {
            None
        } else {
            Some(tools_home().join("jsii/package-cache"))
        };
        Self {
            node: var("JSII_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from),
            program,
            expected_version: None,
            node_args,
            package_cache,
            env: Vec::new(),
            trace: trace_requested(),
            manifest: None,
        }
    }

    /// The configuration the environment describes: the installer's manifest
    /// ([`Manifest::default_path`]), overridden by `JSII_NODE`, `JSII_RUNTIME_PROGRAM`,
    /// `JSII_RUNTIME_PACKAGE_CACHE_ROOT`, and `JSII_DEBUG=1` / `INFRA_GEN_JSII_TRACE=1`.
    pub fn from_env() -> Result<Self> {
        let program = std::env::var_os("JSII_RUNTIME_PROGRAM").filter(|p| !p.is_empty());
        let mut config = match (Manifest::discover()?, program) {
            (Some(m), None) => Self::from_manifest(m),
            (Some(m), Some(p)) => {
                let mut c = Self::from_manifest(m);
                c.program = p.into();
                c.expected_version = None;
                c
            }
            (None, Some(p)) => Self::from_program(p),
            (None, None) => {
                return Err(Error::Manifest {
                    path: Manifest::default_path(),
                    reason: "not installed (run scripts/tools/ensure.sh, or set \
                             JSII_MANIFEST or JSII_RUNTIME_PROGRAM)"
                        .into(),
                });
            }
        };
        config.trace = trace_requested();
        Ok(config)
    }

    /// Adds an environment variable for the kernel process.
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

fn trace_requested() -> bool {
    ["JSII_DEBUG", "INFRA_GEN_JSII_TRACE"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// What `load` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadInfo {
    pub assembly: String,
    /// How many types the assembly declares.
    pub types: u64,
}

/// What `stats` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Objects in the kernel's table (what `del` removes).
    pub object_count: u64,
}

/// The result of [`Kernel::begin`], to pass to [`Kernel::end`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    pub id: String,
}

/// A running jsii kernel: one Node.js process serving the jsii protocol.
///
/// Cheap to clone (all clones talk to the same process), `Send + Sync`: requests from several
/// threads are served one at a time. While a request is in flight the kernel may call back
/// into [`HostObject`]s; such a callback may make nested requests on the same thread. The
/// process is closed (`{"exit":0}`, then reaped) by [`Kernel::close`] or when the last clone
/// and the last [`ObjRef`] are dropped.
#[derive(Clone)]
pub struct Kernel {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    channel: ReentrantMutex<RefCell<Channel>>,
    objects: Mutex<ObjectTable>,
    hosts: Mutex<HashMap<String, Arc<dyn HostObject>>>,
    loaded: Mutex<HashMap<String, String>>,
    /// Names whose closure [`Kernel::require`] loaded (its fast path: bindings call it a lot).
    required: Mutex<HashSet<String>>,
    gone: Mutex<Option<String>>,
    alive: AtomicBool,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    next_cookie: AtomicU64,
    runtime_version: String,
    pid: u32,
    trace: bool,
    manifest: Option<Manifest>,
}

struct Channel {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    child: Option<Child>,
    forwarders: Vec<JoinHandle<()>>,
    line: String,
}

#[derive(Default)]
struct ObjectTable {
    /// Every id the host holds a handle for.
    live: HashMap<String, Weak<Handle>>,
    /// Dropped, not yet sent as `del`.
    queued: Vec<String>,
    /// Sent as `del`: the kernel no longer knows them.
    released: HashSet<String>,
}

impl Kernel {
    /// Starts a kernel process and checks its `hello`.
    pub fn start(config: KernelConfig) -> Result<Kernel> {
        let (ours, theirs) = UnixStream::pair()?;
        let mut cmd = Command::new(&config.node);
        cmd.args(&config.node_args)
            .arg("--preserve-symlinks")
            .arg(&config.program)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env(
                "JSII_AGENT",
                format!(
                    "Rust/{}/{}/{}",
                    env!("CARGO_PKG_VERSION"),
                    std::env::consts::OS,
                    std::env::consts::ARCH
                ),
            );
        if let Some(cache) = &config.package_cache {
            cmd.env("JSII_RUNTIME_PACKAGE_CACHE_ROOT", cache);
        }
        if let Some(node_modules) = config
            .manifest
            .as_ref()
            .and_then(|m| m.node_modules.as_ref())
        {
            // Where the library's `require` finds the packages `require` does not load.
            let inherited = std::env::var_os("NODE_PATH").unwrap_or_default();
            let paths =
                std::iter::once(node_modules.clone()).chain(std::env::split_paths(&inherited));
            cmd.env(
                "NODE_PATH",
                std::env::join_paths(paths).map_err(|e| Error::Spawn {
                    program: config.node.display().to_string(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
                })?,
            );
        }
        for (k, v) in &config.env {
            cmd.env(k, v);
        }
        let fd = theirs.as_raw_fd();
        // SAFETY: the closure runs in the forked child before exec and only makes
        // async-signal-safe calls (dup2, fcntl) on descriptors it owns.
        unsafe {
            cmd.pre_exec(move || map_to_fd3(fd));
        }
        let spawn_err = |source| Error::Spawn {
            program: format!("{} {}", config.node.display(), config.program.display()),
            source,
        };
        if !config.program.exists() {
            return Err(spawn_err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "runtime program not found",
            )));
        }
        let mut child = cmd.spawn().map_err(spawn_err)?;
        // Only the child may hold the other end, so its exit is our end-of-file.
        drop(theirs);

        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut forwarders = Vec::new();
        if let Some(out) = child.stdout.take() {
            forwarders.push(forward_output(out, "stdout", stderr_tail.clone()));
        }
        if let Some(err) = child.stderr.take() {
            forwarders.push(forward_output(err, "stderr", stderr_tail.clone()));
        }
        let pid = child.id();
        let mut channel = Channel {
            reader: BufReader::new(ours.try_clone()?),
            writer: ours,
            child: Some(child),
            forwarders,
            line: String::new(),
        };
        let hello = match read_message(&mut channel, config.trace) {
            Ok(m) => m,
            Err(failure) => {
                let status = kill_and_reap(&mut channel);
                return Err(failure.with_status(status).into_error(&stderr_tail));
            }
        };
        let runtime_version = hello
            .get("hello")
            .and_then(Value::as_str)
            .map(|h| h.rsplit_once('@').map_or(h, |(_, v)| v).to_owned());
        let Some(runtime_version) = runtime_version else {
            kill_and_reap(&mut channel);
            return Err(Error::Protocol {
                reason: "expected a hello".into(),
                line: Value::Object(hello).to_string(),
            });
        };
        if let Some(expected) = &config.expected_version
            && expected != &runtime_version
        {
            kill_and_reap(&mut channel);
            return Err(Error::VersionMismatch {
                expected: expected.clone(),
                found: runtime_version,
            });
        }
        Ok(Kernel {
            shared: Arc::new(Shared {
                channel: ReentrantMutex::new(RefCell::new(channel)),
                objects: Mutex::new(ObjectTable::default()),
                hosts: Mutex::new(HashMap::new()),
                loaded: Mutex::new(HashMap::new()),
                required: Mutex::new(HashSet::new()),
                gone: Mutex::new(None),
                alive: AtomicBool::new(true),
                stderr_tail,
                next_cookie: AtomicU64::new(0),
                runtime_version,
                pid,
                trace: config.trace,
                manifest: config.manifest,
            }),
        })
    }

    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        Kernel { shared }
    }

    /// The runtime version the kernel greeted with (`1.140.0`).
    pub fn runtime_version(&self) -> &str {
        &self.shared.runtime_version
    }

    /// The kernel process's id.
    pub fn pid(&self) -> u32 {
        self.shared.pid
    }

    /// False once the kernel process is known to be gone or closed.
    pub fn is_alive(&self) -> bool {
        self.shared.alive.load(Ordering::Acquire)
    }

    /// The manifest this kernel was configured with, if any.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.shared.manifest.as_ref()
    }

    /// Loads one assembly tarball. Loading the same name and version again is a no-op here;
    /// dependencies must be loaded first (the kernel does not check: a missing one fails at the
    /// first `create` that needs it).
    pub fn load(&self, name: &str, version: &str, tarball: &Path) -> Result<LoadInfo> {
        if self
            .shared
            .loaded
            .lock()
            .get(name)
            .is_some_and(|v| v == version)
        {
            return Ok(LoadInfo {
                assembly: name.to_owned(),
                types: 0,
            });
        }
        let ok = self.request(json!({
            "api": "load", "name": name, "version": version, "tarball": tarball,
        }))?;
        self.shared
            .loaded
            .lock()
            .insert(name.to_owned(), version.to_owned());
        Ok(LoadInfo {
            assembly: ok
                .get("assembly")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_owned(),
            types: ok.get("types").and_then(Value::as_u64).unwrap_or(0),
        })
    }

    /// Loads `packages` in the order given (dependencies first).
    pub fn load_all<'a>(
        &self,
        packages: impl IntoIterator<Item = &'a Package>,
    ) -> Result<Vec<LoadInfo>> {
        packages
            .into_iter()
            .map(|p| self.load(&p.name, &p.version, &p.tarball))
            .collect()
    }

    /// Loads the package `name` of the configured manifest and everything it depends on,
    /// dependencies first; already loaded ones are skipped, and so are type-less ones the
    /// manifest's `node_modules` provides ([`Manifest::requireable_without_load`]). Generated
    /// bindings call this before their first request.
    pub fn require(&self, name: &str) -> Result<()> {
        if self.shared.required.lock().contains(name) {
            return Ok(());
        }
        let manifest = self
            .shared
            .manifest
            .as_ref()
            .ok_or_else(|| Error::UnknownAssembly(name.to_owned()))?;
        let closure = manifest.closure(name)?;
        self.load_all(
            closure
                .into_iter()
                .filter(|p| !manifest.requireable_without_load(p)),
        )?;
        self.shared.required.lock().insert(name.to_owned());
        Ok(())
    }

    /// `new fqn(...args)`.
    pub fn create(&self, fqn: &str, args: Vec<Value>) -> Result<ObjRef> {
        self.create_with(fqn, args, CreateOptions::default())
    }

    /// `new fqn(...args)` with extra interfaces and members implemented by a [`HostObject`].
    /// Use fqn `Object` for an object that only implements host interfaces. The result is
    /// pinned when it has a host implementation (JavaScript keeps and calls it).
    pub fn create_with(
        &self,
        fqn: &str,
        args: Vec<Value>,
        options: CreateOptions,
    ) -> Result<ObjRef> {
        let mut req = json!({ "api": "create", "fqn": fqn, "args": args });
        if !options.interfaces.is_empty() {
            req["interfaces"] = json!(options.interfaces);
        }
        let mut cookie = None;
        if !options.overrides.is_empty() {
            let host = options.host.ok_or_else(|| {
                Error::Usage("create_with: overrides need a host object".to_owned())
            })?;
            let c = format!(
                "rust-host-{}",
                self.shared.next_cookie.fetch_add(1, Ordering::Relaxed)
            );
            self.shared.hosts.lock().insert(c.clone(), host);
            req["overrides"] = options
                .overrides
                .iter()
                .map(|o| match o {
                    Override::Method(m) => json!({ "method": m, "cookie": c }),
                    Override::Property(p) => json!({ "property": p, "cookie": c }),
                })
                .collect();
            cookie = Some(c);
        }
        match self.request(req).and_then(|ok| self.adopt(&ok)) {
            Ok(obj) => {
                if cookie.is_some() {
                    obj.pin();
                }
                Ok(obj)
            }
            Err(e) => {
                if let Some(c) = cookie {
                    self.shared.hosts.lock().remove(&c);
                }
                Err(e)
            }
        }
    }

    /// `obj.method(...args)`; `Null` for `void`.
    pub fn invoke(&self, obj: &ObjRef, method: &str, args: Vec<Value>) -> Result<Value> {
        let objref = self.objref(obj)?;
        let ok = self.request(
            json!({ "api": "invoke", "objref": objref, "method": method, "args": args }),
        )?;
        Ok(take(ok, "result"))
    }

    /// `obj.property`.
    pub fn get(&self, obj: &ObjRef, property: &str) -> Result<Value> {
        let objref = self.objref(obj)?;
        let ok = self.request(json!({ "api": "get", "objref": objref, "property": property }))?;
        Ok(take(ok, "value"))
    }

    /// `obj.property = value`.
    pub fn set(&self, obj: &ObjRef, property: &str, value: Value) -> Result<()> {
        let objref = self.objref(obj)?;
        self.request(
            json!({ "api": "set", "objref": objref, "property": property, "value": value }),
        )?;
        Ok(())
    }

    /// Static `fqn.method(...args)`.
    pub fn sinvoke(&self, fqn: &str, method: &str, args: Vec<Value>) -> Result<Value> {
        let ok =
            self.request(json!({ "api": "sinvoke", "fqn": fqn, "method": method, "args": args }))?;
        Ok(take(ok, "result"))
    }

    /// Static `fqn.property` (also constants and enum-like statics).
    pub fn sget(&self, fqn: &str, property: &str) -> Result<Value> {
        let ok = self.request(json!({ "api": "sget", "fqn": fqn, "property": property }))?;
        Ok(take(ok, "value"))
    }

    /// Static `fqn.property = value`.
    pub fn sset(&self, fqn: &str, property: &str, value: Value) -> Result<()> {
        self.request(json!({ "api": "sset", "fqn": fqn, "property": property, "value": value }))?;
        Ok(())
    }

    /// Starts the async method `obj.method(...args)`; finish it with [`Kernel::end`].
    pub fn begin(&self, obj: &ObjRef, method: &str, args: Vec<Value>) -> Result<Promise> {
        let objref = self.objref(obj)?;
        let ok = self
            .request(json!({ "api": "begin", "objref": objref, "method": method, "args": args }))?;
        let id = ok
            .get("promiseid")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Protocol {
                reason: "begin without a promiseid".into(),
                line: ok.to_string(),
            })?;
        Ok(Promise { id: id.to_owned() })
    }

    /// Waits for an async call's result, serving the async callbacks it makes meanwhile.
    pub fn end(&self, promise: Promise) -> Result<Value> {
        self.serve_pending_callbacks()?;
        let ok = self.request(json!({ "api": "end", "promiseid": promise.id }))?;
        Ok(take(ok, "result"))
    }

    /// The assembly's per-language names (its `targets`), as the kernel reports them.
    pub fn naming(&self, assembly: &str) -> Result<Value> {
        let ok = self.request(json!({ "api": "naming", "assembly": assembly }))?;
        Ok(take(ok, "naming"))
    }

    /// The kernel's object table size, after sending any queued `del`s.
    pub fn stats(&self) -> Result<Stats> {
        let ok = self.request(json!({ "api": "stats" }))?;
        Ok(Stats {
            object_count: ok.get("objectCount").and_then(Value::as_u64).unwrap_or(0),
        })
    }

    /// A handle for an object reference the kernel returned (`{"$jsii.byref": ...}`), the
    /// same registration as any live handle to that id. Results of `invoke`/`get`/`sinvoke`
    /// are plain JSON; adopt the references in them that the host keeps, so that dropping
    /// them releases the kernel object (a reference never adopted stays in the kernel until it
    /// exits).
    pub fn adopt(&self, value: &Value) -> Result<ObjRef> {
        let id = wire::as_byref(value).ok_or_else(|| Error::NotAnObject(value.to_string()))?;
        self.adopt_id(id, wire::byref_interfaces(value))
    }

    /// Sends a raw protocol request and returns the `ok` payload, serving callbacks; for APIs
    /// this type does not wrap (`getBinScriptCommand`, ...).
    pub fn request(&self, request: Value) -> Result<Value> {
        let line = encode(&request)?;
        let guard = self.shared.channel.lock();
        self.check_alive()?;
        self.flush_released(&guard, &line)?;
        self.send_line(&guard, line)?;
        self.await_response(&guard)
    }

    /// Closes the kernel: `{"exit":0}`, then waits for the process (killing it after a grace
    /// period) so no zombie is left. Later calls return [`Error::KernelExited`].
    pub fn close(&self) -> Result<()> {
        self.shared.close(EXIT_GRACE);
        Ok(())
    }

    fn objref(&self, obj: &ObjRef) -> Result<Value> {
        if !Arc::ptr_eq(&obj.0.kernel, &self.shared) {
            return Err(Error::ForeignObject(obj.id().to_owned()));
        }
        Ok(obj.to_wire())
    }

    fn adopt_id(&self, id: &str, interfaces: Vec<String>) -> Result<ObjRef> {
        let mut table = self.shared.objects.lock();
        if let Some(h) = table.live.get(id).and_then(Weak::upgrade) {
            return Ok(ObjRef(h));
        }
        if let Some(pos) = table.queued.iter().position(|q| q == id) {
            // Dropped but not yet released: the kernel still knows it, cancel the `del`.
            table.queued.swap_remove(pos);
        } else if table.released.contains(id) {
            return Err(Error::Released(id.to_owned()));
        }
        let handle = Arc::new(Handle {
            id: id.to_owned(),
            interfaces,
            pinned: AtomicBool::new(false),
            kernel: self.shared.clone(),
        });
        table.live.insert(id.to_owned(), Arc::downgrade(&handle));
        Ok(ObjRef(handle))
    }

    fn check_alive(&self) -> Result<()> {
        if self.is_alive() {
            return Ok(());
        }
        let reason = self
            .shared
            .gone
            .lock()
            .clone()
            .unwrap_or_else(|| "closed".to_owned());
        Err(Error::KernelExited {
            reason,
            stderr_tail: self.shared.stderr_tail(),
        })
    }

    fn send(&self, guard: &RefCell<Channel>, message: &Value) -> Result<()> {
        self.send_line(guard, encode(message)?)
    }

    fn send_line(&self, guard: &RefCell<Channel>, mut line: String) -> Result<()> {
        if self.shared.trace {
            eprintln!("[jsii] > {line}");
        }
        line.push('\n');
        let result = guard.borrow_mut().writer.write_all(line.as_bytes());
        result.map_err(|e| self.fail(guard, Failure::Gone(format!("writing a request: {e}"))))
    }

    fn recv(&self, guard: &RefCell<Channel>) -> Result<Map<String, Value>> {
        let result = read_message(&mut guard.borrow_mut(), self.shared.trace);
        result.map_err(|f| self.fail(guard, f))
    }

    /// Marks the kernel gone, stops the process, and returns the error for the caller.
    fn fail(&self, guard: &RefCell<Channel>, failure: Failure) -> Error {
        let mut channel = guard.borrow_mut();
        let status = kill_and_reap(&mut channel);
        self.shared.alive.store(false, Ordering::Release);
        let error = failure
            .with_status(status)
            .into_error(&self.shared.stderr_tail);
        *self.shared.gone.lock() = Some(match &error {
            Error::KernelExited { reason, .. } => reason.clone(),
            other => other.to_string(),
        });
        error
    }

    fn await_response(&self, guard: &RefCell<Channel>) -> Result<Value> {
        loop {
            let mut message = self.recv(guard)?;
            if let Some(ok) = message.remove("ok") {
                return Ok(ok);
            }
            if let Some(error) = message.remove("error") {
                let name = message.get("name").and_then(Value::as_str);
                return Err(Error::Kernel(KernelError {
                    kind: KernelErrorKind::from_name(name),
                    name: name.map(str::to_owned),
                    message: error
                        .as_str()
                        .map_or_else(|| error.to_string(), str::to_owned),
                    stack: message
                        .get("stack")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                }));
            }
            if let Some(callback) = message.remove("callback") {
                let complete = self.run_callback(callback);
                self.send(guard, &json!({ "complete": complete }))?;
                continue;
            }
            let line = Value::Object(message).to_string();
            return Err(self.fail(
                guard,
                Failure::Protocol {
                    reason: "expected ok, error or callback".into(),
                    line,
                },
            ));
        }
    }

    /// Runs one callback and returns the `complete` body answering it.
    fn run_callback(&self, callback: Value) -> Value {
        let cbid = callback.get("cbid").cloned().unwrap_or(Value::Null);
        let outcome = self.dispatch_callback(&callback);
        match outcome {
            Ok(result) => json!({ "cbid": cbid, "result": result }),
            Err(e) => {
                json!({ "cbid": cbid, "err": e.message, "name": "@jsii/kernel.RuntimeError" })
            }
        }
    }

    fn dispatch_callback(&self, callback: &Value) -> Result<Value, CallbackError> {
        let cookie = callback.get("cookie").and_then(Value::as_str);
        let host = cookie
            .and_then(|c| self.shared.hosts.lock().get(c).cloned())
            .ok_or_else(|| {
                CallbackError::new(format!("no host object registered for cookie {cookie:?}"))
            })?;
        let (kind, body) = ["invoke", "get", "set"]
            .into_iter()
            .find_map(|k| callback.get(k).map(|b| (k, b)))
            .ok_or_else(|| CallbackError::new(format!("unknown callback {callback}")))?;
        let this = body
            .get("objref")
            .ok_or_else(|| CallbackError::new("callback without objref"))?;
        let this = self.adopt(this)?;
        let cx = CallContext {
            kernel: self,
            this: &this,
        };
        let name = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| CallbackError::new(format!("callback without {k}")))
        };
        let run = || match kind {
            "invoke" => {
                let args = body
                    .get("args")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                host.invoke(&cx, name("method")?, args)
            }
            "get" => host.get(&cx, name("property")?),
            _ => {
                let value = body.get("value").cloned().unwrap_or(Value::Null);
                host.set(&cx, name("property")?, value)
                    .map(|()| Value::Null)
            }
        };
        // A panicking callback fails the JavaScript call, not the host's channel.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            Err(CallbackError::new(format!(
                "host callback panicked: {what}"
            )))
        })
    }

    /// Serves the callbacks of async overrides (`callbacks` + `complete` requests).
    fn serve_pending_callbacks(&self) -> Result<()> {
        loop {
            let ok = self.request(json!({ "api": "callbacks" }))?;
            let callbacks = match ok.get("callbacks").and_then(Value::as_array) {
                Some(c) if !c.is_empty() => c.clone(),
                _ => return Ok(()),
            };
            for cb in callbacks {
                // Unlike a sync callback's `{"complete": ...}` answer, this one is a request
                // of its own: `{"api": "complete", "cbid", "result" | "err"}`.
                let mut complete = self.run_callback(cb);
                complete["api"] = json!("complete");
                self.request(complete)?;
            }
        }
    }

    /// Sends the `del`s of dropped handles, in pipelined batches.
    /// Ids the `next` request mentions stay queued: a wire value made from a handle just
    /// dropped still works for the request it was made for.
    fn flush_released(&self, guard: &RefCell<Channel>, next: &str) -> Result<()> {
        loop {
            let batch: Vec<String> = {
                let mut table = self.shared.objects.lock();
                let mut batch = Vec::new();
                let mut i = 0;
                while i < table.queued.len() && batch.len() < DEL_BATCH {
                    if mentions(next, &table.queued[i]) {
                        i += 1;
                    } else {
                        batch.push(table.queued.swap_remove(i));
                    }
                }
                table.released.extend(batch.iter().cloned());
                batch
            };
            if batch.is_empty() {
                return Ok(());
            }
            for id in &batch {
                self.send(
                    guard,
                    &json!({ "api": "del", "objref": { wire::BYREF: id } }),
                )?;
            }
            for id in &batch {
                let response = self.recv(guard)?;
                if let Some(e) = response.get("error") {
                    tracing::debug!(target: "jsii", %id, error = %e, "del failed");
                }
            }
        }
    }
}

impl Shared {
    pub(crate) fn handle_dropped(&self, handle: &Handle) {
        let mut table = self.objects.lock();
        let ours = table
            .live
            .get(&handle.id)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), handle));
        if ours {
            table.live.remove(&handle.id);
            if !handle.pinned.load(Ordering::Relaxed) && self.alive.load(Ordering::Acquire) {
                table.queued.push(handle.id.clone());
            }
        }
    }

    fn stderr_tail(&self) -> String {
        let tail = self.stderr_tail.lock();
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    fn close(&self, grace: Duration) {
        let guard = self.channel.lock();
        let mut channel = guard.borrow_mut();
        if channel.child.is_none() {
            return;
        }
        self.alive.store(false, Ordering::Release);
        self.gone.lock().get_or_insert_with(|| "closed".to_owned());
        // The kernel exits on `exit` (or end of input); wait for it, then reap.
        let _ = channel.writer.write_all(b"{\"exit\":0}\n");
        let _ = channel.writer.shutdown(std::net::Shutdown::Write);
        if let Some(mut child) = channel.child.take() {
            let deadline = Instant::now() + grace;
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(2))
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        for f in channel.forwarders.drain(..) {
            let _ = f.join();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.close(EXIT_GRACE);
    }
}

/// Why the channel broke, before it is turned into an [`Error`] with the stderr tail.
enum Failure {
    Gone(String),
    Protocol { reason: String, line: String },
    Io(std::io::Error),
}

impl Failure {
    fn with_status(self, status: Option<String>) -> Self {
        match (self, status) {
            (Failure::Gone(reason), Some(s)) => Failure::Gone(format!("{reason}; the process {s}")),
            (other, _) => other,
        }
    }

    fn into_error(self, stderr_tail: &Mutex<VecDeque<String>>) -> Error {
        match self {
            Failure::Gone(reason) => Error::KernelExited {
                reason,
                stderr_tail: stderr_tail
                    .lock()
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
            Failure::Protocol { reason, line } => Error::Protocol { reason, line },
            Failure::Io(e) => Error::Io(e),
        }
    }
}

/// Reads one protocol line as a JSON object.
fn read_message(channel: &mut Channel, trace: bool) -> Result<Map<String, Value>, Failure> {
    channel.line.clear();
    match channel.reader.read_line(&mut channel.line) {
        Ok(0) => return Err(Failure::Gone("the kernel closed its channel".into())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            return Err(Failure::Gone(format!("reading a response: {e}")));
        }
        Err(e) => return Err(Failure::Io(e)),
    }
    let line = channel.line.trim_end();
    if trace {
        eprintln!("[jsii] < {line}");
    }
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Failure::Protocol {
            reason: "not a JSON object".into(),
            line: line.to_owned(),
        }),
        Err(e) => Err(Failure::Protocol {
            reason: format!("malformed JSON ({e})"),
            line: line.chars().take(500).collect(),
        }),
    }
}

/// Kills (if still running) and reaps the kernel; returns how it ended.
fn kill_and_reap(channel: &mut Channel) -> Option<String> {
    let mut child = channel.child.take()?;
    let _ = channel.writer.shutdown(std::net::Shutdown::Both);
    // It may have exited on its own just now: give it a moment before killing.
    let deadline = Instant::now() + Duration::from_millis(200);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                let _ = child.kill();
                break child.wait().ok();
            }
        }
    };
    for f in channel.forwarders.drain(..) {
        let _ = f.join();
    }
    status.map(|s| s.to_string())
}

/// In the child, between fork and exec: make `fd` the kernel's FD 3, inherited across exec.
fn map_to_fd3(fd: i32) -> std::io::Result<()> {
    const KERNEL_FD: i32 = 3;
    // SAFETY: plain descriptor syscalls on descriptors this child owns.
    let rc = unsafe {
        if fd == KERNEL_FD {
            // Already in place; dup2 would keep close-on-exec, so clear it.
            libc::fcntl(fd, libc::F_SETFD, 0)
        } else {
            libc::dup2(fd, KERNEL_FD)
        }
    };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Forwards one of the kernel's output streams to `tracing` (target `jsii::kernel`), keeping
/// the last lines for error messages.
fn forward_output(
    stream: impl Read + Send + 'static,
    name: &'static str,
    tail: Arc<Mutex<VecDeque<String>>>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(format!("jsii-kernel-{name}"))
        .spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if name == "stderr" {
                    tracing::warn!(target: "jsii::kernel", "{line}");
                } else {
                    tracing::info!(target: "jsii::kernel", "{line}");
                }
                let mut t = tail.lock();
                if t.len() == STDERR_TAIL_LINES {
                    t.pop_front();
                }
                t.push_back(line);
            }
        })
        .expect("spawning a thread for the kernel's output")
}

fn encode(message: &Value) -> Result<String> {
    serde_json::to_string(message).map_err(|e| Error::Protocol {
        reason: format!("cannot encode a request: {e}"),
        line: String::new(),
    })
}

/// Whether the JSON text `line` contains the string `id` (as a whole JSON string).
fn mentions(line: &str, id: &str) -> bool {
    line.match_indices(id)
        .any(|(at, _)| line[..at].ends_with('"') && line[at + id.len()..].starts_with('"'))
}

fn take(mut ok: Value, key: &str) -> Value {
    ok.get_mut(key).map(Value::take).unwrap_or(Value::Null)
}

static GLOBAL: Mutex<Option<Kernel>> = Mutex::new(None);

/// The process's kernel, started on first use from [`KernelConfig::from_env`] (and started
/// again if the previous one died). Close it with [`shutdown_global`] before exiting; if the
/// process exits without, the kernel sees its channel close and exits by itself.
pub fn global() -> Result<Kernel> {
    let mut slot = GLOBAL.lock();
    if let Some(k) = slot.as_ref().filter(|k| k.is_alive()) {
        return Ok(k.clone());
    }
    let kernel = Kernel::start(KernelConfig::from_env()?)?;
    *slot = Some(kernel.clone());
    Ok(kernel)
}

/// The process's kernel, started with `config` if none is running (a running one is returned
/// as it is): for programs and tests that need their own settings, e.g. the kernel's
/// environment, before generated bindings (which use [`global`]) make their first call.
pub fn global_with(config: KernelConfig) -> Result<Kernel> {
    let mut slot = GLOBAL.lock();
    if let Some(k) = slot.as_ref().filter(|k| k.is_alive()) {
        return Ok(k.clone());
    }
    let kernel = Kernel::start(config)?;
    *slot = Some(kernel.clone());
    Ok(kernel)
}

/// Closes the process's kernel (see [`global`]); a later [`global`] starts a new one.
pub fn shutdown_global() {
    let kernel = GLOBAL.lock().take();
    if let Some(k) = kernel {
        let _ = k.close();
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_matches_whole_json_strings_only() {
        let line = r#"{"args":[{"$jsii.byref":"aws-cdk-lib.Duration@10003"}]}"#;
        assert!(mentions(line, "aws-cdk-lib.Duration@10003"));
        assert!(!mentions(line, "aws-cdk-lib.Duration@1000"));
        assert!(!mentions(line, "Duration@10003"));
    }
}
