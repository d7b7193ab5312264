//! The EventBridge rules and their targets (native: `platform/rules.rs`): transform, route,
//! the health schedule and the cross-region forward. The L2 `LambdaFunction` target adds the
//! invoke permission and the DLQ's queue-policy statement that the native engine writes as
//! separate resources; the `EventBus` target grants `PutEvents` on the peer bus to the role.

use aws_cdk_lib::aws_events::{EventPattern, IRuleTarget, Match, Rule, RuleProps, Schedule};
use aws_cdk_lib::aws_events_targets::{
    EventBus as BusTarget, EventBusProps as BusTargetProps, LambdaFunction, LambdaFunctionProps,
};
use aws_cdk_lib::aws_iam::{Role, RoleProps};
use aws_cdk_lib::aws_lambda::Function;
use aws_cdk_lib::aws_sqs::Queue;
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{Duration, Stack};
use serde_json::json;

use super::bus::EventBuses;
use super::functions::Functions;
use super::queues::DeadLetterQueues;
use super::service;
use crate::platform::Names;
use crate::spec::RegionalSpec;

/// Same as native: EventBridge retries a failing target four times within two hours.
const TARGET_RETRIES: f64 = 4.0;
const TARGET_MAX_AGE_HOURS: f64 = 2.0;

pub struct Routing;

impl Routing {
    pub fn new(
        stack: &Stack,
        rs: &RegionalSpec,
        names: &Names,
        buses: &EventBuses,
        dlqs: &DeadLetterQueues,
        functions: &Functions,
    ) -> jsii::Result<Routing> {
        let dlq = &dlqs.events;
        rule(
            stack,
            "TransformRule",
            names.scoped("transform"),
            "Route by detail-type to event-transformer",
            Some(buses),
            Trigger::Pattern(Box::new(EventPattern {
                detail_type: Some(rs.spec.routing.detail_types.clone()),
                // The transformer's own output never loops back into it.
                source: Some(Match::anything_but(&[json!(
                    platform_contract::EVENT_TRANSFORMER_SOURCE
                )])?),
                ..Default::default()
            })),
            lambda_target(&functions.event_transformer, Some(dlq), TARGET_RETRIES)?,
        )?;
        rule(
            stack,
            "RouteRule",
            names.scoped("route"),
            "Events needing routing decisions go to event-router",
            Some(buses),
            Trigger::Pattern(Box::new(EventPattern {
                detail_type: Some(vec!["route.request".into()]),
                ..Default::default()
            })),
            lambda_target(&functions.event_router, Some(dlq), TARGET_RETRIES)?,
        )?;
        rule(
            stack,
            "HealthCheckSchedule",
            names.scoped("health-schedule"),
            "Run health-checker on its schedule",
            None,
            Trigger::Schedule(&rs.spec.health.schedule),
            // A missed tick is replaced by the next one: no retries, no DLQ (as native).
            lambda_target(&functions.health_checker, None, 0.0)?,
        )?;
        forward_to_peer(stack, rs, names, buses, dlq)?;
        Ok(Routing)
    }
}

enum Trigger<'a> {
    Pattern(Box<EventPattern>),
    Schedule(&'a str),
}

fn rule(
    stack: &Stack,
    id: &str,
    name: String,
    description: &str,
    buses: Option<&EventBuses>,
    trigger: Trigger<'_>,
    target: IRuleTarget,
) -> jsii::Result<Rule> {
    let (event_pattern, schedule) = match trigger {
        Trigger::Pattern(p) => (Some(*p), None),
        Trigger::Schedule(expression) => (None, Some(Schedule::expression(expression)?)),
    };
    Rule::new(
        stack,
        id,
        Some(&RuleProps {
            rule_name: Some(name),
            description: Some(description.into()),
            event_bus: buses.map(|b| b.local.upcast()),
            event_pattern,
            schedule,
            targets: Some(vec![target]),
            ..Default::default()
        }),
    )
}

fn lambda_target(
    function: &Function,
    dlq: Option<&Queue>,
    retries: f64,
) -> jsii::Result<IRuleTarget> {
    let max_event_age = match dlq {
        Some(_) => Some(Duration::hours(TARGET_MAX_AGE_HOURS)?),
        None => None,
    };
    Ok(LambdaFunction::new(
        function,
        Some(&LambdaFunctionProps {
            dead_letter_queue: dlq.map(|q| q.upcast()),
            retry_attempts: Some(retries),
            max_event_age,
            ..Default::default()
        }),
    )?
    .upcast())
}

/// Locally originated events marked `replicate` go bus-to-bus to the peer region, with a role
/// named as native names it (the `EventBus` target grants it `PutEvents` on the peer bus).
fn forward_to_peer(
    stack: &Stack,
    rs: &RegionalSpec,
    names: &Names,
    buses: &EventBuses,
    dlq: &Queue,
) -> jsii::Result<Rule> {
    let (region, peer) = (&rs.region, &rs.peer_region);
    let role = Role::new(
        stack,
        "CrossRegionForwardRuleRole",
        &RoleProps {
            role_name: Some(names.role("forward")),
            description: Some(format!("EventBridge forwards replicated events to {peer}")),
            assumed_by: Some(service("events.amazonaws.com")?),
            ..Default::default()
        },
    )?;
    let target = BusTarget::new(
        &buses.peer,
        Some(&BusTargetProps {
            dead_letter_queue: Some(dlq.upcast()),
            role: Some(role.upcast()),
        }),
    )?;
    rule(
        stack,
        "CrossRegionForwardRule",
        names.scoped(&format!("forward-to-{peer}")),
        &format!("Forward locally originated replicated events to {peer}"),
        Some(buses),
        Trigger::Pattern(Box::new(EventPattern {
            detail: Some(
                [
                    ("replicate".to_string(), json!([true])),
                    ("originRegion".to_string(), json!([region])),
                ]
                .into(),
            ),
            ..Default::default()
        })),
        target.upcast(),
    )
}
