//! The change-to-item transform: a parsed Qlik data change and the topic's mapping become one
//! write to the sink. Pure and allocation-light; the sink applies it idempotently.

use std::borrow::Cow;

use platform_contract::TopicTable;

use crate::qlik::{ChangeSequence, DataChange, DataChangeRef, Operation};
use crate::row::{Cell, Row};

/// Attribute names the sink reserves next to the row's columns.
pub const PARTITION_KEY: &str = "pk";
pub const SEQUENCE_ATTRIBUTE: &str = "_seq";
pub const TABLE_ATTRIBUTE: &str = "_table";
pub const OPERATION_ATTRIBUTE: &str = "_op";
pub const TIMESTAMP_ATTRIBUTE: &str = "_ts";
/// Marks a tombstone; a row never has it.
pub const DELETED_ATTRIBUTE: &str = platform_contract::CDC_DELETED_ATTRIBUTE;
/// The table's TTL attribute, on tombstones only.
pub const EXPIRY_ATTRIBUTE: &str = platform_contract::CDC_EXPIRY_ATTRIBUTE;
const RESERVED: [&str; 7] = [
    PARTITION_KEY,
    SEQUENCE_ATTRIBUTE,
    TABLE_ATTRIBUTE,
    OPERATION_ATTRIBUTE,
    TIMESTAMP_ATTRIBUTE,
    DELETED_ATTRIBUTE,
    EXPIRY_ATTRIBUTE,
];

/// A column value as the sink stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Null,
    String(String),
    Number(String),
    Bool(bool),
}

impl AttributeValue {
    fn from_cell(cell: Cell<'_>) -> Self {
        match cell {
            Cell::Null => AttributeValue::Null,
            Cell::Text(s) => AttributeValue::String(s.into_owned()),
            Cell::Number(n) => AttributeValue::Number(n.to_string()),
            Cell::Bool(b) => AttributeValue::Bool(b),
            // Nested values do not occur in Qlik rows; keep them losslessly as JSON text.
            Cell::Nested(v) => AttributeValue::String(v.to_string()),
        }
    }
}

/// One idempotent, order-safe write.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkWrite {
    pub table: String,
    pub pk: String,
    pub sequence: ChangeSequence,
    pub operation: Operation,
    pub timestamp: Option<String>,
    pub kind: WriteKind,
}

/// What a write stores. Which write wins is decided by the sink (see `sink::supersedes`).
#[derive(Debug, Clone, PartialEq)]
pub enum WriteKind {
    /// Replace the item with the row's columns.
    Upsert(Vec<(String, AttributeValue)>),
    /// Replace the item with a tombstone: the row reads as absent, and the tombstone's sequence
    /// keeps every older change from recreating it.
    Delete,
}

/// Why a change cannot be written; permanent, so the message is dead-lettered.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TransformError {
    #[error("{operation} change for table {table} has no value for key column {column}")]
    MissingKey {
        table: String,
        operation: &'static str,
        column: String,
    },
    #[error("{operation} change for table {table} has no data image")]
    MissingData {
        table: String,
        operation: &'static str,
    },
    #[error("column {column} of table {table} collides with the reserved attribute {column}")]
    ReservedColumn { table: String, column: String },
}

/// The partition key `<table>#<key values joined by '#'>`.
pub fn partition_key(mapping: &TopicTable, row: &Row<'_>) -> Result<String, String> {
    let mut pk = String::with_capacity(mapping.table.len() + 16 * mapping.key_columns.len());
    pk.push_str(&mapping.table);
    for column in &mapping.key_columns {
        let value = lookup(row, column).ok_or_else(|| column.clone())?;
        pk.push('#');
        match value {
            Cell::Text(s) => pk.push_str(s),
            Cell::Null => return Err(column.clone()),
            other => pk.push_str(&other.clone().into_value().to_string()),
        }
    }
    Ok(pk)
}

/// Column names match exactly, else case-insensitively: Qlik upper-cases names from some
/// sources while the mapping is often written in lower case.
fn lookup<'r, 'a>(row: &'r Row<'a>, column: &str) -> Option<&'r Cell<'a>> {
    row.get(column).or_else(|| {
        row.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(column))
            .map(|(_, v)| v)
    })
}

/// Turns a borrowed data change into its sink write: the hot path when no event needs the
/// change afterwards. Strings the message did not have to unescape are copied once, here.
pub fn into_write(
    mapping: &TopicTable,
    mut change: DataChangeRef<'_>,
) -> Result<SinkWrite, TransformError> {
    let row = change.take_row_image();
    let timestamp = change.timestamp.map(Cow::into_owned);
    write(
        mapping,
        change.operation,
        change.change_sequence,
        timestamp,
        row,
    )
}

/// Turns a data change from the topic described by `mapping` into its sink write.
pub fn to_write(mapping: &TopicTable, change: &DataChange) -> Result<SinkWrite, TransformError> {
    let row = change.row_image().map(Row::borrowed);
    let timestamp = change.timestamp.clone();
    write(
        mapping,
        change.operation,
        change.change_sequence,
        timestamp,
        row,
    )
}

fn write(
    mapping: &TopicTable,
    operation: Operation,
    sequence: ChangeSequence,
    timestamp: Option<String>,
    row: Option<Row<'_>>,
) -> Result<SinkWrite, TransformError> {
    let row = row.ok_or_else(|| TransformError::MissingData {
        table: mapping.table.clone(),
        operation: operation.as_str(),
    })?;
    let pk = partition_key(mapping, &row).map_err(|column| TransformError::MissingKey {
        table: mapping.table.clone(),
        operation: operation.as_str(),
        column,
    })?;
    let kind = match operation {
        Operation::Delete => WriteKind::Delete,
        _ => {
            let mut columns = Vec::with_capacity(row.len());
            for (name, cell) in row.into_columns() {
                if RESERVED.contains(&name.as_ref()) {
                    return Err(TransformError::ReservedColumn {
                        table: mapping.table.clone(),
                        column: name.into_owned(),
                    });
                }
                columns.push((name.into_owned(), AttributeValue::from_cell(cell)));
            }
            WriteKind::Upsert(columns)
        }
    };
    Ok(SinkWrite {
        table: mapping.table.clone(),
        pk,
        sequence,
        operation,
        timestamp,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qlik::{QlikMessage, QlikMessageRef, parse, parse_ref};

    fn mapping(keys: &[&str]) -> TopicTable {
        TopicTable {
            topic: "qlik.orders".into(),
            table: "orders".into(),
            key_columns: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn change(bytes: &[u8]) -> DataChange {
        match parse(bytes).unwrap() {
            QlikMessage::Data(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn composite_keys_join_with_hash_and_match_case_insensitively() {
        let bytes = crate::corpus::json_data_message(
            true,
            "INSERT",
            Some("5"),
            Some(&[("ORDER_ID", Some("10")), ("LINE", Some("2")), ("QTY", None)]),
            None,
        );
        let write = to_write(&mapping(&["order_id", "line"]), &change(&bytes)).unwrap();
        assert_eq!(write.pk, "orders#10#2");
        assert_eq!(write.sequence, 5);
        let WriteKind::Upsert(columns) = write.kind else {
            panic!("not an upsert")
        };
        assert_eq!(columns[2], ("QTY".to_string(), AttributeValue::Null));
    }

    #[test]
    fn moving_and_borrowing_transforms_agree() {
        for bytes in [
            crate::corpus::json_data_message(
                true,
                "UPDATE",
                Some("5"),
                Some(&[("ORDER_ID", Some("1")), ("LINE", Some("2")), ("X", None)]),
                Some(&[("ORDER_ID", Some("1")), ("LINE", Some("2"))]),
            ),
            crate::corpus::json_data_message(
                false,
                "DELETE",
                Some("6"),
                None,
                Some(&[("ORDER_ID", Some("1")), ("LINE", Some("2"))]),
            ),
            crate::corpus::avro_data_message(
                "INSERT",
                Some("7"),
                Some(&[("ORDER_ID", Some("1")), ("LINE", Some("3"))]),
                None,
            ),
        ] {
            let m = mapping(&["order_id", "line"]);
            let QlikMessageRef::Data(borrowed) = parse_ref(&bytes).unwrap() else {
                panic!("not a data change")
            };
            assert_eq!(to_write(&m, &change(&bytes)), into_write(&m, borrowed));
        }
    }

    #[test]
    fn deletes_take_the_key_from_either_image() {
        for (data, before) in [
            (None, Some(&[("ID", Some("4"))][..])),
            (Some(&[("ID", Some("4"))][..]), None),
        ] {
            let bytes = crate::corpus::json_data_message(false, "DELETE", Some("9"), data, before);
            let write = to_write(&mapping(&["ID"]), &change(&bytes)).unwrap();
            assert_eq!(
                (write.pk.as_str(), write.kind),
                ("orders#4", WriteKind::Delete)
            );
        }
    }

    #[test]
    fn missing_or_null_keys_and_reserved_columns_are_errors() {
        let no_key = crate::corpus::json_data_message(
            true,
            "INSERT",
            Some("1"),
            Some(&[("X", Some("1"))]),
            None,
        );
        assert!(matches!(
            to_write(&mapping(&["ID"]), &change(&no_key)),
            Err(TransformError::MissingKey { .. })
        ));
        let null_key = crate::corpus::json_data_message(
            true,
            "UPDATE",
            Some("1"),
            Some(&[("ID", None)]),
            None,
        );
        assert!(matches!(
            to_write(&mapping(&["ID"]), &change(&null_key)),
            Err(TransformError::MissingKey { .. })
        ));
        let reserved = crate::corpus::json_data_message(
            true,
            "INSERT",
            Some("1"),
            Some(&[("ID", Some("1")), ("_seq", Some("x"))]),
            None,
        );
        assert!(matches!(
            to_write(&mapping(&["ID"]), &change(&reserved)),
            Err(TransformError::ReservedColumn { .. })
        ));
        // A source column named like the tombstone marker would make its row read as deleted.
        let marker = crate::corpus::json_data_message(
            true,
            "INSERT",
            Some("1"),
            Some(&[("ID", Some("1")), ("_deleted", Some("N"))]),
            None,
        );
        assert!(matches!(
            to_write(&mapping(&["ID"]), &change(&marker)),
            Err(TransformError::ReservedColumn { .. })
        ));
    }
}
