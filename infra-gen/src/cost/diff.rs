//! The monthly cost change between two sides of an `infra-gen diff` comparison: per stack
//! (environment and region), per resource whose cost changed, and in total.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{CostError, Money, StackCost};

/// One side of a stack comparison, as far as cost goes.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// The side has no such stack (a stack added or removed).
    Absent,
    Estimated(&'a StackCost),
    NotEstimated(&'a CostError),
}

/// The monthly cost of one stack before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackCostChange {
    /// `None` when the old side has no such stack or its cost is not estimated.
    pub before: Option<Money>,
    /// `None` when the new side has no such stack or its cost is not estimated.
    pub after: Option<Money>,
    /// `after - before` (an absent stack costs nothing); `None` when a side is not estimated.
    pub change: Option<Money>,
    /// Why a side has no figure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_estimated: Vec<String>,
    /// Resources whose monthly cost differs, by logical id; empty for a whole stack added
    /// or removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceCostChange>,
}

impl StackCostChange {
    /// The cost differs; or one side is estimated and the other cannot be (two sides that
    /// both cannot be estimated are no news).
    pub fn is_change(&self) -> bool {
        match self.change {
            Some(change) => change != Money::ZERO || !self.resources.is_empty(),
            None => self.not_estimated.len() == 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceCostChange {
    pub resource: String,
    pub resource_type: String,
    pub before: Money,
    pub after: Money,
    pub change: Money,
}

/// The whole comparison's cost, over the stacks whose change is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CostTotals {
    pub before: Money,
    pub after: Money,
    pub change: Money,
    /// Stacks left out of the totals because a side is not estimated.
    pub stacks_not_estimated: usize,
}

impl CostTotals {
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a StackCostChange>) -> CostTotals {
        let mut totals = CostTotals {
            before: Money::ZERO,
            after: Money::ZERO,
            change: Money::ZERO,
            stacks_not_estimated: 0,
        };
        for c in changes {
            match c.change {
                Some(change) => {
                    totals.before += c.before.unwrap_or_default();
                    totals.after += c.after.unwrap_or_default();
                    totals.change += change;
                }
                None => totals.stacks_not_estimated += 1,
            }
        }
        totals
    }

    /// The change as a share of the cost before, in basis points (1% = 100); `None` from
    /// nothing.
    pub fn change_basis_points(&self) -> Option<i128> {
        (self.before.0 != 0).then(|| i128::from(self.change.0) * 10_000 / i128::from(self.before.0))
    }
}

/// Compares one stack's cost on the two sides.
pub fn compare(old: Side<'_>, new: Side<'_>) -> StackCostChange {
    let figure = |side: Side<'_>| match side {
        Side::Absent => Ok(None),
        Side::Estimated(c) => Ok(Some(c.monthly)),
        Side::NotEstimated(e) => Err(e.to_string()),
    };
    let (before, after) = (figure(old), figure(new));
    let mut not_estimated = Vec::new();
    if let Err(e) = &before {
        not_estimated.push(format!("before: {e}"));
    }
    if let Err(e) = &after {
        not_estimated.push(format!("after: {e}"));
    }
    let (before, after) = (before.ok().flatten(), after.ok().flatten());
    let change = not_estimated
        .is_empty()
        .then(|| after.unwrap_or_default() - before.unwrap_or_default());
    let resources = match (old, new) {
        (Side::Estimated(o), Side::Estimated(n)) => resource_changes(o, n),
        _ => Vec::new(),
    };
    StackCostChange {
        before,
        after,
        change,
        not_estimated,
        resources,
    }
}

fn resource_changes(old: &StackCost, new: &StackCost) -> Vec<ResourceCostChange> {
    let (o, n) = (old.by_resource(), new.by_resource());
    let ids: BTreeSet<&str> = o.keys().chain(n.keys()).copied().collect();
    ids.into_iter()
        .filter_map(|id| {
            let before = o.get(id).map(|(_, m)| *m).unwrap_or_default();
            let after = n.get(id).map(|(_, m)| *m).unwrap_or_default();
            let resource_type = n.get(id).or(o.get(id)).map(|(t, _)| *t)?;
            (before != after).then(|| ResourceCostChange {
                resource: id.to_string(),
                resource_type: resource_type.to_string(),
                before,
                after,
                change: after - before,
            })
        })
        .collect()
}
