//! A small Avro binary decoder for the Qlik message envelope and the payload it embeds.
//!
//! Qlik's Avro envelope carries the payload's writer schema as JSON (`messageSchema`), so the
//! payload can be decoded without a schema registry. We decode it into a `serde_json::Value`
//! so that Avro and JSON messages share one interpretation path. The decoder only ever reads
//! untrusted bytes through bounds-checked cursors, limits nesting depth and the number of
//! decoded values, and never allocates more than the input can justify: it cannot panic, loop
//! forever or exhaust memory on hostile input (the fuzz target checks this).

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// The most values one message may decode to: more than any real row, far less than memory.
const VALUE_BUDGET_PER_INPUT_BYTE: usize = 2;
const VALUE_BUDGET_FLOOR: usize = 4096;
/// Nesting limit for schemas and values; Qlik payloads nest three levels deep.
const MAX_DEPTH: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AvroError {
    #[error("avro input ends early at byte {0}")]
    Truncated(usize),
    #[error("avro varint at byte {0} is too long")]
    BadVarint(usize),
    #[error("avro length {len} at byte {at} is negative or exceeds the input")]
    BadLength { at: usize, len: i64 },
    #[error("avro string at byte {0} is not UTF-8")]
    NotUtf8(usize),
    #[error("avro union branch {branch} at byte {at} does not exist")]
    BadUnionBranch { at: usize, branch: i64 },
    #[error("avro enum index {index} at byte {at} does not exist")]
    BadEnumIndex { at: usize, index: i64 },
    #[error("avro value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("avro message decodes to too many values")]
    TooManyValues,
    #[error("avro schema: {0}")]
    Schema(String),
    #[error("avro float at byte {0} is not finite")]
    NotFinite(usize),
}

/// A parsed writer schema. Named types are referenced by name and resolved at decode time, so
/// that a record used twice (Qlik's `data` and `beforeData`) is defined once.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record(Vec<(String, Schema)>),
    Enum(Vec<String>),
    Array(Box<Schema>),
    Map(Box<Schema>),
    Union(Vec<Schema>),
    Fixed(usize),
    Named(String),
}

/// A schema with its table of named types.
#[derive(Debug, Clone)]
pub struct ParsedSchema {
    root: Schema,
    named: HashMap<String, Schema>,
}

impl ParsedSchema {
    /// Parses an Avro schema given as JSON text.
    pub fn parse(json: &str) -> Result<Self, AvroError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| AvroError::Schema(format!("not JSON: {e}")))?;
        let mut named = HashMap::new();
        let root = parse_schema(&value, &mut named, 0)?;
        Ok(ParsedSchema { root, named })
    }

    /// Decodes one datum that must use all of `bytes`.
    pub fn decode(&self, bytes: &[u8]) -> Result<Value, AvroError> {
        let mut reader = Reader::new(bytes);
        let value = reader.value(&self.root, &self.named, 0)?;
        Ok(value)
    }
}

fn parse_schema(
    value: &Value,
    named: &mut HashMap<String, Schema>,
    depth: usize,
) -> Result<Schema, AvroError> {
    if depth > MAX_DEPTH {
        return Err(AvroError::TooDeep);
    }
    match value {
        Value::String(name) => Ok(primitive(name).unwrap_or_else(|| Schema::Named(name.clone()))),
        Value::Array(branches) => Ok(Schema::Union(
            branches
                .iter()
                .map(|b| parse_schema(b, named, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(object) => {
            let kind = object
                .get("type")
                .ok_or_else(|| AvroError::Schema("a schema object has no `type`".into()))?;
            let kind_name = match kind {
                Value::String(s) => s.as_str(),
                // `{"type": {...}}` or `{"type": [...]}` wraps another schema.
                other => return parse_schema(other, named, depth + 1),
            };
            let schema = match kind_name {
                "record" | "error" => {
                    let fields =
                        object
                            .get("fields")
                            .and_then(Value::as_array)
                            .ok_or_else(|| {
                                AvroError::Schema("a record has no `fields` array".into())
                            })?;
                    let mut parsed = Vec::with_capacity(fields.len());
                    for field in fields {
                        let name = field.get("name").and_then(Value::as_str).ok_or_else(|| {
                            AvroError::Schema("a record field has no name".into())
                        })?;
                        let field_type = field.get("type").ok_or_else(|| {
                            AvroError::Schema(format!("record field `{name}` has no type"))
                        })?;
                        parsed.push((
                            name.to_string(),
                            parse_schema(field_type, named, depth + 1)?,
                        ));
                    }
                    Schema::Record(parsed)
                }
                "enum" => Schema::Enum(
                    object
                        .get("symbols")
                        .and_then(Value::as_array)
                        .ok_or_else(|| AvroError::Schema("an enum has no `symbols`".into()))?
                        .iter()
                        .map(|s| s.as_str().unwrap_or_default().to_string())
                        .collect(),
                ),
                "array" => Schema::Array(Box::new(parse_schema(
                    object
                        .get("items")
                        .ok_or_else(|| AvroError::Schema("an array has no `items`".into()))?,
                    named,
                    depth + 1,
                )?)),
                "map" => Schema::Map(Box::new(parse_schema(
                    object
                        .get("values")
                        .ok_or_else(|| AvroError::Schema("a map has no `values`".into()))?,
                    named,
                    depth + 1,
                )?)),
                "fixed" => Schema::Fixed(
                    object
                        .get("size")
                        .and_then(Value::as_u64)
                        .and_then(|s| usize::try_from(s).ok())
                        .ok_or_else(|| AvroError::Schema("a fixed has no valid `size`".into()))?,
                ),
                other => primitive(other).unwrap_or_else(|| Schema::Named(other.to_string())),
            };
            if matches!(kind_name, "record" | "error" | "enum" | "fixed")
                && let Some(name) = object.get("name").and_then(Value::as_str)
            {
                register(
                    named,
                    name,
                    object.get("namespace").and_then(Value::as_str),
                    &schema,
                );
            }
            Ok(schema)
        }
        _ => Err(AvroError::Schema(format!(
            "unexpected schema element {value}"
        ))),
    }
}

/// Registers a named type under its simple and its full name, as writers use either.
fn register(
    named: &mut HashMap<String, Schema>,
    name: &str,
    namespace: Option<&str>,
    schema: &Schema,
) {
    let simple = name.rsplit('.').next().unwrap_or(name);
    named.insert(simple.to_string(), schema.clone());
    named.insert(name.to_string(), schema.clone());
    if let Some(ns) = namespace.filter(|ns| !ns.is_empty() && !name.contains('.')) {
        named.insert(format!("{ns}.{name}"), schema.clone());
    }
}

fn primitive(name: &str) -> Option<Schema> {
    Some(match name {
        "null" => Schema::Null,
        "boolean" => Schema::Boolean,
        "int" => Schema::Int,
        "long" => Schema::Long,
        "float" => Schema::Float,
        "double" => Schema::Double,
        "bytes" => Schema::Bytes,
        "string" => Schema::String,
        _ => return None,
    })
}

/// A bounds-checked cursor over untrusted Avro bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    budget: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            pos: 0,
            budget: bytes
                .len()
                .saturating_mul(VALUE_BUDGET_PER_INPUT_BYTE)
                .max(VALUE_BUDGET_FLOOR),
        }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> &'a [u8] {
        &self.bytes[self.pos.min(self.bytes.len())..]
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], AvroError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(AvroError::Truncated(self.pos))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// A zig-zag varint of at most 64 bits.
    pub fn long(&mut self) -> Result<i64, AvroError> {
        let start = self.pos;
        let mut raw: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .bytes
                .get(self.pos)
                .ok_or(AvroError::Truncated(self.pos))?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return Err(AvroError::BadVarint(start));
            }
            raw |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
            }
        }
        Err(AvroError::BadVarint(start))
    }

    fn length(&mut self) -> Result<usize, AvroError> {
        let at = self.pos;
        let len = self.long()?;
        usize::try_from(len)
            .ok()
            .filter(|l| *l <= self.bytes.len().saturating_sub(self.pos))
            .ok_or(AvroError::BadLength { at, len })
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], AvroError> {
        let len = self.length()?;
        self.take(len)
    }

    pub fn string(&mut self) -> Result<&'a str, AvroError> {
        let at = self.pos;
        let raw = self.bytes()?;
        std::str::from_utf8(raw).map_err(|_| AvroError::NotUtf8(at))
    }

    /// A union index; the caller knows how many branches there are.
    pub fn branch(&mut self, branches: usize) -> Result<usize, AvroError> {
        let at = self.pos;
        let branch = self.long()?;
        usize::try_from(branch)
            .ok()
            .filter(|b| *b < branches)
            .ok_or(AvroError::BadUnionBranch { at, branch })
    }

    fn spend(&mut self) -> Result<(), AvroError> {
        self.budget = self.budget.checked_sub(1).ok_or(AvroError::TooManyValues)?;
        Ok(())
    }

    /// Array and map block counts; a negative count is followed by the block's byte size.
    fn block_count(&mut self) -> Result<u64, AvroError> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        Ok(count.unsigned_abs())
    }

    pub fn value(
        &mut self,
        schema: &Schema,
        named: &HashMap<String, Schema>,
        depth: usize,
    ) -> Result<Value, AvroError> {
        if depth > MAX_DEPTH {
            return Err(AvroError::TooDeep);
        }
        self.spend()?;
        Ok(match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => Value::Bool(self.take(1)?[0] != 0),
            Schema::Int | Schema::Long => Value::Number(self.long()?.into()),
            Schema::Float => {
                let at = self.pos;
                let raw = self.take(4)?;
                let f = f32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
                Value::Number(Number::from_f64(f64::from(f)).ok_or(AvroError::NotFinite(at))?)
            }
            Schema::Double => {
                let at = self.pos;
                let raw = self.take(8)?;
                let mut le = [0u8; 8];
                le.copy_from_slice(raw);
                Value::Number(
                    Number::from_f64(f64::from_le_bytes(le)).ok_or(AvroError::NotFinite(at))?,
                )
            }
            Schema::Bytes => Value::String(hex(self.bytes()?)),
            Schema::Fixed(size) => Value::String(hex(self.take(*size)?)),
            Schema::String => Value::String(self.string()?.to_string()),
            Schema::Record(fields) => {
                let mut object = Map::with_capacity(fields.len().min(1024));
                for (name, field_schema) in fields {
                    let v = self.value(field_schema, named, depth + 1)?;
                    object.insert(name.clone(), v);
                }
                Value::Object(object)
            }
            Schema::Enum(symbols) => {
                let at = self.pos;
                let index = self.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| symbols.get(i))
                    .ok_or(AvroError::BadEnumIndex { at, index })?;
                Value::String(symbol.clone())
            }
            Schema::Array(items) => {
                let mut out = Vec::new();
                loop {
                    let count = self.block_count()?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count {
                        out.push(self.value(items, named, depth + 1)?);
                    }
                }
                Value::Array(out)
            }
            Schema::Map(values) => {
                let mut out = Map::new();
                loop {
                    let count = self.block_count()?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count {
                        self.spend()?;
                        let key = self.string()?.to_string();
                        let v = self.value(values, named, depth + 1)?;
                        out.insert(key, v);
                    }
                }
                Value::Object(out)
            }
            Schema::Union(branches) => {
                let branch = self.branch(branches.len())?;
                self.value(&branches[branch], named, depth + 1)?
            }
            Schema::Named(name) => {
                let resolved = named
                    .get(name)
                    .or_else(|| named.get(name.rsplit('.').next().unwrap_or(name)))
                    .ok_or_else(|| AvroError::Schema(format!("unknown named type `{name}`")))?;
                self.value(resolved, named, depth + 1)?
            }
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Avro binary encoding, for tests, benchmarks and the corpus producer.
pub mod encode {
    pub fn long(out: &mut Vec<u8>, value: i64) {
        let mut zz = ((value << 1) ^ (value >> 63)) as u64;
        loop {
            if zz < 0x80 {
                out.push(zz as u8);
                return;
            }
            out.push((zz as u8 & 0x7f) | 0x80);
            zz >>= 7;
        }
    }

    pub fn bytes(out: &mut Vec<u8>, value: &[u8]) {
        long(out, value.len() as i64);
        out.extend_from_slice(value);
    }

    pub fn string(out: &mut Vec<u8>, value: &str) {
        bytes(out, value.as_bytes());
    }

    /// A `["null", "string"]` union.
    pub fn optional_string(out: &mut Vec<u8>, value: Option<&str>) {
        match value {
            None => long(out, 0),
            Some(s) => {
                long(out, 1);
                string(out, s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_round_trip_through_zig_zag() {
        for v in [0i64, 1, -1, 63, -64, 64, 300, -300, i64::MAX, i64::MIN] {
            let mut buf = Vec::new();
            encode::long(&mut buf, v);
            assert_eq!(Reader::new(&buf).long().unwrap(), v);
        }
    }

    #[test]
    fn overlong_varints_and_lengths_are_errors() {
        assert!(matches!(
            Reader::new(&[0xff; 11]).long(),
            Err(AvroError::BadVarint(0))
        ));
        let mut buf = Vec::new();
        encode::long(&mut buf, 1000);
        buf.extend_from_slice(b"short");
        assert!(matches!(
            Reader::new(&buf).bytes(),
            Err(AvroError::BadLength { .. })
        ));
    }

    #[test]
    fn decodes_records_unions_enums_and_named_references() {
        let schema = ParsedSchema::parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"row","type":["null",{"type":"record","name":"Row","fields":[{"name":"ID","type":"int"}]}]},
                {"name":"before","type":["null","Row"]},
                {"name":"op","type":{"type":"enum","name":"Op","symbols":["INSERT","DELETE"]}},
                {"name":"tags","type":{"type":"map","values":"string"}}]}"#,
        )
        .unwrap();
        let mut buf = Vec::new();
        encode::long(&mut buf, 1);
        encode::long(&mut buf, 42);
        encode::long(&mut buf, 0);
        encode::long(&mut buf, 1);
        encode::long(&mut buf, 1);
        encode::string(&mut buf, "k");
        encode::string(&mut buf, "v");
        encode::long(&mut buf, 0);
        let value = schema.decode(&buf).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"row":{"ID":42},"before":null,"op":"DELETE","tags":{"k":"v"}})
        );
    }

    #[test]
    fn huge_counts_of_empty_values_hit_the_budget() {
        let schema = ParsedSchema::parse(r#"{"type":"array","items":"null"}"#).unwrap();
        let mut buf = Vec::new();
        encode::long(&mut buf, i64::MAX);
        assert_eq!(schema.decode(&buf), Err(AvroError::TooManyValues));
    }

    #[test]
    fn recursive_schemas_stop_at_the_depth_limit() {
        let schema = ParsedSchema::parse(
            r#"{"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]}"#,
        )
        .unwrap();
        let buf = vec![2u8; 200];
        assert_eq!(schema.decode(&buf), Err(AvroError::TooDeep));
    }
}
