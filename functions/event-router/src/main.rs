//! The event-router binary.
#![recursion_limit = "256"]

use std::sync::Arc;

use event_router::{Config, RouteOutcome, Router};
use lambda_runtime::{LambdaEvent, service_fn};
use platform_aws::retry::RetryPolicy;
use platform_aws::sqs::DeadLetterQueue;
use platform_telemetry::emf::Unit;
use platform_telemetry::names;
use platform_telemetry::startup::{EnvReader, InvocationTimer};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut env = EnvReader::from_process();
    let log_level = env.optional(platform_contract::LOG_LEVEL);
    platform_telemetry::init_json_logs(log_level.as_deref())?;
    let config = Config::from_env(env)?;
    let local = platform_aws::config::from_env().await;
    let peer = platform_aws::config::from_env_for_region(&config.peer_region).await;
    let dlq = DeadLetterQueue::new(aws_sdk_sqs::Client::new(&local), config.dlq_url.clone());
    let router = Arc::new(Router::new(
        config,
        aws_sdk_eventbridge::Client::new(&peer),
        dlq,
        RetryPolicy::default(),
    ));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let router = Arc::clone(&router);
        async move {
            let timer = InvocationTimer::start("event-router");
            let result = router.handle(&event.payload).await;
            let mut metrics = timer.metrics(u64::from(!matches!(
                result,
                Ok(RouteOutcome::Routed { .. }) | Ok(RouteOutcome::Skipped)
            )));
            metrics = metrics.metric(
                names::CIRCUIT_BREAKER_STATE,
                Unit::None,
                router.circuit_state() as i32 as f64,
            );
            if let Ok(RouteOutcome::Routed { latency, .. }) = &result {
                metrics = metrics.metric(
                    names::CROSS_REGION_LATENCY_SECONDS,
                    Unit::Seconds,
                    latency.as_secs_f64(),
                );
            }
            metrics.emit();
            Ok::<Value, lambda_runtime::Error>(result.map_err(Box::new)?.to_json())
        }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}
