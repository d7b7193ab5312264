//! AWS helpers shared by the functions and the Kafka consumer. The SDK-backed modules sit
//! behind the default `sdk` feature; `http`, `retry` and `secrets` work without it.
//!
//! - [`config`]: SDK configuration from the environment (`AWS_REGION`, and the standard
//!   `AWS_ENDPOINT_URL` so one binary runs against AWS or a local emulator).
//! - [`eventbridge`]: a publisher that batches within PutEvents limits (10 entries, 256 KB),
//!   retries only the failed entries with exponential backoff and jitter, and reports what
//!   finally failed. The batching/retry logic is generic over [`eventbridge::PutEventsApi`] so it
//!   is unit-tested without AWS.
//! - [`dynamodb`]: plain JSON <-> DynamoDB items, and a [`dynamodb::Table`] handle.
//! - [`sqs`]: a dead-letter sender recording error, source and retry count; queue depth.
//! - [`secrets`]: a Secrets Manager reader with a time-bounded cache, signing its one call
//!   itself (SigV4 over [`http`]) so a function that needs only a secret does not link the SDK.
//! - [`retry`]: the backoff-with-jitter timing every retrying call uses.

#[cfg(feature = "sdk")]
pub mod config;
#[cfg(feature = "sdk")]
pub mod dynamodb;
#[cfg(feature = "sdk")]
pub mod eventbridge;
pub mod http;
pub mod retry;
pub mod secrets;
#[cfg(feature = "sdk")]
pub mod sqs;

/// An AWS call failed; says which operation and why (with the SDK's full error chain).
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{operation} failed: {message}")]
    Call {
        operation: &'static str,
        message: String,
    },
    #[error("AWS configuration: {message}")]
    Config { message: String },
    #[error("{operation}: unexpected response: {message}")]
    Response {
        operation: &'static str,
        message: String,
    },
}

impl AwsError {
    /// Wraps an SDK error with the operation name and its whole source chain.
    #[cfg(feature = "sdk")]
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
