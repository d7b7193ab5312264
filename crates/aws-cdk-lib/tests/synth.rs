//! The generated bindings drive the real aws-cdk-lib through the jsii kernel: an app with a
//! DynamoDB table, an SQS queue and a Lambda function granted access to both, an aspect
//! written in Rust, synthesised to a CloudFormation template.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_cdk_lib::aws_dynamodb::{Attribute, AttributeType, BillingMode, Table, TableProps};
use aws_cdk_lib::aws_lambda::{Code, Function, FunctionProps, Runtime};
use aws_cdk_lib::aws_sqs::{Queue, QueueEncryption, QueueProps};
use aws_cdk_lib::constructs::IConstruct;
use aws_cdk_lib::prelude::*;
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{
    App, AppProps, Aspects, Duration, Environment, IAspect, IAspectImpl, RemovalPolicy, Stack,
    StackProps,
};
use serde_json::Value;

/// Counts the constructs it visits, from inside the kernel's `synth`.
struct CountingAspect(Arc<AtomicUsize>);

impl IAspectImpl for CountingAspect {
    fn visit(&self, node: IConstruct) -> jsii::Result<()> {
        // A nested kernel call from inside the callback.
        let path = node.node()?.path()?;
        assert!(path.starts_with("Demo"), "visited {path}");
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn kernel_available() -> bool {
    let path = jsii::Manifest::default_path();
    if path.exists() {
        return true;
    }
    if std::env::var_os("TEST_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!(
            "{} is missing: scripts/tools/ensure.sh should install it",
            path.display()
        );
    }
    eprintln!("skipped: no jsii manifest at {}", path.display());
    false
}

fn resources_of_type<'a>(template: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

#[test]
fn table_queue_function_with_grants_and_a_rust_aspect_synthesise() -> jsii::Result<()> {
    if !kernel_available() {
        return Ok(());
    }
    let out = tempfile::tempdir().expect("tempdir");
    let app = App::new(Some(&AppProps {
        outdir: Some(out.path().to_string_lossy().into_owned()),
        analytics_reporting: Some(false),
        ..Default::default()
    }))?;
    let stack = Stack::new(
        Some(&app),
        Some("Demo"),
        Some(&StackProps {
            env: Some(Environment {
                account: Some("111111111111".into()),
                region: Some("us-west-2".into()),
            }),
            ..Default::default()
        }),
    )?;
    let table = Table::new(
        &stack,
        "Orders",
        &TableProps {
            partition_key: Some(Attribute {
                name: Some("pk".into()),
                r#type: Some(AttributeType::String),
            }),
            billing_mode: Some(BillingMode::PayPerRequest),
            removal_policy: Some(RemovalPolicy::Destroy),
            ..Default::default()
        },
    )?;
    let queue = Queue::new(
        &stack,
        "Jobs",
        Some(&QueueProps {
            visibility_timeout: Some(Duration::seconds(300.0)?),
            encryption: Some(QueueEncryption::KmsManaged),
            enforce_ssl: Some(true),
            ..Default::default()
        }),
    )?;
    let function = Function::new(
        &stack,
        "Worker",
        &FunctionProps {
            runtime: Some(Runtime::nodejs_22_x()?),
            handler: Some("index.handler".into()),
            code: Some(Code::from_inline("exports.handler = async () => {}")?.upcast()),
            ..Default::default()
        },
    )?;
    // A Function is an IGrantable: passed as is.
    table.grant_read_write_data(&function)?;
    queue.grant_send_messages(&function)?;
    let visited = Arc::new(AtomicUsize::new(0));
    Aspects::of(&stack)?.add(&IAspect::from_impl(CountingAspect(visited.clone()))?, None)?;

    let assembly = app.synth(None)?;
    let template = assembly.get_stack_by_name("Demo")?.template()?;

    assert_eq!(
        resources_of_type(&template, "AWS::DynamoDB::Table").len(),
        1
    );
    let (_, q) = resources_of_type(&template, "AWS::SQS::Queue")[0];
    assert_eq!(q["Properties"]["VisibilityTimeout"], 300);
    assert_eq!(
        q["Properties"]["SqsManagedSseEnabled"],
        Value::Null,
        "KMS-managed, not SQS-managed"
    );
    assert_eq!(
        resources_of_type(&template, "AWS::Lambda::Function").len(),
        1
    );
    let policies = resources_of_type(&template, "AWS::IAM::Policy");
    let statements: Vec<&Value> = policies
        .iter()
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .iter()
        })
        .collect();
    let actions = |s: &Value| s["Action"].to_string();
    assert!(
        statements
            .iter()
            .any(|s| actions(s).contains("dynamodb:PutItem")),
        "{statements:?}"
    );
    assert!(
        statements
            .iter()
            .any(|s| actions(s).contains("sqs:SendMessage")),
        "{statements:?}"
    );
    assert!(
        visited.load(Ordering::Relaxed) >= 5,
        "the Rust aspect visited every construct"
    );
    // Tokens come back as strings and resolve inside the kernel.
    assert!(queue.queue_arn()?.starts_with("${Token["));
    Ok(())
}
