//! `infra-gen cost` output: a terminal table, JSON, or Markdown. Pure: stack costs in, text
//! out. The table and Markdown group like resources (same type, component, quantity and
//! price: the DLQs, the alarms) into one line; JSON keeps every resource.

use serde::Serialize;

use super::prices::{PRICE_FILE_PATH, singular};
use super::{Free, HOURS_PER_MONTH, Line, Money, PriceSource, Quantity, StackCost};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CostFormat {
    Table,
    Json,
    Markdown,
}

pub fn render(costs: &[StackCost], format: CostFormat) -> String {
    match format {
        CostFormat::Table => table(costs),
        CostFormat::Json => json(costs),
        CostFormat::Markdown => markdown(costs),
    }
}

/// Stacks of one environment, in the order given.
struct EnvGroup<'a> {
    env: &'a str,
    stacks: Vec<&'a StackCost>,
    monthly: Money,
}

fn by_environment(costs: &[StackCost]) -> Vec<EnvGroup<'_>> {
    let mut groups: Vec<EnvGroup<'_>> = Vec::new();
    for c in costs {
        match groups.iter_mut().find(|g| g.env == c.env) {
            Some(g) => {
                g.stacks.push(c);
                g.monthly += c.monthly;
            }
            None => groups.push(EnvGroup {
                env: &c.env,
                stacks: vec![c],
                monthly: c.monthly,
            }),
        }
    }
    groups
}

/// The same line of several like resources, shown as one.
struct Grouped<'a> {
    resources: Vec<&'a str>,
    line: &'a Line,
    quantity: Quantity,
    monthly: Money,
}

impl Grouped<'_> {
    fn resource_label(&self) -> String {
        match self.resources.as_slice() {
            [one] => one.to_string(),
            [first, rest @ ..] => format!("{first} (+{} like it)", rest.len()),
            [] => String::new(),
        }
    }

    /// `1 key-month`, `3 alarm-months`.
    fn quantity_label(&self) -> String {
        if self.quantity == Quantity::units(1) {
            format!("1 {}", singular(&self.line.unit))
        } else {
            format!("{} {}", self.quantity, self.line.unit)
        }
    }
}

/// Lines with resources grouped when every line of one resource equals (but for the
/// resource) every line of another: the three DLQs, the eight alarms.
fn grouped(lines: &[Line]) -> Vec<Grouped<'_>> {
    let mut resources: Vec<(&str, Vec<&Line>)> = Vec::new();
    for line in lines {
        match resources.iter_mut().find(|(r, _)| *r == line.resource) {
            Some((_, ls)) => ls.push(line),
            None => resources.push((&line.resource, vec![line])),
        }
    }
    let alike = |a: &[&Line], b: &[&Line]| {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.resource_type == y.resource_type
                    && x.component == y.component
                    && x.quantity == y.quantity
                    && x.monthly == y.monthly
                    && x.source == y.source
            })
    };
    let mut groups: Vec<(Vec<&str>, Vec<&Line>)> = Vec::new();
    for (resource, ls) in resources {
        match groups.iter_mut().find(|(_, g)| alike(g, &ls)) {
            Some((names, _)) => names.push(resource),
            None => groups.push((vec![resource], ls)),
        }
    }
    groups
        .into_iter()
        .flat_map(|(names, ls)| {
            let n = names.len() as u128;
            ls.into_iter().map(move |line| Grouped {
                resources: names.clone(),
                line,
                quantity: line.quantity.times(n),
                monthly: Money(line.monthly.0 * n as i64),
            })
        })
        .collect()
}

/// Free resources as `AWS::IAM::Role x6`, by type in first-seen order.
fn free_summary(free: &[Free]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for f in free {
        match counts.iter_mut().find(|(t, _)| *t == f.resource_type) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.resource_type, 1)),
        }
    }
    counts
        .iter()
        .map(|(t, n)| {
            if *n == 1 {
                t.to_string()
            } else {
                format!("{t} x{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every distinct price source, numbered in order of first use.
fn sources(costs: &[StackCost]) -> Vec<&PriceSource> {
    let mut out: Vec<&PriceSource> = Vec::new();
    for line in costs.iter().flat_map(|c| &c.lines) {
        if !out.contains(&&line.source) {
            out.push(&line.source);
        }
    }
    out
}

fn source_number(sources: &[&PriceSource], source: &PriceSource) -> usize {
    sources
        .iter()
        .position(|s| *s == source)
        .map_or(0, |i| i + 1)
}

fn source_text(source: &PriceSource) -> String {
    let via = source
        .via
        .as_deref()
        .map(|v| format!("; {v}"))
        .unwrap_or_default();
    format!(
        "{} in {}: {} (taken {}{via})",
        source.item, source.region, source.url, source.taken
    )
}

const NOTE: &str = "AWS list prices, on demand; free tiers ignored; 730 hours a month.";

pub fn table(costs: &[StackCost]) -> String {
    let sources = sources(costs);
    let mut out = String::new();
    for env in by_environment(costs) {
        for stack in &env.stacks {
            out.push_str(&format!(
                "{} ({} / {})\n",
                stack.stack, stack.env, stack.region
            ));
            let mut rows: Vec<[String; 7]> = vec![[
                "RESOURCE".into(),
                "TYPE".into(),
                "COMPONENT".into(),
                "QUANTITY".into(),
                "PRICE".into(),
                "MONTHLY".into(),
                "SRC".into(),
            ]];
            for g in grouped(&stack.lines) {
                rows.push([
                    g.resource_label(),
                    g.line.resource_type.to_string(),
                    g.line.component.clone(),
                    g.quantity_label(),
                    tiered(g.line),
                    g.monthly.cents(),
                    format!("[{}]", source_number(&sources, &g.line.source)),
                ]);
            }
            let widths: Vec<usize> = (0..7)
                .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
                .collect();
            for row in &rows {
                let mut line = String::from(" ");
                for (i, cell) in row.iter().enumerate() {
                    // Money is right-aligned so the cents line up.
                    if i == 5 {
                        line.push_str(&format!(" {cell:>w$}", w = widths[i]));
                    } else {
                        line.push_str(&format!(" {cell:<w$}", w = widths[i]));
                    }
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
            if !stack.free.is_empty() {
                out.push_str(&format!(
                    "  free: {} resources ({})\n",
                    stack.free.len(),
                    free_summary(&stack.free)
                ));
            }
            out.push_str(&format!("  stack total: {}\n\n", stack.monthly.cents()));
        }
        out.push_str(&format!("{} total: {}\n\n", env.env, env.monthly.cents()));
    }
    let total: Money = costs.iter().map(|c| c.monthly).sum();
    out.push_str(&format!("total: {} a month\n\n", total.cents()));
    out.push_str(&format!("{NOTE} Prices from {PRICE_FILE_PATH}:\n"));
    for (i, s) in sources.iter().enumerate() {
        out.push_str(&format!("  [{}] {}\n", i + 1, source_text(s)));
    }
    out
}

/// The price column: the first tier's price, marked when the quantity crossed tiers.
fn tiered(line: &Line) -> String {
    if line.tiered {
        format!("{} (tiered)", line.price)
    } else {
        line.price.clone()
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    currency: &'static str,
    hours_per_month: u128,
    free_tiers: &'static str,
    price_file: &'static str,
    monthly: Money,
    environments: Vec<JsonEnvironment<'a>>,
}

#[derive(Serialize)]
struct JsonEnvironment<'a> {
    env: &'a str,
    monthly: Money,
    stacks: Vec<&'a StackCost>,
}

pub fn json(costs: &[StackCost]) -> String {
    let report = JsonReport {
        currency: "USD",
        hours_per_month: HOURS_PER_MONTH,
        free_tiers: "ignored",
        price_file: PRICE_FILE_PATH,
        monthly: costs.iter().map(|c| c.monthly).sum(),
        environments: by_environment(costs)
            .into_iter()
            .map(|g| JsonEnvironment {
                env: g.env,
                monthly: g.monthly,
                stacks: g.stacks,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("a cost report always serialises");
    out.push('\n');
    out
}

fn md(text: &str) -> String {
    text.replace('|', "\\|")
}

pub fn markdown(costs: &[StackCost]) -> String {
    let sources = sources(costs);
    let total: Money = costs.iter().map(|c| c.monthly).sum();
    let mut out = format!("## infra-gen cost: {} a month\n\n", total.cents());
    out.push_str("| Environment | Region | Monthly |\n|---|---|---:|\n");
    for env in by_environment(costs) {
        for stack in &env.stacks {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                stack.env,
                stack.region,
                stack.monthly.cents()
            ));
        }
        out.push_str(&format!(
            "| **{}** | | **{}** |\n",
            env.env,
            env.monthly.cents()
        ));
    }
    out.push_str(&format!("| **total** | | **{}** |\n", total.cents()));
    for stack in costs {
        out.push_str(&format!(
            "\n<details><summary>{} / {}: {}</summary>\n\n",
            stack.env,
            stack.region,
            stack.monthly.cents()
        ));
        out.push_str("| Resource | Type | Component | Quantity | Price | Monthly | Source |\n");
        out.push_str("|---|---|---|---:|---|---:|---|\n");
        for g in grouped(&stack.lines) {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} | {} | {} | [{}] |\n",
                md(&g.resource_label()),
                g.line.resource_type,
                md(&g.line.component),
                g.quantity_label(),
                md(&tiered(g.line)),
                g.monthly.cents(),
                source_number(&sources, &g.line.source)
            ));
        }
        if !stack.free.is_empty() {
            out.push_str(&format!(
                "\nFree: {} resources ({}).\n",
                stack.free.len(),
                free_summary(&stack.free)
            ));
        }
        out.push_str("\n</details>\n");
    }
    out.push_str(&format!(
        "\n{NOTE}\n\n<details><summary>Price sources ({PRICE_FILE_PATH})</summary>\n\n"
    ));
    for (i, s) in sources.iter().enumerate() {
        out.push_str(&format!("{}. {}\n", i + 1, md(&source_text(s))));
    }
    out.push_str("\n</details>\n");
    out
}
