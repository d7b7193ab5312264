//! Objects implemented in Rust that the kernel calls back: host-implemented interfaces (an
//! `IAspect` written in Rust) and overrides of a class's methods and properties.

use serde_json::Value;

use crate::error::CallbackError;
use crate::kernel::Kernel;
use crate::objref::ObjRef;

/// The Rust side of a kernel object. The kernel calls it back, while one of this process's
/// requests is in flight, whenever JavaScript calls an overridden method or property.
///
/// Each method gets a [`CallContext`]: the kernel to make nested requests with (a callback may
/// call the kernel freely, on the thread it was called on) and `this`, the kernel object being
/// called (invoke a method on it to reach the JavaScript implementation, i.e. `super`).
///
/// Nested requests must come from the thread the callback runs on: the kernel is busy with the
/// outer request until the callback returns, so a callback that waits for another thread's
/// request to the same kernel waits forever.
///
/// The registry holds the object for as long as the kernel runs (JavaScript may call it at any
/// time); so it must not own a [`Kernel`] or an [`ObjRef`] itself, or the kernel never closes.
/// Use the context's instead.
pub trait HostObject: Send + Sync + 'static {
    /// An overridden method was called with `args` (wire values).
    fn invoke(
        &self,
        cx: &CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, CallbackError>;

    /// An overridden property was read.
    fn get(&self, cx: &CallContext<'_>, property: &str) -> Result<Value, CallbackError> {
        let _ = cx;
        Err(CallbackError::new(format!(
            "property `{property}` is not implemented by the host object"
        )))
    }

    /// An overridden property was written.
    fn set(&self, cx: &CallContext<'_>, property: &str, value: Value) -> Result<(), CallbackError> {
        let _ = (cx, value);
        Err(CallbackError::new(format!(
            "property `{property}` cannot be set on the host object"
        )))
    }
}

/// What a callback is called with besides its arguments.
pub struct CallContext<'a> {
    /// The kernel that called back; nested requests on it are served in order.
    pub kernel: &'a Kernel,
    /// The kernel object whose member was called.
    pub this: &'a ObjRef,
}

/// A member of a class or interface the host implements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    Method(String),
    Property(String),
}

impl Override {
    pub fn method(name: impl Into<String>) -> Self {
        Self::Method(name.into())
    }
    pub fn property(name: impl Into<String>) -> Self {
        Self::Property(name.into())
    }
}

/// Options of [`Kernel::create_with`] beyond the class and its constructor arguments.
#[derive(Default)]
pub struct CreateOptions {
    /// Interfaces the new object implements besides its class's (FQNs), e.g.
    /// `["aws-cdk-lib.IAspect"]` with class `Object` for a pure host-implemented interface.
    pub interfaces: Vec<String>,
    /// Members whose calls go to `host` instead of the JavaScript implementation.
    pub overrides: Vec<Override>,
    /// The Rust implementation of `overrides`; required when `overrides` is not empty.
    pub host: Option<std::sync::Arc<dyn HostObject>>,
}
