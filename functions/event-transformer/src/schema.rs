//! A JSON Schema validator for the subset of draft 2020-12 the repo's schemas use.
//!
//! Supported keywords: `type` (string or list; `integer` means a number without fraction),
//! `properties`, `required`, `additionalProperties` (boolean or schema), `minProperties`,
//! `maxProperties`, `items`, `minItems`, `maxItems`, `enum`, `const`, `minLength`,
//! `maxLength` (in characters), `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`;
//! `$schema`, `$id`, `title`, `description`, `examples` are annotations. A schema using any
//! other keyword is refused when loaded, so an unsupported constraint can never pass silently.
//! Errors carry the JSON Pointer of the failing value.

use serde_json::{Map, Value};

const ANNOTATIONS: &[&str] = &["$schema", "$id", "title", "description", "examples"];
const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
];
const TYPES: &[&str] = &[
    "null", "boolean", "object", "array", "number", "integer", "string",
];

/// A loaded, checked schema.
#[derive(Debug, Clone)]
pub struct Schema(Value);

impl Schema {
    /// Parses and checks a schema document; errors name the offending location.
    pub fn load(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        check_schema(&value, "#")?;
        Ok(Self(value))
    }

    /// Every violation in `instance`, as `pointer: message`; empty when valid.
    pub fn validate(&self, instance: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        validate(&self.0, instance, "", &mut errors);
        errors
    }
}

fn check_schema(schema: &Value, at: &str) -> Result<(), String> {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Bool(_) => Ok(()),
            _ => Err(format!("{at}: a schema must be an object or boolean")),
        };
    };
    for (keyword, value) in map {
        if ANNOTATIONS.contains(&keyword.as_str()) {
            continue;
        }
        if !KEYWORDS.contains(&keyword.as_str()) {
            return Err(format!("{at}: unsupported keyword `{keyword}`"));
        }
        let here = format!("{at}/{keyword}");
        match keyword.as_str() {
            "properties" => {
                let props = value
                    .as_object()
                    .ok_or(format!("{here}: must be an object"))?;
                for (name, sub) in props {
                    check_schema(sub, &format!("{here}/{name}"))?;
                }
            }
            "additionalProperties" | "items" => check_schema(value, &here)?,
            "type" => {
                let names: Vec<&Value> = match value {
                    Value::Array(list) => list.iter().collect(),
                    single => vec![single],
                };
                for name in names {
                    if !name.as_str().is_some_and(|n| TYPES.contains(&n)) {
                        return Err(format!("{here}: unknown type {name}"));
                    }
                }
            }
            "required" => {
                if !value
                    .as_array()
                    .is_some_and(|l| l.iter().all(Value::is_string))
                {
                    return Err(format!("{here}: must be a list of names"));
                }
            }
            "enum" => {
                if !value.is_array() {
                    return Err(format!("{here}: must be a list"));
                }
            }
            "const" => {}
            _ => {
                if !value.is_number() {
                    return Err(format!("{here}: must be a number"));
                }
            }
        }
    }
    Ok(())
}

fn type_matches(name: &str, instance: &Value) -> bool {
    match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "number" => instance.is_number(),
        "integer" => instance.as_f64().is_some_and(|n| n.fract() == 0.0),
        "string" => instance.is_string(),
        _ => false,
    }
}

fn number(map: &Map<String, Value>, keyword: &str) -> Option<f64> {
    map.get(keyword).and_then(Value::as_f64)
}

fn validate(schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let map = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            errors.push(format!("{}: not allowed", pointer(at)));
            return;
        }
        Value::Object(map) => map,
        _ => return,
    };
    let mut fail = |message: String| errors.push(format!("{}: {message}", pointer(at)));
    if let Some(t) = map.get("type") {
        let names: Vec<&str> = match t {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !names.iter().any(|n| type_matches(n, instance)) {
            fail(format!("expected {}", names.join(" or ")));
            return;
        }
    }
    if let Some(Value::Array(options)) = map.get("enum")
        && !options.contains(instance)
    {
        fail(format!("must be one of {}", Value::Array(options.clone())));
    }
    if let Some(expected) = map.get("const")
        && expected != instance
    {
        fail(format!("must be {expected}"));
    }
    if let Value::String(s) = instance {
        let length = s.chars().count() as f64;
        if number(map, "minLength").is_some_and(|m| length < m) {
            fail(format!("shorter than {}", map["minLength"]));
        }
        if number(map, "maxLength").is_some_and(|m| length > m) {
            fail(format!("longer than {}", map["maxLength"]));
        }
    }
    if let Some(n) = instance.as_f64() {
        if number(map, "minimum").is_some_and(|m| n < m) {
            fail(format!("less than {}", map["minimum"]));
        }
        if number(map, "maximum").is_some_and(|m| n > m) {
            fail(format!("greater than {}", map["maximum"]));
        }
        if number(map, "exclusiveMinimum").is_some_and(|m| n <= m) {
            fail(format!("must be greater than {}", map["exclusiveMinimum"]));
        }
        if number(map, "exclusiveMaximum").is_some_and(|m| n >= m) {
            fail(format!("must be less than {}", map["exclusiveMaximum"]));
        }
    }
    if let Value::Array(items) = instance {
        let count = items.len() as f64;
        if number(map, "minItems").is_some_and(|m| count < m) {
            fail(format!("fewer than {} items", map["minItems"]));
        }
        if number(map, "maxItems").is_some_and(|m| count > m) {
            fail(format!("more than {} items", map["maxItems"]));
        }
        if let Some(item_schema) = map.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(item_schema, item, &format!("{at}/{i}"), errors);
            }
        }
    }
    if let Value::Object(object) = instance {
        let count = object.len() as f64;
        if number(map, "minProperties").is_some_and(|m| count < m) {
            errors.push(format!(
                "{}: fewer than {} properties",
                pointer(at),
                map["minProperties"]
            ));
        }
        if number(map, "maxProperties").is_some_and(|m| count > m) {
            errors.push(format!(
                "{}: more than {} properties",
                pointer(at),
                map["maxProperties"]
            ));
        }
        if let Some(Value::Array(required)) = map.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    errors.push(format!(
                        "{}: missing required property `{name}`",
                        pointer(at)
                    ));
                }
            }
        }
        let properties = map.get("properties").and_then(Value::as_object);
        for (name, value) in object {
            let path = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
            match properties.and_then(|p| p.get(name)) {
                Some(sub) => validate(sub, value, &path, errors),
                None => {
                    if let Some(additional) = map.get("additionalProperties") {
                        validate(additional, value, &path, errors);
                    }
                }
            }
        }
    }
}

fn pointer(at: &str) -> &str {
    if at.is_empty() { "/" } else { at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_every_violation_with_its_pointer() {
        let schema = Schema::load(
            &json!({"type": "object", "required": ["id", "n"], "additionalProperties": false,
                    "properties": {"id": {"type": "string", "minLength": 2},
                                   "n": {"type": "integer", "minimum": 1, "maximum": 3},
                                   "tags": {"type": "array", "maxItems": 2, "items": {"enum": ["a", "b"]}}}})
            .to_string(),
        )
        .unwrap();
        assert!(
            schema
                .validate(&json!({"id": "ab", "n": 2, "tags": ["a"]}))
                .is_empty()
        );
        let errors =
            schema.validate(&json!({"id": "a", "n": 2.5, "tags": ["a", "c", "b"], "extra": 1}));
        assert_eq!(
            errors,
            [
                "/id: shorter than 2",
                "/n: expected integer",
                "/tags: more than 2 items",
                "/tags/1: must be one of [\"a\",\"b\"]",
                "/extra: not allowed"
            ]
        );
        assert_eq!(
            schema.validate(&json!({})),
            [
                "/: missing required property `id`",
                "/: missing required property `n`"
            ]
        );
        assert_eq!(schema.validate(&json!([])), ["/: expected object"]);
    }

    #[test]
    fn refuses_schemas_with_unsupported_keywords() {
        let error = Schema::load(r#"{"type": "string", "pattern": "^a"}"#).unwrap_err();
        assert_eq!(error, "#: unsupported keyword `pattern`");
        let nested = Schema::load(r#"{"properties": {"x": {"oneOf": []}}}"#).unwrap_err();
        assert_eq!(nested, "#/properties/x: unsupported keyword `oneOf`");
        assert!(Schema::load(r#"{"type": "text"}"#).is_err());
        assert!(Schema::load(r#"{"minimum": "1"}"#).is_err());
    }
}
