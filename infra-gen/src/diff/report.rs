//! A [`Report`] as text (ANSI colour optional), JSON, or Markdown for a pull-request comment.
//! All three are pure: the caller decides on colour and writes the string.

use serde_json::Value as Json;

use super::{ChangeKind, PropertyChange, Report, ResourceChange, StackDiff, StackStatus, Summary};
use crate::cost::Money;
use crate::cost::diff::{CostTotals, StackCostChange};

/// Longest rendering of one value in text and Markdown; JSON output is never shortened.
const MAX_VALUE_CHARS: usize = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Markdown,
}

/// Renders the report in `format`; `color` applies to text only.
pub fn render(report: &Report, format: OutputFormat, color: bool) -> String {
    match format {
        OutputFormat::Text => text(report, color),
        OutputFormat::Json => json(report),
        OutputFormat::Markdown => markdown(report),
    }
}

pub fn json(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("a report always serialises");
    out.push('\n');
    out
}

struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn flag(&self, t: &str) -> String {
        self.paint("1;35", t)
    }
}

fn sign(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Modified => "~",
    }
}

fn flags(replacement: bool, security: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if replacement {
        out.push("REPLACEMENT");
    }
    if security {
        out.push("SECURITY");
    }
    out
}

fn stack_title(stack: &StackDiff) -> String {
    match (&stack.old, &stack.new) {
        (Some(o), Some(n)) if o == n => o.clone(),
        (Some(o), Some(n)) => format!("{o} -> {n}"),
        (Some(o), None) => o.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

fn status_word(stack: &StackDiff) -> &'static str {
    match stack.status {
        StackStatus::Added => "stack added",
        StackStatus::Removed => "stack removed",
        StackStatus::Modified => "modified",
        StackStatus::Unchanged if stack.cost.as_ref().is_some_and(|c| c.is_change()) => {
            "template unchanged, cost changed"
        }
        StackStatus::Unchanged => "no differences",
    }
}

/// `$1.00`, or `-` for a side without the stack or without an estimate.
fn figure(money: Option<Money>) -> String {
    money.map_or_else(|| "-".to_string(), Money::cents)
}

/// `$1,840.02 -> $1,932.96 (+$92.94)`, `$18.05, unchanged`, `not estimated (...)`.
fn cost_change(c: &StackCostChange) -> String {
    match c.change {
        None => format!(
            "{} -> {}, change not estimated ({})",
            figure(c.before),
            figure(c.after),
            c.not_estimated.join("; ")
        ),
        Some(change) if change == Money::ZERO && c.before == c.after => {
            format!("{}, unchanged", figure(c.after))
        }
        Some(change) => format!(
            "{} -> {} ({})",
            figure(c.before),
            figure(c.after),
            change.signed_cents()
        ),
    }
}

/// `increases by $92.94 (+2.41%), from $3,861.44 to $3,954.38`.
fn cost_sentence(t: &CostTotals) -> String {
    let direction = match t.change.0.signum() {
        0 => return format!("is unchanged at {}", t.after.cents()),
        1 => "increases",
        _ => "decreases",
    };
    let share = t
        .change_basis_points()
        .map(|bp| {
            format!(
                " ({}{}.{:02}%)",
                if bp > 0 { "+" } else { "-" },
                bp.abs() / 100,
                bp.abs() % 100
            )
        })
        .unwrap_or_default();
    format!(
        "{direction} by {}{share}, from {} to {}",
        Money(t.change.0.abs()).cents(),
        t.before.cents(),
        t.after.cents()
    )
}

fn not_estimated_note(t: &CostTotals) -> String {
    if t.stacks_not_estimated == 0 {
        String::new()
    } else {
        format!(
            "; {} stack(s) not estimated, left out",
            t.stacks_not_estimated
        )
    }
}

/// Compact JSON, shortened to [`MAX_VALUE_CHARS`]; `(none)` for an absent side.
fn show(value: Option<&Json>) -> String {
    let Some(value) = value else {
        return "(none)".into();
    };
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        text
    } else {
        let short: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{short}...")
    }
}

fn summary_line(s: &Summary) -> String {
    let mut parts = vec![
        format!("{} added", s.resources_added),
        format!("{} removed", s.resources_removed),
        format!("{} modified", s.resources_modified),
        format!("{} replacement(s)", s.replacements),
        format!("{} security-relevant", s.security),
    ];
    if s.stacks_added + s.stacks_removed > 0 {
        parts.push(format!(
            "{} stack(s) added, {} removed",
            s.stacks_added, s.stacks_removed
        ));
    }
    format!("resources: {}", parts.join(", "))
}

pub fn text(report: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = format!("{}\n", p.bold(&format!("diff {}", report.comparison)));
    for stack in &report.stacks {
        out.push_str(&format!(
            "\n{}: {}\n",
            p.bold(&stack_title(stack)),
            status_word(stack)
        ));
        if matches!(stack.status, StackStatus::Added | StackStatus::Removed) {
            let security = stack.resources.iter().filter(|r| r.security).count();
            out.push_str(&format!(
                "  {} resource(s), {security} security-relevant\n",
                stack.resources.len()
            ));
        } else {
            for r in &stack.resources {
                text_resource(&mut out, &p, r);
            }
            for c in &stack.template {
                out.push_str(&format!(
                    "  {} template {}: {} -> {}\n",
                    p.yellow("~"),
                    c.path,
                    show(c.old.as_ref()),
                    show(c.new.as_ref())
                ));
            }
        }
        if let Some(cost) = &stack.cost {
            out.push_str(&format!("  monthly cost: {}\n", cost_change(cost)));
            for r in &cost.resources {
                out.push_str(&format!(
                    "      {} ({}): {} -> {} ({})\n",
                    r.resource,
                    r.resource_type,
                    r.before.cents(),
                    r.after.cents(),
                    r.change.signed_cents()
                ));
            }
        }
    }
    out.push_str(&format!("\n{}\n", summary_line(&report.summary)));
    if let Some(t) = &report.cost {
        out.push_str(&format!(
            "monthly cost {}{}\n",
            cost_sentence(t),
            not_estimated_note(t)
        ));
    }
    out
}

fn text_resource(out: &mut String, p: &Paint, r: &ResourceChange) {
    let head = format!("{} {} ({})", sign(r.change), r.logical_id, r.resource_type);
    let head = match r.change {
        ChangeKind::Added => p.green(&head),
        ChangeKind::Removed => p.red(&head),
        ChangeKind::Modified => p.yellow(&head),
    };
    let tags: Vec<String> = flags(r.replacement, r.security)
        .into_iter()
        .map(|f| p.flag(&format!("[{f}]")))
        .collect();
    out.push_str(format!("  {head} {}", tags.join(" ")).trim_end());
    out.push('\n');
    for c in &r.properties {
        text_property(out, p, c);
    }
}

fn text_property(out: &mut String, p: &Paint, c: &PropertyChange) {
    let tags: Vec<String> = flags(c.replacement, c.security)
        .into_iter()
        .map(|f| p.flag(&format!("[{f}]")))
        .collect();
    let line = format!(
        "      {}: {} -> {} {}",
        c.path,
        p.red(&show(c.old.as_ref())),
        p.green(&show(c.new.as_ref())),
        tags.join(" ")
    );
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Markdown table cell: code span with `|` escaped so it cannot end the cell, and no
/// newlines.
fn cell(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let text = text.replace('|', "\\|").replace('\n', " ");
    let fence = if text.contains('`') { "``" } else { "`" };
    format!("{fence}{text}{fence}")
}

pub fn markdown(report: &Report) -> String {
    let s = &report.summary;
    let mut out = format!("## infra-gen diff: {}\n\n", report.comparison);
    if !report.has_differences() {
        out.push_str("No differences.\n");
        if let Some(t) = &report.cost {
            out.push_str(&format!(
                "\nMonthly cost {}{}.\n",
                cost_sentence(t),
                not_estimated_note(t)
            ));
        }
        return out;
    }
    out.push_str(&format!(
        "**{}** added, **{}** removed, **{}** modified; **{}** replacement(s), **{}** security-relevant.\n",
        s.resources_added, s.resources_removed, s.resources_modified, s.replacements, s.security
    ));
    if s.replacements > 0 {
        out.push_str(
            "\n> [!WARNING]\n> CloudFormation will replace resources flagged REPLACEMENT.\n",
        );
    }
    if let Some(t) = &report.cost {
        markdown_cost_summary(&mut out, report, t);
    }
    for stack in &report.stacks {
        out.push_str(&format!(
            "\n### {}: {}\n\n",
            cell(&stack_title(stack)),
            status_word(stack)
        ));
        match stack.status {
            StackStatus::Unchanged => {
                markdown_stack_cost(&mut out, stack);
                continue;
            }
            StackStatus::Added | StackStatus::Removed => {
                let security = stack.resources.iter().filter(|r| r.security).count();
                out.push_str(&format!(
                    "{} resource(s), {security} security-relevant.\n",
                    stack.resources.len()
                ));
                markdown_stack_cost(&mut out, stack);
                continue;
            }
            StackStatus::Modified => {}
        }
        out.push_str("| | Resource | Type | Property | Old | New | Flags |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for r in &stack.resources {
            let resource_flags = flags(r.replacement, r.security).join(", ");
            if r.properties.is_empty() {
                out.push_str(&format!(
                    "| {} | {} | {} | | | | {} |\n",
                    sign(r.change),
                    cell(&r.logical_id),
                    cell(&r.resource_type),
                    resource_flags
                ));
            }
            for c in &r.properties {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    sign(r.change),
                    cell(&r.logical_id),
                    cell(&r.resource_type),
                    cell(&c.path),
                    cell(&show(c.old.as_ref())),
                    cell(&show(c.new.as_ref())),
                    flags(c.replacement, c.security).join(", ")
                ));
            }
        }
        for c in &stack.template {
            out.push_str(&format!(
                "| ~ | (template) | | {} | {} | {} | |\n",
                cell(&c.path),
                cell(&show(c.old.as_ref())),
                cell(&show(c.new.as_ref()))
            ));
        }
        markdown_stack_cost(&mut out, stack);
    }
    out
}

/// The headline and a table of every stack's monthly cost, before the details: what a
/// reviewer of the pull request reads first.
fn markdown_cost_summary(out: &mut String, report: &Report, t: &CostTotals) {
    out.push_str(&format!(
        "\n**Monthly cost** {}{}.\n\n",
        cost_sentence(t),
        not_estimated_note(t)
    ));
    out.push_str("| Environment / region | Before | After | Change |\n|---|---:|---:|---:|\n");
    for stack in &report.stacks {
        let Some(c) = &stack.cost else {
            continue;
        };
        let change = match c.change {
            Some(change) => change.signed_cents(),
            None => "not estimated".to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&stack_title(stack)),
            figure(c.before),
            figure(c.after),
            change
        ));
    }
    out.push_str(&format!(
        "| **total** | **{}** | **{}** | **{}** |\n",
        t.before.cents(),
        t.after.cents(),
        t.change.signed_cents()
    ));
}

/// A stack's cost change under its template changes, per resource whose cost moved.
fn markdown_stack_cost(out: &mut String, stack: &StackDiff) {
    let Some(c) = &stack.cost else {
        return;
    };
    out.push_str(&format!("\nMonthly cost: {}.\n", cost_change(c)));
    if c.resources.is_empty() {
        return;
    }
    out.push_str("\n| Resource | Type | Before | After | Change |\n|---|---|---:|---:|---:|\n");
    for r in &c.resources {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&r.resource),
            cell(&r.resource_type),
            r.before.cents(),
            r.after.cents(),
            r.change.signed_cents()
        ));
    }
}
