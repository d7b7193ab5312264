//! AWS helpers shared by the functions and the Kafka consumer.
//!
//! - [`config`]: SDK configuration from the environment (`AWS_REGION`, and the standard
//!   `AWS_ENDPOINT_URL` so one binary runs against AWS or a local emulator).
//! - [`eventbridge`]: a publisher that batches within PutEvents limits (10 entries, 256 KB),
//!   retries only the failed entries with exponential backoff and jitter, and reports what
//!   finally failed. The batching/retry logic is generic over [`eventbridge::PutEventsApi`] so it
//!   is unit-tested without AWS.
//! - [`dynamodb`]: plain JSON <-> DynamoDB items, and a [`dynamodb::Table`] handle.
//! - [`sqs`]: a dead-letter sender recording error, source and retry count; queue depth.
//! - [`secrets`]: a Secrets Manager reader with a time-bounded cache.

pub mod config;
pub mod dynamodb;
pub mod eventbridge;
pub mod http;
pub mod secrets;
pub mod sqs;

/// An AWS call failed; says which operation and why (with the SDK's full error chain).
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{operation} failed: {message}")]
    Call {
        operation: &'static str,
        message: String,
    },
    #[error("{operation}: unexpected response: {message}")]
    Response {
        operation: &'static str,
        message: String,
    },
}

impl AwsError {
    /// Wraps an SDK error with the operation name and its whole source chain.
    pub fn call<E: std::error::Error>(operation: &'static str, error: E) -> Self {
        Self::Call {
            operation,
            message: aws_sdk_sqs::error::DisplayErrorContext(error).to_string(),
        }
    }

    /// True when the error is a service-side conditional-check failure (DynamoDB).
    pub fn is_conditional_check_failed(&self) -> bool {
        matches!(self, Self::Call { message, .. } if message.contains("ConditionalCheckFailed"))
    }
}
