//! The CDK engine: the same platform as `crate::platform`, built through the real aws-cdk-lib
//! (the generated bindings in `crates/aws-cdk-lib`, run by the jsii kernel) and synthesised
//! by CDK itself into its own cloud assembly. `infra-gen synth --engine cdk` runs it; the
//! oracle test (`tests/cdk_oracle.rs`) holds the native engine to it.
//!
//! One file per native L3 construct, with the same name, inputs and order, so the two engines
//! read side by side. Where they must differ, the file says why. Every place that is not an
//! L2 construct or grant (a `CfnResource`, an L1 or a raw kernel call) is listed in
//! `docs/cdk-engine.md`.
//!
//! Everything that can fail without the kernel is checked first ([`check_assets`]); the specs
//! are resolved (and their errors reported) before this module is reached.

mod alarms;
mod api;
mod bus;
mod consumer;
mod dashboard;
mod dns;
mod function_env;
mod functions;
mod key;
mod queues;
mod registry;
mod rules;
mod signing_key;
mod stream;
mod tables;

use std::path::{Path, PathBuf};

use aws_cdk_lib::aws_iam::{IPrincipal, PolicyStatement, PolicyStatementProps, ServicePrincipal};
use aws_cdk_lib::aws_logs::RetentionDays;
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{
    App, AppProps, CfnOutput, CfnOutputProps, Environment as CdkEnvironment, RemovalPolicy, Stack,
    StackProps, prelude::*,
};
use platform_contract as contract;

use crate::assets::SourceHashes;
use crate::construct::ConstructError;
use crate::platform::{self, Names, PREFIX};
use crate::spec::{Environment, RegionalSpec, RemovalPolicy as SpecRemoval};

use api::Api;
use bus::EventBuses;
use functions::{FunctionDeps, Functions};
use queues::DeadLetterQueues;
use rules::Routing;
use signing_key::SigningKey;
use tables::Tables;

/// Why the CDK engine failed, with the stack and construct it was building.
#[derive(Debug, thiserror::Error)]
pub enum CdkError {
    #[error(
        "{stack}: {function}'s code asset {} does not exist; the CDK stages function code \
         at synth, so run `infra-gen package` first (or pass --assets)",
        path.display()
    )]
    MissingAsset {
        stack: String,
        function: String,
        path: PathBuf,
    },
    #[error("{stack}: building {construct} through aws-cdk-lib")]
    Construct {
        stack: String,
        construct: &'static str,
        #[source]
        source: jsii::Error,
    },
    #[error("synthesising the cloud assembly into {}", outdir.display())]
    Synth {
        outdir: PathBuf,
        #[source]
        source: jsii::Error,
    },
    /// aws-cdk-lib's recommended feature flags could not be read.
    #[error("reading aws-cdk-lib's recommended feature flags ({what})")]
    FeatureFlags {
        what: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The native stack the dashboard body comes from could not be built.
    #[error("{stack}: building the native stack for the dashboard body")]
    Native {
        stack: String,
        #[source]
        source: ConstructError,
    },
}

/// What [`synth`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthesised {
    pub outdir: PathBuf,
    /// The stack names, in build order (`infra-gen-<env>-<region>`).
    pub stacks: Vec<String>,
}

/// Every function zip each selected stack needs, found or reported before any kernel starts.
pub fn check_assets(
    environments: &[Environment],
    assets: &SourceHashes,
    asset_dir: &Path,
) -> Result<(), CdkError> {
    for rs in environments.iter().flat_map(|e| &e.regions) {
        for name in contract::FUNCTION_NAMES {
            let path = functions::asset_path(asset_dir, assets, rs, name);
            if !path.is_file() {
                return Err(CdkError::MissingAsset {
                    stack: Names::new(rs).stack(),
                    function: name.to_string(),
                    path,
                });
            }
        }
    }
    Ok(())
}

/// Builds every stack of `environments` in one CDK app and synthesises its cloud assembly
/// into `outdir`. Uses the process's jsii kernel ([`jsii::global`]).
pub fn synth(
    environments: &[Environment],
    assets: &SourceHashes,
    asset_dir: &Path,
    outdir: &Path,
) -> Result<Synthesised, CdkError> {
    check_assets(environments, assets, asset_dir)?;
    let app = App::new(Some(&AppProps {
        outdir: Some(outdir.to_string_lossy().into_owned()),
        analytics_reporting: Some(false),
        context: Some(recommended_flags()?),
        ..Default::default()
    }))
    .map_err(|source| CdkError::Synth {
        outdir: outdir.to_owned(),
        source,
    })?;
    let mut stacks = Vec::new();
    for rs in environments.iter().flat_map(|e| &e.regions) {
        build_stack(&app, rs, assets, asset_dir)?;
        stacks.push(Names::new(rs).stack());
    }
    app.synth(None).map_err(|source| CdkError::Synth {
        outdir: outdir.to_owned(),
        source,
    })?;
    Ok(Synthesised {
        outdir: outdir.to_owned(),
        stacks,
    })
}

/// The feature flags `cdk init` writes into a new app's `cdk.json`: aws-cdk-lib's own
/// `recommended-feature-flags.json`, read from the installed package (the jsii bindings do not
/// expose `cx_api.CURRENTLY_RECOMMENDED_FLAGS`, a module constant). Without them CDK keeps the
/// old behaviour of every flag introduced since v2.0, and the oracle would compare the native
/// engine with CDK's past rather than with what it recommends now (the reference app sets them
/// too).
fn recommended_flags() -> Result<std::collections::BTreeMap<String, serde_json::Value>, CdkError> {
    let error = |what: String, source: Option<Box<dyn std::error::Error + Send + Sync>>| {
        CdkError::FeatureFlags { what, source }
    };
    let manifest = jsii::Manifest::discover()
        .map_err(|e| error("the jsii manifest".into(), Some(Box::new(e))))?
        .ok_or_else(|| error("no jsii manifest: run scripts/tools/ensure.sh".into(), None))?;
    let path = manifest
        .node_modules
        .ok_or_else(|| error("the jsii manifest names no node_modules".into(), None))?
        .join("aws-cdk-lib/recommended-feature-flags.json");
    let text =
        std::fs::read(&path).map_err(|e| error(path.display().to_string(), Some(Box::new(e))))?;
    serde_json::from_slice(&text).map_err(|e| error(path.display().to_string(), Some(Box::new(e))))
}

/// One environment in one region: the constructs in the native engine's order.
fn build_stack(
    app: &App,
    rs: &RegionalSpec,
    assets: &SourceHashes,
    asset_dir: &Path,
) -> Result<(), CdkError> {
    let names = Names::new(rs);
    let at = |construct: &'static str| {
        let stack = names.stack();
        move |source| CdkError::Construct {
            stack,
            construct,
            source,
        }
    };
    let stack = new_stack(app, rs, &names).map_err(at("the stack"))?;
    let s = &stack;
    let key = key::data_key(s, rs).map_err(at("key"))?;
    let dlqs = DeadLetterQueues::new(s, rs, &names, &key).map_err(at("queues"))?;
    let tables = Tables::new(s, rs, &names, &key).map_err(at("tables"))?;
    let buses = EventBuses::new(s, rs, &names).map_err(at("bus"))?;
    let signing_key = SigningKey::new(s, rs, &key).map_err(at("signing_key"))?;
    let api = Api::new(s, rs, &names, &key).map_err(at("api"))?;
    let deps = FunctionDeps {
        key: &key,
        dlqs: &dlqs,
        tables: &tables,
        buses: &buses,
        signing_key: &signing_key,
        api: &api,
    };
    let code = |name: &str| functions::asset_path(asset_dir, assets, rs, name);
    let functions = Functions::new(s, rs, &names, &code, assets, &deps).map_err(at("functions"))?;
    functions
        .grant_jobs(&tables, &buses, &dlqs)
        .map_err(at("functions"))?;
    stream::stream_mapping(rs, &tables, &dlqs, &buses, &functions.stream_processor)
        .map_err(at("stream"))?;
    signing_key
        .grant_only_to_authorizer(&names, &functions.authorizer)
        .map_err(at("signing_key"))?;
    Routing::new(s, rs, &names, &buses, &dlqs, &functions).map_err(at("rules"))?;
    api.add_health_route(rs, &names, &functions)
        .map_err(at("api"))?;
    dns::dns(s, rs, &names, &api.api).map_err(at("dns"))?;
    let consumer =
        consumer::consumer_role(s, rs, &names, &tables, &dlqs, &buses).map_err(at("consumer"))?;
    let repository = registry::consumer_repository(s, rs, &names, &key).map_err(at("registry"))?;
    alarms::alarms(s, rs, &names, &dlqs, &functions).map_err(at("alarms"))?;
    let native = platform::build_stack(rs, assets).map_err(|source| CdkError::Native {
        stack: names.stack(),
        source,
    })?;
    dashboard::dashboard(s, &native).map_err(at("dashboard"))?;
    outputs(s, &api, &buses, &consumer, &repository, &dlqs, &tables).map_err(at("outputs"))?;
    Ok(())
}

/// The stack: named, placed and tagged as native names, places and tags it; termination
/// protection where the stack retains its stores (as native).
fn new_stack(app: &App, rs: &RegionalSpec, names: &Names) -> jsii::Result<Stack> {
    let (env, region) = (rs.env.as_str(), rs.region.as_str());
    let mut tags: std::collections::BTreeMap<String, String> = [
        ("project".to_string(), PREFIX.to_string()),
        ("environment".to_string(), env.to_string()),
    ]
    .into();
    for (k, v) in &rs.spec.tags {
        tags.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Stack::new(
        Some(app),
        Some(&names.stack()),
        Some(&StackProps {
            env: Some(CdkEnvironment {
                account: Some(rs.spec.account.clone()),
                region: Some(region.to_string()),
            }),
            description: Some(format!("{PREFIX} event platform: {env} / {region}")),
            tags: Some(tags),
            termination_protection: Some(retain(rs)),
            analytics_reporting: Some(false),
            ..Default::default()
        }),
    )
}

/// The stack's outputs, under the native engine's names.
fn outputs(
    stack: &Stack,
    api: &Api,
    buses: &EventBuses,
    consumer: &aws_cdk_lib::aws_iam::Role,
    repository: &aws_cdk_lib::CfnResource,
    dlqs: &DeadLetterQueues,
    tables: &Tables,
) -> jsii::Result<()> {
    let output = |id: &str, description: &str, value: String| -> jsii::Result<()> {
        CfnOutput::new(
            stack,
            id,
            &CfnOutputProps {
                value: Some(value),
                description: Some(description.into()),
                ..Default::default()
            },
        )?;
        Ok(())
    };
    output("ApiUrl", "Base URL of the REST API stage", api.url()?)?;
    output(
        "EventBusArn",
        "This region's event bus",
        buses.local.event_bus_arn()?,
    )?;
    output(
        "ConsumerRoleArn",
        "IRSA role of the CDC consumer",
        consumer.role_arn()?,
    )?;
    output(
        "ConsumerImageRepositoryUri",
        "Where the promotion workflow pushes the CDC consumer image and the overlay pulls it",
        repository.get_att("RepositoryUri", None)?.to_string()?,
    )?;
    output(
        "CdcDlqUrl",
        "Dead-letter queue of the CDC consumer",
        dlqs.cdc.queue_url()?,
    )?;
    output(
        "CdcTableName",
        "Sink table of the CDC consumer",
        tables.cdc_state.table_name()?,
    )?;
    Ok(())
}

/// Whether the stack's stores and logs survive its deletion (`removal_policy: retain`).
fn retain(rs: &RegionalSpec) -> bool {
    rs.spec.removal_policy == SpecRemoval::Retain
}

fn removal(rs: &RegionalSpec) -> RemovalPolicy {
    if retain(rs) {
        RemovalPolicy::Retain
    } else {
        RemovalPolicy::Destroy
    }
}

/// CloudWatch Logs' retention values; the spec validates `log_retention_days` against the
/// same list, so any other value is a bug upstream: it panics rather than silently becoming
/// "never expire".
fn retention(days: u32) -> RetentionDays {
    match days {
        1 => RetentionDays::OneDay,
        3 => RetentionDays::ThreeDays,
        5 => RetentionDays::FiveDays,
        7 => RetentionDays::OneWeek,
        14 => RetentionDays::TwoWeeks,
        30 => RetentionDays::OneMonth,
        60 => RetentionDays::TwoMonths,
        90 => RetentionDays::ThreeMonths,
        120 => RetentionDays::FourMonths,
        150 => RetentionDays::FiveMonths,
        180 => RetentionDays::SixMonths,
        365 => RetentionDays::OneYear,
        400 => RetentionDays::ThirteenMonths,
        545 => RetentionDays::EighteenMonths,
        731 => RetentionDays::TwoYears,
        1096 => RetentionDays::ThreeYears,
        1827 => RetentionDays::FiveYears,
        2192 => RetentionDays::SixYears,
        2557 => RetentionDays::SevenYears,
        2922 => RetentionDays::EightYears,
        3288 => RetentionDays::NineYears,
        3653 => RetentionDays::TenYears,
        other => unreachable!("log_retention_days {other} passed spec validation"),
    }
}

fn service(name: &str) -> jsii::Result<IPrincipal> {
    Ok(ServicePrincipal::new(name, None)?.upcast())
}

fn statement(props: &PolicyStatementProps) -> jsii::Result<PolicyStatement> {
    PolicyStatement::new(Some(props))
}
