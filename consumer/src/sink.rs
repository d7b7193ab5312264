//! Where row changes land: a small trait with the DynamoDB table as the real implementation
//! and an in-memory map for benchmarks and the reference model of the tests.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue as DynamoValue;
use platform_aws::AwsError;
use platform_aws::dynamodb::Table;

use crate::qlik::ChangeSequence;
use crate::transform::{
    AttributeValue, DELETED_ATTRIBUTE, EXPIRY_ATTRIBUTE, OPERATION_ATTRIBUTE, PARTITION_KEY,
    SEQUENCE_ATTRIBUTE, SinkWrite, TABLE_ATTRIBUTE, TIMESTAMP_ATTRIBUTE, WriteKind,
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

/// What a reader of the table sees of one source row: its columns and the sequence of the
/// change that wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRow {
    pub sequence: ChangeSequence,
    pub columns: Vec<(String, AttributeValue)>,
}

/// One item of the in-memory sink: a row, or the tombstone a DELETE left.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryItem {
    Row(MemoryRow),
    Tombstone { sequence: ChangeSequence },
}

impl MemoryItem {
    fn version(&self) -> (ChangeSequence, bool) {
        match self {
            MemoryItem::Row(row) => (row.sequence, false),
            MemoryItem::Tombstone { sequence } => (*sequence, true),
        }
    }
}

/// Whether a write may replace the stored item (`None`: nothing stored), as the DynamoDB
/// conditions decide it. Versions order by change sequence, and at one sequence a tombstone
/// after a row: so the item ends up as the greatest version delivered, whatever the order and
/// however often each change arrives, and a change equal to the stored one rewrites it (a
/// replay of the same change is harmless).
///
/// The tie matters only where two writes share a sequence, which Qlik gives to one change
/// only, with one exception: full load (`REFRESH`) has no sequence and uses 0. At 0 a
/// tombstone wins, so no REFRESH can recreate a row a DELETE removed, even one carrying
/// sequence 0.
pub fn supersedes(write: &SinkWrite, stored: Option<(ChangeSequence, bool)>) -> bool {
    let deleting = matches!(write.kind, WriteKind::Delete);
    stored.is_none_or(|version| (write.sequence, deleting) >= version)
}

/// The sink semantics without I/O: what the DynamoDB conditions do, as a map.
#[derive(Default)]
pub struct MemorySink {
    items: Mutex<HashMap<String, MemoryItem>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// The table as a reader sees it: rows only, tombstones read as absent.
    pub fn snapshot(&self) -> HashMap<String, MemoryRow> {
        Self::rows(&self.items())
    }

    /// Every item, tombstones included.
    pub fn items(&self) -> HashMap<String, MemoryItem> {
        self.items
            .lock()
            .map(|items| items.clone())
            .unwrap_or_default()
    }

    /// The rows of `items`, as a reader sees them.
    pub fn rows(items: &HashMap<String, MemoryItem>) -> HashMap<String, MemoryRow> {
        items
            .iter()
            .filter_map(|(pk, item)| match item {
                MemoryItem::Row(row) => Some((pk.clone(), row.clone())),
                MemoryItem::Tombstone { .. } => None,
            })
            .collect()
    }

    /// Applies one write with the conditional semantics of the DynamoDB sink.
    pub fn apply_one(items: &mut HashMap<String, MemoryItem>, write: &SinkWrite) -> ApplyOutcome {
        if !supersedes(write, items.get(&write.pk).map(MemoryItem::version)) {
            return ApplyOutcome::Stale;
        }
        let item = match &write.kind {
            WriteKind::Upsert(columns) => MemoryItem::Row(MemoryRow {
                sequence: write.sequence,
                columns: columns.clone(),
            }),
            WriteKind::Delete => MemoryItem::Tombstone {
                sequence: write.sequence,
            },
        };
        items.insert(write.pk.clone(), item);
        ApplyOutcome::Applied
    }
}

impl Sink for MemorySink {
    fn apply<'a>(
        &'a self,
        writes: &'a [SinkWrite],
    ) -> BoxFuture<'a, Vec<Result<ApplyOutcome, OutputError>>> {
        Box::pin(async move {
            let Ok(mut items) = self.items.lock() else {
                return writes
                    .iter()
                    .map(|_| Err(OutputError::Permanent("memory sink poisoned".into())))
                    .collect();
            };
            writes
                .iter()
                .map(|w| Ok(Self::apply_one(&mut items, w)))
                .collect()
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<(), OutputError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The DynamoDB table: one item per source row, a row or a tombstone. Every write is a
/// conditional `PutItem` that [`supersedes`] describes, so replays and late duplicates never
/// regress a row or recreate a deleted one, and a replay of the same change is a harmless
/// rewrite (which keeps event publication at-least-once after a crash between write and
/// publish).
pub struct DynamoSink {
    table: Table,
    tombstone_ttl: Duration,
}

/// A condition expression and the attribute names it uses (DynamoDB refuses unused names).
struct Condition {
    expression: &'static str,
    names: &'static [(&'static str, &'static str)],
}

/// An upsert passes a row of at most its sequence, and a tombstone of a lower one.
const UPSERT_CONDITION: Condition = Condition {
    expression: "attribute_not_exists(#pk) OR #seq < :seq OR (#seq = :seq AND attribute_not_exists(#deleted))",
    names: &[
        ("#pk", PARTITION_KEY),
        ("#seq", SEQUENCE_ATTRIBUTE),
        ("#deleted", DELETED_ATTRIBUTE),
    ],
};
/// A tombstone passes any item of at most its sequence.
const DELETE_CONDITION: Condition = Condition {
    expression: "attribute_not_exists(#pk) OR #seq <= :seq",
    names: &[("#pk", PARTITION_KEY), ("#seq", SEQUENCE_ATTRIBUTE)],
};

/// Whether a stored item is a tombstone: readers treat such an item as an absent row.
pub fn is_tombstone(item: &HashMap<String, DynamoValue>) -> bool {
    item.contains_key(DELETED_ATTRIBUTE)
}

impl DynamoSink {
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table_name: impl Into<String>,
        tombstone_ttl: Duration,
    ) -> Self {
        DynamoSink {
            table: Table::new(client, table_name),
            tombstone_ttl,
        }
    }

    async fn apply_one(
        table: Table,
        write: SinkWrite,
        tombstone_ttl: Duration,
    ) -> Result<ApplyOutcome, OutputError> {
        let sequence = DynamoValue::N(write.sequence.to_string());
        let (mut item, condition) = match write.kind {
            WriteKind::Upsert(columns) => {
                let mut item = HashMap::with_capacity(columns.len() + 5);
                for (name, value) in columns {
                    item.insert(name, to_dynamo(value));
                }
                (item, UPSERT_CONDITION)
            }
            WriteKind::Delete => {
                // The clock only bounds how long the tombstone is kept; ordering never reads it.
                let expires = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .saturating_add(tombstone_ttl)
                    .as_secs();
                let item = HashMap::from([
                    (DELETED_ATTRIBUTE.to_string(), DynamoValue::Bool(true)),
                    (
                        EXPIRY_ATTRIBUTE.to_string(),
                        DynamoValue::N(expires.to_string()),
                    ),
                ]);
                (item, DELETE_CONDITION)
            }
        };
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
        let names = condition
            .names
            .iter()
            .map(|(placeholder, name)| (placeholder.to_string(), name.to_string()))
            .collect();
        match table
            .client()
            .put_item()
            .table_name(table.name())
            .set_item(Some(item))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":seq", sequence)
            .send()
            .await
            .map_err(|e| AwsError::call("DynamoDB PutItem", e))
        {
            Ok(_) => Ok(ApplyOutcome::Applied),
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
                .map(|w| {
                    tokio::spawn(Self::apply_one(
                        self.table.clone(),
                        w.clone(),
                        self.tombstone_ttl,
                    ))
                })
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
            operation: match kind {
                WriteKind::Delete => Operation::Delete,
                WriteKind::Upsert(_) => Operation::Update,
            },
            timestamp: None,
            kind,
        }
    }

    fn upsert(sequence: u128, value: &str) -> SinkWrite {
        let columns = vec![("A".into(), AttributeValue::String(value.into()))];
        write("t#1", sequence, WriteKind::Upsert(columns))
    }

    #[test]
    fn memory_sink_never_regresses_and_replays_are_idempotent() {
        let mut items = HashMap::new();
        let apply = |items: &mut _, w: &SinkWrite| MemorySink::apply_one(items, w);
        assert_eq!(apply(&mut items, &upsert(2, "two")), ApplyOutcome::Applied);
        assert_eq!(apply(&mut items, &upsert(1, "one")), ApplyOutcome::Stale);
        assert_eq!(apply(&mut items, &upsert(2, "two")), ApplyOutcome::Applied);
        assert_eq!(MemorySink::rows(&items)["t#1"].sequence, 2);
        let delete = |sequence| write("t#1", sequence, WriteKind::Delete);
        assert_eq!(apply(&mut items, &delete(1)), ApplyOutcome::Stale);
        assert_eq!(apply(&mut items, &delete(3)), ApplyOutcome::Applied);
        assert!(
            MemorySink::rows(&items).is_empty(),
            "the row reads as absent"
        );
        assert_eq!(items["t#1"], MemoryItem::Tombstone { sequence: 3 });
    }

    #[test]
    fn a_tombstone_blocks_every_older_write_and_yields_to_newer_ones() {
        let mut items = HashMap::new();
        let apply = |items: &mut _, w: &SinkWrite| MemorySink::apply_one(items, w);
        // The DELETE arrives first: it leaves a tombstone even where there was no row.
        assert_eq!(
            apply(&mut items, &write("t#1", 5, WriteKind::Delete)),
            ApplyOutcome::Applied
        );
        for older in [upsert(4, "update"), upsert(0, "refresh"), upsert(5, "same")] {
            assert_eq!(apply(&mut items, &older), ApplyOutcome::Stale, "{older:?}");
        }
        assert!(MemorySink::rows(&items).is_empty());
        assert_eq!(
            apply(&mut items, &upsert(6, "reinsert")),
            ApplyOutcome::Applied
        );
        // The DELETE replayed after the re-insert changes nothing.
        assert_eq!(
            apply(&mut items, &write("t#1", 5, WriteKind::Delete)),
            ApplyOutcome::Stale
        );
        assert_eq!(
            MemorySink::rows(&items)["t#1"].columns[0].1,
            AttributeValue::String("reinsert".into())
        );
    }

    /// The rule of `supersedes` for every stored version around a write's sequence: what the
    /// emulator test `the_conditions_agree_with_the_model_on_every_case` checks against the
    /// DynamoDB conditions.
    #[test]
    fn versions_order_by_sequence_then_tombstone() {
        for stored_tombstone in [false, true] {
            for (stored, written, upsert_wins, delete_wins) in [
                (4, 5, true, true),
                (5, 5, !stored_tombstone, true),
                (6, 5, false, false),
            ] {
                let stored = Some((stored, stored_tombstone));
                assert_eq!(supersedes(&upsert(written, "x"), stored), upsert_wins);
                let delete = write("t#1", written, WriteKind::Delete);
                assert_eq!(supersedes(&delete, stored), delete_wins);
            }
        }
        assert!(supersedes(&upsert(0, "refresh"), None));
    }
}
