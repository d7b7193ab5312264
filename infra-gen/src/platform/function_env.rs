//! Each function's configuration contract as template values: the `platform-contract` variable
//! names, set from the spec and from the handles of the resources the function uses. A test
//! checks that every required variable of each program's contract is set and nothing else.

use platform_contract as contract;

use super::Names;
use super::functions::FunctionDeps;
use crate::construct::*;
use crate::spec::RegionalSpec;

type Env = Vec<(&'static str, Value)>;

/// The contract variables of `function` (the spec's free-form `environment` comes on top).
pub fn contract_environment(
    function: &str,
    rs: &RegionalSpec,
    names: &Names,
    deps: &FunctionDeps<'_>,
) -> Vec<(String, Value)> {
    let mut env: Env = vec![
        (contract::STAGE, Value::str(rs.env.clone())),
        (contract::LOG_LEVEL, rs.spec.log_level.as_str().into()),
    ];
    match function {
        "event-router" => event_router(&mut env, rs, deps),
        "stream-processor" => env.extend([
            (contract::EVENT_BUS_NAME, bus_name(deps)),
            (contract::EVENTS_TABLE_NAME, events_table_name(deps)),
            (
                contract::IDEMPOTENCY_TABLE_NAME,
                Value::attr(&deps.tables.idempotency.id, Attr::Name),
            ),
        ]),
        "event-transformer" => env.extend([
            (contract::EVENT_BUS_NAME, bus_name(deps)),
            (contract::EVENTS_TABLE_NAME, events_table_name(deps)),
            (contract::DLQ_URL, events_dlq_url(deps)),
        ]),
        "health-checker" => health_checker(&mut env, rs, names, deps),
        "authorizer" => env.extend([
            (
                contract::JWT_POLICY_RESOURCE,
                deps.api.stage_methods_arn(rs),
            ),
            (
                contract::JWT_SECRET_ARN,
                Value::arn(&deps.signing_key.secret.id),
            ),
            (
                contract::JWT_ISSUER,
                Value::str(rs.spec.api.jwt_issuer.clone()),
            ),
            (
                contract::JWT_AUDIENCE,
                Value::str(rs.spec.api.jwt_audience.clone()),
            ),
        ]),
        _ => {}
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn bus_name(deps: &FunctionDeps<'_>) -> Value {
    Value::attr(&deps.buses.local.id, Attr::Name)
}

fn events_table_name(deps: &FunctionDeps<'_>) -> Value {
    Value::attr(&deps.tables.events.id, Attr::Name)
}

fn events_dlq_url(deps: &FunctionDeps<'_>) -> Value {
    Value::attr(&deps.dlqs.events.id, Attr::Url)
}

fn event_router(env: &mut Env, rs: &RegionalSpec, deps: &FunctionDeps<'_>) {
    let router = &rs.spec.router;
    env.extend([
        (contract::PEER_REGION, Value::str(rs.peer_region.clone())),
        (contract::EVENT_BUS_NAME, bus_name(deps)),
        (
            contract::PEER_EVENT_BUS_ARN,
            Value::str(deps.buses.peer.arn.clone()),
        ),
        (contract::DLQ_URL, events_dlq_url(deps)),
        (
            contract::COMPRESSION_THRESHOLD_BYTES,
            router.compression_threshold_bytes.to_string().into(),
        ),
        (
            contract::CIRCUIT_FAILURE_THRESHOLD,
            router.circuit_failure_threshold.to_string().into(),
        ),
        (
            contract::CIRCUIT_OPEN_SECONDS,
            router.circuit_open_seconds.to_string().into(),
        ),
    ]);
    if !router.routes.is_empty() {
        env.push((contract::ROUTING_RULES, Value::str(router.routes.join(";"))));
    }
}

fn health_checker(env: &mut Env, rs: &RegionalSpec, names: &Names, deps: &FunctionDeps<'_>) {
    let health = &rs.spec.health;
    env.extend([
        (contract::PEER_REGION, Value::str(rs.peer_region.clone())),
        (contract::EVENTS_TABLE_NAME, events_table_name(deps)),
        (contract::EVENT_BUS_NAME, bus_name(deps)),
        (
            contract::HEALTH_DLQ_URLS,
            Value::join([
                Value::attr(&deps.dlqs.stream_failures.id, Attr::Url),
                Value::str(","),
                events_dlq_url(deps),
                Value::str(format!(",{}", names.queue_url(names.cdc_dlq()))),
            ]),
        ),
        (
            contract::DLQ_DEPTH_THRESHOLD,
            health.dlq_depth_threshold.to_string().into(),
        ),
        (
            contract::PEER_TIMEOUT_MS,
            health.peer_timeout_ms.to_string().into(),
        ),
    ]);
    // With DNS, the peer's liveness route under its region-specific name: it needs no token
    // and always reaches the peer (the shared name may resolve to this very region).
    let peer_url = match &rs.spec.dns {
        Some(dns) => Some(Names::peer_liveness_url(&dns.record, &rs.peer_region)),
        None => health.peer_health_url.clone(),
    };
    if let Some(url) = peer_url {
        env.push((contract::PEER_HEALTH_URL, Value::str(url)));
    }
}
