//! Object handles: a kernel object stays alive while a handle to it does.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::error::Result;
use crate::kernel::{Kernel, Shared};
use crate::wire;

/// A handle to an object in the kernel (`{"$jsii.byref": "aws-cdk-lib.Stack@10001"}`).
///
/// Cheap to clone; all clones (and every handle adopted from the same id later) share one
/// registration. When the last one is dropped the kernel is told to forget the object (`del`),
/// so JavaScript can collect it. The `del` is queued and sent before this kernel's next request,
/// so dropping is safe anywhere: inside a callback, on another thread, while a request runs.
/// A `del` is held back while the request being sent mentions the id, so a wire value made
/// from a handle that is then dropped still works for that request.
///
/// **Pin what JavaScript keeps and may hand back.** The kernel (1.140.0) cannot re-register an
/// object after `del`: if JavaScript later returns it (a construct reached through the tree,
/// the cached `Aspects.of(scope)`), it comes back under its old id, which the kernel no longer
/// knows. Constructs live in their tree anyway, so releasing them frees nothing; pin them with
/// [`ObjRef::pin`]. The host remembers which ids it released and refuses to adopt one again
/// ([`crate::Error::Released`] is what a call then returns) instead of letting the kernel fail
/// later with "Object not found".
#[derive(Clone)]
pub struct ObjRef(pub(crate) Arc<Handle>);

pub(crate) struct Handle {
    pub(crate) id: String,
    pub(crate) interfaces: Vec<String>,
    pub(crate) pinned: AtomicBool,
    pub(crate) kernel: Arc<Shared>,
}

impl ObjRef {
    /// The kernel's id, `<class fqn>@<n>`.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The FQN of the object's (most specific jsii-visible) class, from its id.
    pub fn fqn(&self) -> &str {
        wire::fqn_of_id(&self.0.id)
    }

    /// Interfaces the kernel listed with the reference when the host first saw it.
    pub fn interfaces(&self) -> &[String] {
        &self.0.interfaces
    }

    /// The wire form to pass it as an argument: `{"$jsii.byref": id}`.
    pub fn to_wire(&self) -> Value {
        wire::byref(&self.0.id, &[])
    }

    /// The kernel this object lives in.
    pub fn kernel(&self) -> Kernel {
        Kernel::from_shared(self.0.kernel.clone())
    }

    /// Never release this object (no `del` when the last handle drops); see the type's docs.
    pub fn pin(&self) -> &Self {
        self.0.pinned.store(true, Ordering::Relaxed);
        self
    }

    /// Whether [`ObjRef::pin`] was called on it.
    pub fn is_pinned(&self) -> bool {
        self.0.pinned.load(Ordering::Relaxed)
    }

    /// Calls `method` on it; see [`Kernel::invoke`].
    pub fn invoke(&self, method: &str, args: Vec<Value>) -> Result<Value> {
        self.kernel().invoke(self, method, args)
    }

    /// Reads `property`; see [`Kernel::get`].
    pub fn get(&self, property: &str) -> Result<Value> {
        self.kernel().get(self, property)
    }

    /// Writes `property`; see [`Kernel::set`].
    pub fn set(&self, property: &str, value: Value) -> Result<()> {
        self.kernel().set(self, property, value)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.kernel.handle_dropped(self);
    }
}

impl fmt::Debug for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjRef({})", self.0.id)
    }
}

impl PartialEq for ObjRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id && Arc::ptr_eq(&self.0.kernel, &other.0.kernel)
    }
}

impl Eq for ObjRef {}

impl Hash for ObjRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}
