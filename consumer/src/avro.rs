//! A small Avro binary decoder for the Qlik message envelope and the payload it embeds.
//!
//! Qlik's Avro envelope carries the payload's writer schema as JSON (`messageSchema`), so the
//! payload can be decoded without a schema registry. The decoder is a serde `Deserializer` that
//! presents the datum as `serde_json::Value` would present it, so Avro and JSON messages share
//! one interpretation path (the typed structs of `qlik.rs`) with no intermediate tree. It only
//! ever reads untrusted bytes through bounds-checked cursors, limits nesting depth and the
//! number of decoded values, and never allocates more than the input can justify: it cannot
//! panic, loop forever or exhaust memory on hostile input (the fuzz target checks this).

use std::collections::HashMap;
use std::fmt::Display;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

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
    Record {
        fields: Vec<(String, Schema)>,
        /// Two fields share a name (invalid Avro, but decodable): the record is then read as a
        /// JSON object would be, the last value under the first position.
        repeats_names: bool,
    },
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

    /// A schema without named types.
    pub fn anonymous(root: Schema) -> Self {
        ParsedSchema {
            root,
            named: HashMap::new(),
        }
    }

    /// Decodes one datum from the start of `bytes` into a `Value`.
    pub fn decode(&self, bytes: &[u8]) -> Result<Value, AvroError> {
        self.deserialize(bytes).map_err(|e| match e {
            DecodeError::Avro(e) => e,
            // Every datum has a `Value`; kept total rather than trusted.
            DecodeError::Shape(message) => AvroError::Schema(message),
        })
    }

    /// Decodes one datum from the start of `bytes` straight into `T`, borrowing its strings.
    pub fn deserialize<'a, T: Deserialize<'a>>(&self, bytes: &'a [u8]) -> Result<T, DecodeError> {
        let mut reader = Reader::new(bytes);
        T::deserialize(self.decoder(&mut reader))
    }

    /// Reads past one datum at the reader's position, checking it as decoding would.
    pub fn skip(&self, reader: &mut Reader<'_>) -> Result<(), AvroError> {
        match IgnoredAny::deserialize(self.decoder(reader)) {
            Ok(IgnoredAny) => Ok(()),
            Err(DecodeError::Avro(e)) => Err(e),
            Err(DecodeError::Shape(message)) => Err(AvroError::Schema(message)),
        }
    }

    fn decoder<'r, 'a>(&'r self, reader: &'r mut Reader<'a>) -> Decoder<'r, 'a> {
        Decoder {
            reader,
            schema: &self.root,
            named: &self.named,
            depth: 0,
        }
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
                    let mut parsed: Vec<(String, Schema)> = Vec::with_capacity(fields.len());
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
                    let repeats_names = {
                        let mut names = std::collections::HashSet::new();
                        !parsed.iter().all(|(name, _)| names.insert(name.as_str()))
                    };
                    Schema::Record {
                        fields: parsed,
                        repeats_names,
                    }
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

    /// Every decoded value passes here: the nesting and value limits.
    fn enter(&mut self, depth: usize) -> Result<(), AvroError> {
        if depth > MAX_DEPTH {
            return Err(AvroError::TooDeep);
        }
        self.spend()
    }

    fn float(&mut self) -> Result<f64, AvroError> {
        let at = self.pos;
        let raw = self.take(4)?;
        let f = f64::from(f32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]));
        f.is_finite().then_some(f).ok_or(AvroError::NotFinite(at))
    }

    fn double(&mut self) -> Result<f64, AvroError> {
        let at = self.pos;
        let mut le = [0u8; 8];
        le.copy_from_slice(self.take(8)?);
        let f = f64::from_le_bytes(le);
        f.is_finite().then_some(f).ok_or(AvroError::NotFinite(at))
    }

    fn symbol<'s>(&mut self, symbols: &'s [String]) -> Result<&'s str, AvroError> {
        let at = self.pos;
        let index = self.long()?;
        usize::try_from(index)
            .ok()
            .and_then(|i| symbols.get(i))
            .map(String::as_str)
            .ok_or(AvroError::BadEnumIndex { at, index })
    }
}

/// Why a datum could not be deserialised: bad Avro, or Avro of another shape than asked for.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error(transparent)]
    Avro(#[from] AvroError),
    #[error("{0}")]
    Shape(String),
}

/// Shape errors read exactly as serde_json words them for the same decoded value.
impl de::Error for DecodeError {
    fn custom<T: Display>(message: T) -> Self {
        DecodeError::Shape(message.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        let json = <serde_json::Error as de::Error>::invalid_type(unexpected, expected);
        DecodeError::Shape(json.to_string())
    }

    fn invalid_value(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        let json = <serde_json::Error as de::Error>::invalid_value(unexpected, expected);
        DecodeError::Shape(json.to_string())
    }
}

/// One datum of `schema` at the reader's position. Records and maps are maps, arrays are
/// sequences, enums and strings are strings, bytes and fixed are lower-case hex strings, unions
/// are their branch, null is unit (`None` for options): what `serde_json::Value` would give.
struct Decoder<'r, 'a> {
    reader: &'r mut Reader<'a>,
    schema: &'r Schema,
    named: &'r HashMap<String, Schema>,
    depth: usize,
}

impl<'r, 'a> Decoder<'r, 'a> {
    fn child<'c>(&'c mut self, schema: &'c Schema) -> Decoder<'c, 'a> {
        Decoder {
            reader: self.reader,
            schema,
            named: self.named,
            depth: self.depth + 1,
        }
    }

    fn resolve(&self, name: &str) -> Result<&'r Schema, AvroError> {
        self.named
            .get(name)
            .or_else(|| self.named.get(name.rsplit('.').next().unwrap_or(name)))
            .ok_or_else(|| AvroError::Schema(format!("unknown named type `{name}`")))
    }
}

impl<'de> de::Deserializer<'de> for Decoder<'_, 'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        self.reader.enter(self.depth)?;
        match self.schema {
            Schema::Null => visitor.visit_unit(),
            Schema::Boolean => visitor.visit_bool(self.reader.take(1)?[0] != 0),
            Schema::Int | Schema::Long => visitor.visit_i64(self.reader.long()?),
            Schema::Float => visitor.visit_f64(self.reader.float()?),
            Schema::Double => visitor.visit_f64(self.reader.double()?),
            Schema::Bytes => visitor.visit_string(hex(self.reader.bytes()?)),
            Schema::Fixed(size) => visitor.visit_string(hex(self.reader.take(*size)?)),
            Schema::String => visitor.visit_borrowed_str(self.reader.string()?),
            Schema::Enum(symbols) => visitor.visit_str(self.reader.symbol(symbols)?),
            Schema::Record {
                fields,
                repeats_names: false,
            } => visitor.visit_map(Fields {
                decoder: self,
                fields,
                next: 0,
            }),
            Schema::Record { fields, .. } => {
                let object = Value::deserialize(de::value::MapAccessDeserializer::new(Fields {
                    decoder: self,
                    fields,
                    next: 0,
                }))?;
                object
                    .deserialize_any(visitor)
                    .map_err(|e| DecodeError::Shape(e.to_string()))
            }
            Schema::Array(items) => visitor.visit_seq(Items {
                decoder: self,
                items,
                left: 0,
            }),
            Schema::Map(values) => visitor.visit_map(Entries {
                decoder: self,
                values,
                left: 0,
            }),
            Schema::Union(branches) => {
                let branch = self.reader.branch(branches.len())?;
                self.child(&branches[branch]).deserialize_any(visitor)
            }
            Schema::Named(name) => {
                let resolved = self.resolve(name)?;
                self.child(resolved).deserialize_any(visitor)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.schema {
            Schema::Null => {
                self.reader.enter(self.depth)?;
                visitor.visit_none()
            }
            Schema::Union(branches) => {
                self.reader.enter(self.depth)?;
                let branch = self.reader.branch(branches.len())?;
                self.child(&branches[branch]).deserialize_option(visitor)
            }
            Schema::Named(name) => {
                self.reader.enter(self.depth)?;
                let resolved = self.resolve(name)?;
                self.child(resolved).deserialize_option(visitor)
            }
            _ => visitor.visit_some(self),
        }
    }

    /// As `deserialize_any`, without rendering bytes as hex for nobody.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.schema {
            Schema::Bytes => {
                self.reader.enter(self.depth)?;
                self.reader.bytes()?;
                visitor.visit_unit()
            }
            Schema::Fixed(size) => {
                self.reader.enter(self.depth)?;
                self.reader.take(*size)?;
                visitor.visit_unit()
            }
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// A record's fields, in schema order.
struct Fields<'r, 'a> {
    decoder: Decoder<'r, 'a>,
    fields: &'r [(String, Schema)],
    next: usize,
}

impl<'de> MapAccess<'de> for Fields<'_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((name, _)) = self.fields.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(de::value::StrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let (_, schema) = self.fields.get(self.next).ok_or_else(|| {
            DecodeError::Shape("a record value was asked for past its fields".into())
        })?;
        self.next += 1;
        seed.deserialize(self.decoder.child(schema))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len() - self.next)
    }
}

/// A map's entries, block by block (a negative count is followed by the block's byte size).
struct Entries<'r, 'a> {
    decoder: Decoder<'r, 'a>,
    values: &'r Schema,
    left: u64,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let reader = &mut *self.decoder.reader;
        if self.left == 0 {
            self.left = reader.block_count()?;
            if self.left == 0 {
                return Ok(None);
            }
        }
        self.left -= 1;
        reader.spend()?;
        let key = reader.string()?;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        seed.deserialize(self.decoder.child(self.values))
    }
}

/// An array's items, block by block.
struct Items<'r, 'a> {
    decoder: Decoder<'r, 'a>,
    items: &'r Schema,
    left: u64,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.left == 0 {
            self.left = self.decoder.reader.block_count()?;
            if self.left == 0 {
                return Ok(None);
            }
        }
        self.left -= 1;
        seed.deserialize(self.decoder.child(self.items)).map(Some)
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

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Typed {
        name: String,
        count: i64,
        tags: Vec<String>,
    }

    fn typed_schema(name_field: &str) -> ParsedSchema {
        ParsedSchema::parse(&format!(
            r#"{{"type":"record","name":"T","fields":[
                {{"name":"{name_field}","type":"string"}},
                {{"name":"count","type":["null","long"]}},
                {{"name":"tags","type":{{"type":"array","items":"string"}}}},
                {{"name":"mask","type":"bytes"}}]}}"#
        ))
        .unwrap()
    }

    fn typed_datum(name: &str) -> Vec<u8> {
        let mut buf = Vec::new();
        encode::string(&mut buf, name);
        encode::long(&mut buf, 1);
        encode::long(&mut buf, -7);
        encode::long(&mut buf, 1);
        encode::string(&mut buf, "a");
        encode::long(&mut buf, 0);
        encode::bytes(&mut buf, &[0xca, 0xfe]);
        buf
    }

    #[test]
    fn decodes_straight_into_borrowing_structs() {
        #[derive(serde::Deserialize)]
        struct Borrowing<'a> {
            name: &'a str,
            count: Option<i64>,
        }
        let bytes = typed_datum("x");
        let typed: Borrowing = typed_schema("name").deserialize(&bytes).unwrap();
        assert_eq!((typed.name, typed.count), ("x", Some(-7)));
    }

    #[test]
    fn typed_decoding_agrees_with_decoding_to_a_value() {
        let bytes = typed_datum("x");
        for schema in [typed_schema("name"), typed_schema("count")] {
            let value = schema.decode(&bytes).unwrap();
            let expected = serde_json::from_value::<serde_json::Map<String, Value>>(value.clone());
            let direct = schema.deserialize::<serde_json::Map<String, Value>>(&bytes);
            assert_eq!(direct.unwrap(), expected.unwrap());
            let expected = serde_json::from_value::<Typed>(value).map_err(|e| e.to_string());
            let direct = schema
                .deserialize::<Typed>(&bytes)
                .map_err(|e| e.to_string());
            assert_eq!(direct, expected);
        }
        // The second schema repeats `count`: the last value wins, as in a JSON object.
        let repeated = typed_schema("count").decode(&bytes).unwrap();
        assert_eq!(
            repeated,
            serde_json::json!({"count": -7, "tags": ["a"], "mask": "cafe"})
        );
    }

    #[test]
    fn shape_errors_read_as_serde_json_words_them() {
        let bytes = typed_datum("x");
        let schema = typed_schema("tags");
        let expected = serde_json::from_value::<Typed>(schema.decode(&bytes).unwrap())
            .unwrap_err()
            .to_string();
        let direct = schema.deserialize::<Typed>(&bytes).unwrap_err();
        assert_eq!(direct, DecodeError::Shape(expected));
        assert_eq!(
            schema.deserialize::<Typed>(&bytes[..3]),
            Err(DecodeError::Avro(AvroError::Truncated(3)))
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
