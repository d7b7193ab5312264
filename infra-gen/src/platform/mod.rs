//! The event platform, as constructs: one stack per environment and region, built from that
//! region's resolved spec. This folder is the only place that knows what the platform is made
//! of; the renderers only know how to write resources.
//!
//! Each construct file is a CDK-style L3 construct: it takes the stack, the regional spec and
//! the typed handles of the constructs it depends on, adds its resources and grants, and
//! returns the handles later ones need. [`build_stack`] calls them in dependency order. That
//! order is part of the output (resources render in the order they were added, a role's
//! statements in the order they were granted), so moving a step changes `generated/`.
//! `names.rs` is the one source of resource names; `function_env.rs` maps the configuration
//! contract onto the functions.

mod alarms;
mod api;
mod bus;
mod consumer;
mod dashboard;
mod dns;
mod function_env;
mod functions;
mod key;
mod names;
mod queues;
mod registry;
mod rules;
mod signing_key;
mod stream;
mod tables;

pub use consumer::{CONSUMER_SERVICE_ACCOUNT, consumer_environment};
pub use names::Names;
pub use registry::{KEEP_IMAGES, lifecycle_policy};

use crate::assets::SourceHashes;
use crate::construct::grant::RoleHandle;
use crate::construct::{App, Attr, ConstructError, Stack, Stage, Value};
use crate::spec::{Environment, RegionalSpec, RemovalPolicy};

use api::Api;
use bus::EventBuses;
use functions::{FunctionDeps, Functions};
use queues::DeadLetterQueues;
use rules::Routing;
use signing_key::SigningKey;
use tables::Tables;

/// Every resource name starts with this.
pub const PREFIX: &str = "infra-gen";

pub fn build_app(
    environments: &[Environment],
    assets: &SourceHashes,
) -> Result<App, ConstructError> {
    let mut app = App::default();
    for env in environments {
        let stacks = env
            .regions
            .iter()
            .map(|r| build_stack(r, assets))
            .collect::<Result<Vec<_>, _>>()?;
        app.stages.push(Stage {
            env: env.name.clone(),
            stacks,
        });
    }
    Ok(app)
}

/// One environment in one region: the constructs, each on the handles of those before it.
pub fn build_stack(rs: &RegionalSpec, assets: &SourceHashes) -> Result<Stack, ConstructError> {
    let names = Names::new(rs);
    let mut stack = new_stack(rs, &names);
    let s = &mut stack;

    let key = key::data_key(s, rs)?;
    let dlqs = DeadLetterQueues::new(s, rs, &names, &key)?;
    let tables = Tables::new(s, rs, &names, &key)?;
    let buses = EventBuses::new(s, rs, &names)?;
    let signing_key = SigningKey::new(s, rs, &key)?;
    // The API comes before the functions: the authorizer's policy names it.
    let api = Api::new(s, rs, &names)?;
    let deps = FunctionDeps {
        key: &key,
        dlqs: &dlqs,
        tables: &tables,
        buses: &buses,
        signing_key: &signing_key,
        api: &api,
    };
    let functions = Functions::new(s, rs, &names, assets, &deps)?;
    functions.grant_jobs(s, &tables, &buses, &dlqs);
    stream::stream_mapping(s, rs, &tables, &dlqs, &buses, &functions.stream_processor)?;
    signing_key.grant_only_to_authorizer(s, &names, &functions.authorizer)?;
    let routing = Routing::new(s, rs, &names, &buses, &dlqs, &functions)?;
    dlqs.add_policies(s, &routing.dead_letter_sources)?;
    let stage = api.add_health_route(s, rs, &names, &key, &functions)?;
    dns::dns(s, rs, &names, &api, &stage)?;
    let consumer = consumer::consumer_role(s, rs, &names, &tables, &dlqs, &buses)?;
    let repository = registry::consumer_repository(s, rs, &names, &key)?;
    alarms::alarms(s, rs, &names, &dlqs, &functions)?;
    dashboard::dashboard(s, rs, &names, &dlqs, &functions)?;
    outputs(s, rs, &api, &buses, &consumer, &repository, &dlqs, &tables);

    stack.check_references()?;
    Ok(stack)
}

/// Whether the stack's stores and logs survive its deletion (`removal_policy: retain`).
fn retain(rs: &RegionalSpec) -> bool {
    rs.spec.removal_policy == RemovalPolicy::Retain
}

/// The empty stack, tagged with the project, the environment and the spec's tags (which may
/// not override those two).
fn new_stack(rs: &RegionalSpec, names: &Names) -> Stack {
    let (env, region) = (rs.env.as_str(), rs.region.as_str());
    let mut stack = Stack::new(
        names.stack(),
        env,
        region,
        &rs.spec.account,
        format!("{PREFIX} event platform: {env} / {region}"),
    );
    stack.tags.push(("project".into(), PREFIX.into()));
    stack.tags.push(("environment".into(), env.into()));
    for (k, v) in &rs.spec.tags {
        if k != "project" && k != "environment" {
            stack.tags.push((k.clone(), v.clone()));
        }
    }
    stack
}

/// The stack's outputs.
#[allow(clippy::too_many_arguments)]
fn outputs(
    stack: &mut Stack,
    rs: &RegionalSpec,
    api: &Api,
    buses: &EventBuses,
    consumer: &RoleHandle,
    repository: &registry::ImageRepositoryHandle,
    dlqs: &DeadLetterQueues,
    tables: &Tables,
) {
    stack.output("ApiUrl", "Base URL of the REST API stage", api.url(rs));
    stack.output(
        "EventBusArn",
        "This region's event bus",
        Value::arn(&buses.local.id),
    );
    stack.output(
        "ConsumerRoleArn",
        "IRSA role of the CDC consumer",
        Value::arn(&consumer.id),
    );
    stack.output(
        "ConsumerImageRepositoryUri",
        "Where the promotion workflow pushes the CDC consumer image and the overlay pulls it",
        Value::attr(&repository.id, Attr::Url),
    );
    stack.output(
        "CdcDlqUrl",
        "Dead-letter queue of the CDC consumer",
        Value::attr(&dlqs.cdc.id, Attr::Url),
    );
    stack.output(
        "CdcTableName",
        "Sink table of the CDC consumer",
        Value::attr(&tables.cdc_state.id, Attr::Name),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::construct::*;
    use crate::spec::{Environment, SourceFile, resolve};
    use platform_contract as contract;

    fn environments() -> Vec<Environment> {
        let file = |name: &str, text: &str| SourceFile {
            display_path: format!("environments/{name}"),
            text: text.to_string(),
        };
        resolve(
            &file(
                "defaults.yaml",
                include_str!("../../../environments/defaults.yaml"),
            ),
            &[
                file("dev.yaml", include_str!("../../../environments/dev.yaml")),
                file("prod.yaml", include_str!("../../../environments/prod.yaml")),
            ],
        )
        .unwrap()
    }

    fn ids(stack: &Stack) -> Vec<String> {
        stack.resources.iter().map(|r| r.id.to_string()).collect()
    }

    #[test]
    fn every_function_gets_its_whole_required_contract() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            for r in &stack.resources {
                let ResourceKind::Function(f) = &r.kind else {
                    continue;
                };
                let program = f
                    .name
                    .trim_start_matches(&format!("{PREFIX}-{}-", stack.env));
                let contract = contract::env_contract(program)
                    .unwrap_or_else(|| panic!("no contract for {program}"));
                let set: Vec<&str> = f.environment.iter().map(|(k, _)| k.as_str()).collect();
                for var in contract.iter().filter(|v| v.required) {
                    assert!(
                        set.contains(&var.name),
                        "{}: {program} lacks required {}",
                        stack.name,
                        var.name
                    );
                }
                for name in &set {
                    assert!(
                        contract.iter().any(|v| v.name == *name),
                        "{}: {program} sets {name}, which is not in its contract",
                        stack.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_consumer_environment_is_its_contract() {
        for env in environments() {
            for rs in &env.regions {
                let set: Vec<&str> = consumer_environment(rs).iter().map(|(k, _)| *k).collect();
                for var in contract::CONSUMER_ENV {
                    assert!(
                        !var.required || set.contains(&var.name),
                        "consumer lacks {}",
                        var.name
                    );
                }
                assert!(
                    set.iter()
                        .all(|n| contract::CONSUMER_ENV.iter().any(|v| v.name == *n))
                );
            }
        }
    }

    #[test]
    fn tombstones_live_as_long_as_the_spec_says_and_expire_by_the_tables_ttl() {
        for env in environments() {
            for rs in &env.regions {
                let environment = consumer_environment(rs);
                let ttl = environment
                    .iter()
                    .find(|(name, _)| *name == contract::CDC_TOMBSTONE_TTL_SECONDS)
                    .map(|(_, value)| value.parse::<u64>().unwrap());
                let days = u64::from(rs.spec.consumer.tombstone_ttl_days);
                assert_eq!(ttl, Some(days * 24 * 3600), "{}", rs.region);
                assert!(contract::CDC_TOMBSTONE_TTL_RANGE.contains(&(days * 24 * 3600)));
                let stack = build_stack(rs, &SourceHashes::default()).unwrap();
                let ttl_attribute = stack.resources.iter().find_map(|r| match &r.kind {
                    ResourceKind::Table(t) if t.name == Names::new(rs).cdc_table() => {
                        Some(t.ttl_attribute.clone())
                    }
                    _ => None,
                });
                assert_eq!(
                    ttl_attribute,
                    Some(Some(contract::CDC_EXPIRY_ATTRIBUTE.to_string()))
                );
            }
        }
    }

    #[test]
    fn adding_constructs_renames_nothing() {
        let envs = environments();
        let dev = &envs[0].regions[0];
        let mut with_alias = dev.clone();
        with_alias
            .spec
            .functions
            .get_mut("stream-processor")
            .unwrap()
            .provisioned_concurrency = 1;
        let before = ids(&build_stack(dev, &SourceHashes::default()).unwrap());
        let after = ids(&build_stack(&with_alias, &SourceHashes::default()).unwrap());
        let added: Vec<_> = after.iter().filter(|id| !before.contains(id)).collect();
        assert_eq!(added, ["StreamProcessorVersion", "StreamProcessorLive"]);
        assert!(before.iter().all(|id| after.contains(id)));
    }

    #[test]
    fn no_role_grants_a_wildcard_action_and_wildcard_resources_are_only_xray() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            for r in &stack.resources {
                let ResourceKind::Role(role) = &r.kind else {
                    continue;
                };
                for s in &role.statements {
                    assert!(
                        s.actions.iter().all(|a| !a.ends_with('*')),
                        "{}: {:?}",
                        role.name,
                        s.actions
                    );
                    if s.resources.contains(&Value::str("*")) {
                        assert!(
                            s.actions.iter().all(|a| a.starts_with("xray:")),
                            "{}: {:?}",
                            role.name,
                            s.actions
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_authorizer_can_read_the_signing_key() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            let readers: Vec<&str> = stack
                .resources
                .iter()
                .filter_map(|r| match &r.kind {
                    ResourceKind::Role(role)
                        if role.statements.iter().any(|s| {
                            s.actions
                                .iter()
                                .any(|a| a == "secretsmanager:GetSecretValue")
                        }) =>
                    {
                        Some(role.name.as_str())
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                readers,
                [format!(
                    "infra-gen-{}-{}-authorizer",
                    stack.env, stack.region
                )]
            );
        }
    }
    #[test]
    fn api_gateway_may_invoke_a_function_only_from_the_authorizer_or_method_that_calls_it() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            for r in &stack.resources {
                let ResourceKind::LambdaPermission(p) = &r.kind else {
                    continue;
                };
                if p.principal != "apigateway.amazonaws.com" {
                    continue;
                }
                let Value::Join(parts) = &p.source_arn else {
                    panic!(
                        "{}: source ARN {:?} is not an execute-api ARN",
                        r.id, p.source_arn
                    );
                };
                let text: String = parts
                    .iter()
                    .filter_map(|v| match v {
                        Value::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect();
                assert!(!text.contains('*'), "{}: wildcard source ARN {text}", r.id);
                let invoker = stack.resources.iter().find(|other| match &other.kind {
                    ResourceKind::ApiAuthorizer(a) => {
                        a.function == p.function
                            && parts.contains(&Value::attr(&other.id, Attr::Name))
                    }
                    ResourceKind::ApiMethod(m) => m.function == p.function,
                    _ => false,
                });
                assert!(
                    invoker.is_some(),
                    "{}: no authorizer or method of the stack invokes {} from {text}",
                    r.id,
                    p.function
                );
            }
        }
    }
}
