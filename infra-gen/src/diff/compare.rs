//! What `infra-gen diff` compares: which stack of one side pairs with which of the other, and
//! what is normalised away first.
//!
//! - two regions of one environment: each side's own region becomes `<region>` and the other
//!   `<peer-region>`, so only the specs' `region_overrides` remain;
//! - two environments, region by region: each side's environment name becomes `<env>` and its
//!   account id `<account>`;
//! - a past commit against the working tree: every (environment, region) as-is.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::normalise::Substitutions;
use super::{Report, StackDiff, diff_stack};
use crate::construct::App;
use crate::cost::diff::{self as cost_diff, Side};
use crate::cost::{self, CostError, StackCost, prices::PriceTable};
use crate::render::cloudformation;
use crate::spec::Environment;

/// One synthesised stack's CloudFormation template and the identifiers normalisation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StackTemplate {
    pub env: String,
    pub region: String,
    pub account: String,
    pub template: Json,
    /// The stack's monthly cost, when the comparison is priced ([`priced_stack_templates`]).
    pub cost: Option<Result<StackCost, CostError>>,
}

impl StackTemplate {
    /// `env/region`, how reports name a stack.
    pub fn label(&self) -> String {
        format!("{}/{}", self.env, self.region)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error("no environment `{name}` (known: {known})")]
    UnknownEnvironment { name: String, known: String },
    #[error(
        "environment `{env}` deploys to {deployed}; --regions must name exactly those two, got {given}"
    )]
    RegionsMismatch {
        env: String,
        deployed: String,
        given: String,
    },
}

/// The CloudFormation template of every stack of `app`, in the app's order (environments by
/// name, regions as the specs list them). The same function `infra-gen synth` renders into
/// `<stack>.template.json`, so the diff sees exactly what synth writes.
pub fn stack_templates(app: &App) -> Vec<StackTemplate> {
    app.stacks()
        .map(|stack| StackTemplate {
            env: stack.env.clone(),
            region: stack.region.clone(),
            account: stack.account.clone(),
            template: cloudformation::template(stack),
            cost: None,
        })
        .collect()
}

/// [`stack_templates`] with each stack's monthly cost, estimated from `environments` (the
/// specs `app` was built from): what `infra-gen diff` compares.
pub fn priced_stack_templates(
    app: &App,
    environments: &[Environment],
    prices: &PriceTable,
) -> Vec<StackTemplate> {
    let costs = cost::estimate_all(app.stacks(), environments, prices);
    stack_templates(app)
        .into_iter()
        .zip(costs)
        .map(|(template, cost)| StackTemplate {
            cost: Some(cost),
            ..template
        })
        .collect()
}

fn known_envs(stacks: &[&[StackTemplate]]) -> String {
    let names: BTreeSet<&str> = stacks
        .iter()
        .flat_map(|side| side.iter().map(|s| s.env.as_str()))
        .collect();
    names.into_iter().collect::<Vec<_>>().join(", ")
}

fn unknown(name: &str, stacks: &[&[StackTemplate]]) -> CompareError {
    CompareError::UnknownEnvironment {
        name: name.to_string(),
        known: known_envs(stacks),
    }
}

fn find<'a>(stacks: &'a [StackTemplate], env: &str, region: &str) -> Option<&'a StackTemplate> {
    stacks.iter().find(|s| s.env == env && s.region == region)
}

/// The environment's first region against its second or, when `regions` is not empty, its
/// two regions in that order (it must name exactly those two).
pub fn regions(
    stacks: &[StackTemplate],
    env: &str,
    regions: &[&str],
) -> Result<Report, CompareError> {
    let deployed: Vec<&str> = stacks
        .iter()
        .filter(|s| s.env == env)
        .map(|s| s.region.as_str())
        .collect();
    if deployed.is_empty() {
        return Err(unknown(env, &[stacks]));
    }
    let mismatch = |given: String| CompareError::RegionsMismatch {
        env: env.to_string(),
        deployed: deployed.join(","),
        given,
    };
    let (a, b) = match (regions, deployed.as_slice()) {
        (&[a, b], &[x, y]) if a != b && [a, b].contains(&x) && [a, b].contains(&y) => (a, b),
        ([], &[x, y]) => (x, y),
        ([], _) => return Err(mismatch("none".into())),
        (given, _) => return Err(mismatch(given.join(","))),
    };
    let (old, new) = match (find(stacks, env, a), find(stacks, env, b)) {
        (Some(old), Some(new)) => (old, new),
        _ => return Err(mismatch(format!("{a},{b}"))),
    };
    let stack = normalised_diff(
        old,
        new,
        &Substitutions::regions(a, b),
        &Substitutions::regions(b, a),
    );
    Ok(Report::new(format!("{env}: {a} -> {b}"), vec![stack]))
}

/// One environment against another, region by region; a region only one of them deploys to
/// is a whole-stack add or remove.
pub fn environments(
    stacks: &[StackTemplate],
    from: &str,
    to: &str,
) -> Result<Report, CompareError> {
    for name in [from, to] {
        if !stacks.iter().any(|s| s.env == name) {
            return Err(unknown(name, &[stacks]));
        }
    }
    let mut regions: Vec<&str> = Vec::new();
    for s in stacks.iter().filter(|s| s.env == from || s.env == to) {
        if !regions.contains(&s.region.as_str()) {
            regions.push(&s.region);
        }
    }
    let diffs = regions
        .into_iter()
        .map(
            |region| match (find(stacks, from, region), find(stacks, to, region)) {
                (Some(old), Some(new)) => normalised_diff(
                    old,
                    new,
                    &Substitutions::environment(&old.env, &old.account),
                    &Substitutions::environment(&new.env, &new.account),
                ),
                (old, new) => one_sided(old, new),
            },
        )
        .collect();
    Ok(Report::new(format!("{from} -> {to}"), diffs))
}

/// The templates of a past commit (`old`) against the working tree's (`new`), every
/// (environment, region) of either side, or only `env`'s. Nothing is normalised.
pub fn against_base(
    old: &[StackTemplate],
    new: &[StackTemplate],
    base: &str,
    env: Option<&str>,
) -> Result<Report, CompareError> {
    if let Some(name) = env
        && !old.iter().chain(new).any(|s| s.env == name)
    {
        return Err(unknown(name, &[old, new]));
    }
    let keys: BTreeSet<(&str, &str)> = old
        .iter()
        .chain(new)
        .filter(|s| env.is_none_or(|e| s.env == e))
        .map(|s| (s.env.as_str(), s.region.as_str()))
        .collect();
    let diffs = keys
        .into_iter()
        .map(|(e, r)| {
            let (o, n) = (find(old, e, r), find(new, e, r));
            let old_label = o.map(|s| format!("{}@{base}", s.label()));
            let diff = diff_stack(
                old_label.as_deref(),
                n.map(StackTemplate::label).as_deref(),
                o.map(|s| &s.template),
                n.map(|s| &s.template),
            );
            with_cost(diff, o, n)
        })
        .collect();
    let scope = env.map(|e| format!(" ({e})")).unwrap_or_default();
    Ok(Report::new(format!("{base} -> working tree{scope}"), diffs))
}

/// Every comparison between the synthesised stacks: each environment's two regions, and each
/// pair of environments (in name order) region by region. What the benchmark times.
pub fn all_pairs(stacks: &[StackTemplate]) -> Vec<Report> {
    let envs: Vec<&str> = stacks
        .iter()
        .map(|s| s.env.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut reports = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        // Environments with other than two regions have no region pair to compare.
        reports.extend(regions(stacks, env, &[]).ok());
        for other in &envs[i + 1..] {
            reports.extend(environments(stacks, env, other).ok());
        }
    }
    reports
}

fn normalised_diff(
    old: &StackTemplate,
    new: &StackTemplate,
    old_subs: &Substitutions,
    new_subs: &Substitutions,
) -> StackDiff {
    let diff = diff_stack(
        Some(&old.label()),
        Some(&new.label()),
        Some(&old_subs.apply(&old.template)),
        Some(&new_subs.apply(&new.template)),
    );
    with_cost(diff, Some(old), Some(new))
}

fn one_sided(old: Option<&StackTemplate>, new: Option<&StackTemplate>) -> StackDiff {
    let diff = diff_stack(
        old.map(StackTemplate::label).as_deref(),
        new.map(StackTemplate::label).as_deref(),
        old.map(|s| &s.template),
        new.map(|s| &s.template),
    );
    with_cost(diff, old, new)
}

/// Adds the cost change when the templates of the comparison are priced.
fn with_cost(
    mut diff: StackDiff,
    old: Option<&StackTemplate>,
    new: Option<&StackTemplate>,
) -> StackDiff {
    // A template without a cost (the engine's own tests) leaves the comparison unpriced.
    if let (Some(o), Some(n)) = (cost_side(old), cost_side(new)) {
        diff.cost = Some(cost_diff::compare(o, n));
    }
    diff
}

fn cost_side(template: Option<&StackTemplate>) -> Option<Side<'_>> {
    match template {
        None => Some(Side::Absent),
        Some(t) => t.cost.as_ref().map(|c| match c {
            Ok(c) => Side::Estimated(c),
            Err(e) => Side::NotEstimated(e),
        }),
    }
}
