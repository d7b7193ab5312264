//! Where row changes land: a small trait with the DynamoDB table as the real implementation
//! and an in-memory map for benchmarks and the reference model of the tests.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue as DynamoValue;
use platform_aws::AwsError;
use platform_aws::dynamodb::Table;

use crate::qlik::ChangeSequence;
use crate::transform::{
    AttributeValue, OPERATION_ATTRIBUTE, PARTITION_KEY, SEQUENCE_ATTRIBUTE, SinkWrite,
    TABLE_ATTRIBUTE, TIMESTAMP_ATTRIBUTE, WriteKind,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The row now reflects this change.
    Applied,
    /// The stored row already has a later change; nothing was written (a replay or a late
    /// duplicate).
    Stale,
}

/// A failure talking to an output (sink, dead-letter queue, event bus).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OutputError {
    /// Throttling, timeouts, the service unreachable, unknown errors: retried, never skipped.
    #[error("transient: {0}")]
    Transient(String),
    /// The request itself is invalid (e.g. an item over the size limit): dead-lettered.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl OutputError {
    pub fn is_transient(&self) -> bool {
        matches!(self, OutputError::Transient(_))
    }
}

impl From<AwsError> for OutputError {
    fn from(error: AwsError) -> Self {
        if error.is_transient() {
            OutputError::Transient(error.to_string())
        } else {
            OutputError::Permanent(error.to_string())
        }
    }
}

pub trait Sink: Send + Sync {
    /// Applies independent writes (distinct partition keys); one result per write, in order.
    fn apply<'a>(
        &'a self,
        writes: &'a [SinkWrite],
    ) -> BoxFuture<'a, Vec<Result<ApplyOutcome, OutputError>>>;
    /// Whether the sink answers at all, for readiness.
    fn check(&self) -> BoxFuture<'_, Result<(), OutputError>>;
}

/// A stored row of the in-memory sink.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRow {
    pub sequence: ChangeSequence,
    pub columns: Vec<(String, AttributeValue)>,
}

/// The sink semantics without I/O: what the DynamoDB condition does, as a map.
#[derive(Default)]
pub struct MemorySink {
    rows: Mutex<HashMap<String, MemoryRow>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn snapshot(&self) -> HashMap<String, MemoryRow> {
        self.rows
            .lock()
            .map(|rows| rows.clone())
            .unwrap_or_default()
    }

    /// Applies one write with the conditional semantics of the DynamoDB sink.
    pub fn apply_one(rows: &mut HashMap<String, MemoryRow>, write: &SinkWrite) -> ApplyOutcome {
        if rows
            .get(&write.pk)
            .is_some_and(|row| row.sequence > write.sequence)
        {
            return ApplyOutcome::Stale;
        }
        match &write.kind {
            WriteKind::Upsert(columns) => {
                rows.insert(
                    write.pk.clone(),
                    MemoryRow {
                        sequence: write.sequence,
                        columns: columns.clone(),
                    },
                );
            }
            WriteKind::Delete => {
                rows.remove(&write.pk);
            }
        }
        ApplyOutcome::Applied
    }
}

impl Sink for MemorySink {
    fn apply<'a>(
        &'a self,
        writes: &'a [SinkWrite],
    ) -> BoxFuture<'a, Vec<Result<ApplyOutcome, OutputError>>> {
        Box::pin(async move {
            let Ok(mut rows) = self.rows.lock() else {
                return writes
                    .iter()
                    .map(|_| Err(OutputError::Permanent("memory sink poisoned".into())))
                    .collect();
            };
            writes
                .iter()
                .map(|w| Ok(Self::apply_one(&mut rows, w)))
                .collect()
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), OutputError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The DynamoDB table: one item per source row. Each write is conditional on the stored
/// `_seq` being at most the change's, so replays and late duplicates never regress a row and
/// a replay of the same change is a harmless rewrite (which keeps event publication
/// at-least-once after a crash between write and publish).
pub struct DynamoSink {
    table: Table,
}

const CONDITION: &str = "attribute_not_exists(#pk) OR #seq <= :seq";

impl DynamoSink {
    pub fn new(client: aws_sdk_dynamodb::Client, table_name: impl Into<String>) -> Self {
        DynamoSink {
            table: Table::new(client, table_name),
        }
    }

    async fn apply_one(table: Table, write: SinkWrite) -> Result<ApplyOutcome, OutputError> {
        let sequence = DynamoValue::N(write.sequence.to_string());
        let result = match write.kind {
            WriteKind::Upsert(columns) => {
                let mut item = HashMap::with_capacity(columns.len() + 5);
                for (name, value) in columns {
                    item.insert(name, to_dynamo(value));
                }
                item.insert(PARTITION_KEY.to_string(), DynamoValue::S(write.pk));
                item.insert(SEQUENCE_ATTRIBUTE.to_string(), sequence.clone());
                item.insert(TABLE_ATTRIBUTE.to_string(), DynamoValue::S(write.table));
                item.insert(
                    OPERATION_ATTRIBUTE.to_string(),
                    DynamoValue::S(write.operation.as_str().to_string()),
                );
                if let Some(ts) = write.timestamp {
                    item.insert(TIMESTAMP_ATTRIBUTE.to_string(), DynamoValue::S(ts));
                }
                table
                    .client()
                    .put_item()
                    .table_name(table.name())
                    .set_item(Some(item))
                    .condition_expression(CONDITION)
                    .expression_attribute_names("#pk", PARTITION_KEY)
                    .expression_attribute_names("#seq", SEQUENCE_ATTRIBUTE)
                    .expression_attribute_values(":seq", sequence)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::call("DynamoDB PutItem", e))
            }
            WriteKind::Delete => table
                .client()
                .delete_item()
                .table_name(table.name())
                .key(PARTITION_KEY, DynamoValue::S(write.pk))
                .condition_expression(CONDITION)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#seq", SEQUENCE_ATTRIBUTE)
                .expression_attribute_values(":seq", sequence)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::call("DynamoDB DeleteItem", e)),
        };
        match result {
            Ok(()) => Ok(ApplyOutcome::Applied),
            Err(e) if e.is_conditional_check_failed() => Ok(ApplyOutcome::Stale),
            Err(e) => Err(e.into()),
        }
    }
}

/// The consumer's own value type, not JSON: numbers keep their exact source text.
fn to_dynamo(value: AttributeValue) -> DynamoValue {
    match value {
        AttributeValue::Null => DynamoValue::Null(true),
        AttributeValue::String(s) => DynamoValue::S(s),
        AttributeValue::Number(n) => DynamoValue::N(n),
        AttributeValue::Bool(b) => DynamoValue::Bool(b),
    }
}

impl Sink for DynamoSink {
    fn apply<'a>(
        &'a self,
        writes: &'a [SinkWrite],
    ) -> BoxFuture<'a, Vec<Result<ApplyOutcome, OutputError>>> {
        Box::pin(async move {
            // Distinct keys are independent, so their writes run concurrently.
            let handles: Vec<_> = writes
                .iter()
                .map(|w| tokio::spawn(Self::apply_one(self.table.clone(), w.clone())))
                .collect();
            let mut results = Vec::with_capacity(handles.len());
            for handle in handles {
                results.push(match handle.await {
                    Ok(result) => result,
                    Err(e) => Err(OutputError::Transient(format!("write task failed: {e}"))),
                });
            }
            results
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), OutputError>> {
        Box::pin(async move {
            self.table
                .status()
                .await
                .map(|_| ())
                .map_err(OutputError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qlik::Operation;

    fn write(pk: &str, sequence: u128, kind: WriteKind) -> SinkWrite {
        SinkWrite {
            table: "t".into(),
            pk: pk.into(),
            sequence,
            operation: Operation::Update,
            timestamp: None,
            kind,
        }
    }

    #[test]
    fn memory_sink_never_regresses_and_replays_are_idempotent() {
        let mut rows = HashMap::new();
        let v2 = write(
            "t#1",
            2,
            WriteKind::Upsert(vec![("A".into(), AttributeValue::String("two".into()))]),
        );
        let v1 = write(
            "t#1",
            1,
            WriteKind::Upsert(vec![("A".into(), AttributeValue::String("one".into()))]),
        );
        assert_eq!(MemorySink::apply_one(&mut rows, &v2), ApplyOutcome::Applied);
        assert_eq!(MemorySink::apply_one(&mut rows, &v1), ApplyOutcome::Stale);
        assert_eq!(MemorySink::apply_one(&mut rows, &v2), ApplyOutcome::Applied);
        assert_eq!(rows["t#1"].sequence, 2);
        assert_eq!(
            MemorySink::apply_one(&mut rows, &write("t#1", 1, WriteKind::Delete)),
            ApplyOutcome::Stale
        );
        assert_eq!(
            MemorySink::apply_one(&mut rows, &write("t#1", 3, WriteKind::Delete)),
            ApplyOutcome::Applied
        );
        assert!(rows.is_empty());
    }
}
