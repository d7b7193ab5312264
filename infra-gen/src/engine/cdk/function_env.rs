//! Each function's environment from the configuration contract (native:
//! `platform/function_env.rs`): the same names and literal values; references are CDK tokens
//! (strings the synthesis resolves to `Ref`/`Fn::GetAtt`/`Fn::Join`).

use aws_cdk_lib::prelude::*;
use platform_contract as contract;

use super::functions::FunctionDeps;
use crate::platform::Names;
use crate::spec::RegionalSpec;

type Env = Vec<(&'static str, String)>;

pub fn contract_environment(
    function: &str,
    rs: &RegionalSpec,
    names: &Names,
    deps: &FunctionDeps<'_>,
) -> jsii::Result<Vec<(String, String)>> {
    let mut env: Env = vec![
        (contract::STAGE, rs.env.clone()),
        (contract::LOG_LEVEL, rs.spec.log_level.as_str().to_string()),
    ];
    let bus_name = || deps.buses.local.event_bus_name();
    let events_table = || deps.tables.events.table_name();
    let events_dlq = || deps.dlqs.events.queue_url();
    match function {
        "event-router" => {
            let router = &rs.spec.router;
            env.extend([
                (contract::PEER_REGION, rs.peer_region.clone()),
                (contract::EVENT_BUS_NAME, bus_name()?),
                (
                    contract::PEER_EVENT_BUS_ARN,
                    names.bus_arn_in(&rs.peer_region),
                ),
                (contract::DLQ_URL, events_dlq()?),
                (
                    contract::COMPRESSION_THRESHOLD_BYTES,
                    router.compression_threshold_bytes.to_string(),
                ),
                (
                    contract::CIRCUIT_FAILURE_THRESHOLD,
                    router.circuit_failure_threshold.to_string(),
                ),
                (
                    contract::CIRCUIT_OPEN_SECONDS,
                    router.circuit_open_seconds.to_string(),
                ),
            ]);
            if !router.routes.is_empty() {
                env.push((contract::ROUTING_RULES, router.routes.join(";")));
            }
        }
        "stream-processor" => env.extend([
            (contract::EVENT_BUS_NAME, bus_name()?),
            (contract::EVENTS_TABLE_NAME, events_table()?),
            (
                contract::IDEMPOTENCY_TABLE_NAME,
                deps.tables.idempotency.table_name()?,
            ),
        ]),
        "event-transformer" => env.extend([
            (contract::EVENT_BUS_NAME, bus_name()?),
            (contract::EVENTS_TABLE_NAME, events_table()?),
            (contract::DLQ_URL, events_dlq()?),
        ]),
        "health-checker" => {
            let health = &rs.spec.health;
            env.extend([
                (contract::PEER_REGION, rs.peer_region.clone()),
                (contract::EVENTS_TABLE_NAME, events_table()?),
                (contract::EVENT_BUS_NAME, bus_name()?),
                (
                    contract::HEALTH_DLQ_URLS,
                    // The CDC queue by its deterministic URL, as native does.
                    format!(
                        "{},{},{}",
                        deps.dlqs.stream_failures.queue_url()?,
                        events_dlq()?,
                        names.queue_url(names.cdc_dlq())
                    ),
                ),
                (
                    contract::DLQ_DEPTH_THRESHOLD,
                    health.dlq_depth_threshold.to_string(),
                ),
                (
                    contract::PEER_TIMEOUT_MS,
                    health.peer_timeout_ms.to_string(),
                ),
            ]);
            let peer_url = match &rs.spec.dns {
                Some(dns) => Some(Names::peer_liveness_url(&dns.record, &rs.peer_region)),
                None => health.peer_health_url.clone(),
            };
            if let Some(url) = peer_url {
                env.push((contract::PEER_HEALTH_URL, url));
            }
        }
        "authorizer" => env.extend([
            (
                contract::JWT_POLICY_RESOURCE,
                deps.api.stage_methods_arn(rs)?,
            ),
            (
                contract::JWT_SECRET_ARN,
                deps.signing_key.secret.secret_arn()?,
            ),
            (contract::JWT_ISSUER, rs.spec.api.jwt_issuer.clone()),
            (contract::JWT_AUDIENCE, rs.spec.api.jwt_audience.clone()),
        ]),
        _ => {}
    }
    Ok(env.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
