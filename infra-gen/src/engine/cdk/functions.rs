//! The five functions (native: `platform/functions.rs`): each with its own role (named as the
//! native engine names it, so the oracle pairs principals), an encrypted log group the role may
//! write to, settings, the data key's decrypt grant, the events DLQ for the asynchronously
//! invoked ones, and a `live` alias with provisioned concurrency where the spec asks.
//!
//! The role is ours, not the L2's default: the default attaches the managed
//! `AWSLambdaBasicExecutionRole` (log actions on every log group), where ours may write only
//! to the function's own group. X-Ray's statement is added by the L2 itself (`tracing`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_cdk_lib::aws_iam::{Grant, GrantOnPrincipalOptions, Role, RoleProps};
use aws_cdk_lib::aws_kms::Key;
use aws_cdk_lib::aws_lambda::{
    Alias, AliasProps, Architecture as CdkArchitecture, Code, Function, FunctionProps,
    LoggingFormat, Runtime, Tracing, Version, VersionProps,
};
use aws_cdk_lib::aws_logs::{LogGroup, LogGroupProps};
use aws_cdk_lib::runtime::{self as rt, Upcast as _};
use aws_cdk_lib::{Duration, Stack, prelude::*};
use platform_contract as contract;
use serde_json::json;

use super::api::Api;
use super::bus::EventBuses;
use super::queues::DeadLetterQueues;
use super::signing_key::SigningKey;
use super::tables::Tables;
use super::{function_env, removal, retention, service};
use crate::assets::SourceHashes;
use crate::construct::pascal_case;
use crate::platform::{Names, PREFIX};
use crate::spec::{Architecture, RegionalSpec};

/// Invoked asynchronously (EventBridge), so a function DLQ applies: as native.
const ASYNC_FUNCTIONS: [&str; 3] = ["event-router", "event-transformer", "health-checker"];

pub struct FunctionDeps<'a> {
    pub key: &'a Key,
    pub dlqs: &'a DeadLetterQueues,
    pub tables: &'a Tables,
    pub buses: &'a EventBuses,
    pub signing_key: &'a SigningKey,
    pub api: &'a Api,
}

pub struct Functions {
    pub event_router: Function,
    pub stream_processor: Function,
    pub event_transformer: Function,
    pub health_checker: Function,
    pub authorizer: Function,
}

/// Where a function's zip is: `<asset dir>/<function>-<hash>.zip`, the name `infra-gen
/// package` writes and the native assembly references.
pub fn asset_path(
    asset_dir: &Path,
    assets: &SourceHashes,
    rs: &RegionalSpec,
    name: &str,
) -> PathBuf {
    let architecture = rs.spec.functions[name].architecture.as_str();
    asset_dir.join(assets.function_asset(name, architecture).file_name(name))
}

impl Functions {
    pub fn new(
        stack: &Stack,
        rs: &RegionalSpec,
        names: &Names,
        code: &dyn Fn(&str) -> PathBuf,
        assets: &SourceHashes,
        deps: &FunctionDeps<'_>,
    ) -> jsii::Result<Functions> {
        let mut built = BTreeMap::new();
        for name in contract::FUNCTION_NAMES {
            built.insert(
                name,
                add_function(stack, rs, names, code, assets, deps, name)?,
            );
        }
        let mut take = |name: &str| {
            built
                .remove(name)
                .expect("contract::FUNCTION_NAMES lists every platform function")
        };
        Ok(Functions {
            event_router: take("event-router"),
            stream_processor: take("stream-processor"),
            event_transformer: take("event-transformer"),
            health_checker: take("health-checker"),
            authorizer: take("authorizer"),
        })
    }

    pub fn all(&self) -> [(&'static str, &Function); 5] {
        [
            ("event-router", &self.event_router),
            ("stream-processor", &self.stream_processor),
            ("event-transformer", &self.event_transformer),
            ("health-checker", &self.health_checker),
            ("authorizer", &self.authorizer),
        ]
    }

    /// The functions' data grants, through the L2s' own grant methods where they have one.
    pub fn grant_jobs(
        &self,
        tables: &Tables,
        buses: &EventBuses,
        dlqs: &DeadLetterQueues,
    ) -> jsii::Result<()> {
        buses.local.grant_put_events_to(&self.event_router, None)?;
        buses.peer.grant_put_events_to(&self.event_router, None)?;
        tables.events.grant_write_data(&self.event_transformer)?;
        buses
            .local
            .grant_put_events_to(&self.event_transformer, None)?;
        let health = &self.health_checker;
        tables
            .events
            .grant(health, &["dynamodb:DescribeTable".to_string()])?;
        tables.events.grant_write_data(health)?;
        // The bus L2 grants only PutEvents; DescribeEventBus goes through `Grant` directly.
        Grant::add_to_principal(&GrantOnPrincipalOptions {
            grantee: Some(health.upcast()),
            actions: Some(vec!["events:DescribeEventBus".into()]),
            resource_arns: Some(vec![buses.local.event_bus_arn()?]),
            ..Default::default()
        })?;
        for (_, q) in dlqs.all() {
            q.grant(health, &["sqs:GetQueueAttributes".to_string()])?;
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn add_function(
    stack: &Stack,
    rs: &RegionalSpec,
    names: &Names,
    code: &dyn Fn(&str) -> PathBuf,
    assets: &SourceHashes,
    deps: &FunctionDeps<'_>,
    name: &str,
) -> jsii::Result<Function> {
    let settings = &rs.spec.functions[name];
    let id = pascal_case(name);
    let log_group = LogGroup::new(
        stack,
        &format!("{id}Logs"),
        Some(&LogGroupProps {
            log_group_name: Some(format!("/aws/lambda/{}", names.function(name))),
            retention: Some(retention(settings.log_retention_days)),
            encryption_key: Some(deps.key.upcast()),
            removal_policy: Some(removal(rs)),
            ..Default::default()
        }),
    )?;
    let role = Role::new(
        stack,
        &format!("{id}Role"),
        &RoleProps {
            role_name: Some(names.role(name)),
            description: Some(format!("Execution role of {}", names.function(name))),
            assumed_by: Some(service("lambda.amazonaws.com")?),
            ..Default::default()
        },
    )?;
    log_group.grant_write(&role)?;
    let environment = function_env::contract_environment(name, rs, names, deps)?
        .into_iter()
        .chain(
            settings
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        )
        .collect();
    let architecture = match settings.architecture {
        Architecture::Arm64 => CdkArchitecture::arm_64()?,
        Architecture::X86_64 => CdkArchitecture::x86_64()?,
    };
    let async_invoked = ASYNC_FUNCTIONS.contains(&name);
    let function = Function::new(
        stack,
        &id,
        &FunctionProps {
            function_name: Some(names.function(name)),
            description: Some(format!("{PREFIX} {name} ({})", rs.env)),
            role: Some(role.upcast()),
            runtime: Some(Runtime::provided_al2023()?),
            handler: Some("bootstrap".into()),
            code: Some(zip_asset(
                &code(name),
                &assets
                    .function_asset(name, settings.architecture.as_str())
                    .hash,
            )?),
            architecture: Some(architecture),
            memory_size: Some(f64::from(settings.memory_mb)),
            timeout: Some(Duration::seconds(f64::from(settings.timeout_seconds))?),
            reserved_concurrent_executions: settings.reserved_concurrency.map(f64::from),
            environment: Some(environment),
            environment_encryption: Some(deps.key.upcast()),
            tracing: Some(Tracing::Active),
            logging_format: Some(LoggingFormat::Json),
            log_group: Some(log_group.upcast()),
            dead_letter_queue: async_invoked.then(|| deps.dlqs.events.upcast()),
            ..Default::default()
        },
    )?;
    // The environment is encrypted with the data key; the L2 does not grant its use.
    deps.key.grant_decrypt(&function)?;
    if async_invoked {
        // The L2's DLQ grant is `sqs:SendMessage` alone, but the queue is KMS-encrypted:
        // without the key, Lambda cannot deliver a failed event (the oracle found this).
        // `grantSendMessages` adds the key, as native's `grant_send` does.
        deps.dlqs.events.grant_send_messages(&function)?;
    }
    if settings.provisioned_concurrency > 0 {
        let version = Version::new(
            stack,
            &format!("{id}Version"),
            &VersionProps {
                lambda: Some(function.upcast()),
                ..Default::default()
            },
        )?;
        Alias::new(
            stack,
            &format!("{id}Live"),
            &AliasProps {
                alias_name: Some("live".into()),
                version: Some(version.upcast()),
                provisioned_concurrent_executions: Some(f64::from(
                    settings.provisioned_concurrency,
                )),
                ..Default::default()
            },
        )?;
    }
    Ok(function)
}

/// `Code.fromAsset(zip, { assetHash, assetHashType: CUSTOM })`: the bindings leave
/// `fromAsset` out (its options type lives in `aws_s3_assets`, outside the generated subset),
/// so it is called through the runtime's untyped static invoke. The hash is the native
/// engine's source hash (CDK hashes it once more to name the object), so an unchanged
/// function is not uploaded again.
fn zip_asset(path: &Path, hash: &str) -> jsii::Result<Code> {
    rt::from_wire(rt::sinvoke(
        "aws-cdk-lib.aws_lambda.Code",
        "fromAsset",
        vec![
            json!(path.to_string_lossy()),
            json!({
                "assetHash": hash,
                "assetHashType": rt::wire_enum("aws-cdk-lib.AssetHashType", "CUSTOM"),
            }),
        ],
    )?)
}
