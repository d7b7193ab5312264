//! The health-checker binary.
#![recursion_limit = "256"]

use std::sync::Arc;

use health_checker::{Checker, Config};
use lambda_runtime::{LambdaEvent, service_fn};
use platform_aws::dynamodb::Table;
use platform_aws::http::HttpClient;
use platform_telemetry::startup::{EnvReader, InvocationTimer};
use serde_json::Value;

/// A peer health answer larger than this is not a health answer.
const PEER_MAX_BODY_BYTES: usize = 64 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut env = EnvReader::from_process();
    let log_level = env.optional(platform_contract::LOG_LEVEL);
    platform_telemetry::init_json_logs(log_level.as_deref())?;
    let config = Config::from_env(env)?;
    let aws = platform_aws::config::from_env().await;
    let checker = Arc::new(Checker {
        table: Table::new(aws_sdk_dynamodb::Client::new(&aws), config.table.clone()),
        events: aws_sdk_eventbridge::Client::new(&aws),
        sqs: aws_sdk_sqs::Client::new(&aws),
        http: HttpClient::new(PEER_MAX_BODY_BYTES),
        config,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let checker = Arc::clone(&checker);
        async move {
            let timer = InvocationTimer::start("health-checker");
            let response = checker.handle(&event.payload).await;
            timer.finish(0);
            Ok::<Value, lambda_runtime::Error>(response)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}
