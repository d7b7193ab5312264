//! Parsing of Qlik Replicate Kafka messages, as Qlik documents them: JSON with or without the
//! `atMSG` envelope, data (`DT`) and metadata (`MD`) messages, and the Avro envelope whose
//! payload is decoded with the writer schema it embeds. Pure: bytes in, a typed message or a
//! typed error out; it never panics on any input (fuzzed in `fuzz/`).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::avro::{self, AvroError, ParsedSchema, Reader};

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
        match self.operation {
            Operation::Delete => self.data.as_ref().or(self.before_data.as_ref()),
            _ => self.data.as_ref(),
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

/// Parses one Kafka message value.
pub fn parse(bytes: &[u8]) -> Result<QlikMessage, ParseError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(ParseError::Empty)?;
    if bytes[start] == b'{' {
        let document: Document =
            serde_json::from_slice(bytes).map_err(|e| ParseError::Json(e.to_string()))?;
        return interpret(document, None);
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

/// The Avro `MessageEnvelope`: magic fixed(5), type string, headers union{null,map<string>},
/// messageSchemaId union{null,string}, messageSchema union{null,string}, message bytes.
fn parse_avro_envelope(bytes: &[u8]) -> Result<QlikMessage, ParseError> {
    let mut reader = Reader::new(bytes);
    reader.take(ENVELOPE_MAGIC.len())?;
    let kind = reader.string()?.to_string();
    let envelope_kind = EnvelopeKind::parse(&kind)?;
    if reader.branch(2)? == 1 {
        let headers_schema = avro::Schema::Map(Box::new(avro::Schema::String));
        reader.value(&headers_schema, &Default::default(), 0)?;
    }
    let schema_id = optional_str(&mut reader)?;
    let schema = optional_str(&mut reader)?;
    let message = reader.bytes()?;
    let schema =
        schema.ok_or_else(|| ParseError::NoEmbeddedSchema(schema_id.map(str::to_string)))?;
    let payload = cached_schema(schema)?.decode(message)?;
    let document: Document =
        serde_json::from_value(payload).map_err(|e| ParseError::Json(e.to_string()))?;
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

thread_local! {
    static SCHEMAS: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<ParsedSchema>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Parsing the embedded schema costs far more than decoding the row, and every message of a
/// table repeats the same schema text, so parsed schemas are cached by their text.
fn cached_schema(text: &str) -> Result<std::rc::Rc<ParsedSchema>, AvroError> {
    SCHEMAS.with(|cache| {
        if let Some(schema) = cache.borrow().get(text) {
            return Ok(schema.clone());
        }
        let parsed = std::rc::Rc::new(ParsedSchema::parse(text)?);
        let mut cache = cache.borrow_mut();
        if cache.len() >= SCHEMA_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(text.to_string(), parsed.clone());
        Ok(parsed)
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
struct Document {
    magic: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<Box<Document>>,
    data: Option<Map<String, Value>>,
    before_data: Option<Map<String, Value>>,
    headers: Option<Headers>,
    schema_id: Option<Value>,
    lineage: Option<Lineage>,
    table_structure: Option<TableStructure>,
    data_schema: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Headers {
    operation: Option<String>,
    change_sequence: Option<Value>,
    timestamp: Option<Value>,
    transaction_id: Option<Value>,
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
    document: Document,
    envelope: Option<EnvelopeKind>,
) -> Result<QlikMessage, ParseError> {
    if let Some(magic) = &document.magic {
        if magic != "atMSG" {
            return Err(ParseError::BadMagic(magic.clone()));
        }
        let kind = EnvelopeKind::parse(document.kind.as_deref().unwrap_or_default())?;
        let payload = document.message.ok_or(ParseError::MissingMessage)?;
        return interpret(*payload, Some(kind));
    }
    let looks_like_metadata = document.lineage.is_some()
        || document.table_structure.is_some()
        || document.data_schema.is_some();
    match envelope {
        Some(EnvelopeKind::Metadata) => Ok(QlikMessage::Metadata(metadata(document))),
        Some(EnvelopeKind::Data) => data_change(document),
        None if looks_like_metadata => Ok(QlikMessage::Metadata(metadata(document))),
        None if document.headers.is_some() => data_change(document),
        None => Err(ParseError::Unrecognised),
    }
}

fn data_change(document: Document) -> Result<QlikMessage, ParseError> {
    let headers = document.headers.ok_or(ParseError::MissingOperation)?;
    let operation_text = headers.operation.ok_or(ParseError::MissingOperation)?;
    let operation =
        Operation::parse(&operation_text).ok_or(ParseError::UnknownOperation(operation_text))?;
    let change_sequence = match headers.change_sequence.as_ref().and_then(non_empty_text) {
        Some(text) => parse_sequence(&text)?,
        None if operation == Operation::Refresh => 0,
        None => return Err(ParseError::MissingChangeSequence(operation.as_str())),
    };
    let change = DataChange {
        operation,
        change_sequence,
        timestamp: headers.timestamp.as_ref().and_then(non_empty_text),
        transaction_id: headers.transaction_id.as_ref().and_then(non_empty_text),
        data: document.data,
        before_data: document.before_data,
    };
    if change.row_image().is_none() {
        return Err(ParseError::MissingRowImage(operation.as_str()));
    }
    Ok(QlikMessage::Data(change))
}

fn parse_sequence(text: &str) -> Result<ChangeSequence, ParseError> {
    let digits = text.trim_start_matches('0');
    if text.is_empty() || digits.len() > 38 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadChangeSequence(text.to_string()));
    }
    // At most 38 digits always fit in u128 (max ~3.4e38), and in DynamoDB's number type.
    if digits.is_empty() {
        return Ok(0);
    }
    digits
        .parse::<u128>()
        .map_err(|_| ParseError::BadChangeSequence(text.to_string()))
}

/// Header values are strings in JSON and may be typed in Avro; null and "" mean absent.
fn non_empty_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn metadata(document: Document) -> Metadata {
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
        schema_id: document.schema_id.as_ref().and_then(non_empty_text),
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
