//! aws-cdk-lib driven through the untyped host API: an L2 queue with a Duration and an enum,
//! a token, an aspect written in Rust that calls the kernel from inside `visit`, an override
//! of a protected method, and a synthesised template read back.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use jsii::{
    CallContext, CallbackError, CreateOptions, HostObject, KernelErrorKind, ObjRef, Override,
    Value, wire,
};
use parking_lot::Mutex;
use serde_json::json;

const STACK: &str = "JsiiHostStack";

/// Records the path of every construct it visits, asking the kernel for it (nested calls).
#[derive(Default)]
struct PathRecorder {
    paths: Mutex<Vec<String>>,
}

impl HostObject for PathRecorder {
    fn invoke(
        &self,
        cx: &CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, CallbackError> {
        assert_eq!(method, "visit");
        let construct = cx.kernel.adopt(&args[0])?;
        construct.pin();
        let node = cx.kernel.adopt(&construct.get("node")?)?;
        node.pin();
        let path = node.get("path")?;
        self.paths
            .lock()
            .push(path.as_str().unwrap_or_default().to_owned());
        Ok(Value::Null)
    }
}

/// Overrides `Stack.allocateLogicalId` (protected): the JavaScript implementation's id, with a
/// prefix.
struct PrefixedLogicalIds;

impl HostObject for PrefixedLogicalIds {
    fn invoke(
        &self,
        cx: &CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, CallbackError> {
        assert_eq!(method, "allocateLogicalId");
        // Invoking the overridden method on `this` runs the JavaScript one, i.e. `super`.
        let id = cx.kernel.invoke(cx.this, method, args)?;
        Ok(json!(format!("Rs{}", id.as_str().unwrap_or_default())))
    }
}

/// The template of [`STACK`] in a synthesised cloud assembly.
fn stack_template(kernel: &jsii::Kernel, assembly: &ObjRef) -> Value {
    let artifact = kernel
        .adopt(
            &assembly
                .invoke("getStackByName", vec![json!(STACK)])
                .unwrap(),
        )
        .unwrap();
    artifact.get("template").unwrap()
}

fn paths_of(kernel: &jsii::Kernel, constructs: &Value) -> BTreeSet<String> {
    constructs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let c = kernel.adopt(c).unwrap();
            c.pin();
            let node = kernel.adopt(&c.get("node").unwrap()).unwrap();
            node.pin();
            node.get("path").unwrap().as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn an_l2_app_with_a_rust_aspect_and_override_synthesises() {
    let Some(kernel) = common::kernel() else {
        return;
    };
    kernel.require("aws-cdk-lib").unwrap();
    let outdir = tempfile::tempdir().unwrap();

    let app = kernel
        .create(
            "aws-cdk-lib.App",
            vec![json!({"outdir": outdir.path(), "analyticsReporting": false})],
        )
        .unwrap();
    app.pin();
    let stack = kernel
        .create_with(
            "aws-cdk-lib.Stack",
            vec![
                app.to_wire(),
                json!(STACK),
                json!({"env": {"account": "111111111111", "region": "us-west-2"}}),
            ],
            CreateOptions {
                overrides: vec![Override::method("allocateLogicalId")],
                host: Some(Arc::new(PrefixedLogicalIds)),
                ..CreateOptions::default()
            },
        )
        .unwrap();
    let timeout = kernel
        .adopt(
            &kernel
                .sinvoke("aws-cdk-lib.Duration", "seconds", vec![json!(300)])
                .unwrap(),
        )
        .unwrap();
    let queue: ObjRef = kernel
        .create(
            "aws-cdk-lib.aws_sqs.Queue",
            vec![
                stack.to_wire(),
                json!("Queue"),
                json!({
                    "queueName": "jsii-host",
                    "visibilityTimeout": timeout.to_wire(),
                    "encryption": wire::enum_member("aws-cdk-lib.aws_sqs.QueueEncryption", "KMS_MANAGED"),
                    "enforceSSL": true,
                }),
            ],
        )
        .unwrap();
    queue.pin();
    assert_eq!(queue.fqn(), "aws-cdk-lib.aws_sqs.Queue");

    // Tokens stay strings on the host side and resolve in the kernel.
    let arn = queue.get("queueArn").unwrap();
    let arn_text = arn.as_str().expect("a token string");
    assert!(arn_text.starts_with("${Token["), "{arn_text}");

    let recorder = Arc::new(PathRecorder::default());
    let aspect = kernel
        .create_with(
            "Object",
            vec![],
            CreateOptions {
                interfaces: vec!["aws-cdk-lib.IAspect".into()],
                overrides: vec![Override::method("visit")],
                host: Some(recorder.clone()),
            },
        )
        .unwrap();
    let aspects = kernel
        .adopt(
            &kernel
                .sinvoke("aws-cdk-lib.Aspects", "of", vec![stack.to_wire()])
                .unwrap(),
        )
        .unwrap();
    aspects.pin(); // cached on the stack by aws-cdk-lib: it would come back under its old id
    aspects.invoke("add", vec![aspect.to_wire()]).unwrap();

    // The constructs the aspect must visit (synthesis adds a few more after aspects ran).
    let node = kernel.adopt(&stack.get("node").unwrap()).unwrap();
    let all = paths_of(&kernel, &node.invoke("findAll", vec![]).unwrap());

    let assembly = kernel.adopt(&app.invoke("synth", vec![]).unwrap()).unwrap();
    assert_eq!(assembly.fqn(), "aws-cdk-lib.cx_api.CloudAssembly");

    // The aspect saw every construct of the stack, once.
    let visited = recorder.paths.lock().clone();
    assert_eq!(visited.len(), all.len(), "{visited:?}");
    assert_eq!(visited.iter().cloned().collect::<BTreeSet<_>>(), all);
    for path in [STACK, "JsiiHostStack/Queue", "JsiiHostStack/Queue/Resource"] {
        assert!(all.contains(path), "{path} not in {all:?}");
    }

    let template = stack_template(&kernel, &assembly);
    let resources = template["Resources"].as_object().unwrap();
    assert!(
        resources.keys().all(|k| k.starts_with("Rs")),
        "the override named every resource: {:?}",
        resources.keys()
    );
    let (queue_id, q) = resources
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::SQS::Queue")
        .expect("a queue");
    assert_eq!(q["Properties"]["QueueName"], "jsii-host");
    assert_eq!(q["Properties"]["VisibilityTimeout"], 300);
    assert_eq!(q["Properties"]["KmsMasterKeyId"], "alias/aws/sqs");
    assert!(
        resources
            .values()
            .any(|r| r["Type"] == "AWS::SQS::QueuePolicy"),
        "enforceSSL adds a queue policy"
    );
    // The token resolves to the queue's ARN attribute under the overridden id.
    let resolved = stack.invoke("resolve", vec![arn.clone()]).unwrap();
    assert_eq!(resolved, json!({"Fn::GetAtt": [queue_id, "Arn"]}));

    // The cloud assembly on disk holds the same template.
    let on_disk: Value = serde_json::from_slice(
        &std::fs::read(outdir.path().join(format!("{STACK}.template.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(on_disk, template);
}

#[test]
fn library_errors_come_back_typed_with_message_and_stack() {
    let Some(kernel) = common::kernel() else {
        return;
    };
    kernel.require("aws-cdk-lib").unwrap();
    let bad_fqn = kernel
        .create("aws-cdk-lib.aws_sqs.NoSuchQueue", vec![])
        .unwrap_err();
    let e = bad_fqn.kernel_error().unwrap();
    assert_eq!(e.kind, KernelErrorKind::Fault);
    assert!(
        e.message.contains("aws-cdk-lib.aws_sqs.NoSuchQueue"),
        "{}",
        e.message
    );

    let thrown = kernel
        .sinvoke("aws-cdk-lib.Duration", "seconds", vec![json!(-1)])
        .unwrap_err();
    let e = thrown.kernel_error().unwrap();
    assert_eq!(e.kind, KernelErrorKind::RuntimeError);
    assert!(e.message.contains("cannot be negative"), "{}", e.message);
    assert!(e.stack.as_deref().unwrap_or_default().contains("    at "));
    assert!(kernel.naming("aws-cdk-lib").unwrap().is_object());
}

#[test]
fn type_less_packages_are_required_through_node_modules_not_loaded() {
    let Some(kernel) = common::kernel() else {
        return;
    };
    kernel.require("aws-cdk-lib").unwrap();
    // Not loaded: the kernel has no naming for an assembly it was never given ...
    let manifest = kernel.manifest().unwrap();
    let asset = manifest.package("@aws-cdk/asset-awscli-v1").unwrap();
    assert!(manifest.requireable_without_load(asset));
    assert!(kernel.naming(&asset.name).is_err());
    // ... yet the library finds it: the AWS CLI layer's construct requires it for its zip.
    let app = kernel
        .create(
            "aws-cdk-lib.App",
            vec![json!({"analyticsReporting": false})],
        )
        .unwrap();
    let stack = kernel
        .create("aws-cdk-lib.Stack", vec![app.to_wire(), json!(STACK)])
        .unwrap();
    kernel
        .create(
            "aws-cdk-lib.lambda_layer_awscli.AwsCliLayer",
            vec![stack.to_wire(), json!("Cli")],
        )
        .expect("the library requires @aws-cdk/asset-awscli-v1 from node_modules");
    let assembly = kernel.adopt(&app.invoke("synth", vec![]).unwrap()).unwrap();
    let template = stack_template(&kernel, &assembly);
    let layers: Vec<&str> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["Type"].as_str())
        .filter(|t| *t == "AWS::Lambda::LayerVersion")
        .collect();
    assert_eq!(layers.len(), 1, "{template}");
}
