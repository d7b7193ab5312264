//! The consumer's image repository: the one place the delivery chain publishes the CDC
//! consumer image to, and the one the Kustomize overlays pull from
//! (`<account>.dkr.ecr.<region>.amazonaws.com/<consumer.image_repository>:sha-<hash>`).
//!
//! Tags are immutable (a tag is the content hash of the consumer's sources, so it must name
//! exactly one image), every push is scanned, images are encrypted with the stack's data key,
//! and a lifecycle rule bounds what is kept.
//!
//! Pulling: the EKS nodes' role is not part of these stacks. It needs `ecr:GetAuthorizationToken`
//! (resource `*`: the action has no resource-level permissions), and `ecr:BatchGetImage` and
//! `ecr:GetDownloadUrlForLayer` on this repository's ARN (AWS's managed
//! `AmazonEC2ContainerRegistryReadOnly`, attached to EKS managed node groups by default, covers
//! these). Repository and nodes are in the same account, so no repository policy is needed,
//! and none is attached: without one only the account's own IAM principals can pull. KMS
//! encryption needs nothing from the nodes: ECR decrypts through the grant it creates on the
//! key when the repository is created.

use super::{Names, retain};
use crate::construct::grant::KeyHandle;
use crate::construct::*;
use crate::spec::RegionalSpec;

/// Images the lifecycle rule keeps. Each promotion pushes one; this covers weeks of releases
/// and leaves a rollback target far back.
pub const KEEP_IMAGES: u32 = 30;

/// The handle later constructs (outputs) use.
pub struct ImageRepositoryHandle {
    pub id: LogicalId,
}

pub fn consumer_repository(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    key: &KeyHandle,
) -> Result<ImageRepositoryHandle, ConstructError> {
    let id = stack.add(
        &["ConsumerImageRepository"],
        ResourceKind::ImageRepository(ImageRepository {
            name: names.consumer_repository(&rs.spec.consumer.image_repository),
            kms_key: key.id.clone(),
            keep_images: KEEP_IMAGES,
            empty_on_delete: !retain(rs),
        }),
        retain(rs),
    )?;
    Ok(ImageRepositoryHandle { id })
}

/// The lifecycle policy document ECR reads (the same text in both formats): expire the oldest
/// images beyond the most recent `keep`.
pub fn lifecycle_policy(keep: u32) -> serde_json::Value {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Keep the {keep} most recent images"),
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep },
            "action": { "type": "expire" },
        }]
    })
}
