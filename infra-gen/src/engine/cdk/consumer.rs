//! The CDC consumer's IRSA role and its grants (native: `platform/consumer.rs`), named as the
//! native engine names it. Its ConfigMap environment is shared: `platform::consumer_environment`
//! is not a CloudFormation concern.

use aws_cdk_lib::aws_iam::{FederatedPrincipal, Role, RoleProps};
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{Stack, prelude::*};
use serde_json::json;

use super::bus::EventBuses;
use super::queues::DeadLetterQueues;
use super::tables::Tables;
use crate::platform::{CONSUMER_SERVICE_ACCOUNT, Names};
use crate::spec::RegionalSpec;

pub fn consumer_role(
    stack: &Stack,
    rs: &RegionalSpec,
    names: &Names,
    tables: &Tables,
    dlqs: &DeadLetterQueues,
    buses: &EventBuses,
) -> jsii::Result<Role> {
    let spec = &rs.spec;
    let oidc = &spec.consumer.eks_oidc_provider;
    let provider = format!(
        "arn:{}:iam::{}:oidc-provider/{oidc}",
        stack.partition()?,
        spec.account
    );
    let conditions = [(
        "StringEquals".to_string(),
        json!({
            format!("{oidc}:sub"): format!(
                "system:serviceaccount:{}:{CONSUMER_SERVICE_ACCOUNT}",
                spec.consumer.namespace
            ),
            format!("{oidc}:aud"): "sts.amazonaws.com",
        }),
    )]
    .into();
    let role = Role::new(
        stack,
        "ConsumerRole",
        &RoleProps {
            role_name: Some(names.role(names.consumer_role())),
            description: Some(format!(
                "IRSA role of the CDC consumer ({}, {})",
                rs.env, rs.region
            )),
            assumed_by: Some(
                FederatedPrincipal::new(
                    &provider,
                    Some(&conditions),
                    Some("sts:AssumeRoleWithWebIdentity"),
                )?
                .upcast(),
            ),
            ..Default::default()
        },
    )?;
    tables.cdc_state.grant_read_write_data(&role)?;
    dlqs.cdc.grant_send_messages(&role)?;
    if spec.consumer.publish_cdc_events {
        buses.local.grant_put_events_to(&role, None)?;
    }
    Ok(role)
}
