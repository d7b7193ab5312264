//! The data key: one customer-managed KMS key per environment and region, with its alias. Every
//! store and log group of the stack is encrypted with it; its key policy lets the services that
//! write encrypted data on the platform's behalf (EventBridge into the DLQ, CloudWatch Logs)
//! use it. Principals of the stack get it through the grants of the resources it protects.

use super::{PREFIX, retain};
use crate::construct::grant::KeyHandle;
use crate::construct::*;
use crate::spec::RegionalSpec;

pub fn data_key(stack: &mut Stack, rs: &RegionalSpec) -> Result<KeyHandle, ConstructError> {
    let (env, region, account) = (&rs.env, &rs.region, &rs.spec.account);
    let account_root = Value::join([
        Value::str("arn:"),
        Value::Pseudo(Pseudo::Partition),
        Value::str(format!(":iam::{account}:root")),
    ]);
    let id = stack.add(
        &["DataKey"],
        ResourceKind::KmsKey(KmsKey {
            description: format!("{PREFIX} {env} data key ({region})"),
            policy: vec![
                Statement::allow(&["kms:*"], [Value::str("*")])
                    .with_sid("AccountAdministersKey")
                    .with_principal(Principal::Aws(account_root)),
                Statement::allow(&["kms:Decrypt", "kms:GenerateDataKey"], [Value::str("*")])
                    .with_sid("EventBridgeWritesEncryptedDlq")
                    .with_principal(Principal::Service("events.amazonaws.com".into())),
                Statement::allow(
                    &[
                        "kms:Decrypt",
                        "kms:Encrypt",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                        "kms:DescribeKey",
                    ],
                    [Value::str("*")],
                )
                .with_sid("CloudWatchLogsEncryptsLogGroups")
                .with_principal(Principal::Service(format!("logs.{region}.amazonaws.com")))
                .with_condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    vec![Value::str(format!(
                        "arn:aws:logs:{region}:{account}:log-group:*"
                    ))],
                ),
            ],
        }),
        retain(rs),
    )?;
    stack.add(
        &["DataKey", "Alias"],
        ResourceKind::KmsAlias(KmsAlias {
            name: format!("alias/{PREFIX}-{env}-data"),
            target_key: id.clone(),
        }),
        false,
    )?;
    Ok(KeyHandle { id })
}
