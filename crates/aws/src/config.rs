//! SDK configuration from the environment.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::Credentials;

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

/// A configuration for tests against a local emulator: fixed endpoint, region and static
/// credentials, nothing read from the environment.
pub async fn for_emulator(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .load()
        .await
}
