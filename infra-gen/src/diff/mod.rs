//! Semantic diffs of synthesised CloudFormation: which resources a change adds, removes or
//! modifies, at which property paths, and whether CloudFormation would replace a resource or
//! the change touches security (IAM, resource policies, encryption, authorization).
//!
//! Pure from end to end: templates in (as `serde_json::Value`), a [`Report`] out. The
//! `infra-gen diff` command is the edge that synthesises both sides in memory; [`compare`]
//! pairs their stacks up and normalises what is expected to differ, [`rules`] knows
//! CloudFormation's replacement and security semantics, and [`report`] prints the result.
//! When the templates come with their stacks' costs ([`compare::StackTemplate::cost`]), each
//! stack also carries its monthly cost change ([`crate::cost::diff`]).

pub mod compare;
pub mod normalise;
pub mod report;
pub mod rules;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value as Json;

use crate::cost::diff::{CostTotals, StackCostChange};

/// Everything that differs between the two sides of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// What was compared, e.g. `prod: us-west-2 -> us-east-1`.
    pub comparison: String,
    pub summary: Summary,
    /// Every stack of either side, in a stable order (unchanged ones too, so a reader sees
    /// what was covered).
    pub stacks: Vec<StackDiff>,
    /// The monthly cost before and after, over every priced stack; absent when the
    /// comparison was not priced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostTotals>,
}

impl Report {
    pub fn new(comparison: impl Into<String>, stacks: Vec<StackDiff>) -> Report {
        let summary = Summary::of(&stacks);
        let priced: Vec<&StackCostChange> = stacks.iter().filter_map(|s| s.cost.as_ref()).collect();
        let cost = (!priced.is_empty()).then(|| CostTotals::of(priced));
        Report {
            comparison: comparison.into(),
            summary,
            stacks,
            cost,
        }
    }

    /// A template or a monthly cost differs (a usage assumption changes the cost only).
    pub fn has_differences(&self) -> bool {
        self.stacks.iter().any(|s| {
            s.status != StackStatus::Unchanged || s.cost.as_ref().is_some_and(|c| c.is_change())
        })
    }
}

/// Counts over every stack of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub stacks_added: usize,
    pub stacks_removed: usize,
    pub stacks_modified: usize,
    pub resources_added: usize,
    pub resources_removed: usize,
    pub resources_modified: usize,
    /// Resources CloudFormation would replace (a new physical resource, usually data loss
    /// for stateful ones).
    pub replacements: usize,
    /// Resources whose change is security-relevant.
    pub security: usize,
}

impl Summary {
    fn of(stacks: &[StackDiff]) -> Summary {
        let mut s = Summary::default();
        for stack in stacks {
            match stack.status {
                StackStatus::Added => s.stacks_added += 1,
                StackStatus::Removed => s.stacks_removed += 1,
                StackStatus::Modified => s.stacks_modified += 1,
                StackStatus::Unchanged => {}
            }
            for r in &stack.resources {
                match r.change {
                    ChangeKind::Added => s.resources_added += 1,
                    ChangeKind::Removed => s.resources_removed += 1,
                    ChangeKind::Modified => s.resources_modified += 1,
                }
                s.replacements += usize::from(r.replacement);
                s.security += usize::from(r.security);
            }
        }
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StackStatus {
    /// Only the new side has the stack.
    Added,
    /// Only the old side has the stack.
    Removed,
    Modified,
    Unchanged,
}

/// One stack compared with its counterpart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackDiff {
    /// The old side's stack, e.g. `prod/us-west-2`; `None` when the stack is added.
    pub old: Option<String>,
    /// The new side's stack; `None` when the stack is removed.
    pub new: Option<String>,
    pub status: StackStatus,
    /// Resource changes by logical id. For a whole added or removed stack, every resource.
    pub resources: Vec<ResourceChange>,
    /// Changes outside `Resources` (description, outputs), with paths from the template root.
    pub template: Vec<PropertyChange>,
    /// The stack's monthly cost before and after, when the comparison is priced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<StackCostChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    pub logical_id: String,
    /// The new side's type (the old one's for a removal).
    pub resource_type: String,
    pub change: ChangeKind,
    /// CloudFormation would replace the resource: its type or a property that requires
    /// replacement changed.
    pub replacement: bool,
    /// The change touches a security-relevant resource or property (see [`rules`]).
    pub security: bool,
    /// Property-level changes of a modified resource, paths relative to the resource
    /// (`Properties.MemorySize`); empty for additions and removals.
    pub properties: Vec<PropertyChange>,
}

/// One leaf that differs: present on both sides with different values, or on one side only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyChange {
    /// e.g. `Properties.Policies[0].PolicyDocument.Statement[2].Action`.
    pub path: String,
    /// `None` (and absent from JSON output) when the path is added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Json>,
    /// `None` (and absent from JSON output) when the path is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Json>,
    pub replacement: bool,
    pub security: bool,
}

/// Compares one stack's templates; either side may be missing (a whole-stack add or
/// remove). Malformed templates (no `Resources` object) count as having no resources.
pub fn diff_stack(
    old_label: Option<&str>,
    new_label: Option<&str>,
    old: Option<&Json>,
    new: Option<&Json>,
) -> StackDiff {
    let empty = Json::Object(Default::default());
    let (resources, template) = diff_templates(old.unwrap_or(&empty), new.unwrap_or(&empty));
    let status = match (old, new) {
        (None, Some(_)) => StackStatus::Added,
        (Some(_), None) => StackStatus::Removed,
        _ if resources.is_empty() && template.is_empty() => StackStatus::Unchanged,
        _ => StackStatus::Modified,
    };
    // A stack on one side only: its top-level fields are not news beyond the stack itself.
    let template = if matches!(status, StackStatus::Added | StackStatus::Removed) {
        Vec::new()
    } else {
        template
    };
    StackDiff {
        old: old.and(old_label).map(str::to_string),
        new: new.and(new_label).map(str::to_string),
        status,
        resources,
        template,
        cost: None,
    }
}

/// Resource changes (sorted by logical id) and template-level changes (sorted by path).
pub fn diff_templates(old: &Json, new: &Json) -> (Vec<ResourceChange>, Vec<PropertyChange>) {
    let no_resources = serde_json::Map::new();
    let old_resources = old
        .get("Resources")
        .and_then(Json::as_object)
        .unwrap_or(&no_resources);
    let new_resources = new
        .get("Resources")
        .and_then(Json::as_object)
        .unwrap_or(&no_resources);
    let ids: BTreeSet<&String> = old_resources.keys().chain(new_resources.keys()).collect();
    let mut changes = Vec::new();
    for id in ids {
        let change = match (old_resources.get(id), new_resources.get(id)) {
            (Some(o), Some(n)) => diff_resource(id, o, n),
            (None, Some(n)) => Some(whole_resource(id, n, ChangeKind::Added)),
            (Some(o), None) => Some(whole_resource(id, o, ChangeKind::Removed)),
            (None, None) => None,
        };
        changes.extend(change);
    }

    let mut template = Vec::new();
    let top_keys = |t: &'_ Json| -> Vec<String> {
        t.as_object()
            .map(|m| m.keys().filter(|k| *k != "Resources").cloned().collect())
            .unwrap_or_default()
    };
    let keys: BTreeSet<String> = top_keys(old).into_iter().chain(top_keys(new)).collect();
    for key in keys {
        let mut path = String::new();
        push_key(&mut path, &key);
        let mut leaves = Vec::new();
        diff_values(&mut path, old.get(&key), new.get(&key), &mut leaves);
        template.extend(leaves.into_iter().map(|(path, old, new)| PropertyChange {
            path,
            old,
            new,
            replacement: false,
            security: false,
        }));
    }
    (changes, template)
}

fn resource_type(resource: &Json) -> &str {
    resource.get("Type").and_then(Json::as_str).unwrap_or("")
}

fn whole_resource(id: &str, resource: &Json, change: ChangeKind) -> ResourceChange {
    let resource_type = resource_type(resource).to_string();
    ResourceChange {
        logical_id: id.to_string(),
        security: rules::security_relevant_type(&resource_type),
        resource_type,
        change,
        replacement: false,
        properties: Vec::new(),
    }
}

fn diff_resource(id: &str, old: &Json, new: &Json) -> Option<ResourceChange> {
    if old == new {
        return None;
    }
    let (old_type, new_type) = (resource_type(old), resource_type(new));
    let mut leaves = Vec::new();
    diff_values(&mut String::new(), Some(old), Some(new), &mut leaves);
    let type_changed = old_type != new_type;
    let properties: Vec<PropertyChange> = leaves
        .into_iter()
        .map(|(path, o, n)| PropertyChange {
            replacement: type_changed || rules::requires_replacement(new_type, &path),
            security: rules::security_relevant(old_type, &path)
                || rules::security_relevant(new_type, &path),
            path,
            old: o,
            new: n,
        })
        .collect();
    Some(ResourceChange {
        logical_id: id.to_string(),
        resource_type: new_type.to_string(),
        change: ChangeKind::Modified,
        replacement: properties.iter().any(|p| p.replacement),
        security: properties.iter().any(|p| p.security),
        properties,
    })
}

/// A leaf difference: path, old value, new value.
type Leaf = (String, Option<Json>, Option<Json>);

/// Appends every leaf where `old` and `new` differ. Objects are compared key by key (sorted,
/// so the output does not depend on key order), arrays index by index; anything else, or a
/// change of JSON type, is one leaf at `path`.
fn diff_values(path: &mut String, old: Option<&Json>, new: Option<&Json>, out: &mut Vec<Leaf>) {
    match (old, new) {
        (None, None) => {}
        (Some(o), Some(n)) if o == n => {}
        (Some(Json::Object(o)), Some(Json::Object(n))) => {
            let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
            for key in keys {
                let len = path.len();
                push_key(path, key);
                diff_values(path, o.get(key), n.get(key), out);
                path.truncate(len);
            }
        }
        (Some(Json::Array(o)), Some(Json::Array(n))) => {
            for i in 0..o.len().max(n.len()) {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                diff_values(path, o.get(i), n.get(i), out);
                path.truncate(len);
            }
        }
        (o, n) => out.push((path.clone(), o.cloned(), n.cloned())),
    }
}

/// `.Key` for identifier-like keys, `["some:key"]` for the rest (policy condition keys,
/// OIDC subjects), so every path reads back unambiguously.
fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&Json::from(key).to_string());
        path.push(']');
    }
}

#[cfg(test)]
mod tests;
