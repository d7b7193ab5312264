//! The event-transformer binary.
#![recursion_limit = "256"]

use std::sync::Arc;

use event_transformer::{Config, Registry, Transformer};
use lambda_runtime::{LambdaEvent, service_fn};
use platform_aws::dynamodb::Table;
use platform_aws::eventbridge::Publisher;
use platform_aws::retry::RetryPolicy;
use platform_aws::sqs::DeadLetterQueue;
use platform_telemetry::startup::{EnvReader, InvocationTimer};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut env = EnvReader::from_process();
    let log_level = env.optional(platform_contract::LOG_LEVEL);
    platform_telemetry::init_json_logs(log_level.as_deref())?;
    let config = Config::from_env(env)?;
    let registry = Registry::load().map_err(|e| anyhow::anyhow!("event-transformer: {e}"))?;
    let aws = platform_aws::config::from_env().await;
    let transformer = Arc::new(Transformer {
        registry,
        publisher: Publisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            RetryPolicy::default(),
        ),
        dlq: DeadLetterQueue::new(aws_sdk_sqs::Client::new(&aws), config.dlq_url.clone()),
        table: Some(Table::new(
            aws_sdk_dynamodb::Client::new(&aws),
            config.table.clone(),
        )),
        config,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let transformer = Arc::clone(&transformer);
        async move {
            let timer = InvocationTimer::start("event-transformer");
            let result = transformer.handle(&event.payload).await;
            let failed = match &result {
                Ok(answer) => answer["status"] != "forwarded",
                Err(_) => true,
            };
            timer.finish(u64::from(failed));
            Ok::<Value, lambda_runtime::Error>(result.map_err(Box::new)?)
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}
