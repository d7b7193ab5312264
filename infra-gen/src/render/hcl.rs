//! A minimal HCL writer that prints exactly what `terraform fmt` would: two-space indentation,
//! `=` aligned within each run of consecutive single-line attributes (a multi-line value, a
//! nested block, a comment or a blank line ends the run, as in hclwrite), one newline at the end.
//! Renderers build a [`Body`] and never format HCL by hand.

/// An expression. Leaves are already-valid HCL tokens; the writer only decides layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal, a reference or a template, on one line (`true`, `aws_sqs_queue.dlq.arn`).
    Raw(String),
    List(Vec<Expr>),
    /// Object constructor; keys are written bare when they are identifiers, quoted otherwise.
    Object(Vec<(String, Expr)>),
    /// A function call, e.g. `jsonencode({...})`.
    Call(&'static str, Vec<Expr>),
}

impl Expr {
    pub fn raw(token: impl Into<String>) -> Expr {
        Expr::Raw(token.into())
    }

    /// A quoted string literal.
    pub fn str(s: &str) -> Expr {
        Expr::Raw(quote(s))
    }

    pub fn int(n: impl Into<i64>) -> Expr {
        Expr::Raw(n.into().to_string())
    }

    pub fn bool(b: bool) -> Expr {
        Expr::Raw(b.to_string())
    }

    pub fn strs<'a>(items: impl IntoIterator<Item = &'a str>) -> Expr {
        Expr::List(items.into_iter().map(Expr::str).collect())
    }

    fn is_multiline(&self) -> bool {
        match self {
            Expr::Raw(_) => false,
            Expr::Object(entries) => !entries.is_empty(),
            Expr::List(items) | Expr::Call(_, items) => items.iter().any(Expr::is_multiline),
        }
    }

    /// Writes the expression starting mid-line; continuation lines are indented from `indent`.
    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Expr::Raw(token) => out.push_str(token),
            Expr::Call(name, args) => {
                out.push_str(name);
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    arg.write(out, indent);
                }
                out.push(')');
            }
            Expr::List(items) if !self.is_multiline() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Expr::List(items) => {
                out.push_str("[\n");
                for item in items {
                    push_indent(out, indent + 1);
                    item.write(out, indent + 1);
                    out.push_str(",\n");
                }
                push_indent(out, indent);
                out.push(']');
            }
            Expr::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Expr::Object(entries) => {
                out.push_str("{\n");
                let lines: Vec<Line> = entries
                    .iter()
                    .map(|(k, v)| Line::Assign(object_key(k), v))
                    .collect();
                write_lines(out, &lines, indent + 1);
                push_indent(out, indent);
                out.push('}');
            }
        }
    }
}

/// The contents of a file or a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Attr(String, Expr),
    Block(Block),
    Comment(String),
    Blank,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
}

impl Block {
    pub fn new(kind: &str, labels: &[&str], body: Body) -> Block {
        Block {
            kind: kind.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            body,
        }
    }
}

impl Body {
    pub fn new() -> Body {
        Body::default()
    }

    pub fn attr(&mut self, name: &str, value: Expr) -> &mut Body {
        self.items.push(Item::Attr(name.to_string(), value));
        self
    }

    pub fn block(&mut self, kind: &str, labels: &[&str], body: Body) -> &mut Body {
        self.items.push(Item::Block(Block::new(kind, labels, body)));
        self
    }

    pub fn push(&mut self, block: Block) -> &mut Body {
        self.items.push(Item::Block(block));
        self
    }

    /// A `#` comment line; `text` must not contain newlines.
    pub fn comment(&mut self, text: &str) -> &mut Body {
        debug_assert!(!text.contains('\n'), "{text}");
        self.items.push(Item::Comment(text.to_string()));
        self
    }

    /// Puts `#` comment lines before everything else in the body.
    pub fn prepend_comments(&mut self, lines: &[String]) {
        debug_assert!(lines.iter().all(|l| !l.contains('\n')));
        self.items
            .splice(0..0, lines.iter().map(|l| Item::Comment(l.clone())));
    }

    pub fn blank(&mut self) -> &mut Body {
        self.items.push(Item::Blank);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The body as a file: top-level items, one newline at the end.
    pub fn to_file(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        let lines: Vec<Line> = self
            .items
            .iter()
            .map(|item| match item {
                Item::Attr(k, v) => Line::Assign(k.clone(), v),
                Item::Block(b) => Line::Block(b),
                Item::Comment(c) => Line::Comment(c),
                Item::Blank => Line::Blank,
            })
            .collect();
        write_lines(out, &lines, indent);
    }
}

enum Line<'a> {
    Assign(String, &'a Expr),
    Block(&'a Block),
    Comment(&'a str),
    Blank,
}

/// Writes lines, aligning `=` over each run of single-line assignments.
fn write_lines(out: &mut String, lines: &[Line], indent: usize) {
    let mut i = 0;
    while i < lines.len() {
        let run_end = lines[i..]
            .iter()
            .position(|l| !matches!(l, Line::Assign(_, v) if !v.is_multiline()))
            .map_or(lines.len(), |p| i + p);
        if run_end > i {
            let width = lines[i..run_end]
                .iter()
                .map(|l| match l {
                    Line::Assign(k, _) => k.chars().count(),
                    _ => 0,
                })
                .max()
                .unwrap_or(0);
            for line in &lines[i..run_end] {
                if let Line::Assign(k, v) = line {
                    push_indent(out, indent);
                    out.push_str(k);
                    out.push_str(&" ".repeat(width - k.chars().count() + 1));
                    out.push_str("= ");
                    v.write(out, indent);
                    out.push('\n');
                }
            }
            i = run_end;
            continue;
        }
        match &lines[i] {
            Line::Assign(k, v) => {
                push_indent(out, indent);
                out.push_str(k);
                out.push_str(" = ");
                v.write(out, indent);
                out.push('\n');
            }
            Line::Block(b) => {
                push_indent(out, indent);
                out.push_str(&b.kind);
                for label in &b.labels {
                    out.push(' ');
                    out.push_str(&quote(label));
                }
                if b.body.is_empty() {
                    out.push_str(" {}\n");
                } else {
                    out.push_str(" {\n");
                    b.body.write(out, indent + 1);
                    push_indent(out, indent);
                    out.push_str("}\n");
                }
            }
            Line::Comment(c) => {
                push_indent(out, indent);
                out.push('#');
                out.push_str(c);
                out.push('\n');
            }
            Line::Blank => out.push('\n'),
        }
        i += 1;
    }
}

fn push_indent(out: &mut String, level: usize) {
    out.push_str(&"  ".repeat(level));
}

/// An object key: bare if it is a plain identifier, else a quoted string.
fn object_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(key, "true" | "false" | "null");
    if identifier {
        key.to_string()
    } else {
        quote(key)
    }
}

/// A quoted string literal whose value is exactly `s`.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

/// Escapes `s` for the inside of a quoted string or template: quotes, backslashes, control
/// characters, and the template introducers `${` and `%{`, which would otherwise interpolate.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_single_line_attributes_are_aligned_and_multiline_values_end_a_run() {
        let mut inner = Body::new();
        inner
            .attr("a", Expr::int(1))
            .attr("long_name", Expr::int(2));
        let mut body = Body::new();
        body.attr("name", Expr::str("x"))
            .attr("description", Expr::str("y"))
            .attr(
                "tags",
                Expr::Object(vec![
                    ("k".into(), Expr::str("v")),
                    ("cost-center".into(), Expr::str("p")),
                ]),
            )
            .attr("id", Expr::int(3))
            .block("nested", &[], inner);
        let mut file = Body::new();
        file.block("resource", &["t", "n"], body);
        assert_eq!(
            file.to_file(),
            r#"resource "t" "n" {
  name        = "x"
  description = "y"
  tags = {
    k             = "v"
    "cost-center" = "p"
  }
  id = 3
  nested {
    a         = 1
    long_name = 2
  }
}
"#
        );
    }

    #[test]
    fn lists_of_objects_and_calls_nest_by_one_level() {
        let mut body = Body::new();
        body.attr(
            "policy",
            Expr::Call(
                "jsonencode",
                vec![Expr::Object(vec![
                    ("Version".into(), Expr::str("2012-10-17")),
                    (
                        "Statement".into(),
                        Expr::List(vec![Expr::Object(vec![(
                            "Action".into(),
                            Expr::strs(["a", "b"]),
                        )])]),
                    ),
                ])],
            ),
        );
        assert_eq!(
            body.to_file(),
            r#"policy = jsonencode({
  Version = "2012-10-17"
  Statement = [
    {
      Action = ["a", "b"]
    },
  ]
})
"#
        );
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_template_introducers() {
        assert_eq!(
            quote(r#"a"b\c ${x} %{y} $z %w"#),
            r#""a\"b\\c $${x} %%{y} $z %w""#
        );
        assert_eq!(quote("line\nnext"), r#""line\nnext""#);
    }
}
