//! Rust spellings of jsii names: snake_case members, CamelCase variants, escaped keywords.

/// Words that cannot be identifiers as they are. `r#` works for all but these four.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// A jsii member or parameter name (`camelCase`, sometimes `SCREAMING_CASE`) as a Rust
/// snake_case identifier, keyword-escaped.
pub fn snake(name: &str) -> String {
    escape(&to_snake(name))
}

/// `ident` made usable as an identifier: `r#type`, or `self_` for the words `r#` cannot take.
pub fn escape(ident: &str) -> String {
    if NOT_RAW.contains(&ident) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident) {
        format!("r#{ident}")
    } else if ident.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{ident}")
    } else {
        ident.to_string()
    }
}

fn to_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == '.' || c == '$' {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    while out.ends_with('_') && out.len() > 1 {
        out.pop();
    }
    out
}

/// An enum member (`KMS_MANAGED`, `Value1`) as an UpperCamelCase variant.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in to_snake(name).split('_').filter(|w| !w.is_empty()) {
        let mut cs = word.chars();
        if let Some(first) = cs.next() {
            out.extend(first.to_uppercase());
            out.push_str(cs.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Self" {
        "Self_".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_become_snake_case() {
        assert_eq!(snake("queueArn"), "queue_arn");
        assert_eq!(snake("grantReadWriteData"), "grant_read_write_data");
        assert_eq!(snake("PROPERTY_INJECTION_ID"), "property_injection_id");
        assert_eq!(snake("enforceSSL"), "enforce_ssl");
        assert_eq!(snake("addToResourcePolicy"), "add_to_resource_policy");
        assert_eq!(snake("IPv6Address"), "i_pv6_address");
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("async"), "r#async");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("Self"), "self_");
        assert_eq!(snake("super"), "super_");
        assert_eq!(snake("crate"), "crate_");
    }

    #[test]
    fn enum_members_become_camel_case() {
        assert_eq!(camel("KMS_MANAGED"), "KmsManaged");
        assert_eq!(camel("SQS_MANAGED"), "SqsManaged");
        assert_eq!(camel("NODEJS_22_X"), "Nodejs22X");
        assert_eq!(camel("_5XX"), "V5Xx");
    }
}
