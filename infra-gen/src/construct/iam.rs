//! IAM policy statements, format-neutral. Grants on the constructs build these; renderers write
//! them as CloudFormation policy documents or Terraform `jsonencode` documents.

use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// An AWS service, e.g. `lambda.amazonaws.com`.
    Service(String),
    /// An IAM ARN (account root, role).
    Aws(Value),
    /// An identity provider (the EKS cluster's OIDC provider ARN).
    Federated(Value),
    /// Everyone: only in Deny statements and resource policies with conditions.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// e.g. `StringEquals`, `Bool`, `ArnEquals`.
    pub operator: String,
    pub key: String,
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    pub actions: Vec<String>,
    pub resources: Vec<Value>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// An identity-policy Allow of `actions` on `resources`.
    pub fn allow(actions: &[&str], resources: impl IntoIterator<Item = Value>) -> Statement {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources: resources.into_iter().collect(),
            conditions: Vec::new(),
        }
    }

    pub fn with_sid(mut self, sid: &str) -> Statement {
        self.sid = Some(sid.to_string());
        self
    }

    pub fn with_principal(mut self, principal: Principal) -> Statement {
        self.principal = Some(principal);
        self
    }

    pub fn with_condition(mut self, operator: &str, key: &str, values: Vec<Value>) -> Statement {
        self.conditions.push(Condition {
            operator: operator.to_string(),
            key: key.to_string(),
            values,
        });
        self
    }

    pub fn deny(mut self) -> Statement {
        self.effect = Effect::Deny;
        self
    }
}
