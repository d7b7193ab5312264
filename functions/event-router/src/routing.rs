//! Which events cross to the peer region (the `ROUTING_RULES` variable).

/// The source the router publishes under; events from it are never routed again (no
/// ping-pong between the regions).
pub const ROUTER_SOURCE: &str = "platform.event-router";

/// One `source=detail-type` rule; `*` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub source: String,
    pub detail_type: String,
}

/// The configured rules; empty means route everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingRules(pub Vec<Rule>);

impl RoutingRules {
    /// Parses `source=detail-type;...`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for raw in text.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let (source, detail_type) = raw
                .split_once('=')
                .ok_or_else(|| format!("rule `{raw}`: expected `source=detail-type`"))?;
            let (source, detail_type) = (source.trim(), detail_type.trim());
            if source.is_empty() || detail_type.is_empty() {
                return Err(format!("rule `{raw}`: both sides are required (use `*`)"));
            }
            rules.push(Rule {
                source: source.to_string(),
                detail_type: detail_type.to_string(),
            });
        }
        Ok(Self(rules))
    }

    /// Whether an event with this source and detail-type goes to the peer region.
    pub fn routes(&self, source: &str, detail_type: &str) -> bool {
        if source == ROUTER_SOURCE {
            return false;
        }
        self.0.is_empty()
            || self.0.iter().any(|r| {
                (r.source == "*" || r.source == source)
                    && (r.detail_type == "*" || r.detail_type == detail_type)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_with_wildcards_and_never_reroute_routed_events() {
        let rules = RoutingRules::parse("platform.orders=*; *=CustomerUpdated").unwrap();
        assert!(rules.routes("platform.orders", "OrderCreated"));
        assert!(rules.routes("platform.crm", "CustomerUpdated"));
        assert!(!rules.routes("platform.crm", "CustomerDeleted"));
        assert!(!rules.routes(ROUTER_SOURCE, "OrderCreated"));
        let all = RoutingRules::parse("").unwrap();
        assert!(all.routes("x", "y"));
        assert!(!all.routes(ROUTER_SOURCE, "y"));
    }

    #[test]
    fn malformed_rules_are_errors() {
        for bad in ["orders", "=x", "x=", " = "] {
            assert!(RoutingRules::parse(bad).is_err(), "{bad}");
        }
    }
}
