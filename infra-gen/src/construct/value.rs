//! Values of resource properties: literals, and references that each renderer resolves in its
//! own syntax (`{"Ref": ...}` / `{"Fn::GetAtt": ...}` in CloudFormation, `aws_x.y.arn` in
//! Terraform).

use super::LogicalId;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Value>),
    /// A JSON object; keys keep their order.
    Map(Vec<(String, Value)>),
    /// An attribute of another resource in the same stack.
    Attr(LogicalId, Attr),
    /// String concatenation of the parts.
    Join(Vec<Value>),
    /// A property of the deployment target.
    Pseudo(Pseudo),
}

/// The attributes the platform references. Each renderer knows which attribute of which
/// resource type each one maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attr {
    Arn,
    /// The name (EventBus, LogGroup, Table, Function) or the id (RestApi, Resource, Key).
    Name,
    /// An SQS queue's URL.
    Url,
    /// A DynamoDB table's stream ARN.
    StreamArn,
    /// A REST API's root resource id.
    RootResourceId,
    /// A Lambda version's number.
    Version,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pseudo {
    AccountId,
    Region,
    Partition,
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn attr(id: &LogicalId, attr: Attr) -> Value {
        Value::Attr(id.clone(), attr)
    }

    /// The resource's ARN.
    pub fn arn(id: &LogicalId) -> Value {
        Value::Attr(id.clone(), Attr::Arn)
    }

    pub fn join(parts: impl IntoIterator<Item = Value>) -> Value {
        Value::Join(parts.into_iter().collect())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The logical ids this value refers to, for dependency ordering and cross-checks.
    pub fn references(&self, out: &mut Vec<LogicalId>) {
        match self {
            Value::Attr(id, _) => out.push(id.clone()),
            Value::List(items) | Value::Join(items) => items.iter().for_each(|v| v.references(out)),
            Value::Map(entries) => entries.iter().for_each(|(_, v)| v.references(out)),
            Value::Str(_) | Value::Int(_) | Value::Bool(_) | Value::Pseudo(_) => {}
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(n.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
