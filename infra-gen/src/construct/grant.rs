//! Handles to constructs that can be granted to, and the grants themselves. A grant appends
//! the narrowest statement that lets the grantee's role do one job on one named resource:
//! never a `*` action, and a `*` resource only where AWS offers no resource-level permission.

use super::{Attr, LogicalId, Stack, Statement, Value};

/// A principal with a role that grants extend: a function or the consumer's IRSA role.
pub trait Grantee {
    fn role(&self) -> &LogicalId;
}

#[derive(Debug, Clone)]
pub struct FunctionHandle {
    pub id: LogicalId,
    pub role: LogicalId,
    pub name: String,
}

impl Grantee for FunctionHandle {
    fn role(&self) -> &LogicalId {
        &self.role
    }
}

#[derive(Debug, Clone)]
pub struct RoleHandle {
    pub id: LogicalId,
}

impl Grantee for RoleHandle {
    fn role(&self) -> &LogicalId {
        &self.id
    }
}

#[derive(Debug, Clone)]
pub struct KeyHandle {
    pub id: LogicalId,
}

impl KeyHandle {
    /// Use of the key for data encrypted under it (SSE on queues, tables, secrets, env vars).
    pub fn grant_encrypt_decrypt(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["kms:Decrypt", "kms:GenerateDataKey"],
                [Value::arn(&self.id)],
            )],
        );
    }

    pub fn grant_decrypt(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(&["kms:Decrypt"], [Value::arn(&self.id)])],
        );
    }
}

#[derive(Debug, Clone)]
pub struct TableHandle {
    pub id: LogicalId,
    pub key: KeyHandle,
}

impl TableHandle {
    /// What a Lambda event source mapping needs to read the table's stream.
    pub fn grant_stream_read(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [
                Statement::allow(
                    &[
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                    ],
                    [Value::attr(&self.id, Attr::StreamArn)],
                ),
                Statement::allow(
                    &["dynamodb:ListStreams"],
                    [Value::join([Value::arn(&self.id), Value::str("/stream/*")])],
                ),
            ],
        );
        self.key.grant_decrypt(stack, to);
    }

    pub fn grant_write_data(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &[
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                [Value::arn(&self.id)],
            )],
        );
        self.key.grant_encrypt_decrypt(stack, to);
    }

    pub fn grant_read_write_data(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &[
                    "dynamodb:BatchGetItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
                [Value::arn(&self.id)],
            )],
        );
        self.key.grant_encrypt_decrypt(stack, to);
    }

    pub fn grant_describe(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["dynamodb:DescribeTable"],
                [Value::arn(&self.id)],
            )],
        );
    }

    /// Exactly these item actions on the table (and use of its key).
    pub fn grant(&self, stack: &mut Stack, to: &dyn Grantee, actions: &[&str]) {
        stack.grant(
            to.role(),
            [Statement::allow(actions, [Value::arn(&self.id)])],
        );
        self.key.grant_encrypt_decrypt(stack, to);
    }
}

#[derive(Debug, Clone)]
pub struct QueueHandle {
    pub id: LogicalId,
    pub key: KeyHandle,
}

impl QueueHandle {
    pub fn grant_send(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["sqs:SendMessage"],
                [Value::arn(&self.id)],
            )],
        );
        self.key.grant_encrypt_decrypt(stack, to);
    }

    /// Reading the depth (health checks).
    pub fn grant_get_attributes(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["sqs:GetQueueAttributes"],
                [Value::arn(&self.id)],
            )],
        );
    }
}

#[derive(Debug, Clone)]
pub struct BusHandle {
    pub id: LogicalId,
}

impl BusHandle {
    pub fn grant_put_events(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["events:PutEvents"],
                [Value::arn(&self.id)],
            )],
        );
    }

    pub fn grant_describe(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["events:DescribeEventBus"],
                [Value::arn(&self.id)],
            )],
        );
    }
}

/// A bus in another region or stack, known by ARN only.
#[derive(Debug, Clone)]
pub struct ImportedBus {
    pub arn: String,
}

impl ImportedBus {
    pub fn grant_put_events(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &["events:PutEvents"],
                [Value::str(self.arn.clone())],
            )],
        );
    }
}

#[derive(Debug, Clone)]
pub struct SecretHandle {
    pub id: LogicalId,
    pub key: KeyHandle,
}

impl SecretHandle {
    pub fn grant_read(&self, stack: &mut Stack, to: &dyn Grantee) {
        stack.grant(
            to.role(),
            [Statement::allow(
                &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ],
                [Value::attr(&self.id, Attr::Arn)],
            )],
        );
        self.key.grant_decrypt(stack, to);
    }
}
