//! The dead-letter queues (native: `platform/queues.rs`). The native engine writes each
//! queue's policy itself; here `enforce_ssl` adds the TLS-only statement and each EventBridge
//! target that dead-letters into `EventsDlq` adds its own `sqs:SendMessage` statement (CDK's
//! `addToDeadLetterQueueResourcePolicy`), so there is no `add_policies` step.

use aws_cdk_lib::aws_kms::Key;
use aws_cdk_lib::aws_sqs::{Queue, QueueEncryption, QueueProps};
use aws_cdk_lib::runtime::Upcast as _;
use aws_cdk_lib::{Duration, Stack};

use super::removal;
use crate::platform::Names;
use crate::spec::RegionalSpec;

/// Same as native: two weeks, SQS's maximum.
const RETENTION_DAYS: f64 = 14.0;
/// Same as native: SQS's default data key reuse, stated.
const DATA_KEY_REUSE_SECONDS: f64 = 300.0;

pub struct DeadLetterQueues {
    pub stream_failures: Queue,
    pub events: Queue,
    pub cdc: Queue,
}

impl DeadLetterQueues {
    pub fn new(
        stack: &Stack,
        rs: &RegionalSpec,
        names: &Names,
        key: &Key,
    ) -> jsii::Result<DeadLetterQueues> {
        let queue = |id: &str, suffix: &str| -> jsii::Result<Queue> {
            Queue::new(
                stack,
                id,
                Some(&QueueProps {
                    queue_name: Some(names.scoped(suffix)),
                    encryption: Some(QueueEncryption::Kms),
                    encryption_master_key: Some(key.upcast()),
                    data_key_reuse: Some(Duration::seconds(DATA_KEY_REUSE_SECONDS)?),
                    retention_period: Some(Duration::days(RETENTION_DAYS)?),
                    enforce_ssl: Some(true),
                    removal_policy: Some(removal(rs)),
                    ..Default::default()
                }),
            )
        };
        Ok(DeadLetterQueues {
            stream_failures: queue("StreamFailureDlq", "stream-failures")?,
            events: queue("EventsDlq", "events-dlq")?,
            cdc: queue("CdcDlq", names.cdc_dlq())?,
        })
    }

    /// In the native order, for the alarms and the health checker's grants.
    pub fn all(&self) -> [(&'static str, &Queue); 3] {
        [
            ("StreamFailureDlq", &self.stream_failures),
            ("EventsDlq", &self.events),
            ("CdcDlq", &self.cdc),
        ]
    }
}
