//! A YAML document as a tree whose every node remembers the file, line and column it came
//! from, and the layering (deep merge) of such trees.
//!
//! Layering happens on this untyped tree, before any typed deserialisation, so an environment
//! file may override a single leaf (`functions.event-router.memory_mb`) without restating its
//! siblings, and every value of the merged result still knows which file set it: errors found
//! later, by serde or by semantic validation, point at the line a user has to edit.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Located>),
    /// Keys keep the order they were written in; a later layer's new keys go last.
    Map(Vec<(String, Located)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub node: Node,
    pub origin: Origin,
}

impl Located {
    pub fn get(&self, key: &str) -> Option<&Located> {
        match &self.node {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Removes and returns the entry `key` of a map node.
    pub fn take(&mut self, key: &str) -> Option<Located> {
        match &mut self.node {
            Node::Map(entries) => {
                let index = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.remove(index).1)
            }
            _ => None,
        }
    }

    /// Deep-merges `overlay` into `self`: maps merge key by key, anything else (scalars,
    /// sequences, a type change) is replaced whole by the overlay's value.
    pub fn merge(&mut self, overlay: Located) {
        match (&mut self.node, overlay.node) {
            (Node::Map(base), Node::Map(over)) => {
                for (key, value) in over {
                    match base.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, existing)) => existing.merge(value),
                        None => base.push((key, value)),
                    }
                }
            }
            (_, node) => {
                self.node = node;
                self.origin = overlay.origin;
            }
        }
    }

    /// Converts to a JSON value for typed deserialisation, recording the origin of every
    /// node under its field path (see [`field_path`]).
    pub fn to_json(&self, origins: &mut BTreeMap<String, Origin>, path: &str) -> serde_json::Value {
        origins.insert(path.to_string(), self.origin.clone());
        match &self.node {
            Node::Null => serde_json::Value::Null,
            Node::Bool(b) => serde_json::Value::Bool(*b),
            Node::Int(i) => serde_json::Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Node::Str(s) => serde_json::Value::String(s.clone()),
            Node::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| item.to_json(origins, &format!("{path}[{i}]")))
                .collect(),
            Node::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json(origins, &field_path(path, k))))
                    .collect(),
            ),
        }
    }
}

/// The dotted path of `key` under `parent`, the form used in every error message.
pub fn field_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A YAML syntax or structure error, with its position.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Parses one YAML document into a located tree. An empty document is an empty map.
pub fn parse(file: &Arc<str>, text: &str) -> Result<Located, ParseError> {
    if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    }) {
        return Ok(Located {
            node: Node::Map(Vec::new()),
            origin: Origin {
                file: file.clone(),
                line: 1,
                column: 1,
            },
        });
    }
    let raw: Spanned<RawNode> = serde_saphyr::from_str(text).map_err(|err| {
        let (line, column) = err
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        ParseError {
            line,
            column,
            message: first_line(&err.to_string()),
        }
    })?;
    Ok(raw.into_located(file))
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML")
        .to_string()
}

/// The parser's view of a node: children keep their spans, the file is attached afterwards.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(String, Spanned<RawNode>)>),
}

trait IntoLocated {
    fn into_located(self, file: &Arc<str>) -> Located;
}

impl IntoLocated for Spanned<RawNode> {
    fn into_located(self, file: &Arc<str>) -> Located {
        let origin = Origin {
            file: file.clone(),
            line: self.referenced.line(),
            column: self.referenced.column(),
        };
        let node = match self.value {
            RawNode::Null => Node::Null,
            RawNode::Bool(b) => Node::Bool(b),
            RawNode::Int(i) => Node::Int(i),
            RawNode::Float(f) => Node::Float(f),
            RawNode::Str(s) => Node::Str(s),
            RawNode::Seq(items) => {
                Node::Seq(items.into_iter().map(|i| i.into_located(file)).collect())
            }
            RawNode::Map(entries) => Node::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_located(file)))
                    .collect(),
            ),
        };
        Located { node, origin }
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor)
    }
}

struct RawNodeVisitor;

impl<'de> Visitor<'de> for RawNodeVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNode, E> {
        i64::try_from(v)
            .map(RawNode::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawNode>>()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries: Vec<(String, Spanned<RawNode>)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let value = map.next_value::<Spanned<RawNode>>()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    #[test]
    fn records_lines_and_merges_leaves() {
        let mut base = parse(&file("a.yaml"), "x:\n  y: 1\n  z: two\nlist: [1, 2]\n").unwrap();
        let over = parse(&file("b.yaml"), "x:\n  y: 3\nlist: [9]\n").unwrap();
        base.merge(over);
        let mut origins = BTreeMap::new();
        let json = base.to_json(&mut origins, "");
        assert_eq!(
            json,
            serde_json::json!({"x": {"y": 3, "z": "two"}, "list": [9]})
        );
        assert_eq!(origins["x.y"].to_string(), "b.yaml:2:6");
        assert_eq!(origins["x.z"].to_string(), "a.yaml:3:6");
        assert_eq!(&*origins["list[0]"].file, "b.yaml");
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse(&file("bad.yaml"), "a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        assert!(parse(&file("d.yaml"), "a: 1\na: 2\n").is_err());
    }

    #[test]
    fn empty_documents_are_empty_maps() {
        let doc = parse(&file("e.yaml"), "# nothing\n").unwrap();
        assert_eq!(doc.node, Node::Map(Vec::new()));
    }
}
