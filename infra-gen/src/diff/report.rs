//! A [`Report`] as text (ANSI colour optional), JSON, or Markdown for a pull-request comment.
//! All three are pure: the caller decides on colour and writes the string.

use serde_json::Value as Json;

use super::{ChangeKind, PropertyChange, Report, ResourceChange, StackDiff, StackStatus, Summary};

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

fn status_word(status: StackStatus) -> &'static str {
    match status {
        StackStatus::Added => "stack added",
        StackStatus::Removed => "stack removed",
        StackStatus::Modified => "modified",
        StackStatus::Unchanged => "no differences",
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
            status_word(stack.status)
        ));
        if matches!(stack.status, StackStatus::Added | StackStatus::Removed) {
            let security = stack.resources.iter().filter(|r| r.security).count();
            out.push_str(&format!(
                "  {} resource(s), {security} security-relevant\n",
                stack.resources.len()
            ));
            continue;
        }
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
    out.push_str(&format!("\n{}\n", summary_line(&report.summary)));
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
    for stack in &report.stacks {
        out.push_str(&format!(
            "\n### {}: {}\n\n",
            cell(&stack_title(stack)),
            status_word(stack.status)
        ));
        match stack.status {
            StackStatus::Unchanged => continue,
            StackStatus::Added | StackStatus::Removed => {
                let security = stack.resources.iter().filter(|r| r.security).count();
                out.push_str(&format!(
                    "{} resource(s), {security} security-relevant.\n",
                    stack.resources.len()
                ));
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
    }
    out
}
