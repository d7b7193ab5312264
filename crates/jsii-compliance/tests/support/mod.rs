//! The harness's view of the host runtime: a case context that counts assertions, and host
//! objects assembled from closures.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use jsii::{CallContext, CallbackError, CreateOptions, HostObject, Kernel, ObjRef, Override};
use serde_json::Value;

/// FQN prefix of the main fixture assembly.
pub const F: &str = "infra-gen-compliance-fixture";
/// FQN prefix of the scoped dependency assembly.
pub const B: &str = "@infra-gen-compliance/base";

/// `infra-gen-compliance-fixture.<name>`.
pub fn f(name: &str) -> String {
    format!("{F}.{name}")
}

/// `@infra-gen-compliance/base.<name>`.
pub fn b(name: &str) -> String {
    format!("{B}.{name}")
}

/// What one case runs with: the kernel, and a count of the assertions that held, so a case
/// that asserted nothing can never be reported as a success.
pub struct Cx {
    pub k: Kernel,
    pub checks: usize,
}

impl Cx {
    pub fn new(k: Kernel) -> Self {
        Self { k, checks: 0 }
    }

    /// Asserts `actual == expected`.
    pub fn eq<T: PartialEq + Debug>(&mut self, what: &str, actual: T, expected: T) -> Result<()> {
        if actual != expected {
            bail!("{what}: expected {expected:?}, got {actual:?}");
        }
        self.checks += 1;
        Ok(())
    }

    /// Asserts a condition.
    pub fn check(&mut self, what: &str, ok: bool) -> Result<()> {
        if !ok {
            bail!("{what}: did not hold");
        }
        self.checks += 1;
        Ok(())
    }

    /// Asserts that a call failed, returning its message.
    pub fn fails<T: Debug>(&mut self, what: &str, r: jsii::Result<T>) -> Result<String> {
        match r {
            Ok(v) => bail!("{what}: expected an error, got {v:?}"),
            Err(e) => {
                self.checks += 1;
                Ok(e.kernel_error()
                    .map(|k| k.message.clone())
                    .unwrap_or_else(|| e.to_string()))
            }
        }
    }

    /// `new <fqn>(...args)`, pinned.
    ///
    /// The harness pins every handle: the cases pass objects into JavaScript, which keeps them
    /// and hands them back later, and the kernel (1.140.0) cannot hand back an object whose id
    /// was released with `del` (see `jsii::ObjRef::pin`). Releasing on drop is the host
    /// crate's own test subject, not the suite's.
    pub fn new_obj(&self, fqn: &str, args: Vec<Value>) -> Result<ObjRef> {
        let o = self
            .k
            .create(fqn, args)
            .with_context(|| format!("create {fqn}"))?;
        o.pin();
        Ok(o)
    }

    /// A kernel object of `fqn` whose `host` members run in Rust (overrides).
    pub fn subclass(&self, fqn: &str, args: Vec<Value>, host: Native) -> Result<ObjRef> {
        self.create_native(fqn, args, vec![], host)
    }

    /// A pure host object implementing `interfaces`.
    pub fn implement(&self, interfaces: &[&str], host: Native) -> Result<ObjRef> {
        self.create_native(
            "Object",
            vec![],
            interfaces.iter().map(|s| s.to_string()).collect(),
            host,
        )
    }

    /// A kernel object of `fqn`, also implementing `interfaces`, with `host` overrides.
    pub fn create_native(
        &self,
        fqn: &str,
        args: Vec<Value>,
        interfaces: Vec<String>,
        host: Native,
    ) -> Result<ObjRef> {
        let overrides = host.overrides();
        self.k
            .create_with(
                fqn,
                args,
                CreateOptions {
                    interfaces,
                    overrides,
                    host: Some(Arc::new(host)),
                },
            )
            .with_context(|| format!("create native {fqn}"))
    }

    pub fn call(&self, o: &ObjRef, method: &str, args: Vec<Value>) -> Result<Value> {
        self.k
            .invoke(o, method, args)
            .with_context(|| format!("invoke {}.{method}", o.fqn()))
    }

    pub fn get(&self, o: &ObjRef, property: &str) -> Result<Value> {
        self.k
            .get(o, property)
            .with_context(|| format!("get {}.{property}", o.fqn()))
    }

    pub fn set(&self, o: &ObjRef, property: &str, value: Value) -> Result<()> {
        self.k
            .set(o, property, value)
            .with_context(|| format!("set {}.{property}", o.fqn()))
    }

    /// The object a wire value refers to (pinned, as in [`Cx::new_obj`]).
    pub fn obj(&self, v: &Value) -> Result<ObjRef> {
        let o = self
            .k
            .adopt(v)
            .with_context(|| format!("not an object reference: {v}"))?;
        o.pin();
        Ok(o)
    }

    /// The fields of a struct the kernel returned. The kernel (1.140.0) returns structs by
    /// reference (`{"$jsii.byref": "Object@..", "$jsii.interfaces": [<struct fqn>]}`), so each
    /// field is one `get`, as the Go runtime does; a by-value struct is read directly.
    pub fn read_struct(&self, v: &Value, fields: &[&str]) -> Result<Value> {
        let mut out = serde_json::Map::new();
        if jsii::wire::as_byref(v).is_none() {
            let plain = crate::raw::plain(v);
            for field in fields {
                if let Some(x) = plain.get(*field).filter(|x| !x.is_null()) {
                    out.insert((*field).to_owned(), x.clone());
                }
            }
            return Ok(Value::Object(out));
        }
        let o = self.obj(v)?;
        for field in fields {
            let x = self.get(&o, field)?;
            if !x.is_null() {
                out.insert((*field).to_owned(), x);
            }
        }
        Ok(Value::Object(out))
    }
}

type MethodFn =
    dyn Fn(&CallContext<'_>, Vec<Value>) -> Result<Value, CallbackError> + Send + Sync + 'static;

/// A host object assembled from closures: each method it has is an override. (Property
/// overrides are exercised through the generated `...Overrides` traits.)
#[derive(Default)]
pub struct Native {
    methods: HashMap<String, Box<MethodFn>>,
}

impl Native {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn method(
        mut self,
        name: &str,
        f: impl Fn(&CallContext<'_>, Vec<Value>) -> Result<Value, CallbackError> + Send + Sync + 'static,
    ) -> Self {
        self.methods.insert(name.to_owned(), Box::new(f));
        self
    }

    fn overrides(&self) -> Vec<Override> {
        let mut names: Vec<&String> = self.methods.keys().collect();
        names.sort();
        names.into_iter().map(Override::method).collect()
    }
}

impl HostObject for Native {
    fn invoke(
        &self,
        cx: &CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, CallbackError> {
        match self.methods.get(method) {
            Some(f) => f(cx, args),
            None => Err(CallbackError::new(format!("no host method {method}"))),
        }
    }
}
