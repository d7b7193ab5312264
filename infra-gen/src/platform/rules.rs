//! The EventBridge rules on the local bus: detail-types to event-transformer (except what it
//! forwarded itself, which keeps its detail-type), routing requests
//! to event-router, the health-checker schedule, and the forwarding of locally originated
//! replicated events to the peer region's bus (with a role of its own). Each Lambda target
//! comes with the permission that lets EventBridge invoke it.

use serde_json::json;

use super::Names;
use super::bus::EventBuses;
use super::functions::Functions;
use super::queues::DeadLetterQueues;
use crate::construct::grant::{FunctionHandle, QueueHandle, RoleHandle};
use crate::construct::*;
use crate::spec::RegionalSpec;

/// The rules, as the dead-letter queue's policy needs them.
pub struct Routing {
    /// The rules that dead-letter into `EventsDlq`.
    pub dead_letter_sources: Vec<LogicalId>,
}

impl Routing {
    pub fn new(
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
        buses: &EventBuses,
        dlqs: &DeadLetterQueues,
        functions: &Functions,
    ) -> Result<Routing, ConstructError> {
        let bus = &buses.local.id;
        let dlq = &dlqs.events;
        let transformer = &functions.event_transformer;
        let transform = lambda_rule(
            stack,
            "TransformRule",
            Rule {
                name: names.scoped("transform"),
                description: "Route by detail-type to event-transformer".into(),
                bus: Some(bus.clone()),
                trigger: RuleTrigger::Pattern(transform_pattern(&rs.spec.routing.detail_types)),
                targets: vec![lambda_target(transformer, Some(dlq), 4, Some(7200))],
            },
            transformer,
        )?;
        let router = &functions.event_router;
        let route = lambda_rule(
            stack,
            "RouteRule",
            Rule {
                name: names.scoped("route"),
                description: "Events needing routing decisions go to event-router".into(),
                bus: Some(bus.clone()),
                trigger: RuleTrigger::Pattern(json!({ "detail-type": ["route.request"] })),
                targets: vec![lambda_target(router, Some(dlq), 4, Some(7200))],
            },
            router,
        )?;
        let health = &functions.health_checker;
        lambda_rule(
            stack,
            "HealthCheckSchedule",
            Rule {
                name: names.scoped("health-schedule"),
                description: "Run health-checker on its schedule".into(),
                bus: None,
                trigger: RuleTrigger::Schedule(rs.spec.health.schedule.clone()),
                targets: vec![lambda_target(health, None, 0, None)],
            },
            health,
        )?;
        let forward = forward_to_peer(stack, rs, names, buses, dlq)?;
        Ok(Routing {
            dead_letter_sources: vec![transform, route, forward],
        })
    }
}

/// The transform rule's pattern: the routed detail-types from any source but the transformer.
/// The transformer forwards each event on this bus with the detail-type it arrived with, so
/// without the exclusion every forwarded event would be delivered back to it.
fn transform_pattern(detail_types: &[String]) -> serde_json::Value {
    json!({
        "detail-type": detail_types,
        "source": [{ "anything-but": [platform_contract::EVENT_TRANSFORMER_SOURCE] }],
    })
}

/// A rule invoking `function`, and the permission for EventBridge to do so from that rule.
fn lambda_rule(
    stack: &mut Stack,
    path: &str,
    rule: Rule,
    function: &FunctionHandle,
) -> Result<LogicalId, ConstructError> {
    let rule_id = stack.add(&[path], ResourceKind::Rule(rule), false)?;
    stack.add(
        &[path, "Permission"],
        ResourceKind::LambdaPermission(LambdaPermission {
            function: function.id.clone(),
            principal: "events.amazonaws.com".into(),
            source_arn: Value::arn(&rule_id),
        }),
        false,
    )?;
    Ok(rule_id)
}

fn lambda_target(
    function: &FunctionHandle,
    dlq: Option<&QueueHandle>,
    retries: u32,
    max_age: Option<u32>,
) -> RuleTarget {
    RuleTarget {
        id: pascal_case(&function.name),
        arn: Value::arn(&function.id),
        role: None,
        dead_letter_queue: dlq.map(|q| q.id.clone()),
        max_retries: Some(retries),
        max_event_age_seconds: max_age,
    }
}

/// Locally originated replicated events go to the peer region's bus, with a role that may put
/// events there and nowhere else.
fn forward_to_peer(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    buses: &EventBuses,
    dlq: &QueueHandle,
) -> Result<LogicalId, ConstructError> {
    let (region, peer) = (&rs.region, &rs.peer_region);
    let role = stack.add(
        &["CrossRegionForwardRule", "Role"],
        ResourceKind::Role(Role {
            name: names.role("forward"),
            description: format!("EventBridge forwards replicated events to {peer}"),
            assumed_by: Principal::Service("events.amazonaws.com".into()),
            trust_conditions: Vec::new(),
            web_identity: false,
            statements: Vec::new(),
        }),
        false,
    )?;
    buses
        .peer
        .grant_put_events(stack, &RoleHandle { id: role.clone() });
    stack.add(
        &["CrossRegionForwardRule"],
        ResourceKind::Rule(Rule {
            name: names.scoped(&format!("forward-to-{peer}")),
            description: format!("Forward locally originated replicated events to {peer}"),
            bus: Some(buses.local.id.clone()),
            trigger: RuleTrigger::Pattern(
                json!({ "detail": { "replicate": [true], "originRegion": [region] } }),
            ),
            targets: vec![RuleTarget {
                id: "PeerBus".into(),
                arn: Value::str(buses.peer.arn.clone()),
                role: Some(role),
                dead_letter_queue: Some(dlq.id.clone()),
                max_retries: None,
                max_event_age_seconds: None,
            }],
        }),
        false,
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::assets::SourceHashes;
    use crate::platform::build_stack;

    fn repo_root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    /// Every environment and region of the repository's specs, as synth resolves them.
    fn regions() -> Vec<RegionalSpec> {
        crate::spec::load_dir(&repo_root().join("environments"))
            .unwrap()
            .into_iter()
            .flat_map(|env| env.regions)
            .collect()
    }

    /// The detail-types that have a schema: the directories of event-transformer's `schemas/`
    /// holding a `v1.json` (what an event without `schemaVersion` is validated against). The
    /// transformer compiles in exactly these files (its own test checks that).
    fn schema_detail_types() -> Vec<String> {
        let dir = repo_root().join("functions/event-transformer/schemas");
        let mut found: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.join("v1.json").is_file())
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        found.sort();
        found
    }

    #[test]
    fn every_routed_detail_type_has_a_transformer_schema() {
        let schemas = schema_detail_types();
        assert!(!schemas.is_empty(), "no schemas found");
        for rs in regions() {
            for detail_type in &rs.spec.routing.detail_types {
                assert!(
                    schemas.contains(detail_type),
                    "{}/{}: routing.detail_types routes `{detail_type}` to event-transformer, \
                     which has no schema for it (it has {schemas:?}), so every such event \
                     would be dead-lettered",
                    rs.env,
                    rs.region
                );
            }
        }
    }

    #[test]
    fn the_transform_rule_routes_the_spec_s_types_but_not_the_transformer_s_output() {
        for rs in regions() {
            let stack = build_stack(&rs, &SourceHashes::default()).unwrap();
            let pattern = stack
                .resources
                .iter()
                .find_map(|r| match &r.kind {
                    ResourceKind::Rule(rule) if r.id.as_str() == "TransformRule" => {
                        Some(rule.trigger.clone())
                    }
                    _ => None,
                })
                .expect("a TransformRule");
            assert_eq!(
                pattern,
                RuleTrigger::Pattern(json!({
                    "detail-type": rs.spec.routing.detail_types,
                    "source": [{"anything-but": ["platform.event-transformer"]}],
                })),
                "{}/{}",
                rs.env,
                rs.region
            );
        }
    }
}
