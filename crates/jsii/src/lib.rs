//! A jsii host for Rust: runs the jsii kernel (a Node.js process executing a jsii library such
//! as aws-cdk-lib) and talks its JSON-lines protocol, like the official Go, Python, Java and
//! .NET hosts.
//!
//! ```no_run
//! use serde_json::json;
//! let kernel = jsii::Kernel::start(jsii::KernelConfig::from_env()?)?;
//! kernel.require("aws-cdk-lib")?;
//! let app = kernel.create("aws-cdk-lib.App", vec![json!({"outdir": "cdk.out"})])?;
//! let stack = kernel.create("aws-cdk-lib.Stack", vec![app.to_wire(), json!("Demo")])?;
//! stack.pin(); // constructs live in the tree; see `ObjRef`
//! let assembly = kernel.invoke(&app, "synth", vec![])?;
//! # Ok::<(), jsii::Error>(())
//! ```
//!
//! - [`Kernel`]: one kernel process; requests from several threads are served one at a time;
//!   callbacks into [`HostObject`]s may make nested requests. [`global`] is the lazily started
//!   per-process kernel that generated bindings use.
//! - [`ObjRef`]: a handle to a kernel object; the last clone's drop releases it (`del`).
//! - [`wire`]: how objects, enums, structs, dates and maps are spelled on the wire.
//! - [`Manifest`]: the pinned runtime and assembly tarballs the installer
//!   (`scripts/tools/ensure.d/jsii.sh`) put under `$TOOLS_HOME/jsii/`.
//!
//! The kernel runs as `node --preserve-symlinks <runtime>/webpack/lib/program.js` with the
//! protocol on FD 3 (a socketpair), skipping the `bin/jsii-runtime.js` relay the official
//! clients spawn (one process and ~70-150 µs per call less). Its stdout and stderr go to
//! `tracing` (target `jsii::kernel`). `JSII_DEBUG=1` (which the kernel also reads) or
//! `INFRA_GEN_JSII_TRACE=1` prints every protocol line on stderr.

mod error;
mod host;
mod kernel;
mod manifest;
mod objref;
pub mod wire;

pub use error::{CallbackError, Error, KernelError, KernelErrorKind, Result};
pub use host::{CallContext, CreateOptions, HostObject, Override};
pub use kernel::{
    Kernel, KernelConfig, LoadInfo, Promise, Stats, global, global_with, shutdown_global,
};
pub use manifest::{Manifest, Package, RuntimeInfo};
pub use objref::ObjRef;
pub use serde_json::Value;
