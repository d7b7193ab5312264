//! Wire values: how objects, enums, structs, dates and maps are spelled in the jsii protocol.
//!
//! Everything else (strings, numbers, booleans, arrays, `null`) is plain JSON. Tokens such as
//! `queue.queueArn` are plain strings (`"${Token[TOKEN.18]}"`) that only resolve inside the
//! kernel, so they need no helper: pass them back as strings.

use serde_json::{Map, Value, json};

/// Key of an object reference: `{"$jsii.byref": "aws-cdk-lib.Stack@10001"}`.
pub const BYREF: &str = "$jsii.byref";
/// Key listing the interfaces an object reference implements (added by the kernel, or by the
/// host for host-implemented objects).
pub const INTERFACES: &str = "$jsii.interfaces";
/// Key of an enum member: `{"$jsii.enum": "aws-cdk-lib.aws_sqs.QueueEncryption/KMS_MANAGED"}`.
pub const ENUM: &str = "$jsii.enum";
/// Key of a struct passed by value: `{"$jsii.struct": {"fqn": ..., "data": {...}}}`.
pub const STRUCT: &str = "$jsii.struct";
/// Key of a date: `{"$jsii.date": "2026-01-01T00:00:00.000Z"}`.
pub const DATE: &str = "$jsii.date";
/// Key of a map whose values need decoding: `{"$jsii.map": {...}}`.
pub const MAP: &str = "$jsii.map";

/// `{"$jsii.byref": id}`, with `"$jsii.interfaces"` when `interfaces` is not empty.
pub fn byref(id: &str, interfaces: &[String]) -> Value {
    let mut m = Map::new();
    m.insert(BYREF.into(), Value::String(id.into()));
    if !interfaces.is_empty() {
        m.insert(INTERFACES.into(), json!(interfaces));
    }
    Value::Object(m)
}

/// `{"$jsii.enum": "<fqn>/<member>"}`.
pub fn enum_member(enum_fqn: &str, member: &str) -> Value {
    json!({ ENUM: format!("{enum_fqn}/{member}") })
}

/// `{"$jsii.struct": {"fqn": fqn, "data": data}}`: a struct by value, as the official clients
/// send it. (The kernel also accepts a plain object where it knows the parameter's type.)
pub fn struct_value(fqn: &str, data: Map<String, Value>) -> Value {
    json!({ STRUCT: { "fqn": fqn, "data": data } })
}

/// `{"$jsii.date": iso8601}`; `iso8601` must be what JavaScript's `new Date(...)` parses, e.g.
/// `2026-01-31T12:00:00.000Z`.
pub fn date(iso8601: &str) -> Value {
    json!({ DATE: iso8601 })
}

/// `{"$jsii.map": entries}`: a map whose values are themselves wire values.
pub fn map(entries: Map<String, Value>) -> Value {
    json!({ MAP: entries })
}

/// The object id of `{"$jsii.byref": id, ...}`, else `None`.
pub fn as_byref(value: &Value) -> Option<&str> {
    value.as_object()?.get(BYREF)?.as_str()
}

/// The interfaces listed by an object reference (empty when none).
pub fn byref_interfaces(value: &Value) -> Vec<String> {
    value
        .get(INTERFACES)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `(enum fqn, member)` of `{"$jsii.enum": "<fqn>/<member>"}`, else `None`.
pub fn as_enum(value: &Value) -> Option<(&str, &str)> {
    let s = value.as_object()?.get(ENUM)?.as_str()?;
    s.rsplit_once('/')
}

/// `(fqn, data)` of `{"$jsii.struct": {"fqn", "data"}}`, else `None`.
pub fn as_struct(value: &Value) -> Option<(&str, &Map<String, Value>)> {
    let s = value.as_object()?.get(STRUCT)?;
    Some((s.get("fqn")?.as_str()?, s.get("data")?.as_object()?))
}

/// The ISO 8601 text of `{"$jsii.date": ...}`, else `None`.
pub fn as_date(value: &Value) -> Option<&str> {
    value.as_object()?.get(DATE)?.as_str()
}

/// The entries of `{"$jsii.map": {...}}`, else `None`.
pub fn as_map(value: &Value) -> Option<&Map<String, Value>> {
    value.as_object()?.get(MAP)?.as_object()
}

/// The class FQN part of an object id: `aws-cdk-lib.Stack@10001` -> `aws-cdk-lib.Stack`.
pub fn fqn_of_id(id: &str) -> &str {
    id.rsplit_once('@').map_or(id, |(fqn, _)| fqn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_references_round_trip() {
        let v = byref("aws-cdk-lib.Stack@10001", &[]);
        assert_eq!(v, json!({"$jsii.byref": "aws-cdk-lib.Stack@10001"}));
        assert_eq!(as_byref(&v), Some("aws-cdk-lib.Stack@10001"));
        assert_eq!(fqn_of_id("aws-cdk-lib.Stack@10001"), "aws-cdk-lib.Stack");
        let with = byref("Object@10005", &["aws-cdk-lib.IAspect".into()]);
        assert_eq!(byref_interfaces(&with), vec!["aws-cdk-lib.IAspect"]);
        assert_eq!(as_byref(&json!("Object@1")), None);
    }

    #[test]
    fn enums_structs_dates_maps() {
        let e = enum_member("aws-cdk-lib.aws_sqs.QueueEncryption", "KMS_MANAGED");
        assert_eq!(
            e,
            json!({"$jsii.enum": "aws-cdk-lib.aws_sqs.QueueEncryption/KMS_MANAGED"})
        );
        assert_eq!(
            as_enum(&e),
            Some(("aws-cdk-lib.aws_sqs.QueueEncryption", "KMS_MANAGED"))
        );
        let mut data = Map::new();
        data.insert("queueName".into(), json!("q"));
        let s = struct_value("aws-cdk-lib.aws_sqs.QueueProps", data.clone());
        assert_eq!(
            as_struct(&s),
            Some(("aws-cdk-lib.aws_sqs.QueueProps", &data))
        );
        let d = date("2026-01-31T12:00:00.000Z");
        assert_eq!(as_date(&d), Some("2026-01-31T12:00:00.000Z"));
        let m = map(data.clone());
        assert_eq!(as_map(&m), Some(&data));
        assert_eq!(as_map(&json!({"a": 1})), None);
    }
}
