//! A CDK-style construct tree: an [`App`] holds a [`Stage`] per environment, a stage holds a
//! [`Stack`] per region, a stack holds typed resources. Higher-level constructs
//! ([`TableConstruct`], [`FunctionConstruct`], ...) add several resources under one path and
//! offer grants that append least-privilege statements to a function's role.
//!
//! Invariants:
//! - The tree knows nothing of any output format; renderers are pure functions of it.
//! - A logical id is the PascalCase of the construct path inside its stack (`EventRouter` +
//!   `Role` = `EventRouterRole`): readable, and independent of every other construct, so adding
//!   one never renames another. Two constructs with the same path are an error.
//! - References are [`Value`]s naming a logical id; [`Stack::check_references`] proves that each
//!   names a resource of the same stack.

pub mod grant;
pub mod iam;
pub mod resource;
pub mod value;

use std::collections::BTreeSet;
use std::fmt;

pub use iam::{Condition, Effect, Principal, Statement};
pub use resource::*;
pub use value::{Attr, Pseudo, Value};

/// A resource's id inside its stack: PascalCase, `[A-Za-z0-9]+`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogicalId(String);

impl LogicalId {
    /// Builds the id of a construct path, e.g. `["event-router", "role"]` -> `EventRouterRole`.
    pub fn from_path(path: &[&str]) -> LogicalId {
        LogicalId(path.iter().map(|segment| pascal_case(segment)).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id in snake_case, the Terraform resource name (`EventRouterRole` -> `event_router_role`).
    pub fn snake_case(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 4);
        let chars: Vec<char> = self.0.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if c.is_ascii_uppercase() {
                let prev_lower =
                    i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
                if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `event-router` -> `EventRouter`, `dlq` -> `Dlq`.
pub fn pascal_case(segment: &str) -> String {
    segment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConstructError {
    #[error("stack {stack}: two constructs have the logical id {id}")]
    DuplicateId { stack: String, id: LogicalId },
    #[error("stack {stack}: {from} refers to {to}, which the stack does not contain")]
    DanglingReference {
        stack: String,
        from: LogicalId,
        to: LogicalId,
    },
}

/// The whole cloud application: one stage per environment.
#[derive(Debug, Clone, Default)]
pub struct App {
    pub stages: Vec<Stage>,
}

impl App {
    pub fn stacks(&self) -> impl Iterator<Item = &Stack> {
        self.stages.iter().flat_map(|s| s.stacks.iter())
    }
}

/// One environment: a stack per region.
#[derive(Debug, Clone)]
pub struct Stage {
    pub env: String,
    pub stacks: Vec<Stack>,
}

/// One deployable unit: an environment in a region.
#[derive(Debug, Clone)]
pub struct Stack {
    /// e.g. `infra-gen-prod-us-west-2`.
    pub name: String,
    pub env: String,
    pub region: String,
    pub account: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    ids: BTreeSet<LogicalId>,
}

impl Stack {
    pub fn new(name: String, env: &str, region: &str, account: &str, description: String) -> Stack {
        Stack {
            name,
            env: env.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            description,
            tags: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
            ids: BTreeSet::new(),
        }
    }

    /// Adds a resource at `path`, returning its logical id.
    pub fn add(
        &mut self,
        path: &[&str],
        kind: ResourceKind,
        retain: bool,
    ) -> Result<LogicalId, ConstructError> {
        let id = LogicalId::from_path(path);
        if !self.ids.insert(id.clone()) {
            return Err(ConstructError::DuplicateId {
                stack: self.name.clone(),
                id,
            });
        }
        self.resources.push(Resource {
            id: id.clone(),
            kind,
            retain,
            depends_on: Vec::new(),
        });
        Ok(id)
    }

    pub fn resource(&self, id: &LogicalId) -> Option<&Resource> {
        self.resources.iter().find(|r| &r.id == id)
    }

    pub fn resource_mut(&mut self, id: &LogicalId) -> Option<&mut Resource> {
        self.resources.iter_mut().find(|r| &r.id == id)
    }

    /// Appends statements to a role's inline policy.
    pub fn grant(&mut self, role: &LogicalId, statements: impl IntoIterator<Item = Statement>) {
        if let Some(Resource {
            kind: ResourceKind::Role(r),
            ..
        }) = self.resource_mut(role)
        {
            r.statements.extend(statements);
        } else {
            panic!(
                "grant to {role}, which is not a role of stack {}",
                self.name
            );
        }
    }

    pub fn depend(&mut self, id: &LogicalId, on: &LogicalId) {
        if let Some(r) = self.resource_mut(id) {
            r.depends_on.push(on.clone());
        }
    }

    pub fn output(&mut self, name: &str, description: &str, value: Value) {
        self.outputs.push(Output {
            name: name.to_string(),
            description: description.to_string(),
            value,
        });
    }

    /// Every id referenced by a resource's properties, per resource.
    pub fn references(&self) -> Vec<(LogicalId, Vec<LogicalId>)> {
        self.resources
            .iter()
            .map(|r| (r.id.clone(), resource_references(r)))
            .collect()
    }

    /// Fails on a reference to a resource that is not in this stack.
    pub fn check_references(&self) -> Result<(), ConstructError> {
        for (from, refs) in self.references() {
            if let Some(to) = refs.into_iter().find(|to| !self.ids.contains(to)) {
                return Err(ConstructError::DanglingReference {
                    stack: self.name.clone(),
                    from,
                    to,
                });
            }
        }
        Ok(())
    }
}

fn statements_refs(statements: &[Statement], out: &mut Vec<LogicalId>) {
    for s in statements {
        s.resources.iter().for_each(|v| v.references(out));
        for c in &s.conditions {
            c.values.iter().for_each(|v| v.references(out));
        }
        if let Some(Principal::Aws(v) | Principal::Federated(v)) = &s.principal {
            v.references(out);
        }
    }
}

fn resource_references(r: &Resource) -> Vec<LogicalId> {
    let mut out: Vec<LogicalId> = r.depends_on.clone();
    match &r.kind {
        ResourceKind::KmsKey(k) => statements_refs(&k.policy, &mut out),
        ResourceKind::KmsAlias(a) => out.push(a.target_key.clone()),
        ResourceKind::Queue(q) => {
            out.push(q.kms_key.clone());
            if let Some((dlq, _)) = &q.redrive {
                out.push(dlq.clone());
            }
        }
        ResourceKind::QueuePolicy(p) => {
            out.push(p.queue.clone());
            statements_refs(&p.statements, &mut out);
        }
        ResourceKind::Table(t) => out.push(t.kms_key.clone()),
        ResourceKind::EventBus(_) | ResourceKind::RestApi(_) => {}
        ResourceKind::Secret(s) => out.push(s.kms_key.clone()),
        ResourceKind::SecretPolicy(p) => {
            out.push(p.secret.clone());
            statements_refs(&p.statements, &mut out);
        }
        ResourceKind::LogGroup(l) => out.push(l.kms_key.clone()),
        ResourceKind::Role(role) => {
            statements_refs(&role.statements, &mut out);
            if let Principal::Aws(v) | Principal::Federated(v) = &role.assumed_by {
                v.references(&mut out);
            }
        }
        ResourceKind::Function(f) => {
            out.extend([f.role.clone(), f.kms_key.clone(), f.log_group.clone()]);
            out.extend(f.dead_letter_queue.iter().cloned());
            f.environment
                .iter()
                .for_each(|(_, v)| v.references(&mut out));
        }
        ResourceKind::FunctionVersion(v) => out.push(v.function.clone()),
        ResourceKind::FunctionAlias(a) => out.extend([a.function.clone(), a.version.clone()]),
        ResourceKind::EventSourceMapping(m) => {
            out.extend([m.function.clone(), m.on_failure_queue.clone()]);
            m.source_arn.references(&mut out);
        }
        ResourceKind::Rule(rule) => {
            out.extend(rule.bus.iter().cloned());
            for t in &rule.targets {
                t.arn.references(&mut out);
                out.extend(t.role.iter().cloned());
                out.extend(t.dead_letter_queue.iter().cloned());
            }
        }
        ResourceKind::LambdaPermission(p) => {
            out.push(p.function.clone());
            p.source_arn.references(&mut out);
        }
        ResourceKind::ApiResource(a) => out.push(a.api.clone()),
        ResourceKind::ApiAuthorizer(a) => out.extend([a.api.clone(), a.function.clone()]),
        ResourceKind::ApiMethod(m) => {
            out.extend([m.api.clone(), m.resource.clone(), m.function.clone()]);
            out.extend(m.authorizer.iter().cloned());
        }
        ResourceKind::ApiDeployment(d) => out.push(d.api.clone()),
        ResourceKind::ApiStage(s) => out.extend([
            s.api.clone(),
            s.deployment.clone(),
            s.access_log_group.clone(),
        ]),
        ResourceKind::Alarm(a) => a.dimension.1.references(&mut out),
        ResourceKind::Certificate(_) | ResourceKind::HealthCheck(_) => {}
        ResourceKind::ApiDomain(d) => out.push(d.certificate.clone()),
        ResourceKind::ApiBasePathMapping(m) => {
            out.extend([m.domain.clone(), m.api.clone(), m.stage.clone()])
        }
        ResourceKind::DnsRecord(r) => {
            out.push(r.target.clone());
            out.extend(r.health_check.iter().cloned());
        }
        // The body names resources by their deployed names, not by reference.
        ResourceKind::Dashboard(_) => {}
        ResourceKind::ImageRepository(r) => out.push(r.kms_key.clone()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_pascal_and_snake() {
        let id = LogicalId::from_path(&["event-router", "role"]);
        assert_eq!(id.as_str(), "EventRouterRole");
        assert_eq!(id.snake_case(), "event_router_role");
        assert_eq!(
            LogicalId::from_path(&["Api", "health", "GET"]).snake_case(),
            "api_health_get"
        );
        assert_eq!(
            LogicalId::from_path(&["StreamFailureDlq"]).snake_case(),
            "stream_failure_dlq"
        );
    }

    #[test]
    fn duplicate_paths_are_rejected_and_others_keep_their_ids() {
        let mut stack = Stack::new(
            "s".into(),
            "dev",
            "us-west-2",
            "111111111111",
            String::new(),
        );
        let bus = ResourceKind::EventBus(EventBus { name: "b".into() });
        let first = stack.add(&["Bus"], bus.clone(), false).unwrap();
        stack.add(&["Other"], bus.clone(), false).unwrap();
        assert_eq!(first.as_str(), "Bus");
        assert!(matches!(
            stack.add(&["Bus"], bus, false),
            Err(ConstructError::DuplicateId { .. })
        ));
    }

    #[test]
    fn dangling_references_are_found() {
        let mut stack = Stack::new(
            "s".into(),
            "dev",
            "us-west-2",
            "111111111111",
            String::new(),
        );
        stack
            .add(
                &["Alias"],
                ResourceKind::KmsAlias(KmsAlias {
                    name: "alias/x".into(),
                    target_key: LogicalId::from_path(&["Missing"]),
                }),
                false,
            )
            .unwrap();
        assert!(matches!(
            stack.check_references(),
            Err(ConstructError::DanglingReference { .. })
        ));
    }
}
