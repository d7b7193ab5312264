//! The stream-processor binary.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use platform_aws::dynamodb::Table;
use platform_aws::eventbridge::Publisher;
use platform_aws::retry::RetryPolicy;
use platform_telemetry::emf::Unit;
use platform_telemetry::names;
use platform_telemetry::startup::{EnvReader, InvocationTimer};
use serde_json::Value;
use stream_processor::{Config, process};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut env = EnvReader::from_process();
    let log_level = env.optional(platform_contract::LOG_LEVEL);
    platform_telemetry::init_json_logs(log_level.as_deref())?;
    let config = Config::from_env(env)?;
    let aws = platform_aws::config::from_env().await;
    let publisher = Publisher::new(
        aws_sdk_eventbridge::Client::new(&aws),
        RetryPolicy::default(),
    );
    let idempotency = config
        .idempotency_table
        .as_ref()
        .map(|name| Table::new(aws_sdk_dynamodb::Client::new(&aws), name));
    let state = Arc::new((config, publisher, idempotency));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = Arc::clone(&state);
        async move {
            let timer = InvocationTimer::start("stream-processor");
            let (config, publisher, idempotency) = &*state;
            let (response, stats) =
                process(&event.payload, config, publisher, idempotency.as_ref()).await;
            timer
                .metrics(stats.failed as u64)
                .metric(
                    names::CDC_EVENTS_PROCESSED_TOTAL,
                    Unit::Count,
                    stats.published.len() as f64,
                )
                .emit();
            Ok::<Value, lambda_runtime::Error>(serde_json::to_value(response)?)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}
