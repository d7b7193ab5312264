//! The authorizer binary: configuration from the environment, then the Lambda runtime loop.
#![recursion_limit = "256"]

use std::sync::Arc;

use authorizer::{Config, KeyStore, authorize};
use lambda_runtime::{LambdaEvent, service_fn};
use platform_aws::secrets::SecretsManager;
use platform_telemetry::startup::{EnvReader, InvocationTimer};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut env = EnvReader::from_process();
    let log_level = env.optional(platform_contract::LOG_LEVEL);
    platform_telemetry::init_json_logs(log_level.as_deref())?;
    let config = Config::from_env(env)?;
    let keys = KeyStore::new(
        config.jwks_json.as_deref(),
        config.jwks_url.clone(),
        SecretsManager::from_env()?,
        config.secret_arn.clone(),
    )?;
    let state = Arc::new((config, keys));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = Arc::clone(&state);
        async move {
            let timer = InvocationTimer::start("authorizer");
            let (response, outcome) = authorize(&event.payload, &state.1, &state.0).await;
            if let Err(denial) = &outcome {
                // The reason only: never the token.
                tracing::info!(reason = %denial, "denied");
            }
            timer.finish(0);
            Ok::<Value, lambda_runtime::Error>(response)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}
