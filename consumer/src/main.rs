//! `cdc-consumer`: applies Qlik Replicate CDC messages from Kafka to DynamoDB, at least once.

use anyhow::Context;
use consumer::config::Config;
use consumer::metrics::Metrics;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    platform_telemetry::init_json_logs(config.log_level.as_deref()).context("initialising logs")?;
    tracing::info!(stage = %config.stage, group = %config.group_id, table = %config.table_name,
        topics = config.topics.len(), "starting cdc-consumer");
    let metrics = Metrics::new().context("creating metrics")?;
    let outputs = consumer::app::aws_outputs(&config, metrics).await;
    consumer::app::run(config, outputs).await?;
    tracing::info!("stopped cleanly");
    Ok(())
}
