//! The consumer's image repository (native: `platform/registry.rs`). A `CfnResource`: the
//! generated bindings do not include `aws_ecr` (the platform's preset leaves it out), so there
//! is no L2 `Repository`; the properties are the native engine's, lifecycle rule included.

use aws_cdk_lib::aws_kms::Key;
use aws_cdk_lib::{CfnResource, Stack, prelude::*};
use serde_json::json;

use super::dns::cfn;
use super::{removal, retain};
use crate::platform::{KEEP_IMAGES, Names, lifecycle_policy};
use crate::spec::RegionalSpec;

pub fn consumer_repository(
    stack: &Stack,
    rs: &RegionalSpec,
    names: &Names,
    key: &Key,
) -> jsii::Result<CfnResource> {
    let repository = cfn(
        stack,
        "ConsumerImageRepository",
        "AWS::ECR::Repository",
        json!({
            "RepositoryName": names.consumer_repository(&rs.spec.consumer.image_repository),
            "ImageTagMutability": "IMMUTABLE",
            "ImageScanningConfiguration": { "ScanOnPush": true },
            "EncryptionConfiguration": { "EncryptionType": "KMS", "KmsKey": key.key_arn()? },
            "LifecyclePolicy": { "LifecyclePolicyText": lifecycle_policy(KEEP_IMAGES).to_string() },
            "EmptyOnDelete": !retain(rs),
        }),
    )?;
    repository.apply_removal_policy(Some(removal(rs)), None)?;
    Ok(repository)
}
