//! Plain JSON <-> DynamoDB items, and a table handle for the common calls.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::AwsError;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Plain JSON to an attribute value: numbers become `N`, objects `M`, arrays `L`, null `NULL`.
pub fn json_to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(json_to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(json_to_item(map)),
    }
}

/// A plain JSON object to an item.
pub fn json_to_item(object: &Map<String, Value>) -> Item {
    object
        .iter()
        .map(|(k, v)| (k.clone(), json_to_attribute(v)))
        .collect()
}

/// An attribute value to plain JSON: binary becomes base64 text, sets become arrays, and a
/// number that JSON cannot hold stays a string.
pub fn attribute_to_json(value: &AttributeValue) -> Value {
    let number = |n: &str| {
        platform_events::dynamo_json::parse_number(n)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(n.to_string()))
    };
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::B(b) => Value::String(STANDARD.encode(b.as_ref())),
        AttributeValue::L(items) => Value::Array(items.iter().map(attribute_to_json).collect()),
        AttributeValue::M(map) => Value::Object(item_to_json(map)),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| number(n)).collect()),
        AttributeValue::Bs(items) => Value::Array(
            items
                .iter()
                .map(|b| Value::String(STANDARD.encode(b.as_ref())))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// An item to a plain JSON object.
pub fn item_to_json(item: &Item) -> Map<String, Value> {
    item.iter()
        .map(|(k, v)| (k.clone(), attribute_to_json(v)))
        .collect()
}

/// Binary attribute from bytes (for callers that store raw payloads).
pub fn binary(bytes: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

/// A table by name with its client.
#[derive(Clone, Debug)]
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes (replaces) an item given as plain JSON.
    pub async fn put_json(&self, item: &Map<String, Value>) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(json_to_item(item)))
            .send()
            .await
            .map_err(|e| AwsError::call("DynamoDB PutItem", e))?;
        Ok(())
    }

    /// Writes an item only if no item with its key exists (`key_attribute` is the partition
    /// key). Returns `false` when the item already existed: the idempotency primitive.
    pub async fn put_json_if_absent(
        &self,
        item: &Map<String, Value>,
        key_attribute: &str,
    ) -> Result<bool, AwsError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(json_to_item(item)))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", key_attribute)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let error = AwsError::call("DynamoDB PutItem", e);
                if error.is_conditional_check_failed() {
                    Ok(false)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// Reads an item by its key (given as plain JSON); `None` when absent.
    pub async fn get_json(
        &self,
        key: &Map<String, Value>,
    ) -> Result<Option<Map<String, Value>>, AwsError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(json_to_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::call("DynamoDB GetItem", e))?;
        Ok(output.item().map(item_to_json))
    }

    /// Deletes an item by its key.
    pub async fn delete(&self, key: &Map<String, Value>) -> Result<(), AwsError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(json_to_item(key)))
            .send()
            .await
            .map_err(|e| AwsError::call("DynamoDB DeleteItem", e))?;
        Ok(())
    }

    /// The table's status (`ACTIVE`, `CREATING`, ...).
    pub async fn status(&self) -> Result<String, AwsError> {
        let output = self
            .client
            .describe_table()
            .table_name(&self.name)
            .send()
            .await
            .map_err(|e| AwsError::call("DynamoDB DescribeTable", e))?;
        output
            .table()
            .and_then(|t| t.table_status())
            .map(|s| s.as_str().to_string())
            .ok_or(AwsError::Response {
                operation: "DynamoDB DescribeTable",
                message: "no table status".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attribute_values() {
        let value = json!({"s": "x", "n": 42, "f": -1.25, "t": true, "z": null,
                           "l": [1, "a", {"m": [false]}], "m": {"inner": {"deep": 7}}});
        let Value::Object(object) = &value else {
            unreachable!()
        };
        assert_eq!(Value::Object(item_to_json(&json_to_item(object))), value);
    }

    #[test]
    fn sets_and_binary_become_arrays_and_base64() {
        let item: Item = [
            ("ss".to_string(), AttributeValue::Ss(vec!["a".into()])),
            (
                "ns".to_string(),
                AttributeValue::Ns(vec!["1".into(), "1e400".into()]),
            ),
            ("b".to_string(), binary(vec![0u8, 1])),
        ]
        .into();
        assert_eq!(
            Value::Object(item_to_json(&item)),
            json!({"ss": ["a"], "ns": [1, "1e400"], "b": "AAE="})
        );
    }
}
