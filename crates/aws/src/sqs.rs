//! SQS: the dead-letter sender and queue depth.

use std::collections::HashMap;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use platform_events::DeadLetter;

use crate::{AwsError, Failure};

/// Message attribute names set on every dead letter (also in the JSON body), so queue
/// consumers and redrive tooling can filter without parsing the body.
pub const ATTR_ERROR: &str = "error";
pub const ATTR_SOURCE: &str = "source";
pub const ATTR_RETRY_COUNT: &str = "retryCount";

/// SQS message attributes are limited; the full error stays in the body.
const MAX_ATTRIBUTE_CHARS: usize = 256;

/// Where dead letters go; implemented by [`DeadLetterQueue`] (tests substitute a recorder).
pub trait DeadLetterSink: Send + Sync {
    /// Sends one dead letter; returns its message id.
    fn send_dead_letter(
        &self,
        letter: &DeadLetter,
    ) -> impl std::future::Future<Output = Result<String, AwsError>> + Send;
}

impl DeadLetterSink for DeadLetterQueue {
    async fn send_dead_letter(&self, letter: &DeadLetter) -> Result<String, AwsError> {
        self.send(letter).await
    }
}

/// Sends [`DeadLetter`]s to one queue.
#[derive(Clone, Debug)]
pub struct DeadLetterQueue {
    client: Client,
    url: String,
}

impl DeadLetterQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one dead letter; returns the SQS message id.
    pub async fn send(&self, letter: &DeadLetter) -> Result<String, AwsError> {
        self.send_with_attributes(letter, &[]).await
    }

    /// Like [`send`](Self::send), plus string attributes of the caller's own (e.g. where the
    /// message came from), for filtering without parsing the body. SQS allows ten attributes
    /// per message, three of which are taken.
    pub async fn send_with_attributes(
        &self,
        letter: &DeadLetter,
        extra: &[(&str, String)],
    ) -> Result<String, AwsError> {
        let body = platform_events::encode(letter).map_err(|e| AwsError::Response {
            operation: "SQS SendMessage",
            message: e.to_string(),
        })?;
        let mut attributes = HashMap::with_capacity(3 + extra.len());
        attributes.insert(ATTR_ERROR.to_string(), attribute("String", &letter.error)?);
        attributes.insert(
            ATTR_SOURCE.to_string(),
            attribute("String", &letter.source)?,
        );
        attributes.insert(
            ATTR_RETRY_COUNT.to_string(),
            attribute("Number", &letter.retry_count.to_string())?,
        );
        for (name, value) in extra {
            attributes.insert(name.to_string(), attribute("String", value)?);
        }
        let output = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(String::from_utf8_lossy(&body))
            .set_message_attributes(Some(attributes))
            .send()
            .await
            .map_err(|e| AwsError::call("SQS SendMessage", e))?;
        Ok(output.message_id().unwrap_or_default().to_string())
    }
}

fn attribute(data_type: &str, value: &str) -> Result<MessageAttributeValue, AwsError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value.chars().take(MAX_ATTRIBUTE_CHARS).collect::<String>())
        .build()
        .map_err(|e| AwsError::Call {
            operation: "SQS SendMessage (attribute)",
            message: e.to_string(),
            failure: Failure::Permanent,
        })
}

/// The approximate number of visible messages in a queue.
pub async fn queue_depth(client: &Client, url: &str) -> Result<u64, AwsError> {
    let output = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| AwsError::call("SQS GetQueueAttributes", e))?;
    output
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|v| v.parse().ok())
        .ok_or(AwsError::Response {
            operation: "SQS GetQueueAttributes",
            message: "no ApproximateNumberOfMessages".into(),
        })
}
