//! The three scenarios as rlt bench suites: one iteration is one request, timed from send to
//! answer. rlt runs the workers, bounds the run (count and time) and keeps the histogram; a
//! scenario only sends and classifies the answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use async_trait::async_trait;
use http_body_util::Full;
use hyper::body::Bytes;
use platform_aws::http::HttpClient;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rlt::{BenchSuite, IterInfo, IterReport, Status};
use serde_json::json;

/// One request's timeout: a stuck request counts as an error, it does not stall the run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET <base>/health` with a bearer token.
#[derive(Clone)]
pub struct Health {
    pub client: Arc<HttpClient>,
    pub url: String,
    pub token: String,
}

#[async_trait]
impl BenchSuite for Health {
    type WorkerState = ();

    async fn state(&self, _worker: u32) -> anyhow::Result<()> {
        Ok(())
    }

    async fn bench(&mut self, _: &mut (), _: &IterInfo) -> anyhow::Result<IterReport> {
        let request = hyper::Request::get(&self.url)
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .body(Full::<Bytes>::default())?;
        let started = Instant::now();
        let response = self.client.send(request, REQUEST_TIMEOUT).await?;
        let duration = started.elapsed();
        let code = i64::from(response.status);
        let status = match response.status {
            200..=299 => Status::success(code),
            400..=499 => Status::client_error(code),
            500..=599 => Status::server_error(code),
            _ => Status::error(code),
        };
        Ok(IterReport {
            duration,
            status,
            bytes: response.body.len() as u64,
            items: 1,
        })
    }
}

/// One `OrderCreated` event per PutEvents call on a region's bus. The detail is valid for
/// the transformer's schema, so a platform that routes it processes it.
#[derive(Clone)]
pub struct Events {
    pub client: aws_sdk_eventbridge::Client,
    pub bus: String,
    pub source: String,
    pub detail_type: String,
    /// Distinguishes this run's events from any other's.
    pub run: String,
}

#[async_trait]
impl BenchSuite for Events {
    type WorkerState = ();

    async fn state(&self, _worker: u32) -> anyhow::Result<()> {
        Ok(())
    }

    async fn bench(&mut self, _: &mut (), info: &IterInfo) -> anyhow::Result<IterReport> {
        let id = format!("{}-{}", self.run, info.runner_seq);
        let detail = json!({
            "orderId": id,
            "customerId": "load",
            "amount": 1,
            "currency": "USD",
            "correlationId": id,
        })
        .to_string();
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(&self.detail_type)
            .detail(&detail)
            .build();
        let started = Instant::now();
        let call = self.client.put_events().entries(entry).send();
        let output = tokio::time::timeout(REQUEST_TIMEOUT, call)
            .await
            .map_err(|_| anyhow!("PutEvents timed out after {REQUEST_TIMEOUT:?}"))?
            .map_err(|e| {
                anyhow!(
                    "PutEvents: {}",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e)
                )
            })?;
        let duration = started.elapsed();
        if let Some(failed) = output.entries().iter().find(|e| e.error_code().is_some()) {
            return Err(anyhow!(
                "PutEvents entry refused: {}: {}",
                failed.error_code().unwrap_or_default(),
                failed.error_message().unwrap_or_default()
            ));
        }
        Ok(IterReport {
            duration,
            status: Status::success(0),
            bytes: detail.len() as u64,
            items: 1,
        })
    }
}

/// One Qlik Replicate JSON change (the `atMSG` envelope, an INSERT of a new row) per message,
/// produced to a region's broker and timed until the broker acknowledged it.
#[derive(Clone)]
pub struct Cdc {
    pub producer: FutureProducer,
    pub topic: String,
    /// The table's key column (`order_id` for `qlik.orders`).
    pub key_column: String,
    pub run: String,
}

#[async_trait]
impl BenchSuite for Cdc {
    type WorkerState = ();

    async fn state(&self, _worker: u32) -> anyhow::Result<()> {
        Ok(())
    }

    async fn bench(&mut self, _: &mut (), info: &IterInfo) -> anyhow::Result<IterReport> {
        let key = format!("{}-{}", self.run, info.runner_seq);
        let value = crate::feed::qlik_insert(
            info.runner_seq,
            &[
                (self.key_column.as_str(), key.as_str()),
                ("status", "placed"),
            ],
        );
        let record = FutureRecord::to(&self.topic).key(&key).payload(&value);
        let started = Instant::now();
        self.producer
            .send(record, REQUEST_TIMEOUT)
            .await
            .map_err(|(e, _)| anyhow!("producing to {}: {e}", self.topic))?;
        Ok(IterReport {
            duration: started.elapsed(),
            status: Status::success(0),
            bytes: value.len() as u64,
            items: 1,
        })
    }
}
