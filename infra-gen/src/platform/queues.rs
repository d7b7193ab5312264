//! The dead-letter queues: where stream batches that keep failing go (`StreamFailureDlq`), where
//! EventBridge rules and the asynchronously invoked functions dead-letter events (`EventsDlq`),
//! and where the CDC consumer parks records it cannot apply (`CdcDlq`). Each is encrypted with
//! the data key and refuses plain-HTTP access; only the rules that dead-letter into it may have
//! EventBridge write to `EventsDlq`.

use super::{Names, retain};
use crate::construct::grant::{KeyHandle, QueueHandle};
use crate::construct::*;
use crate::spec::RegionalSpec;

/// Fourteen days, SQS's maximum: time to notice, fix and redrive.
const RETENTION_SECONDS: u32 = 14 * 24 * 3600;

pub struct DeadLetterQueues {
    /// The stream mapping's on-failure destination.
    pub stream_failures: QueueHandle,
    /// Dead letters of the EventBridge rules and the asynchronously invoked functions.
    pub events: QueueHandle,
    /// The CDC consumer's.
    pub cdc: QueueHandle,
}

impl DeadLetterQueues {
    pub fn new(
        stack: &mut Stack,
        rs: &RegionalSpec,
        names: &Names,
        key: &KeyHandle,
    ) -> Result<DeadLetterQueues, ConstructError> {
        let mut queue = |path: &str, suffix: &str| -> Result<QueueHandle, ConstructError> {
            let id = stack.add(
                &[path],
                ResourceKind::Queue(Queue {
                    name: names.scoped(suffix),
                    kms_key: key.id.clone(),
                    retention_seconds: RETENTION_SECONDS,
                    redrive: None,
                }),
                retain(rs),
            )?;
            Ok(QueueHandle {
                id,
                key: key.clone(),
            })
        };
        Ok(DeadLetterQueues {
            stream_failures: queue("StreamFailureDlq", "stream-failures")?,
            events: queue("EventsDlq", "events-dlq")?,
            cdc: queue("CdcDlq", names.cdc_dlq())?,
        })
    }

    /// All three, in the order the health checker reports and the alarms watch them.
    pub fn all(&self) -> [&QueueHandle; 3] {
        [&self.stream_failures, &self.events, &self.cdc]
    }

    /// The queue policies; last, because `EventsDlq`'s names the rules that dead-letter into it.
    pub fn add_policies(
        &self,
        stack: &mut Stack,
        dead_letter_sources: &[LogicalId],
    ) -> Result<(), ConstructError> {
        let events = &self.events.id;
        stack.add(
            &[events.as_str(), "Policy"],
            ResourceKind::QueuePolicy(QueuePolicy {
                queue: events.clone(),
                statements: vec![
                    deny_insecure_transport(events),
                    Statement::allow(&["sqs:SendMessage"], [Value::arn(events)])
                        .with_sid("EventBridgeRulesDeadLetter")
                        .with_principal(Principal::Service("events.amazonaws.com".into()))
                        .with_condition(
                            "ArnEquals",
                            "aws:SourceArn",
                            dead_letter_sources.iter().map(Value::arn).collect(),
                        ),
                ],
            }),
            false,
        )?;
        for q in [&self.stream_failures, &self.cdc] {
            stack.add(
                &[q.id.as_str(), "Policy"],
                ResourceKind::QueuePolicy(QueuePolicy {
                    queue: q.id.clone(),
                    statements: vec![deny_insecure_transport(&q.id)],
                }),
                false,
            )?;
        }
        Ok(())
    }
}

fn deny_insecure_transport(queue: &LogicalId) -> Statement {
    Statement::allow(&["sqs:*"], [Value::arn(queue)])
        .deny()
        .with_sid("DenyInsecureTransport")
        .with_principal(Principal::Any)
        .with_condition("Bool", "aws:SecureTransport", vec![Value::str("false")])
}
