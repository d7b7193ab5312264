//! SDK configuration from the environment.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The standard SDK configuration: region from `AWS_REGION` (or profile), credentials from the
/// default chain, and the endpoint from `AWS_ENDPOINT_URL` when set (local emulator).
pub async fn from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Like [`from_env`] but for another region (e.g. the peer region's EventBridge).
pub async fn from_env_for_region(region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .load()
        .await
}
