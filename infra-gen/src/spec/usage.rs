//! Usage assumptions: how much the platform is used, wherever a price depends on use
//! (`infra-gen cost`, and the cost change in `infra-gen diff`). Layered like every other
//! setting: `usage:` in `defaults.yaml`, then the environment file, then its
//! `region_overrides.<region>`. Unknown keys and impossible values are spec errors with their
//! file, line and field.
//!
//! The block is optional as a whole so that specs written before it existed (the other side
//! of a `diff --base`) still resolve; their cost is then reported as not estimated, and
//! `infra-gen cost` refuses them.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use platform_contract as contract;

use super::EnvironmentSpec;
use super::validate::Checker;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Per function, keyed like `functions`.
    pub functions: BTreeMap<String, FunctionUsage>,
    pub bus: BusUsage,
    pub tables: TablesUsage,
    /// Each dead-letter queue.
    pub queues: RequestUsage,
    pub api: ApiUsage,
    /// The environment's data key.
    pub kms: RequestUsage,
    /// The JWT signing secret.
    pub secret: RequestUsage,
    pub consumer: ConsumerUsage,
    pub cdc: CdcUsage,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionUsage {
    pub requests_per_month: u64,
    /// Billed duration of an average invocation (Lambda rounds each one up to the ms).
    pub average_duration_ms: u32,
    /// What the function logs, in GB per month (CloudWatch Logs ingestion).
    pub log_gb_per_month: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusUsage {
    /// Events this region's functions put on its bus. The consumer's CDC events follow from
    /// `cdc.messages_per_second`; events arriving from the peer region are priced there.
    pub events_per_month: u64,
    /// EventBridge bills in 64 KB chunks; at most 256 KB.
    pub average_event_kb: Decimal,
    /// Share (0 to 1) of `events_per_month` sent to the peer region's bus (the forward rule,
    /// or the event-router's own cross-region puts).
    pub forwarded_share: Decimal,
}

/// Keyed by table; the estimator matches each to its construct (`events` is `EventsTable`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TablesUsage {
    pub events: TableUsage,
    pub idempotency: TableUsage,
    /// The consumer's sink: its writes follow from `cdc.messages_per_second`.
    pub cdc_state: SinkTableUsage,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableUsage {
    /// Read request units (a strongly consistent read of up to 4 KB is one).
    pub read_units_per_month: u64,
    /// Write request units (a write of up to 1 KB is one).
    pub write_units_per_month: u64,
    pub storage_gb: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkTableUsage {
    pub read_units_per_month: u64,
    pub storage_gb: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestUsage {
    pub requests_per_month: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiUsage {
    pub requests_per_month: u64,
    /// Access logs, in GB per month.
    pub log_gb_per_month: Decimal,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerUsage {
    /// Where the autoscaler sits on average between `consumer.replicas.min` (0) and
    /// `consumer.replicas.max` (1).
    pub average_between_min_and_max: Decimal,
    /// The EC2 instance type of the nodes; one of the price table's `instances`.
    pub node_type: String,
    pub allocation: PodAllocation,
    /// The EKS cluster exists for this platform alone, so its control-plane hours are the
    /// platform's cost; `false` when the consumer shares a cluster someone else pays for.
    pub owns_cluster: bool,
}

/// How much of a node a consumer pod costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PodAllocation {
    /// Its share of the node by its requests: the larger of its CPU and memory shares
    /// (others' pods use the rest).
    Requests,
    /// A whole node per pod.
    NodePerPod,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdcUsage {
    /// Qlik Replicate changes the consumer applies. Each is one write to the cdc-state table
    /// and, with `consumer.publish_cdc_events`, one event on the bus.
    pub messages_per_second: Decimal,
    /// Size of a written row (DynamoDB bills writes per started KB); at most 400 KB.
    pub average_item_kb: Decimal,
}

/// A non-negative number with up to six decimals, held exactly as millionths so that no
/// cost computed from it depends on float rounding. Written as a plain YAML number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(pub u64);

impl Decimal {
    pub const ONE: Decimal = Decimal(1_000_000);

    pub fn whole(n: u64) -> Decimal {
        Decimal(n * 1_000_000)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 1_000_000, self.0 % 1_000_000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{frac:06}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        v.checked_mul(1_000_000)
            .map(Decimal)
            .ok_or_else(|| E::custom(format!("{v} is too large")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(format!("{v} is negative")))
            .and_then(|v| self.visit_u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() || v < 0.0 {
            return Err(E::custom(format!("{v} is not a non-negative number")));
        }
        let millionths = (v * 1e6).round();
        if millionths >= u64::MAX as f64 {
            return Err(E::custom(format!("{v} is too large")));
        }
        // The YAML text had a decimal; more than six of its digits would be lost.
        if (v * 1e6 - millionths).abs() > 1e-3 {
            return Err(E::custom(format!("{v} has more than six decimals")));
        }
        Ok(Decimal(millionths as u64))
    }
}

/// Limits AWS puts on the inputs, and their consistency with the rest of the spec.
/// `known_node_types`: the priced instance types with their architectures.
pub(super) fn check(
    c: &mut Checker<'_>,
    spec: &EnvironmentSpec,
    known_node_types: &[(&str, &str)],
) {
    let Some(u) = &spec.usage else {
        return;
    };
    for (name, f) in c.per_function("usage.functions", &u.functions, "usage") {
        // Lambda stops an invocation at its timeout, so no average can exceed it.
        let timeout_ms = spec
            .functions
            .get(name)
            .map_or(900_000, |s| u64::from(s.timeout_seconds) * 1_000);
        c.range(
            &format!("usage.functions.{name}.average_duration_ms"),
            f.average_duration_ms.into(),
            1,
            timeout_ms,
        );
    }
    decimal_range(
        c,
        "usage.bus.average_event_kb",
        u.bus.average_event_kb,
        Decimal(1),
        Decimal::whole(256),
    );
    decimal_range(
        c,
        "usage.bus.forwarded_share",
        u.bus.forwarded_share,
        Decimal(0),
        Decimal::ONE,
    );
    decimal_range(
        c,
        "usage.cdc.average_item_kb",
        u.cdc.average_item_kb,
        Decimal(1),
        Decimal::whole(400),
    );
    decimal_range(
        c,
        "usage.consumer.average_between_min_and_max",
        u.consumer.average_between_min_and_max,
        Decimal(0),
        Decimal::ONE,
    );
    match known_node_types
        .iter()
        .find(|(name, _)| *name == u.consumer.node_type)
    {
        None => c.fail(
            "usage.consumer.node_type",
            format!(
                "`{}` has no price; priced node types: {}",
                u.consumer.node_type,
                known_node_types
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Some((_, architecture)) if *architecture != contract::CONSUMER_IMAGE_ARCHITECTURE => c
            .fail(
                "usage.consumer.node_type",
                format!(
                    "`{}` is an {architecture} instance, but the consumer's image is built for {} \
                 (its pods run only on such nodes); choose an {} node type",
                    u.consumer.node_type,
                    contract::CONSUMER_IMAGE_ARCHITECTURE,
                    contract::CONSUMER_IMAGE_ARCHITECTURE
                ),
            ),
        Some(_) => {}
    }
}

fn decimal_range(c: &mut Checker<'_>, field: &str, value: Decimal, min: Decimal, max: Decimal) {
    if value < min || value > max {
        c.fail(field, format!("{value} is outside {min}..={max}"));
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::{SourceFile, SpecError, resolve};

    const DEFAULTS: &str = include_str!("../../../environments/defaults.yaml");
    const PROD: &str = include_str!("../../../environments/prod.yaml");

    /// prod.yaml without its own `usage:` block, so a test can add one.
    fn prod_without_usage() -> String {
        let start = PROD.find("\nusage:\n").expect("prod.yaml states usage") + 1;
        let end = PROD.find("region_overrides:").unwrap();
        format!("{}{}", &PROD[..start], &PROD[end..])
    }

    fn errors(defaults: &str, env: &str) -> Vec<SpecError> {
        let source = |path: &str, text: &str| SourceFile {
            display_path: path.to_string(),
            text: text.to_string(),
        };
        resolve(
            &source("environments/defaults.yaml", defaults),
            &[source("environments/prod.yaml", env)],
        )
        .expect_err("the spec should be rejected")
        .0
    }

    /// The error on `field`, which must be in `file` at the line holding `line_text`.
    fn expect(
        errors: &[SpecError],
        file: &str,
        text: &str,
        line_text: &str,
        field: &str,
    ) -> String {
        let e = errors
            .iter()
            .find(|e| e.field == field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"));
        let line = text.lines().position(|l| l.contains(line_text)).unwrap() as u64 + 1;
        assert_eq!((e.file.as_str(), e.line), (file, line), "{e}");
        e.to_string()
    }

    #[test]
    fn the_real_specs_state_usage_everywhere() {
        let source = |path: &str, text: &str| SourceFile {
            display_path: path.to_string(),
            text: text.to_string(),
        };
        let envs = resolve(
            &source("environments/defaults.yaml", DEFAULTS),
            &[source("environments/prod.yaml", PROD)],
        )
        .unwrap();
        for rs in &envs[0].regions {
            assert!(rs.spec.usage.is_some(), "{}", rs.region);
        }
    }

    #[test]
    fn impossible_usage_names_file_line_and_field() {
        let env = prod_without_usage().replacen(
            "region_overrides:",
            "usage:\n  functions:\n    event-router: {average_duration_ms: 31000}\n  bus: {forwarded_share: 1.5}\n  consumer: {node_type: z9.huge}\nregion_overrides:",
            1,
        );
        let errs = errors(DEFAULTS, &env);
        let file = "environments/prod.yaml";
        let e = expect(
            &errs,
            file,
            &env,
            "average_duration_ms: 31000",
            "usage.functions.event-router.average_duration_ms",
        );
        assert!(e.contains("31000 is outside 1..=30000"), "{e}");
        let e = expect(
            &errs,
            file,
            &env,
            "forwarded_share: 1.5",
            "usage.bus.forwarded_share",
        );
        assert!(e.contains("1.5 is outside 0..=1"), "{e}");
        let e = expect(
            &errs,
            file,
            &env,
            "node_type: z9.huge",
            "usage.consumer.node_type",
        );
        assert!(e.contains("m7g.large"), "{e}");
    }

    #[test]
    fn a_node_type_the_consumer_image_cannot_run_on_is_an_error_at_its_line() {
        // m7g is Graviton (arm64); the image is built for amd64.
        let env = prod_without_usage().replacen(
            "region_overrides:",
            "usage:\n  consumer: {node_type: m7g.large}\nregion_overrides:",
            1,
        );
        let errs = errors(DEFAULTS, &env);
        let e = expect(
            &errs,
            "environments/prod.yaml",
            &env,
            "node_type: m7g.large",
            "usage.consumer.node_type",
        );
        assert!(
            e.contains("`m7g.large` is an arm64 instance") && e.contains("built for amd64"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_and_negative_numbers_are_errors_at_their_line() {
        let env = prod_without_usage().replacen(
            "region_overrides:",
            "usage:\n  tables:\n    events: {reads_per_month: 5}\nregion_overrides:",
            1,
        );
        let errs = errors(DEFAULTS, &env);
        expect(
            &errs,
            "environments/prod.yaml",
            &env,
            "reads_per_month: 5",
            "usage.tables.events.reads_per_month",
        );
        let env = prod_without_usage().replacen(
            "region_overrides:",
            "usage:\n  api: {log_gb_per_month: -2}\nregion_overrides:",
            1,
        );
        let errs = errors(DEFAULTS, &env);
        let e = expect(
            &errs,
            "environments/prod.yaml",
            &env,
            "log_gb_per_month: -2",
            "usage.api.log_gb_per_month",
        );
        assert!(e.contains("negative"), "{e}");
        let env = prod_without_usage().replacen(
            "region_overrides:",
            "usage:\n  functions:\n    event-routr: {requests_per_month: 1, average_duration_ms: 1, log_gb_per_month: 0}\nregion_overrides:",
            1,
        );
        let errs = errors(DEFAULTS, &env);
        expect(
            &errs,
            "environments/prod.yaml",
            &env,
            "event-routr",
            "usage.functions.event-routr",
        );
    }

    #[test]
    fn decimals_hold_six_digits_exactly() {
        let parse = |yaml: &str| serde_saphyr::from_str::<super::Decimal>(yaml);
        assert_eq!(parse("0.1").unwrap(), super::Decimal(100_000));
        assert_eq!(parse("3").unwrap(), super::Decimal(3_000_000));
        assert_eq!(parse("0.000001").unwrap(), super::Decimal(1));
        assert!(parse("0.0000001").is_err());
        assert!(parse("-0.5").is_err());
        assert_eq!(super::Decimal(1_500_000).to_string(), "1.5");
    }
}
