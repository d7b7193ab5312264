//! The five Lambda functions, each with its own execution role (logs and X-Ray only, until
//! granted more), KMS-encrypted log group, environment from the configuration contract
//! (`function_env.rs`), and a `live` alias on a published version when it has
//! provisioned concurrency. [`Functions::grant_jobs`] gives the router, the transformer and the
//! health checker what their jobs need; the stream processor's and the authorizer's grants
//! come with the constructs they serve (`stream.rs`, `signing_key.rs`).

use std::collections::BTreeMap;

use platform_contract as contract;

use super::api::Api;
use super::bus::EventBuses;
use super::queues::DeadLetterQueues;
use super::signing_key::SigningKey;
use super::tables::Tables;
use super::{Names, PREFIX, function_env, retain};
use crate::assets::SourceHashes;
use crate::construct::grant::{FunctionHandle, KeyHandle};
use crate::construct::*;
use crate::spec::RegionalSpec;

/// Functions EventBridge invokes asynchronously; the rest are invoked synchronously (API
/// Gateway, the stream mapping), where a function DLQ would never receive anything.
const ASYNC_FUNCTIONS: [&str; 3] = ["event-router", "event-transformer", "health-checker"];

/// What the functions use: the key encrypting their environments, the DLQ of the
/// asynchronously invoked ones, and the resources their environments name.
pub struct FunctionDeps<'a> {
    pub key: &'a KeyHandle,
    pub dlqs: &'a DeadLetterQueues,
    pub tables: &'a Tables,
    pub buses: &'a EventBuses,
    pub signing_key: &'a SigningKey,
    pub api: &'a Api,
}

pub struct Functions {
    pub event_router: FunctionHandle,
    pub stream_processor: FunctionHandle,
    pub event_transformer: FunctionHandle,
    pub health_checker: FunctionHandle,
    pub authorizer: FunctionHandle,
}

impl Functions {
    /// Adds every function of `contract::FUNCTION_NAMES`, in that order.
    pub fn new(
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
        assets: &SourceHashes,
        deps: &FunctionDeps<'_>,
    ) -> Result<Functions, ConstructError> {
        let mut built = BTreeMap::new();
        for name in contract::FUNCTION_NAMES {
            built.insert(name, add_function(stack, rs, names, assets, deps, name)?);
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

    /// Each function with its contract name, in `contract::FUNCTION_NAMES` order.
    pub fn all(&self) -> [(&'static str, &FunctionHandle); 5] {
        contract::FUNCTION_NAMES.map(|name| {
            let handle = match name {
                "event-router" => &self.event_router,
                "stream-processor" => &self.stream_processor,
                "event-transformer" => &self.event_transformer,
                "health-checker" => &self.health_checker,
                "authorizer" => &self.authorizer,
                other => unreachable!("{other} is not a platform function"),
            };
            (name, handle)
        })
    }

    /// What the router, the transformer and the health checker need for their jobs.
    pub fn grant_jobs(
        &self,
        stack: &mut Stack,
        tables: &Tables,
        buses: &EventBuses,
        dlqs: &DeadLetterQueues,
    ) {
        // event-router: both buses.
        buses.local.grant_put_events(stack, &self.event_router);
        buses.peer.grant_put_events(stack, &self.event_router);
        // event-transformer: writes the transformed events, forwards them, dead-letters
        // invalid ones (its DLQ grant comes with being invoked asynchronously).
        tables
            .events
            .grant_write_data(stack, &self.event_transformer);
        buses.local.grant_put_events(stack, &self.event_transformer);
        // health-checker: describes its dependencies and stores the latest status.
        let health = &self.health_checker;
        tables.events.grant_describe(stack, health);
        tables.events.grant_write_data(stack, health);
        buses.local.grant_describe(stack, health);
        for q in dlqs.all() {
            q.grant_get_attributes(stack, health);
        }
    }
}

/// One function: log group, role, the function, its key and DLQ grants, its alias.
fn add_function(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    assets: &SourceHashes,
    deps: &FunctionDeps<'_>,
    name: &str,
) -> Result<FunctionHandle, ConstructError> {
    let settings = &rs.spec.functions[name];
    let log_group = stack.add(
        &[name, "Logs"],
        ResourceKind::LogGroup(LogGroup {
            name: format!("/aws/lambda/{}", names.function(name)),
            retention_days: settings.log_retention_days,
            kms_key: deps.key.id.clone(),
        }),
        retain(rs),
    )?;
    let role = stack.add(
        &[name, "Role"],
        ResourceKind::Role(Role {
            name: names.role(name),
            description: format!("Execution role of {}", names.function(name)),
            assumed_by: Principal::Service("lambda.amazonaws.com".into()),
            trust_conditions: Vec::new(),
            web_identity: false,
            statements: vec![
                Statement::allow(
                    &["logs:CreateLogStream", "logs:PutLogEvents"],
                    [Value::arn(&log_group)],
                ),
                // X-Ray has no resource-level permissions: these two actions need `*`.
                Statement::allow(
                    &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                    [Value::str("*")],
                ),
            ],
        }),
        false,
    )?;
    let mut environment = function_env::contract_environment(name, rs, names, deps);
    environment.extend(
        settings
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), Value::str(v.clone()))),
    );
    let async_invoked = ASYNC_FUNCTIONS.contains(&name);
    let id = stack.add(
        &[name],
        ResourceKind::Function(Function {
            name: names.function(name),
            description: format!("{PREFIX} {name} ({})", rs.env),
            role: role.clone(),
            architecture: settings.architecture.as_str(),
            memory_mb: settings.memory_mb,
            timeout_seconds: settings.timeout_seconds,
            reserved_concurrency: settings.reserved_concurrency,
            environment,
            kms_key: deps.key.id.clone(),
            code: assets.function_asset(name, settings.architecture.as_str()),
            log_group,
            dead_letter_queue: async_invoked.then(|| deps.dlqs.events.id.clone()),
        }),
        false,
    )?;
    let handle = FunctionHandle {
        id,
        role,
        name: names.function(name),
    };
    deps.key.grant_decrypt(stack, &handle); // environment variables are encrypted with the key
    if async_invoked {
        deps.dlqs.events.grant_send(stack, &handle);
    }
    if settings.provisioned_concurrency > 0 {
        add_live_alias(stack, name, &handle, settings.provisioned_concurrency)?;
    }
    Ok(handle)
}

/// Provisioned concurrency needs a published version; `live` points at it.
fn add_live_alias(
    stack: &mut Stack,
    name: &str,
    function: &FunctionHandle,
    provisioned_concurrency: u32,
) -> Result<(), ConstructError> {
    let version = stack.add(
        &[name, "Version"],
        ResourceKind::FunctionVersion(FunctionVersion {
            function: function.id.clone(),
        }),
        false,
    )?;
    stack.add(
        &[name, "Live"],
        ResourceKind::FunctionAlias(FunctionAlias {
            name: "live".into(),
            function: function.id.clone(),
            version,
            provisioned_concurrency,
        }),
        false,
    )?;
    Ok(())
}
