//! The KMS data key and its alias (native: `platform/key.rs`). The policy is ours, all three
//! statements: the L2 adds its default (account administration) statement only when no policy
//! is given, and a key policy without it would lock the account out of the key (the oracle
//! found this: KMS refuses such a policy).

use aws_cdk_lib::Stack;
use aws_cdk_lib::aws_iam::{
    AccountRootPrincipal, PolicyDocument, PolicyDocumentProps, PolicyStatementProps,
};
use aws_cdk_lib::aws_kms::{Key, KeyProps};
use aws_cdk_lib::runtime::Upcast as _;
use serde_json::json;

use super::{removal, service, statement};
use crate::platform::PREFIX;
use crate::spec::RegionalSpec;

pub fn data_key(stack: &Stack, rs: &RegionalSpec) -> jsii::Result<Key> {
    let (env, region, account) = (&rs.env, &rs.region, &rs.spec.account);
    let policy = PolicyDocument::new(Some(&PolicyDocumentProps {
        statements: Some(vec![
            statement(&PolicyStatementProps {
                sid: Some("AccountAdministersKey".into()),
                principals: Some(vec![AccountRootPrincipal::new()?.upcast()]),
                actions: Some(vec!["kms:*".into()]),
                resources: Some(vec!["*".into()]),
                ..Default::default()
            })?,
            statement(&PolicyStatementProps {
                sid: Some("EventBridgeWritesEncryptedDlq".into()),
                principals: Some(vec![service("events.amazonaws.com")?]),
                actions: Some(vec!["kms:Decrypt".into(), "kms:GenerateDataKey".into()]),
                resources: Some(vec!["*".into()]),
                ..Default::default()
            })?,
            statement(&PolicyStatementProps {
                sid: Some("CloudWatchLogsEncryptsLogGroups".into()),
                principals: Some(vec![service(&format!("logs.{region}.amazonaws.com"))?]),
                actions: Some(
                    [
                        "kms:Decrypt",
                        "kms:Encrypt",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                        "kms:DescribeKey",
                    ]
                    .map(String::from)
                    .to_vec(),
                ),
                resources: Some(vec!["*".into()]),
                conditions: Some(
                    [(
                        "ArnLike".to_string(),
                        json!({ "kms:EncryptionContext:aws:logs:arn":
                            format!("arn:aws:logs:{region}:{account}:log-group:*") }),
                    )]
                    .into(),
                ),
                ..Default::default()
            })?,
        ]),
        ..Default::default()
    }))?;
    Key::new(
        stack,
        "DataKey",
        Some(&KeyProps {
            description: Some(format!("{PREFIX} {env} data key ({region})")),
            enable_key_rotation: Some(true),
            policy: Some(policy),
            alias: Some(format!("alias/{PREFIX}-{env}-data")),
            removal_policy: Some(removal(rs)),
            ..Default::default()
        }),
    )
}
