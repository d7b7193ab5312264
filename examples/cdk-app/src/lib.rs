//! An AWS CDK app in Rust on the real aws-cdk-lib, through the generated typed bindings
//! (`crates/aws-cdk-lib`) and the `jsii` host: a DynamoDB table (L2), an SQS queue, a Lambda
//! function granted access to both, and an aspect written in Rust that makes every
//! CloudFormation resource deletable with its stack. `app.js` beside this crate is the same app
//! in JavaScript (the synth-time comparison in BENCHMARKS.md).
//!
//! The bindings use the process's kernel ([`jsii::global`]); start it with
//! [`jsii::global_with`] first to choose its settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_cdk_lib::aws_dynamodb::{
    Attribute, AttributeType, BillingMode, Table, TableEncryption, TableProps,
};
use aws_cdk_lib::aws_lambda::{Code, Function, FunctionProps, Runtime};
use aws_cdk_lib::aws_sqs::{Queue, QueueEncryption, QueueProps};
use aws_cdk_lib::constructs::IConstruct;
use aws_cdk_lib::prelude::*;
use aws_cdk_lib::runtime::{FromObjRef as _, JsiiObject as _, Upcast as _};
use aws_cdk_lib::{
    App, AppProps, Aspects, CfnResource, Duration, Environment, IAspect, IAspectImpl,
    RemovalPolicy, Stack, StackProps,
};

/// The stack's name, and its environment (one the emulator deploy serves).
pub const STACK_NAME: &str = "JsiiCdkApp";
pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";

/// The aspect: `RemovalPolicy.DESTROY` on every `CfnResource` (a throw-away demo stack), and a
/// count of what it visited. Runs inside the kernel's `synth`, calling the kernel back.
struct DestroyWithStack(Arc<AtomicUsize>);

impl IAspectImpl for DestroyWithStack {
    fn visit(&self, node: IConstruct) -> jsii::Result<()> {
        self.0.fetch_add(1, Ordering::Relaxed);
        if CfnResource::is_cfn_resource(&node.jsii_ref().to_wire())? {
            CfnResource::from_obj_ref(node.jsii_ref().clone())
                .apply_removal_policy(Some(RemovalPolicy::Destroy), None)?;
        }
        Ok(())
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

/// Builds the app and synthesises its cloud assembly into `outdir`.
pub fn synth(outdir: &Path) -> jsii::Result<Synthesised> {
    let app = App::new(Some(&AppProps {
        outdir: Some(outdir.to_string_lossy().into_owned()),
        analytics_reporting: Some(false),
        ..Default::default()
    }))?;
    let stack = Stack::new(
        Some(&app),
        Some(STACK_NAME),
        Some(&StackProps {
            env: Some(Environment {
                account: Some(ACCOUNT.into()),
                region: Some(REGION.into()),
            }),
            ..Default::default()
        }),
    )?;
    let string_key = |name: &str| Attribute {
        name: Some(name.into()),
        r#type: Some(AttributeType::String),
    };
    let table = Table::new(
        &stack,
        "Orders",
        &TableProps {
            partition_key: Some(string_key("pk")),
            sort_key: Some(string_key("sk")),
            billing_mode: Some(BillingMode::PayPerRequest),
            encryption: Some(TableEncryption::AwsManaged),
            ..Default::default()
        },
    )?;
    let queue = Queue::new(
        &stack,
        "Events",
        Some(&QueueProps {
            visibility_timeout: Some(Duration::seconds(60.0)?),
            encryption: Some(QueueEncryption::SqsManaged),
            enforce_ssl: Some(true),
            ..Default::default()
        }),
    )?;
    let handler = Function::new(
        &stack,
        "Handler",
        &FunctionProps {
            runtime: Some(Runtime::nodejs_22_x()?),
            handler: Some("index.handler".into()),
            code: Some(
                Code::from_inline("exports.handler = async () => ({ ok: true });")?.upcast(),
            ),
            timeout: Some(Duration::seconds(10.0)?),
            environment: Some(
                [
                    ("TABLE_NAME".to_owned(), table.table_name()?),
                    ("QUEUE_URL".to_owned(), queue.queue_url()?),
                ]
                .into(),
            ),
            ..Default::default()
        },
    )?;
    // A Function is an IGrantable: passed as it is.
    table.grant_read_write_data(&handler)?;
    queue.grant_send_messages(&handler)?;
    let visited = Arc::new(AtomicUsize::new(0));
    Aspects::of(&stack)?.add(
        &IAspect::from_impl(DestroyWithStack(visited.clone()))?,
        None,
    )?;
    app.synth(None)?;
    Ok(Synthesised {
        outdir: outdir.to_owned(),
        visited: visited.load(Ordering::Relaxed),
    })
}
