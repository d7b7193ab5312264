//! SDK configuration from the environment.

use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};

pub use aws_config::timeout::TimeoutConfig;

/// The standard SDK configuration: region from `AWS_REGION` (or profile), credentials from the
/// default chain, and the endpoint from `AWS_ENDPOINT_URL` when set (local emulator).
pub async fn from_env() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Like [`from_env`] but for another region (e.g. the peer region's EventBridge).
pub async fn from_env_for_region(region: &str) -> SdkConfig {
    for_region(region).load().await
}

/// Like [`from_env_for_region`], with the SDK's call timeouts replaced by `timeouts`: a
/// long-running process that retries on its own wants an unreachable service to fail fast.
pub async fn from_env_with_timeouts(region: &str, timeouts: TimeoutConfig) -> SdkConfig {
    for_region(region).timeout_config(timeouts).load().await
}

fn for_region(region: &str) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_string()))
}
