//! The CDC consumer's side of the stack (the consumer itself runs on EKS, from Kustomize): its
//! IRSA role, trusted only by its service account through the cluster's OIDC provider, with
//! read/write on the CDC state table, the CDC DLQ and, when it publishes, the bus. Also its
//! environment (the ConfigMap), by contract name.

use platform_contract as contract;

use super::Names;
use super::bus::EventBuses;
use super::queues::DeadLetterQueues;
use super::tables::Tables;
use crate::construct::grant::RoleHandle;
use crate::construct::*;
use crate::spec::RegionalSpec;

/// The Kubernetes service account the consumer runs as (bound to its IRSA role).
pub const CONSUMER_SERVICE_ACCOUNT: &str = "cdc-consumer";

pub fn consumer_role(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    tables: &Tables,
    dlqs: &DeadLetterQueues,
    buses: &EventBuses,
) -> Result<RoleHandle, ConstructError> {
    let spec = &rs.spec;
    let oidc = &spec.consumer.eks_oidc_provider;
    let string_equals = |key: String, value: String| Condition {
        operator: "StringEquals".into(),
        key,
        values: vec![Value::str(value)],
    };
    let id = stack.add(
        &["ConsumerRole"],
        ResourceKind::Role(Role {
            name: names.role(names.consumer_role()),
            description: format!("IRSA role of the CDC consumer ({}, {})", rs.env, rs.region),
            assumed_by: Principal::Federated(Value::join([
                Value::str("arn:"),
                Value::Pseudo(Pseudo::Partition),
                Value::str(format!(":iam::{}:oidc-provider/{oidc}", spec.account)),
            ])),
            trust_conditions: vec![
                string_equals(
                    format!("{oidc}:sub"),
                    format!(
                        "system:serviceaccount:{}:{CONSUMER_SERVICE_ACCOUNT}",
                        spec.consumer.namespace
                    ),
                ),
                string_equals(format!("{oidc}:aud"), "sts.amazonaws.com".into()),
            ],
            web_identity: true,
            statements: Vec::new(),
        }),
        false,
    )?;
    let role = RoleHandle { id };
    tables.cdc_state.grant_read_write_data(stack, &role);
    dlqs.cdc.grant_send(stack, &role);
    if spec.consumer.publish_cdc_events {
        buses.local.grant_put_events(stack, &role);
    }
    Ok(role)
}

/// The consumer's environment (its ConfigMap), by contract name.
pub fn consumer_environment(rs: &RegionalSpec) -> Vec<(&'static str, String)> {
    let spec = &rs.spec;
    let names = Names::new(rs);
    let topics: Vec<contract::TopicTable> = spec
        .consumer
        .topics
        .iter()
        .map(|t| contract::TopicTable {
            topic: t.topic.clone(),
            table: t.table.clone(),
            key_columns: t.key_columns.clone(),
        })
        .collect();
    let mut env = vec![
        (contract::STAGE, rs.env.clone()),
        (contract::LOG_LEVEL, spec.log_level.as_str().to_string()),
        (contract::AWS_REGION, rs.region.clone()),
        (
            contract::KAFKA_BOOTSTRAP_SERVERS,
            spec.consumer.kafka_bootstrap_servers.join(","),
        ),
        (contract::KAFKA_GROUP_ID, spec.consumer.group_id.clone()),
        (
            contract::CDC_TOPIC_TABLES,
            contract::TopicTable::format_list(&topics),
        ),
        (contract::CDC_TABLE_NAME, names.cdc_table()),
        (contract::CDC_DLQ_URL, names.queue_url(names.cdc_dlq())),
        (
            contract::METRICS_PORT,
            contract::DEFAULT_METRICS_PORT.to_string(),
        ),
        (
            contract::CDC_TOMBSTONE_TTL_SECONDS,
            (u64::from(spec.consumer.tombstone_ttl_days) * 24 * 3600).to_string(),
        ),
    ];
    if spec.consumer.publish_cdc_events {
        env.push((contract::CDC_EVENT_BUS_NAME, names.bus()));
    }
    env
}
