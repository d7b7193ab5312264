//! An AWS CDK app in Rust on the real aws-cdk-lib (through the `jsii` host): a DynamoDB table
//! (L2), an SQS queue, a Lambda function granted access to both, and an aspect written in Rust
//! that makes every CloudFormation resource deletable with its stack. `app.js` beside this
//! crate is the same app in JavaScript (the synth-time comparison in BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jsii::{CallContext, CallbackError, CreateOptions, HostObject, Kernel, ObjRef, Override, wire};
use serde_json::{Value, json};

/// The stack's name, and its environment (one the emulator deploy serves).
pub const STACK_NAME: &str = "JsiiCdkApp";
pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";

/// The aspect: `RemovalPolicy.DESTROY` on every `CfnResource` (a throw-away demo stack), and a
/// count of what it visited.
#[derive(Default)]
pub struct DestroyWithStack {
    visited: AtomicUsize,
}

impl HostObject for DestroyWithStack {
    fn invoke(
        &self,
        cx: &CallContext<'_>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, CallbackError> {
        if method != "visit" {
            return Err(CallbackError::new(format!(
                "IAspect has no method {method}"
            )));
        }
        self.visited.fetch_add(1, Ordering::Relaxed);
        let node = args.into_iter().next().unwrap_or(Value::Null);
        let is_resource = cx.kernel.sinvoke(
            "aws-cdk-lib.CfnResource",
            "isCfnResource",
            vec![node.clone()],
        )?;
        if is_resource == Value::Bool(true) {
            let node = cx.kernel.adopt(&node)?;
            node.pin(); // a construct: the tree keeps it, and hands it back
            node.invoke(
                "applyRemovalPolicy",
                vec![wire::enum_member("aws-cdk-lib.RemovalPolicy", "DESTROY")],
            )?;
        }
        Ok(Value::Null)
    }
}

/// What [`synth`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthesised {
    /// The cloud assembly directory (its `manifest.json`).
    pub outdir: PathBuf,
    /// How many constructs the aspect visited.
    pub visited: usize,
}

/// Builds the app in `kernel` and synthesises its cloud assembly into `outdir`.
pub fn synth(kernel: &Kernel, outdir: &Path) -> jsii::Result<Synthesised> {
    kernel.require("aws-cdk-lib")?;
    let construct = |fqn: &str, args: Vec<Value>| -> jsii::Result<ObjRef> {
        let c = kernel.create(fqn, args)?;
        c.pin();
        Ok(c)
    };
    let value = |v: Value| -> jsii::Result<ObjRef> { kernel.adopt(&v) };
    // Handles, not wire values, so the kernel objects live until the calls that use them.
    let seconds = |n: u32| -> jsii::Result<ObjRef> {
        value(kernel.sinvoke("aws-cdk-lib.Duration", "seconds", vec![json!(n)])?)
    };
    let (sixty_seconds, ten_seconds) = (seconds(60)?, seconds(10)?);

    let app = construct(
        "aws-cdk-lib.App",
        vec![json!({"outdir": outdir, "analyticsReporting": false})],
    )?;
    let stack = construct(
        "aws-cdk-lib.Stack",
        vec![
            app.to_wire(),
            json!(STACK_NAME),
            json!({"env": {"account": ACCOUNT, "region": REGION}}),
        ],
    )?;
    let string_attr = json!({
        "type": wire::enum_member("aws-cdk-lib.aws_dynamodb.AttributeType", "STRING"),
    });
    let mut pk = string_attr.clone();
    pk["name"] = json!("pk");
    let mut sk = string_attr;
    sk["name"] = json!("sk");
    let table = construct(
        "aws-cdk-lib.aws_dynamodb.Table",
        vec![
            stack.to_wire(),
            json!("Orders"),
            json!({
                "partitionKey": pk,
                "sortKey": sk,
                "billingMode": wire::enum_member("aws-cdk-lib.aws_dynamodb.BillingMode", "PAY_PER_REQUEST"),
                "encryption": wire::enum_member("aws-cdk-lib.aws_dynamodb.TableEncryption", "AWS_MANAGED"),
            }),
        ],
    )?;
    let queue = construct(
        "aws-cdk-lib.aws_sqs.Queue",
        vec![
            stack.to_wire(),
            json!("Events"),
            json!({
                "visibilityTimeout": sixty_seconds.to_wire(),
                "encryption": wire::enum_member("aws-cdk-lib.aws_sqs.QueueEncryption", "SQS_MANAGED"),
                "enforceSSL": true,
            }),
        ],
    )?;
    let runtime = value(kernel.sget("aws-cdk-lib.aws_lambda.Runtime", "NODEJS_22_X")?)?;
    let code = value(kernel.sinvoke(
        "aws-cdk-lib.aws_lambda.Code",
        "fromInline",
        vec![json!("exports.handler = async () => ({ ok: true });")],
    )?)?;
    let handler = construct(
        "aws-cdk-lib.aws_lambda.Function",
        vec![
            stack.to_wire(),
            json!("Handler"),
            json!({
                "runtime": runtime.to_wire(),
                "handler": "index.handler",
                "code": code.to_wire(),
                "timeout": ten_seconds.to_wire(),
                "environment": {
                    "TABLE_NAME": table.get("tableName")?,
                    "QUEUE_URL": queue.get("queueUrl")?,
                },
            }),
        ],
    )?;
    // Grants return a Grant object the app does not keep.
    drop(value(
        table.invoke("grantReadWriteData", vec![handler.to_wire()])?,
    )?);
    drop(value(
        queue.invoke("grantSendMessages", vec![handler.to_wire()])?,
    )?);

    let aspect = Arc::new(DestroyWithStack::default());
    let aspect_ref = kernel.create_with(
        "Object",
        vec![],
        CreateOptions {
            interfaces: vec!["aws-cdk-lib.IAspect".into()],
            overrides: vec![Override::method("visit")],
            host: Some(aspect.clone()),
        },
    )?;
    let aspects = value(kernel.sinvoke("aws-cdk-lib.Aspects", "of", vec![stack.to_wire()])?)?;
    aspects.pin(); // cached on the stack by aws-cdk-lib
    aspects.invoke("add", vec![aspect_ref.to_wire()])?;

    drop(value(app.invoke("synth", vec![])?)?);
    Ok(Synthesised {
        outdir: outdir.to_owned(),
        visited: aspect.visited.load(Ordering::Relaxed),
    })
}
