//! Typed errors of the host and of callbacks.

use std::path::PathBuf;

/// Everything a host call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kernel process could not be started (node missing, runtime program missing, ...).
    #[error("cannot start the jsii kernel `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// The kernel greeted with a runtime version other than the pinned one.
    #[error("the jsii kernel says it is {found}, but {expected} is pinned")]
    VersionMismatch { expected: String, found: String },
    /// The kernel answered a request with an error: a JavaScript exception, a bad FQN, a wrong
    /// argument type. The kernel is still usable.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// The kernel process is gone (it exited, was killed, or closed its end of the channel).
    /// Every pending and later call on this kernel returns this error.
    #[error("the jsii kernel is gone ({reason}){}", stderr_suffix(.stderr_tail))]
    KernelExited {
        reason: String,
        /// The last lines the kernel wrote on its stderr, often the cause.
        stderr_tail: String,
    },
    /// The kernel sent something that is not a protocol message (bad JSON, unexpected shape).
    /// The channel cannot be trusted after this, so the kernel is stopped.
    #[error("jsii protocol error: {reason}: {line}")]
    Protocol { reason: String, line: String },
    /// Reading or writing the channel failed for a reason other than the kernel exiting.
    #[error("jsii channel I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The installer's manifest could not be read.
    #[error("jsii manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    /// An assembly was requested that the manifest does not list.
    #[error("assembly `{0}` is not in the jsii manifest")]
    UnknownAssembly(String),
    /// A value that should have been an object reference (`{"$jsii.byref": ...}`) was not.
    #[error("not a jsii object reference: {0}")]
    NotAnObject(String),
    /// The host released this object (`del`) and the kernel handed it back; the kernel cannot
    /// re-register it. Pin objects that JavaScript keeps ([`crate::ObjRef::pin`]).
    #[error("object {0} was released by this host and cannot be used again (pin it)")]
    Released(String),
    /// The API was called in a way that cannot work (e.g. overrides without a host object).
    #[error("jsii host misuse: {0}")]
    Usage(String),
    /// An object handle of one kernel was passed to another.
    #[error("object {0} belongs to another kernel")]
    ForeignObject(String),
    /// Raised by Rust code the kernel called back (an override or a host-implemented
    /// interface): returned from a callback, it becomes the JavaScript exception's message.
    #[error(transparent)]
    Callback(#[from] CallbackError),
}

fn stderr_suffix(tail: &str) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("; its stderr ended with:\n{tail}")
    }
}

/// Which side an error response blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelErrorKind {
    /// `@jsii/kernel.Fault`: a misuse of the protocol (unknown type, bad argument, missing
    /// object), i.e. a bug on the host side or in generated bindings.
    Fault,
    /// An exception thrown by the library's JavaScript code (name `@jsii/kernel.RuntimeError`,
    /// `Error`, `TypeError`, ... : see [`KernelError::name`]).
    RuntimeError,
}

impl KernelErrorKind {
    pub(crate) fn from_name(name: Option<&str>) -> Self {
        match name {
            Some("@jsii/kernel.Fault") => Self::Fault,
            _ => Self::RuntimeError,
        }
    }
}

/// An `{"error": ...}` response of the kernel.
#[derive(Debug, Clone, thiserror::Error)]
#[error("jsii kernel {}: {message}", kind_label(*.kind, .name.as_deref()))]
pub struct KernelError {
    pub kind: KernelErrorKind,
    /// The JavaScript error's `name` as the kernel sent it (`@jsii/kernel.Fault`, `Error`, ...).
    pub name: Option<String>,
    /// The JavaScript error message.
    pub message: String,
    /// The JavaScript stack trace, when the kernel sent one (`JSII_NOSTACK` turns it off).
    pub stack: Option<String>,
}

fn kind_label(kind: KernelErrorKind, name: Option<&str>) -> String {
    match (kind, name) {
        (KernelErrorKind::Fault, _) => "fault".to_owned(),
        (KernelErrorKind::RuntimeError, Some(name)) => format!("runtime error ({name})"),
        (KernelErrorKind::RuntimeError, None) => "runtime error".to_owned(),
    }
}

impl Error {
    /// The kernel's error, when this is one (message, kind, stack).
    pub fn kernel_error(&self) -> Option<&KernelError> {
        match self {
            Error::Kernel(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the kernel process is gone (every later call fails too).
    pub fn is_kernel_gone(&self) -> bool {
        matches!(self, Error::KernelExited { .. } | Error::Protocol { .. })
    }
}

/// What a host-implemented method, getter or setter returns on failure. The kernel raises it as
/// a JavaScript exception in the calling code; when nothing there catches it, the original
/// request fails with a [`KernelError`] carrying this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CallbackError {
    pub message: String,
}

impl CallbackError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Lets a callback propagate a nested kernel call's failure with `?`.
impl From<Error> for CallbackError {
    fn from(e: Error) -> Self {
        match e {
            Error::Callback(e) => e,
            other => Self::new(other.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
