//! Parsing of Qlik Replicate Kafka messages, as Qlik documents them: JSON with or without the
//! `atMSG` envelope, data (`DT`) and metadata (`MD`) messages, and the Avro envelope whose
//! payload is decoded with the writer schema it embeds. Pure: bytes in, a typed message or a
//! typed error out; it never panics on any input (fuzzed in `fuzz/`).
//!
//! `parse_ref` is the hot path: its message borrows strings from the input bytes, so what the
//! caller does not use (the before image of an update, most headers) is never allocated.
//! `parse` gives the same message as owned data.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::avro::{AvroError, DecodeError, ParsedSchema, Reader, Schema};
use crate::row::{Cell, Row, Text};

/// The five bytes every Qlik envelope starts with.
pub const ENVELOPE_MAGIC: &[u8; 5] = b"atMSG";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Refresh,
    Insert,
    Update,
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Refresh => "REFRESH",
            Operation::Insert => "INSERT",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text.trim() {
            t if t.eq_ignore_ascii_case("REFRESH") => Operation::Refresh,
            t if t.eq_ignore_ascii_case("INSERT") => Operation::Insert,
            t if t.eq_ignore_ascii_case("UPDATE") => Operation::Update,
            t if t.eq_ignore_ascii_case("DELETE") => Operation::Delete,
            _ => return None,
        })
    }

    /// The image that identifies the row: `data`, or `beforeData` for the DELETE shape that
    /// carries only the before image.
    fn row_image<T>(self, data: Option<T>, before_data: Option<T>) -> Option<T> {
        match self {
            Operation::Delete => data.or(before_data),
            _ => data,
        }
    }
}

/// The ordering key of a change: Qlik's `changeSequence` as an integer. Full-load (`REFRESH`)
/// records carry none and sort before every CDC change, as they do in the stream.
pub type ChangeSequence = u128;

/// One row change (`type: "DT"`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataChange {
    pub operation: Operation,
    pub change_sequence: ChangeSequence,
    /// UTC time of the source change; absent for full load.
    pub timestamp: Option<String>,
    pub transaction_id: Option<String>,
    pub data: Option<Map<String, Value>>,
    pub before_data: Option<Map<String, Value>>,
}

impl DataChange {
    /// The image that identifies the row: `data`, or `beforeData` for the DELETE shape that
    /// carries only the before image.
    pub fn row_image(&self) -> Option<&Map<String, Value>> {
        self.operation
            .row_image(self.data.as_ref(), self.before_data.as_ref())
    }
}

/// A data change whose strings borrow from the message bytes (those with JSON escapes are
/// unescaped copies).
#[derive(Debug, Clone, PartialEq)]
pub struct DataChangeRef<'a> {
    pub operation: Operation,
    pub change_sequence: ChangeSequence,
    /// UTC time of the source change; absent for full load.
    pub timestamp: Option<Cow<'a, str>>,
    pub transaction_id: Option<Cow<'a, str>>,
    pub data: Option<Row<'a>>,
    pub before_data: Option<Row<'a>>,
}

impl<'a> DataChangeRef<'a> {
    /// The image that identifies the row: `data`, or `beforeData` for the DELETE shape that
    /// carries only the before image.
    pub fn row_image(&self) -> Option<&Row<'a>> {
        self.operation
            .row_image(self.data.as_ref(), self.before_data.as_ref())
    }

    /// Takes the identifying image out of the change.
    pub fn take_row_image(&mut self) -> Option<Row<'a>> {
        self.operation
            .row_image(self.data.take(), self.before_data.take())
    }

    pub fn into_owned(self) -> DataChange {
        DataChange {
            operation: self.operation,
            change_sequence: self.change_sequence,
            timestamp: self.timestamp.map(Cow::into_owned),
            transaction_id: self.transaction_id.map(Cow::into_owned),
            data: self.data.map(Row::into_map),
            before_data: self.before_data.map(Row::into_map),
        }
    }
}

/// A table description (`type: "MD"`); it changes nothing in the sink.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub schema_id: Option<String>,
    pub schema: Option<String>,
    pub table: Option<String>,
    pub table_version: Option<i64>,
    /// Key columns ordered by `primaryKeyPosition`.
    pub primary_key: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QlikMessage {
    Data(DataChange),
    Metadata(Metadata),
}

#[derive(Debug, Clone, PartialEq)]
pub enum QlikMessageRef<'a> {
    Data(DataChangeRef<'a>),
    Metadata(Metadata),
}

impl QlikMessageRef<'_> {
    pub fn into_owned(self) -> QlikMessage {
        match self {
            QlikMessageRef::Data(change) => QlikMessage::Data(change.into_owned()),
            QlikMessageRef::Metadata(metadata) => QlikMessage::Metadata(metadata),
        }
    }
}

/// Why a message is not a valid Qlik message. Every variant is permanent: retrying the same
/// bytes gives the same answer, so the message goes to the dead-letter queue.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("envelope magic is {0:?}, expected \"atMSG\"")]
    BadMagic(String),
    #[error("envelope type is {0:?}, expected \"DT\" or \"MD\"")]
    BadEnvelopeType(String),
    #[error("envelope has no message")]
    MissingMessage,
    #[error("Avro envelope: {0}")]
    Avro(#[from] AvroError),
    #[error(
        "Avro envelope has no embedded messageSchema (schema id {0:?}); only embedded schemas are supported"
    )]
    NoEmbeddedSchema(Option<String>),
    #[error("data message has no headers.operation")]
    MissingOperation,
    #[error("unknown operation {0:?}")]
    UnknownOperation(String),
    #[error("{0} change has no changeSequence")]
    MissingChangeSequence(&'static str),
    #[error("changeSequence {0:?} is not a decimal number of at most 38 digits")]
    BadChangeSequence(String),
    #[error("{0} change has no row image (data and beforeData are both null)")]
    MissingRowImage(&'static str),
    #[error("message is neither a Qlik data nor a metadata message")]
    Unrecognised,
}

/// Parses one Kafka message value into owned data.
pub fn parse(bytes: &[u8]) -> Result<QlikMessage, ParseError> {
    parse_ref(bytes).map(QlikMessageRef::into_owned)
}

/// Parses one Kafka message value, borrowing from it.
pub fn parse_ref(bytes: &[u8]) -> Result<QlikMessageRef<'_>, ParseError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(ParseError::Empty)?;
    if bytes[start] == b'{' {
        // Given bytes, serde_json checks each string it reads for UTF-8 on its own, which costs
        // more than reading the message; one check of the whole message is several times
        // cheaper. Invalid UTF-8 goes to the byte parser, so that errors, and what skipped
        // fields may contain, stay exactly as they were.
        let document: Result<Document, _> = match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(bytes),
        };
        return interpret(document.map_err(|e| ParseError::Json(e.to_string()))?, None);
    }
    parse_avro_envelope(avro_envelope_start(bytes)?)
}

/// The Avro envelope, either bare or behind the Confluent wire-format prefix (a zero byte and
/// a four-byte schema id) that registry-aware producers add.
fn avro_envelope_start(bytes: &[u8]) -> Result<&[u8], ParseError> {
    if bytes.starts_with(ENVELOPE_MAGIC) {
        return Ok(bytes);
    }
    if bytes.len() >= 10 && bytes[0] == 0 && &bytes[5..10] == ENVELOPE_MAGIC {
        return Ok(&bytes[5..]);
    }
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(5)]).into_owned();
    Err(ParseError::BadMagic(shown))
}

/// The envelope's `headers`, a map of strings that nothing here reads.
static ENVELOPE_HEADERS: LazyLock<ParsedSchema> =
    LazyLock::new(|| ParsedSchema::anonymous(Schema::Map(Box::new(Schema::String))));

/// The Avro `MessageEnvelope`: magic fixed(5), type string, headers union{null,map<string>},
/// messageSchemaId union{null,string}, messageSchema union{null,string}, message bytes.
fn parse_avro_envelope(bytes: &[u8]) -> Result<QlikMessageRef<'_>, ParseError> {
    let mut reader = Reader::new(bytes);
    reader.take(ENVELOPE_MAGIC.len())?;
    let envelope_kind = EnvelopeKind::parse(reader.string()?)?;
    if reader.branch(2)? == 1 {
        ENVELOPE_HEADERS.skip(&mut reader)?;
    }
    let schema_id = optional_str(&mut reader)?;
    let schema = optional_schema(&mut reader)?;
    let message = reader.bytes()?;
    let schema =
        schema.ok_or_else(|| ParseError::NoEmbeddedSchema(schema_id.map(str::to_string)))?;
    let schema = match schema {
        EmbeddedSchema::Known(schema) => schema,
        EmbeddedSchema::Text(text) => cached_schema(text)?,
    };
    let document: Document = match schema.deserialize(message) {
        Ok(document) => document,
        Err(DecodeError::Avro(e)) => return Err(ParseError::Avro(e)),
        // Decoding stopped at the first field of the wrong shape; a payload that is also
        // malformed further on is reported as malformed, as decoding all of it first would.
        Err(DecodeError::Shape(shape)) => {
            return Err(match schema.decode(message) {
                Err(e) => ParseError::Avro(e),
                Ok(_) => ParseError::Json(shape),
            });
        }
    };
    interpret(document, Some(envelope_kind))
}

fn optional_str<'a>(reader: &mut Reader<'a>) -> Result<Option<&'a str>, ParseError> {
    Ok(match reader.branch(2)? {
        0 => None,
        _ => Some(reader.string()?),
    })
}

/// Distinct writer schemas remembered per thread. A task has one schema per table version, so
/// this is plenty; hostile or churning schemas only cost a re-parse after the cache is reset.
const SCHEMA_CACHE_LIMIT: usize = 256;

/// Parsing the embedded schema costs far more than decoding the row, and every message of a
/// table repeats the same schema text, so parsed schemas are cached by their text.
#[derive(Default)]
struct SchemaCache {
    /// Consecutive messages on a thread mostly carry the same schema: comparing the text with
    /// the last one is cheaper than checking it for UTF-8 and hashing it.
    last: Option<(Rc<str>, Rc<ParsedSchema>)>,
    parsed: HashMap<Rc<str>, Rc<ParsedSchema>>,
}

thread_local! {
    static SCHEMAS: RefCell<SchemaCache> = RefCell::new(SchemaCache::default());
}

enum EmbeddedSchema<'a> {
    /// The previous message's schema, whose text this one repeats.
    Known(Rc<ParsedSchema>),
    /// Text checked for UTF-8, not yet parsed.
    Text(&'a str),
}

/// The `messageSchema` field, checked where it is read so that errors keep their order.
fn optional_schema<'a>(reader: &mut Reader<'a>) -> Result<Option<EmbeddedSchema<'a>>, ParseError> {
    if reader.branch(2)? == 0 {
        return Ok(None);
    }
    let at = reader.position();
    let text = reader.bytes()?;
    let known = SCHEMAS.with(|cache| match &cache.borrow().last {
        Some((last_text, schema)) if last_text.as_bytes() == text => Some(schema.clone()),
        _ => None,
    });
    if let Some(schema) = known {
        return Ok(Some(EmbeddedSchema::Known(schema)));
    }
    let text = std::str::from_utf8(text).map_err(|_| AvroError::NotUtf8(at))?;
    Ok(Some(EmbeddedSchema::Text(text)))
}

fn cached_schema(text: &str) -> Result<Rc<ParsedSchema>, AvroError> {
    SCHEMAS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let (text, schema) = match cache.parsed.get_key_value(text) {
            Some((text, schema)) => (text.clone(), schema.clone()),
            None => {
                let schema = Rc::new(ParsedSchema::parse(text)?);
                if cache.parsed.len() >= SCHEMA_CACHE_LIMIT {
                    cache.parsed.clear();
                }
                let text: Rc<str> = Rc::from(text);
                cache.parsed.insert(text.clone(), schema.clone());
                (text, schema)
            }
        };
        cache.last = Some((text, schema.clone()));
        Ok(schema)
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum EnvelopeKind {
    Data,
    Metadata,
}

impl EnvelopeKind {
    fn parse(kind: &str) -> Result<Self, ParseError> {
        match kind {
            "DT" => Ok(EnvelopeKind::Data),
            "MD" => Ok(EnvelopeKind::Metadata),
            other => Err(ParseError::BadEnvelopeType(other.to_string())),
        }
    }
}

/// Every field an envelope, a data payload or a metadata payload may carry; which ones are
/// present decides what the document is. One typed pass, no intermediate `Value` tree.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Document<'a> {
    #[serde(borrow)]
    magic: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Box<Document<'a>>>,
    #[serde(borrow)]
    data: Option<Row<'a>>,
    #[serde(borrow)]
    before_data: Option<Row<'a>>,
    #[serde(borrow)]
    headers: Option<Headers<'a>>,
    #[serde(borrow)]
    schema_id: Option<Cell<'a>>,
    lineage: Option<Lineage>,
    table_structure: Option<TableStructure>,
    data_schema: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Headers<'a> {
    #[serde(borrow)]
    operation: Option<Text<'a>>,
    /// Header values are strings in JSON and may be typed in Avro.
    #[serde(borrow)]
    change_sequence: Option<Cell<'a>>,
    #[serde(borrow)]
    timestamp: Option<Cell<'a>>,
    #[serde(borrow)]
    transaction_id: Option<Cell<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Lineage {
    schema: Option<String>,
    table: Option<String>,
    table_version: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TableStructure {
    table_columns: Option<Map<String, Value>>,
}

fn interpret(
    document: Document<'_>,
    envelope: Option<EnvelopeKind>,
) -> Result<QlikMessageRef<'_>, ParseError> {
    if let Some(Text(magic)) = &document.magic {
        if magic != "atMSG" {
            return Err(ParseError::BadMagic(magic.to_string()));
        }
        let kind = document.kind.as_ref().map_or("", |Text(kind)| kind);
        let kind = EnvelopeKind::parse(kind)?;
        let payload = document.message.ok_or(ParseError::MissingMessage)?;
        return interpret(*payload, Some(kind));
    }
    let looks_like_metadata = document.lineage.is_some()
        || document.table_structure.is_some()
        || document.data_schema.is_some();
    match envelope {
        Some(EnvelopeKind::Metadata) => Ok(QlikMessageRef::Metadata(metadata(document))),
        Some(EnvelopeKind::Data) => data_change(document),
        None if looks_like_metadata => Ok(QlikMessageRef::Metadata(metadata(document))),
        None if document.headers.is_some() => data_change(document),
        None => Err(ParseError::Unrecognised),
    }
}

fn data_change(document: Document<'_>) -> Result<QlikMessageRef<'_>, ParseError> {
    let headers = document.headers.ok_or(ParseError::MissingOperation)?;
    let Text(operation_text) = headers.operation.ok_or(ParseError::MissingOperation)?;
    let operation = Operation::parse(&operation_text)
        .ok_or_else(|| ParseError::UnknownOperation(operation_text.into_owned()))?;
    let change_sequence = match headers.change_sequence.and_then(Cell::into_text) {
        Some(text) => parse_sequence(&text)?,
        None if operation == Operation::Refresh => 0,
        None => return Err(ParseError::MissingChangeSequence(operation.as_str())),
    };
    let change = DataChangeRef {
        operation,
        change_sequence,
        timestamp: headers.timestamp.and_then(Cell::into_text),
        transaction_id: headers.transaction_id.and_then(Cell::into_text),
        data: document.data,
        before_data: document.before_data,
    };
    if change.row_image().is_none() {
        return Err(ParseError::MissingRowImage(operation.as_str()));
    }
    Ok(QlikMessageRef::Data(change))
}

fn parse_sequence(text: &str) -> Result<ChangeSequence, ParseError> {
    let digits = text.trim_start_matches('0');
    if text.is_empty() || digits.len() > 38 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadChangeSequence(text.to_string()));
    }
    // At most 38 digits always fit in u128 (max ~3.4e38), and in DynamoDB's number type. They
    // are read as two u64 halves of at most 19 digits: u128 arithmetic per digit is slow.
    const LOW_DIGITS: usize = 19;
    let (high, low) = digits.split_at(digits.len().saturating_sub(LOW_DIGITS));
    let value = |part: &str| {
        part.bytes()
            .fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0'))
    };
    Ok(u128::from(value(high)) * 10u128.pow(LOW_DIGITS as u32) + u128::from(value(low)))
}

fn metadata(document: Document<'_>) -> Metadata {
    let lineage = document.lineage.unwrap_or_default();
    let mut keyed: Vec<(i64, String)> = document
        .table_structure
        .and_then(|t| t.table_columns)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, column)| {
            let position = column.get("primaryKeyPosition")?.as_i64()?;
            (position > 0).then_some((position, name))
        })
        .collect();
    keyed.sort();
    Metadata {
        schema_id: document
            .schema_id
            .and_then(Cell::into_text)
            .map(Cow::into_owned),
        schema: lineage.schema,
        table: lineage.table,
        table_version: lineage.table_version,
        primary_key: keyed.into_iter().map(|(_, name)| name).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const QLIK_SUPPORT_UPDATE: &str = r#"{"magic":"atMSG","type":"DT","headers":null,"messageSchemaId":null,"messageSchema":null,
 "message":{"data":{"ID":"2","NAME":"test Kafka"},"beforeData":{"ID":"2","NAME":"ok"},
  "headers":{"operation":"UPDATE","changeSequence":"20230911032325000000000000000000005",
   "timestamp":"2023-09-11T03:23:25.000",
   "streamPosition":"00000000.00bb2531.00000001.0000.02.0000:154.6963.16",
   "transactionId":"00000000000000000000000000060008","changeMask":"02","columnMask":"07",
   "transactionEventCounter":1,"transactionLastEvent":true}}}"#;

    fn data(message: QlikMessage) -> DataChange {
        match message {
            QlikMessage::Data(change) => change,
            other => panic!("expected data, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_update_from_qliks_support_article() {
        let change = data(parse(QLIK_SUPPORT_UPDATE.as_bytes()).unwrap());
        assert_eq!(change.operation, Operation::Update);
        assert_eq!(change.change_sequence, 20230911032325000000000000000000005);
        assert_eq!(change.timestamp.as_deref(), Some("2023-09-11T03:23:25.000"));
        assert_eq!(change.data.unwrap()["NAME"], json!("test Kafka"));
        assert_eq!(change.before_data.unwrap()["NAME"], json!("ok"));
    }

    #[test]
    fn parses_a_data_message_without_envelope() {
        let bare = json!({"data":{"ID":"7"},"beforeData":null,
            "headers":{"operation":"INSERT","changeSequence":"0000012","timestamp":null}});
        let change = data(parse(bare.to_string().as_bytes()).unwrap());
        assert_eq!(change.operation, Operation::Insert);
        assert_eq!(change.change_sequence, 12);
        assert_eq!(change.timestamp, None);
    }

    #[test]
    fn refresh_without_sequence_sorts_first() {
        let refresh = json!({"data":{"ID":"1"},"headers":{"operation":"REFRESH","changeSequence":null,
            "timestamp":null,"streamPosition":null,"transactionId":null}});
        let change = data(parse(refresh.to_string().as_bytes()).unwrap());
        assert_eq!(
            (change.operation, change.change_sequence),
            (Operation::Refresh, 0)
        );
    }

    #[test]
    fn accepts_both_delete_shapes() {
        for body in [
            json!({"data":null,"beforeData":{"ID":"3"},"headers":{"operation":"DELETE","changeSequence":"9"}}),
            json!({"data":{"ID":"3"},"beforeData":null,"headers":{"operation":"DELETE","changeSequence":"9"}}),
        ] {
            let change = data(parse(body.to_string().as_bytes()).unwrap());
            assert_eq!(change.operation, Operation::Delete);
            assert_eq!(change.row_image().unwrap()["ID"], json!("3"));
        }
    }

    #[test]
    fn parses_metadata_with_key_positions() {
        let md = json!({"magic":"atMSG","type":"MD","headers":null,"messageSchemaId":null,"messageSchema":null,
            "message":{"schemaId":"abc","lineage":{"server":"s","task":"t","schema":"dbo","table":"ORDERS","tableVersion":3,"timestamp":"x"},
            "tableStructure":{"tableColumns":{
                "LINE":{"ordinal":2,"type":"INT4","primaryKeyPosition":2},
                "NOTE":{"ordinal":3,"type":"STRING","primaryKeyPosition":0},
                "ORDER_ID":{"ordinal":1,"type":"INT4","primaryKeyPosition":1}}},
            "dataSchema":{}}});
        let QlikMessage::Metadata(meta) = parse(md.to_string().as_bytes()).unwrap() else {
            panic!("expected metadata");
        };
        assert_eq!(meta.table.as_deref(), Some("ORDERS"));
        assert_eq!(meta.table_version, Some(3));
        assert_eq!(meta.primary_key, vec!["ORDER_ID", "LINE"]);
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        type Expectation = fn(&ParseError) -> bool;
        let cases: Vec<(&[u8], Expectation)> = vec![
            (b"", |e| matches!(e, ParseError::Empty)),
            (b"{not json", |e| matches!(e, ParseError::Json(_))),
            (b"garbage!", |e| matches!(e, ParseError::BadMagic(_))),
            (br#"{"magic":"xxMSG","type":"DT","message":{}}"#, |e| matches!(e, ParseError::BadMagic(_))),
            (br#"{"magic":"atMSG","type":"ZZ","message":{}}"#, |e| matches!(e, ParseError::BadEnvelopeType(_))),
            (br#"{"magic":"atMSG","type":"DT"}"#, |e| matches!(e, ParseError::MissingMessage)),
            (br#"{"data":{"ID":"1"},"headers":{}}"#, |e| matches!(e, ParseError::MissingOperation)),
            (br#"{"data":{"ID":"1"},"headers":{"operation":"MERGE","changeSequence":"1"}}"#, |e| matches!(e, ParseError::UnknownOperation(_))),
            (br#"{"data":{"ID":"1"},"headers":{"operation":"INSERT"}}"#, |e| matches!(e, ParseError::MissingChangeSequence("INSERT"))),
            (br#"{"data":{"ID":"1"},"headers":{"operation":"INSERT","changeSequence":"12a"}}"#, |e| matches!(e, ParseError::BadChangeSequence(_))),
            (br#"{"data":null,"beforeData":null,"headers":{"operation":"DELETE","changeSequence":"1"}}"#, |e| matches!(e, ParseError::MissingRowImage("DELETE"))),
            (br#"{"data":{"ID":"1"},"headers":{"operation":"UPDATE","changeSequence":"123456789012345678901234567890123456789"}}"#, |e| matches!(e, ParseError::BadChangeSequence(_))),
            (br#"{"hello":"world"}"#, |e| matches!(e, ParseError::Unrecognised)),
            (b"atMSG\x04DT\x00\x02\x06abc\x00\x00", |e| matches!(e, ParseError::NoEmbeddedSchema(Some(_)))),
        ];
        for (bytes, expected) in cases {
            let err = parse(bytes).expect_err(&String::from_utf8_lossy(bytes));
            assert!(
                expected(&err),
                "{:?} gave {err:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn parses_the_avro_envelope_with_its_embedded_schema() {
        let bytes = crate::corpus::avro_data_message(
            "DELETE",
            Some("20230911032325000000000000000000042"),
            None,
            Some(&[("ID", Some("5")), ("NAME", Some("gone"))]),
        );
        let change = data(parse(&bytes).unwrap());
        assert_eq!(change.operation, Operation::Delete);
        assert_eq!(change.change_sequence, 20230911032325000000000000000000042);
        assert_eq!(change.row_image().unwrap()["NAME"], json!("gone"));
        // The same envelope behind a Confluent wire-format prefix.
        let mut prefixed = vec![0, 0, 0, 0, 7];
        prefixed.extend_from_slice(&bytes);
        assert_eq!(
            data(parse(&prefixed).unwrap()).change_sequence,
            change.change_sequence
        );
    }

    /// An Avro envelope whose payload has `data` as a long, then a string of `len` bytes.
    fn avro_with_a_long_for_data(len: i64) -> Vec<u8> {
        use crate::avro::encode;
        let schema = r#"{"type":"record","name":"R","fields":[
            {"name":"data","type":"long"},{"name":"note","type":"string"}]}"#;
        let mut payload = Vec::new();
        encode::long(&mut payload, 1);
        encode::long(&mut payload, len);
        payload.extend_from_slice(b"ab");
        let mut envelope = ENVELOPE_MAGIC.to_vec();
        encode::string(&mut envelope, "DT");
        encode::long(&mut envelope, 0);
        encode::optional_string(&mut envelope, None);
        encode::optional_string(&mut envelope, Some(schema));
        encode::bytes(&mut envelope, &payload);
        envelope
    }

    #[test]
    fn malformed_avro_payloads_are_avro_errors_before_shape_errors() {
        assert_eq!(
            parse(&avro_with_a_long_for_data(2)),
            Err(ParseError::Json(
                "invalid type: integer `1`, expected a map".into()
            ))
        );
        assert_eq!(
            parse(&avro_with_a_long_for_data(9)),
            Err(ParseError::Avro(AvroError::BadLength { at: 1, len: 9 }))
        );
    }

    #[test]
    fn truncated_avro_envelopes_are_errors_at_every_length() {
        let bytes =
            crate::corpus::avro_data_message("INSERT", Some("7"), Some(&[("ID", Some("1"))]), None);
        for len in 0..bytes.len() {
            assert!(
                parse(&bytes[..len]).is_err(),
                "prefix of {len} bytes parsed"
            );
        }
    }
}

/// The fuzz target's property on stable Rust: random mutations of valid messages of every
/// shape never panic. (`fuzz/` runs the same property under libFuzzer.)
#[cfg(test)]
mod mutation_tests {
    use super::*;

    fn seeds() -> Vec<Vec<u8>> {
        let cols: &[(&str, Option<&str>)] = &[("ID", Some("1")), ("NAME", None)];
        vec![
            crate::corpus::json_data_message(true, "UPDATE", Some("12"), Some(cols), Some(cols)),
            crate::corpus::json_data_message(false, "DELETE", Some("13"), None, Some(cols)),
            crate::corpus::json_metadata_message("T", &["ID"], &["NAME"]),
            crate::corpus::avro_data_message("INSERT", Some("14"), Some(cols), None),
            crate::corpus::avro_data_message("DELETE", Some("15"), None, Some(cols)),
        ]
    }

    #[test]
    fn random_mutations_of_every_shape_never_panic() {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let seeds = seeds();
        for _ in 0..40_000 {
            let mut bytes = seeds[rng.usize(0..seeds.len())].clone();
            for _ in 0..rng.usize(1..6) {
                match rng.u8(0..4) {
                    0 if !bytes.is_empty() => {
                        let i = rng.usize(0..bytes.len());
                        bytes[i] = rng.u8(..);
                    }
                    1 if !bytes.is_empty() => {
                        bytes.truncate(rng.usize(0..bytes.len()));
                    }
                    2 => {
                        let i = rng.usize(0..=bytes.len());
                        bytes.insert(i, rng.u8(..));
                    }
                    _ if bytes.len() > 1 => {
                        let i = rng.usize(0..bytes.len() - 1);
                        bytes.swap(i, i + 1);
                    }
                    _ => {}
                }
            }
            let _ = parse(&bytes);
        }
    }
}

/// The fuzz seeds are valid messages, so the fuzzer starts from every shape.
#[cfg(test)]
mod seed_tests {
    #[test]
    fn every_fuzz_seed_parses() {
        let seeds: [(&str, &[u8]); 5] = [
            (
                "avro_envelope_insert",
                include_bytes!("../../fuzz/seeds/qlik_parse/avro_envelope_insert.bin"),
            ),
            (
                "json_bare_delete",
                include_bytes!("../../fuzz/seeds/qlik_parse/json_bare_delete.json"),
            ),
            (
                "json_envelope_update",
                include_bytes!("../../fuzz/seeds/qlik_parse/json_envelope_update.json"),
            ),
            (
                "json_metadata",
                include_bytes!("../../fuzz/seeds/qlik_parse/json_metadata.json"),
            ),
            (
                "json_refresh",
                include_bytes!("../../fuzz/seeds/qlik_parse/json_refresh.json"),
            ),
        ];
        for (name, bytes) in seeds {
            assert!(
                super::parse(bytes).is_ok(),
                "seed {name}: {:?}",
                super::parse(bytes)
            );
        }
    }
}
