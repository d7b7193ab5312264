//! Row images as the parser reads them: column names and values borrowed from the message
//! bytes, so that an image nobody uses (the before image of an update, when no event is
//! published) costs a scan and one allocation, not one per string and a hash map.
//!
//! Each type deserialises exactly as the `serde_json` type it stands for (`Row` as
//! `Map<String, Value>`, `Cell` as `Value`, `Text` as `String`), from JSON and from the Avro
//! decoder alike: same accepted inputs, same errors.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// One row image: its columns in message order, each name once. A JSON object that repeats a
/// name means what serde_json's map makes of it: the first position, the last value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row<'a> {
    columns: Vec<(Cow<'a, str>, Cell<'a>)>,
}

/// A column value. Qlik sends strings and nulls in JSON, typed values in Avro.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(Cow<'a, str>),
    Bool(bool),
    Number(Number),
    /// Arrays and objects, which Qlik rows do not carry.
    Nested(Box<Value>),
}

impl<'a> Row<'a> {
    /// Borrows a parsed map's columns.
    pub fn borrowed(map: &'a Map<String, Value>) -> Self {
        let columns = map
            .iter()
            .map(|(name, value)| (Cow::Borrowed(name.as_str()), Cell::borrowed(value)))
            .collect();
        Row { columns }
    }

    fn from_columns(columns: Vec<(Cow<'a, str>, Cell<'a>)>) -> Self {
        if !repeats_a_name(&columns) {
            return Row { columns };
        }
        let mut kept: Vec<(Cow<'a, str>, Cell<'a>)> = Vec::with_capacity(columns.len());
        let mut position: HashMap<String, usize> = HashMap::with_capacity(columns.len());
        for (name, cell) in columns {
            match position.get(name.as_ref()) {
                Some(&i) => kept[i].1 = cell,
                None => {
                    position.insert(name.to_string(), kept.len());
                    kept.push((name, cell));
                }
            }
        }
        Row { columns: kept }
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Cell<'a>)> {
        self.columns
            .iter()
            .map(|(name, cell)| (name.as_ref(), cell))
    }

    /// The value of the column named exactly `name`.
    pub fn get(&self, name: &str) -> Option<&Cell<'a>> {
        self.iter().find(|(n, _)| *n == name).map(|(_, cell)| cell)
    }

    pub fn into_columns(self) -> impl Iterator<Item = (Cow<'a, str>, Cell<'a>)> {
        self.columns.into_iter()
    }

    pub fn into_map(self) -> Map<String, Value> {
        let mut map = Map::with_capacity(self.columns.len());
        for (name, cell) in self.columns {
            map.insert(name.into_owned(), cell.into_value());
        }
        map
    }
}

/// Rows rarely repeat a name, and are short: comparing names pairwise is cheaper than hashing
/// them until rows get long.
fn repeats_a_name(columns: &[(Cow<'_, str>, Cell<'_>)]) -> bool {
    if columns.len() <= 16 {
        return columns
            .iter()
            .enumerate()
            .any(|(i, (name, _))| columns[..i].iter().any(|(seen, _)| seen == name));
    }
    let mut seen = HashSet::with_capacity(columns.len());
    !columns.iter().all(|(name, _)| seen.insert(name.as_ref()))
}

impl<'a> Cell<'a> {
    fn borrowed(value: &'a Value) -> Self {
        match value {
            Value::String(s) => Cell::Text(Cow::Borrowed(s)),
            other => Cell::owned(other.clone()),
        }
    }

    fn owned(value: Value) -> Self {
        match value {
            Value::Null => Cell::Null,
            Value::String(s) => Cell::Text(Cow::Owned(s)),
            Value::Bool(b) => Cell::Bool(b),
            Value::Number(n) => Cell::Number(n),
            nested => Cell::Nested(Box::new(nested)),
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.into_owned()),
            Cell::Bool(b) => Value::Bool(b),
            Cell::Number(n) => Value::Number(n),
            Cell::Nested(v) => *v,
        }
    }

    /// The value as header text: strings as they are, typed values as their JSON text, null
    /// and "" as absent.
    pub(crate) fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Cell::Null => None,
            Cell::Text(s) if s.is_empty() => None,
            Cell::Text(s) => Some(s),
            other => Some(Cow::Owned(other.into_value().to_string())),
        }
    }
}

/// A string, as `String` deserialises one, borrowed from the input unless it had escapes.
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

/// Any value, as `serde_json::Value` deserialises one.
impl<'de: 'a, 'a> Deserialize<'de> for Cell<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CellVisitor;
        impl<'de> Visitor<'de> for CellVisitor {
            type Value = Cell<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any valid JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cell::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cell::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cell::Text(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Cell::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                Cell::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Cell::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Cell::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Cell::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Number::from_f64(v).map_or(Cell::Null, Cell::Number))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Cell::owned)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Cell::owned)
            }
        }
        deserializer.deserialize_any(CellVisitor)
    }
}

/// A JSON object (or Avro record), as `Map<String, Value>` deserialises one.
impl<'de: 'a, 'a> Deserialize<'de> for Row<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Room for a typical row up front: growing from empty reallocates several times.
        const TYPICAL_COLUMNS: usize = 16;
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Row::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let capacity = access.size_hint().unwrap_or(TYPICAL_COLUMNS).min(1024);
                let mut columns = Vec::with_capacity(capacity);
                while let Some((Text(name), cell)) = access.next_entry()? {
                    columns.push((name, cell));
                }
                Ok(Row::from_columns(columns))
            }
        }
        deserializer.deserialize_map(RowVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Image = Option<Map<String, Value>>;

    /// What serde_json makes of `json` as an optional map, and what `Row` makes of it.
    fn both(json: &str) -> (Result<Image, String>, Result<Image, String>) {
        let expected = serde_json::from_str::<Image>(json).map_err(|e| e.to_string());
        let row = serde_json::from_str::<Option<Row>>(json)
            .map(|row| row.map(Row::into_map))
            .map_err(|e| e.to_string());
        (expected, row)
    }

    const IMAGES: [&str; 8] = [
        r#"{"ID":"1","NAME":null,"NOTE":"a\"b\u00e9"}"#,
        r#"{"ID":1,"id":-2,"F":1.5e3,"B":true,"N":[1,{"a":null}],"O":{"x":"y"}}"#,
        r#"{"ID":"1","NAME":"a","ID":"2","ID":null}"#,
        r#"{"A":"1","B":"2","C":"3","D":"4","E":"5","F":"6","G":"7","H":"8","I":"9","J":"10","K":"11","L":"12","M":"13","N":"14","O":"15","P":"16","Q":"17","B":"18"}"#,
        r#"null"#,
        r#"{}"#,
        r#""not a map""#,
        r#"[1,2]"#,
    ];

    #[test]
    fn rows_read_json_as_serde_json_maps_do() {
        for json in IMAGES {
            let (expected, row) = both(json);
            assert_eq!(row, expected, "{json}");
        }
        let (_, repeated) = both(IMAGES[2]);
        let repeated = repeated.unwrap().unwrap();
        assert_eq!(repeated.keys().collect::<Vec<_>>(), ["ID", "NAME"]);
        assert_eq!(repeated["ID"], Value::Null);
    }

    #[test]
    fn rows_agree_with_serde_json_on_mutated_input() {
        let mut rng = fastrand::Rng::with_seed(0x0e0e);
        for _ in 0..20_000 {
            let mut bytes = IMAGES[rng.usize(0..IMAGES.len())].as_bytes().to_vec();
            for _ in 0..rng.usize(1..4) {
                let i = rng.usize(0..=bytes.len());
                match rng.u8(0..3) {
                    0 if i < bytes.len() => bytes[i] = b"{}[]\",:0\\n-.eu"[rng.usize(0..14)],
                    1 if i < bytes.len() => drop(bytes.remove(i)),
                    _ => bytes.insert(i, b"{}[]\",:0\\n-.eu"[rng.usize(0..14)]),
                }
            }
            let Ok(json) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let (expected, row) = both(json);
            assert_eq!(row, expected, "{json}");
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let row: Row = serde_json::from_str(r#"{"ID":"7","NOTE":"a\nb"}"#).unwrap();
        let cells: Vec<_> = row.iter().map(|(_, cell)| cell.clone()).collect();
        assert!(matches!(&cells[0], Cell::Text(Cow::Borrowed("7"))));
        assert!(matches!(&cells[1], Cell::Text(Cow::Owned(s)) if s == "a\nb"));
    }

    #[test]
    fn borrowing_a_map_gives_back_the_same_map() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"ID":"1","N":2,"B":false,"X":null,"A":[1]}"#).unwrap();
        assert_eq!(Row::borrowed(&map).into_map(), map);
    }
}
