//! DynamoDB's typed JSON (`{"S": "x"}`, `{"N": "1"}`, `{"M": {...}}` as found in stream records
//! and Lambda events) to plain JSON.
//!
//! Numbers become JSON numbers when they fit an i64, u64 or finite f64 and are refused
//! otherwise; binary values stay base64 strings; sets become arrays.

use serde_json::{Map, Number, Value};

use crate::EventError;

/// Converts one typed attribute value to plain JSON.
pub fn to_plain_json(attribute: &Value) -> Result<Value, EventError> {
    let Value::Object(map) = attribute else {
        return Err(EventError::Attribute(format!(
            "expected an object like {{\"S\": ...}}, got {}",
            kind(attribute)
        )));
    };
    let mut entries = map.iter();
    let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
        return Err(EventError::Attribute(format!(
            "expected exactly one type tag, got {}",
            map.len()
        )));
    };
    Ok(match (tag.as_str(), inner) {
        ("S", Value::String(s)) | ("B", Value::String(s)) => Value::String(s.clone()),
        ("N", Value::String(n)) => Value::Number(parse_number(n)?),
        ("BOOL", Value::Bool(b)) => Value::Bool(*b),
        ("NULL", Value::Bool(true)) => Value::Null,
        ("M", Value::Object(_)) => Value::Object(item_to_plain_json(inner)?),
        ("L", Value::Array(items)) => {
            Value::Array(items.iter().map(to_plain_json).collect::<Result<_, _>>()?)
        }
        ("SS", Value::Array(items)) | ("BS", Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| match v {
                    Value::String(_) => Ok(v.clone()),
                    other => Err(EventError::Attribute(format!(
                        "{tag} member must be a string, got {}",
                        kind(other)
                    ))),
                })
                .collect::<Result<_, _>>()?,
        ),
        ("NS", Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| match v {
                    Value::String(n) => parse_number(n).map(Value::Number),
                    other => Err(EventError::Attribute(format!(
                        "NS member must be a string, got {}",
                        kind(other)
                    ))),
                })
                .collect::<Result<_, _>>()?,
        ),
        (tag, inner) => {
            return Err(EventError::Attribute(format!(
                "unknown type tag `{tag}` or wrong value kind ({})",
                kind(inner)
            )));
        }
    })
}

/// Converts a typed item (`{"attr": {"S": ...}, ...}`) to a plain JSON object.
pub fn item_to_plain_json(item: &Value) -> Result<Map<String, Value>, EventError> {
    let Value::Object(map) = item else {
        return Err(EventError::Attribute(format!(
            "an item must be an object, got {}",
            kind(item)
        )));
    };
    map.iter()
        .map(|(name, attribute)| {
            to_plain_json(attribute)
                .map(|v| (name.clone(), v))
                .map_err(|e| EventError::Attribute(format!("attribute `{name}`: {e}")))
        })
        .collect()
}

/// Parses a DynamoDB number string into a JSON number (i64, u64 or finite f64).
pub fn parse_number(text: &str) -> Result<Number, EventError> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Ok(u.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| EventError::Attribute(format!("`{text}` is not a representable number")))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_every_type() {
        let item = json!({
            "s": {"S": "x"}, "n": {"N": "42"}, "f": {"N": "1.5"}, "big": {"N": "18446744073709551615"},
            "b": {"B": "AAE="}, "t": {"BOOL": true}, "z": {"NULL": true},
            "m": {"M": {"inner": {"L": [{"S": "a"}, {"N": "-1"}]}}},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AA=="]}
        });
        assert_eq!(
            Value::Object(item_to_plain_json(&item).unwrap()),
            json!({"s": "x", "n": 42, "f": 1.5, "big": 18446744073709551615u64, "b": "AAE=", "t": true,
                   "z": null, "m": {"inner": ["a", -1]}, "ss": ["a", "b"], "ns": [1, 2.5], "bs": ["AA=="]})
        );
    }

    #[test]
    fn malformed_values_are_errors_naming_the_attribute() {
        for bad in [
            json!({"a": {"S": 1}}),
            json!({"a": {"N": "1e999"}}),
            json!({"a": {"X": "y"}}),
            json!({"a": {"S": "x", "N": "1"}}),
            json!({"a": "plain"}),
            json!({"a": {"NULL": false}}),
        ] {
            let err = item_to_plain_json(&bad).unwrap_err().to_string();
            assert!(err.contains("attribute `a`"), "{err}");
        }
        assert!(item_to_plain_json(&json!([1])).is_err());
    }
}
