//! The host against the real kernel (only the small `constructs` assembly loaded) and against
//! stand-in kernels that misbehave on purpose.

mod common;

use std::sync::Arc;

use jsii::{
    CallContext, CallbackError, CreateOptions, Error, HostObject, Kernel, KernelConfig,
    KernelErrorKind, Override, Value,
};
use serde_json::json;

fn constructs_kernel() -> Option<Kernel> {
    let kernel = common::kernel()?;
    kernel.require("constructs").expect("constructs loads");
    Some(kernel)
}

#[test]
fn handshake_checks_the_pinned_version_and_close_reaps_the_process() {
    let Some(manifest) = common::manifest() else {
        return;
    };
    let kernel = Kernel::start(KernelConfig::from_manifest(manifest.clone())).unwrap();
    assert_eq!(kernel.runtime_version(), manifest.runtime.version);
    let pid = kernel.pid();
    assert!(common::process_exists(pid));
    assert_eq!(kernel.stats().unwrap().object_count, 0);
    kernel.close().unwrap();
    assert!(
        !common::process_exists(pid),
        "closed kernel {pid} left a process or zombie"
    );
    let err = kernel.stats().unwrap_err();
    assert!(err.is_kernel_gone(), "{err}");

    let mut wrong = KernelConfig::from_manifest(manifest);
    wrong.expected_version = Some("0.0.1".into());
    match Kernel::start(wrong) {
        Err(Error::VersionMismatch { expected, found }) => {
            assert_eq!((expected.as_str(), found.as_str()), ("0.0.1", "1.140.0"));
        }
        other => panic!("expected a version mismatch, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn dropping_the_last_kernel_and_handle_closes_the_process() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let pid = kernel.pid();
    let root = kernel
        .create("constructs.RootConstruct", vec![json!("root")])
        .unwrap();
    drop(kernel);
    assert!(
        common::process_exists(pid),
        "a live handle keeps the kernel"
    );
    assert_eq!(
        root.get("node").map(|_| ()).map_err(|e| e.to_string()),
        Ok(())
    );
    drop(root);
    assert!(!common::process_exists(pid));
}

#[test]
fn errors_are_typed_with_message_and_stack() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let fault = kernel.create("constructs.NoSuchClass", vec![]).unwrap_err();
    let e = fault.kernel_error().expect("a kernel error");
    assert_eq!(e.kind, KernelErrorKind::Fault);
    assert!(e.stack.is_some());
    assert!(
        e.message.contains("constructs.NoSuchClass"),
        "{}",
        e.message
    );

    let root = kernel
        .create("constructs.RootConstruct", vec![json!("root")])
        .unwrap();
    root.pin();
    kernel
        .create("constructs.Construct", vec![root.to_wire(), json!("a")])
        .unwrap()
        .pin();
    let thrown = kernel
        .create("constructs.Construct", vec![root.to_wire(), json!("a")])
        .unwrap_err();
    let e = thrown.kernel_error().expect("a kernel error");
    assert_eq!(e.kind, KernelErrorKind::RuntimeError);
    assert_eq!(e.name.as_deref(), Some("Error"));
    assert!(
        e.message
            .contains("There is already a Construct with name 'a'"),
        "{}",
        e.message
    );
    let stack = e.stack.as_deref().expect("a stack");
    assert!(stack.contains("    at "), "{stack}");
    // Still usable afterwards.
    assert!(kernel.stats().unwrap().object_count >= 2);
}

/// Validates node ids in Rust: `validate()` of an `IValidation` added to a construct.
struct IdValidator {
    nested_calls: std::sync::atomic::AtomicUsize,
}

impl HostObject for IdValidator {
    fn invoke(
        &self,
        cx: &CallContext<'_>,
        method: &str,
        _args: Vec<Value>,
    ) -> Result<Value, CallbackError> {
        assert_eq!(method, "validate");
        assert_eq!(cx.this.fqn(), "Object");
        // A nested request from inside the callback.
        let stats = cx.kernel.stats()?;
        assert!(stats.object_count > 0);
        self.nested_calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A handle dropped inside a callback: its `del` waits for the next request.
        let scratch = cx
            .kernel
            .create("constructs.DependencyGroup", vec![])
            .map_err(CallbackError::from)?;
        drop(scratch);
        Ok(json!(["ids must be lowercase"]))
    }
}

#[test]
fn host_implemented_interfaces_are_called_back_and_may_call_the_kernel() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let root = kernel
        .create("constructs.RootConstruct", vec![json!("root")])
        .unwrap();
    root.pin();
    let node = kernel.adopt(&root.get("node").unwrap()).unwrap();
    node.pin();
    let validator = Arc::new(IdValidator {
        nested_calls: 0.into(),
    });
    let validation = kernel
        .create_with(
            "Object",
            vec![],
            CreateOptions {
                interfaces: vec!["constructs.IValidation".into()],
                overrides: vec![Override::method("validate")],
                host: Some(validator.clone()),
            },
        )
        .unwrap();
    assert!(validation.is_pinned(), "host objects stay registered");
    node.invoke("addValidation", vec![validation.to_wire()])
        .unwrap();
    let errors = node.invoke("validate", vec![]).unwrap();
    assert_eq!(errors, json!(["ids must be lowercase"]));
    assert_eq!(
        validator
            .nested_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

struct Failing;

impl HostObject for Failing {
    fn invoke(&self, _: &CallContext<'_>, _: &str, _: Vec<Value>) -> Result<Value, CallbackError> {
        Err(CallbackError::new("the host refuses"))
    }
}

struct Panicking;

impl HostObject for Panicking {
    fn invoke(&self, _: &CallContext<'_>, _: &str, _: Vec<Value>) -> Result<Value, CallbackError> {
        panic!("host bug")
    }
}

#[test]
fn a_failing_or_panicking_callback_fails_the_request_not_the_kernel() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    for (host, expected) in [
        (Arc::new(Failing) as Arc<dyn HostObject>, "the host refuses"),
        (Arc::new(Panicking), "host callback panicked: host bug"),
    ] {
        let root = kernel
            .create("constructs.RootConstruct", vec![json!("root")])
            .unwrap();
        root.pin();
        let node = kernel.adopt(&root.get("node").unwrap()).unwrap();
        let validation = kernel
            .create_with(
                "Object",
                vec![],
                CreateOptions {
                    interfaces: vec!["constructs.IValidation".into()],
                    overrides: vec![Override::method("validate")],
                    host: Some(host),
                },
            )
            .unwrap();
        node.invoke("addValidation", vec![validation.to_wire()])
            .unwrap();
        let err = node.invoke("validate", vec![]).unwrap_err();
        let e = err.kernel_error().expect("a kernel error");
        assert!(e.message.contains(expected), "{}", e.message);
    }
    assert!(kernel.stats().is_ok());
}

#[test]
fn dropped_handles_release_kernel_objects() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let before = kernel.stats().unwrap().object_count;
    for _ in 0..10_000 {
        let group = kernel.create("constructs.DependencyGroup", vec![]).unwrap();
        drop(group);
    }
    let after = kernel.stats().unwrap().object_count;
    assert!(
        after <= before + 1,
        "object count grew from {before} to {after} over 10,000 create-and-drop cycles"
    );

    // A wire value made from a handle just dropped still works for the next request.
    let group = kernel.create("constructs.DependencyGroup", vec![]).unwrap();
    let wire = group.to_wire();
    drop(group);
    kernel
        .create("constructs.DependencyGroup", vec![wire])
        .expect("the dropped group is still known for this request");
    assert_eq!(kernel.stats().unwrap().object_count, after);

    // Clones and re-adoptions share one registration: nothing is released while one lives.
    let group = kernel.create("constructs.DependencyGroup", vec![]).unwrap();
    let again = kernel.adopt(&group.to_wire()).unwrap();
    drop(group.clone());
    drop(group);
    assert_eq!(kernel.stats().unwrap().object_count, after + 1);
    let id = again.id().to_owned();
    drop(again);
    assert_eq!(kernel.stats().unwrap().object_count, after);
    // The kernel forgot it; the host refuses to hand out a handle that cannot work.
    match kernel.adopt(&json!({ "$jsii.byref": id })) {
        Err(Error::Released(released)) => assert_eq!(released, id),
        other => panic!("expected Released, got {other:?}"),
    }
}

#[test]
fn several_threads_share_one_kernel() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let root = kernel
        .create("constructs.RootConstruct", vec![json!("root")])
        .unwrap();
    root.pin();
    let (to_dropper, dropped) = std::sync::mpsc::channel::<jsii::ObjRef>();
    let dropper = std::thread::spawn(move || dropped.into_iter().count());
    let workers: Vec<_> = (0..2)
        .map(|t| {
            let kernel = kernel.clone();
            let root = root.clone();
            let to_dropper = to_dropper.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let id = format!("t{t}-{i}");
                    let c = kernel
                        .create("constructs.Construct", vec![root.to_wire(), json!(id)])
                        .unwrap();
                    c.pin();
                    let node = kernel.adopt(&c.get("node").unwrap()).unwrap();
                    assert_eq!(node.get("id").unwrap(), json!(id));
                    // Released on the other thread, while this one keeps calling.
                    to_dropper.send(node).unwrap();
                }
            })
        })
        .collect();
    drop(to_dropper);
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(dropper.join().unwrap(), 400);
    let root_node = kernel.adopt(&root.get("node").unwrap()).unwrap();
    let children = root_node.get("children").unwrap();
    assert_eq!(children.as_array().map(Vec::len), Some(400));
}

#[test]
fn a_killed_kernel_fails_every_call_promptly() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let pid = kernel.pid();
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    let err = kernel.stats().unwrap_err();
    assert!(
        matches!(&err, Error::KernelExited { reason, .. } if reason.contains("signal: 9")),
        "{err}"
    );
    assert!(
        !common::process_exists(pid),
        "the killed kernel was not reaped"
    );
    let again = kernel.create("constructs.DependencyGroup", vec![]);
    assert!(matches!(again, Err(Error::KernelExited { .. })));
}

/// Kills the kernel from inside a callback, i.e. while a request is in flight.
struct Killer;

impl HostObject for Killer {
    fn invoke(&self, cx: &CallContext<'_>, _: &str, _: Vec<Value>) -> Result<Value, CallbackError> {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(cx.kernel.pid() as i32, libc::SIGKILL) };
        let nested = cx.kernel.stats();
        assert!(nested.is_err(), "a nested call to a dead kernel fails");
        Ok(json!([]))
    }
}

#[test]
fn a_kernel_dying_during_a_request_fails_that_request_and_later_ones() {
    let Some(kernel) = constructs_kernel() else {
        return;
    };
    let root = kernel
        .create("constructs.RootConstruct", vec![json!("root")])
        .unwrap();
    let node = kernel.adopt(&root.get("node").unwrap()).unwrap();
    let killer = kernel
        .create_with(
            "Object",
            vec![],
            CreateOptions {
                interfaces: vec!["constructs.IValidation".into()],
                overrides: vec![Override::method("validate")],
                host: Some(Arc::new(Killer)),
            },
        )
        .unwrap();
    node.invoke("addValidation", vec![killer.to_wire()])
        .unwrap();
    let other = kernel.clone();
    let err = node.invoke("validate", vec![]).unwrap_err();
    assert!(err.is_kernel_gone(), "{err}");
    assert!(other.stats().unwrap_err().is_kernel_gone());
    assert!(!kernel.is_alive());
}

/// A stand-in kernel: `script` runs as the program, with the protocol on FD 3.
fn fake_kernel(script: &str) -> Option<Result<Kernel, Error>> {
    common::manifest()?;
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("program.js");
    std::fs::write(&program, script).unwrap();
    Some(Kernel::start(KernelConfig::from_program(&program)))
}

const HELLO: &str = r#"const fs = require("fs");
fs.writeSync(3, JSON.stringify({ hello: "@jsii/runtime@1.140.0" }) + "\n");
"#;

#[test]
fn malformed_json_from_the_kernel_is_an_error_and_stops_it() {
    let script = format!(
        "{HELLO}fs.readSync(3, Buffer.alloc(65536));\n\
         fs.writeSync(3, 'this is not json\\n');\n\
         setTimeout(() => {{}}, 60000);\n"
    );
    let Some(kernel) = fake_kernel(&script) else {
        return;
    };
    let kernel = kernel.unwrap();
    let pid = kernel.pid();
    let err = kernel.stats().unwrap_err();
    assert!(
        matches!(&err, Error::Protocol { line, .. } if line == "this is not json"),
        "{err}"
    );
    assert!(
        !common::process_exists(pid),
        "the untrusted kernel was stopped"
    );
    assert!(kernel.stats().unwrap_err().is_kernel_gone());
}

#[test]
fn a_kernel_that_exits_at_start_is_an_error_quoting_its_stderr() {
    let script = "process.stderr.write('cannot start: no such module\\n'); process.exit(3);\n";
    let Some(result) = fake_kernel(script) else {
        return;
    };
    match result {
        Err(Error::KernelExited {
            reason,
            stderr_tail,
        }) => {
            assert!(reason.contains("exit status: 3"), "{reason}");
            assert!(
                stderr_tail.contains("cannot start: no such module"),
                "{stderr_tail}"
            );
        }
        other => panic!("expected KernelExited, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn an_unexpected_greeting_is_a_protocol_error() {
    let Some(result) =
        fake_kernel("require('fs').writeSync(3, JSON.stringify({ ok: {} }) + '\\n');\n")
    else {
        return;
    };
    assert!(matches!(result, Err(Error::Protocol { .. })));
}

#[test]
fn a_missing_program_is_a_spawn_error() {
    let err = Kernel::start(KernelConfig::from_program("/nonexistent/program.js"))
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::Spawn { .. }), "{err}");
}

#[test]
fn the_global_kernel_is_shared_until_shut_down() {
    if common::manifest().is_none() {
        return;
    }
    let first = jsii::global().unwrap();
    let again = jsii::global().unwrap();
    assert_eq!(first.pid(), again.pid());
    first.require("constructs").unwrap();
    let pid = first.pid();
    drop((first, again));
    jsii::shutdown_global();
    assert!(
        !common::process_exists(pid),
        "shutdown_global reaps the kernel"
    );
    let next = jsii::global().unwrap();
    assert_ne!(next.pid(), pid);
    jsii::shutdown_global();
}
