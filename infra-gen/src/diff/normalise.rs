//! Placeholders for identifiers that differ between two stacks by construction (region,
//! peer region, environment name, account id), so a comparison of two regions or two
//! environments shows only the differences the specs ask for.
//!
//! A substitution replaces whole tokens only: an occurrence counts when the characters on
//! either side are not ASCII letters or digits. So `prod` is replaced in
//! `infra-gen-prod-us-west-2` and `/prod/health` but not in `qlik.products`, and `us-east-1`
//! not in `us-east-12`. Object keys are normalised as well as strings (policy condition keys
//! carry the OIDC issuer and so the region). The environment name is also replaced where it
//! is a PascalCase segment (`InfraGenProdEventRouter`).

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use crate::construct::pascal_case;

pub const REGION: &str = "<region>";
pub const PEER_REGION: &str = "<peer-region>";
pub const ENV: &str = "<env>";
/// The environment name where it is a segment of a PascalCase identifier.
pub const ENV_PASCAL: &str = "<Env>";
pub const ACCOUNT: &str = "<account>";

/// How an occurrence of a token is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// Neither neighbour is an ASCII letter or digit (`infra-gen-prod-us-west-2`).
    Word,
    /// A segment of a PascalCase identifier: any character before, and no lowercase letter
    /// after (`InfraGenProdEventRouter`, a rule target id derived from the environment name).
    Pascal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    placeholder: &'static str,
    boundary: Boundary,
}

impl Token {
    fn starts_here(&self, previous: Option<char>) -> bool {
        match self.boundary {
            Boundary::Word => previous.is_none_or(|p| !p.is_ascii_alphanumeric()),
            Boundary::Pascal => true,
        }
    }

    fn ends_before(&self, next: Option<char>) -> bool {
        match self.boundary {
            Boundary::Word => next.is_none_or(|n| !n.is_ascii_alphanumeric()),
            Boundary::Pascal => next.is_none_or(|n| !n.is_ascii_lowercase()),
        }
    }
}

/// Tokens and their placeholders, applied in one pass, longest token first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Substitutions(Vec<Token>);

impl Substitutions {
    /// For one side of a region comparison: its own region and its peer.
    pub fn regions(own: &str, peer: &str) -> Substitutions {
        Substitutions::default()
            .with(own, REGION, Boundary::Word)
            .with(peer, PEER_REGION, Boundary::Word)
    }

    /// For one side of an environment comparison: its name (also in PascalCase, as it
    /// appears in generated identifiers) and its account id.
    pub fn environment(env: &str, account: &str) -> Substitutions {
        Substitutions::default()
            .with(env, ENV, Boundary::Word)
            .with(&pascal_case(env), ENV_PASCAL, Boundary::Pascal)
            .with(account, ACCOUNT, Boundary::Word)
    }

    /// Adds a substitution; empty and repeated tokens are ignored (an empty one would match
    /// everywhere).
    fn with(mut self, text: &str, placeholder: &'static str, boundary: Boundary) -> Substitutions {
        if !text.is_empty() && !self.0.iter().any(|t| t.text == text) {
            self.0.push(Token {
                text: text.to_string(),
                placeholder,
                boundary,
            });
            self.0
                .sort_by(|a, b| b.text.len().cmp(&a.text.len()).then(a.text.cmp(&b.text)));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value with every string and object key normalised.
    pub fn apply(&self, value: &Json) -> Json {
        if self.is_empty() {
            return value.clone();
        }
        match value {
            Json::String(s) => Json::String(self.replace(s).into_owned()),
            Json::Array(items) => Json::Array(items.iter().map(|v| self.apply(v)).collect()),
            Json::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (self.replace(k).into_owned(), self.apply(v)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }

    /// `text` with every whole-token occurrence replaced.
    pub fn replace<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.0.iter().any(|t| text.contains(t.text.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut previous: Option<char> = None;
        'scan: while let Some(c) = rest.chars().next() {
            for token in &self.0 {
                if token.starts_here(previous)
                    && let Some(after) = rest.strip_prefix(token.text.as_str())
                    && token.ends_before(after.chars().next())
                {
                    out.push_str(token.placeholder);
                    previous = token.text.chars().last();
                    rest = after;
                    continue 'scan;
                }
            }
            out.push(c);
            previous = Some(c);
            rest = &rest[c.len_utf8()..];
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_whole_tokens_only() {
        let s = Substitutions::environment("prod", "333333333333");
        assert_eq!(
            s.replace("arn:aws:iam::333333333333:role/infra-gen-prod-us-west-2-x"),
            "arn:aws:iam::<account>:role/infra-gen-<env>-us-west-2-x"
        );
        assert_eq!(s.replace("qlik.products"), "qlik.products");
        assert_eq!(
            s.replace("InfraGenProdEventRouter Products"),
            "InfraGen<Env>EventRouter Products"
        );
        assert_eq!(s.replace("/prod/health prod"), "/<env>/health <env>");
        let r = Substitutions::regions("us-east-1", "us-west-2");
        assert_eq!(r.replace("us-east-12 us-east-1a"), "us-east-12 us-east-1a");
        assert_eq!(
            r.replace("forward us-east-1 to us-west-2"),
            "forward <region> to <peer-region>"
        );
    }

    #[test]
    fn normalises_keys_and_nested_values_symmetrically() {
        let west = json!({"oidc.eks.us-west-2.amazonaws.com:sub": ["us-east-1", 1]});
        let east = json!({"oidc.eks.us-east-1.amazonaws.com:sub": ["us-west-2", 1]});
        assert_eq!(
            Substitutions::regions("us-west-2", "us-east-1").apply(&west),
            Substitutions::regions("us-east-1", "us-west-2").apply(&east)
        );
    }
}
