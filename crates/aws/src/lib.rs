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
//!
//! Every failed call is an [`AwsError`] carrying its [`Failure`]: transient, permanent or a
//! conditional-check failure, decided once from the SDK error so all callers agree on what
//! is worth retrying.

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
        failure: Failure,
    },
    #[error("AWS configuration: {message}")]
    Config { message: String },
    #[error("{operation}: unexpected response: {message}")]
    Response {
        operation: &'static str,
        message: String,
    },
}

/// Whether a failed call can succeed if the same request is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Throttling, timeouts, 5xx, connection failures, unreadable responses, and any service
    /// error code not known to be permanent: a caller that must not drop work retries these
    /// rather than give up on a guess.
    Transient,
    /// The request can never succeed as sent: it could not be built, or the service refused
    /// it as invalid.
    Permanent,
    /// A conditional write's condition was false (DynamoDB `ConditionalCheckFailedException`):
    /// an answer about the stored data, not a fault.
    ConditionFailed,
}

/// Service error codes that mean the request itself is wrong, so sending it again fails again.
#[cfg(feature = "sdk")]
const PERMANENT_CODES: [&str; 3] = [
    "ValidationException",
    "SerializationException",
    "ItemCollectionSizeLimitExceededException",
];

#[cfg(feature = "sdk")]
impl Failure {
    /// Decided from the SDK error itself (its kind and service error code), not its text.
    pub fn of<E, R>(error: &aws_sdk_sqs::error::SdkError<E, R>) -> Self
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata,
    {
        use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
        match error.code() {
            Some("ConditionalCheckFailedException") => Self::ConditionFailed,
            Some(code) if PERMANENT_CODES.contains(&code) => Self::Permanent,
            _ if matches!(error, SdkError::ConstructionFailure(_)) => Self::Permanent,
            _ => Self::Transient,
        }
    }
}

impl AwsError {
    /// Wraps an SDK error with the operation name, its whole source chain and its [`Failure`].
    #[cfg(feature = "sdk")]
    pub fn call<E, R>(operation: &'static str, error: aws_sdk_sqs::error::SdkError<E, R>) -> Self
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        Self::Call {
            operation,
            failure: Failure::of(&error),
            message: aws_sdk_sqs::error::DisplayErrorContext(error).to_string(),
        }
    }

    /// True when sending the same request again may succeed (see [`Failure::Transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Call {
                failure: Failure::Transient,
                ..
            }
        )
    }

    /// True when the error is a service-side conditional-check failure (DynamoDB).
    pub fn is_conditional_check_failed(&self) -> bool {
        matches!(
            self,
            Self::Call {
                failure: Failure::ConditionFailed,
                ..
            }
        )
    }
}

#[cfg(all(test, feature = "sdk"))]
mod tests {
    use super::*;
    use aws_sdk_sqs::error::{ErrorMetadata, SdkError};
    use aws_sdk_sqs::operation::send_message::SendMessageError;

    fn service(code: &str) -> SdkError<SendMessageError, ()> {
        SdkError::service_error(
            SendMessageError::generic(ErrorMetadata::builder().code(code).build()),
            (),
        )
    }

    #[test]
    fn failures_are_classified_from_the_sdk_error() {
        let failure = |e| match AwsError::call("op", e) {
            AwsError::Call { failure, .. } => failure,
            other => panic!("{other}"),
        };
        assert_eq!(failure(service("ThrottlingException")), Failure::Transient);
        assert_eq!(failure(service("InternalServerError")), Failure::Transient);
        // Unknown codes are retried: only a known-permanent refusal may drop work.
        assert_eq!(
            failure(service("AccessDeniedException")),
            Failure::Transient
        );
        assert_eq!(failure(service("ValidationException")), Failure::Permanent);
        assert_eq!(
            failure(service("ConditionalCheckFailedException")),
            Failure::ConditionFailed
        );
        assert_eq!(failure(SdkError::timeout_error("slow")), Failure::Transient);
        assert_eq!(
            failure(SdkError::construction_failure("bad input")),
            Failure::Permanent
        );
        let condition = AwsError::call("op", service("ConditionalCheckFailedException"));
        assert!(condition.is_conditional_check_failed() && !condition.is_transient());
        assert!(AwsError::call("op", service("ThrottlingException")).is_transient());
    }
}
