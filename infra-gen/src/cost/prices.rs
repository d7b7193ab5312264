//! The price table: AWS list prices per region, vendored in
//! `infra-gen/prices/aws-list-prices.yaml` (compiled in, parsed once). Each price carries the
//! page it is published on and the date it was taken; see the file's header for why it is
//! vendored and how its figures were read.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::money::{Quantity, UnitPrice};

/// The committed snapshot.
const PRICE_FILE: &str = include_str!("../../prices/aws-list-prices.yaml");
/// Where the snapshot lives, for reports.
pub const PRICE_FILE_PATH: &str = "infra-gen/prices/aws-list-prices.yaml";

/// Declares the priced items: one enum, its YAML keys, and the list of all of them (which the
/// loader uses to require a price for every item in every region the file covers).
macro_rules! price_items {
    ($($(#[$doc:meta])* $variant:ident = $key:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        pub enum PriceItem {
            $($(#[$doc])* #[serde(rename = $key)] $variant,)*
        }

        impl PriceItem {
            pub const ALL: &[PriceItem] = &[$(PriceItem::$variant,)*];

            /// The item's key in the price file.
            pub fn key(self) -> &'static str {
                match self {
                    $(PriceItem::$variant => $key,)*
                }
            }
        }
    };
}

price_items! {
    LambdaRequestsArm64 = "lambda-requests-arm64",
    LambdaRequestsX86 = "lambda-requests-x86",
    LambdaDurationArm64 = "lambda-duration-arm64",
    LambdaDurationX86 = "lambda-duration-x86",
    LambdaProvisionedArm64 = "lambda-provisioned-concurrency-arm64",
    LambdaProvisionedX86 = "lambda-provisioned-concurrency-x86",
    DynamoDbWriteUnits = "dynamodb-write-request-units",
    DynamoDbReadUnits = "dynamodb-read-request-units",
    DynamoDbStorage = "dynamodb-storage",
    DynamoDbPointInTimeRecovery = "dynamodb-point-in-time-recovery",
    DynamoDbProvisionedWrite = "dynamodb-provisioned-write-capacity",
    DynamoDbProvisionedRead = "dynamodb-provisioned-read-capacity",
    SqsRequests = "sqs-requests",
    EventBridgeCustomEvents = "eventbridge-custom-events",
    /// Out of the item's region to another AWS region.
    DataTransferInterRegion = "data-transfer-inter-region",
    ApiGatewayRestRequests = "apigateway-rest-requests",
    KmsKeys = "kms-keys",
    KmsRequests = "kms-requests",
    SecretsManagerSecrets = "secretsmanager-secrets",
    SecretsManagerApiCalls = "secretsmanager-api-calls",
    CloudWatchAlarmsStandard = "cloudwatch-alarms-standard",
    CloudWatchAlarmsHighResolution = "cloudwatch-alarms-high-resolution",
    CloudWatchDashboards = "cloudwatch-dashboards",
    EcrStorage = "ecr-storage",
    LogsIngestion = "logs-ingestion",
    LogsStorage = "logs-storage",
    EksCluster = "eks-cluster",
    /// A health check of an endpoint that is not an AWS resource of the account.
    Route53HealthChecks = "route53-health-checks",
    /// Each optional feature of such a check: HTTPS, string matching, fast interval, latency.
    Route53HealthCheckFeatures = "route53-health-check-features",
}

/// What a price is for: a service item, or an EC2 instance type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PriceKey {
    Item(PriceItem),
    Instance(String),
}

impl PriceKey {
    pub fn name(&self) -> &str {
        match self {
            PriceKey::Item(item) => item.key(),
            PriceKey::Instance(name) => name,
        }
    }
}

/// One price in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub key: PriceKey,
    pub region: String,
    /// What one unit is: `requests`, `GB-seconds`, `node-hours`.
    pub unit: String,
    /// The block of units the price is quoted for (1,000,000 for "$0.20 per 1M requests").
    pub per: u64,
    /// At least one; the last has no upper bound.
    pub tiers: Vec<Tier>,
    pub source: String,
    pub taken: String,
    pub via: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// Cumulative monthly units at which the tier ends; `None` for the last.
    pub up_to: Option<u64>,
    pub price: UnitPrice,
}

impl Price {
    /// The exact cost, in zepto-dollars, of `quantity` units when `consumed` units of the same
    /// price were already used in the same month, account and region; and the price of the
    /// tier the quantity starts in.
    pub fn zepto(&self, consumed: Quantity, quantity: Quantity) -> (u128, UnitPrice) {
        let mut zepto = 0;
        let mut start = consumed;
        let end = consumed + quantity;
        let mut first = None;
        for tier in &self.tiers {
            let ceiling = tier.up_to.map_or(Quantity(u128::MAX), Quantity::units);
            if start >= end {
                break;
            }
            if start >= ceiling {
                continue;
            }
            let portion = end.min(ceiling).saturating_sub(start);
            first.get_or_insert(tier.price);
            zepto += tier.price.zepto(portion);
            start = start + portion;
        }
        let first = first.unwrap_or_else(|| self.tier_at(consumed));
        (zepto, first)
    }

    /// The price of the tier `consumed` units fall in.
    fn tier_at(&self, consumed: Quantity) -> UnitPrice {
        self.tiers
            .iter()
            .find(|t| t.up_to.is_none_or(|up| consumed < Quantity::units(up)))
            .or(self.tiers.last())
            .map(|t| t.price)
            .unwrap_or_default()
    }

    /// `$0.20 per 1M requests`, `$0.0000133334 per GB-second` (first tier).
    pub fn describe(&self, price: UnitPrice) -> String {
        let block = match self.per {
            1 => singular(&self.unit).to_string(),
            n if n.is_multiple_of(1_000_000) => format!("{}M {}", n / 1_000_000, self.unit),
            n if n.is_multiple_of(1_000) => format!("{}k {}", n / 1_000, self.unit),
            n => format!("{n} {}", self.unit),
        };
        format!("${} per {block}", price.per_block(self.per))
    }
}

/// `GB-seconds` -> `GB-second`, `events (64 KB chunks)` -> `event (64 KB chunk)`.
pub fn singular(unit: &str) -> String {
    unit.split(' ')
        .map(|w| {
            let (word, close) = w.strip_suffix(')').map_or((w, ""), |s| (s, ")"));
            let word = if word.ends_with('s') && word.len() > 2 && word != "GB" {
                &word[..word.len() - 1]
            } else {
                word
            };
            format!("{word}{close}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The CPU architecture of an instance type, as Kubernetes' `kubernetes.io/arch` and OCI name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    Amd64,
    Arm64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Amd64 => "amd64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// An EC2 instance type the consumer's nodes may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub architecture: Architecture,
    pub vcpu: u32,
    pub memory_gib: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTable {
    prices: BTreeMap<(PriceKey, String), Price>,
    instances: BTreeMap<String, Instance>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("{PRICE_FILE_PATH}: {0}")]
    Parse(String),
    #[error("{PRICE_FILE_PATH}: {key} in {region}: {message}")]
    Invalid {
        key: String,
        region: String,
        message: String,
    },
}

impl PriceTable {
    pub fn parse(text: &str) -> Result<PriceTable, PriceError> {
        let file: File =
            serde_saphyr::from_str(text).map_err(|e| PriceError::Parse(e.to_string()))?;
        let mut table = PriceTable {
            prices: BTreeMap::new(),
            instances: BTreeMap::new(),
        };
        let mut regions_seen: Option<Vec<String>> = None;
        for (item, entry) in file.items {
            let regions: Vec<String> = entry.regions.keys().cloned().collect();
            if regions_seen.get_or_insert_with(|| regions.clone()) != &regions {
                return Err(PriceError::Invalid {
                    key: item.key().into(),
                    region: regions.join(","),
                    message: "every item must be priced in the same regions".into(),
                });
            }
            table.insert(PriceKey::Item(item), &entry.unit, entry.per, entry.regions)?;
        }
        let regions = regions_seen.unwrap_or_default();
        for item in PriceItem::ALL {
            for region in &regions {
                if !table
                    .prices
                    .contains_key(&(PriceKey::Item(*item), region.clone()))
                {
                    return Err(PriceError::Invalid {
                        key: item.key().into(),
                        region: region.clone(),
                        message: "no price".into(),
                    });
                }
            }
        }
        for (name, instance) in file.instances {
            table.instances.insert(
                name.clone(),
                Instance {
                    architecture: instance.architecture,
                    vcpu: instance.vcpu,
                    memory_gib: instance.memory_gib,
                },
            );
            table.insert(PriceKey::Instance(name), "node-hours", 1, instance.regions)?;
        }
        Ok(table)
    }

    fn insert(
        &mut self,
        key: PriceKey,
        unit: &str,
        per: u64,
        regions: BTreeMap<String, RegionEntry>,
    ) -> Result<(), PriceError> {
        for (region, entry) in regions {
            let invalid = |message: String| PriceError::Invalid {
                key: key.name().to_string(),
                region: region.clone(),
                message,
            };
            let taken_ok = entry.taken.len() == 10
                && entry.taken.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !taken_ok || !entry.source.starts_with("https://") {
                return Err(invalid(
                    "needs `source` (an https URL) and `taken` (YYYY-MM-DD)".into(),
                ));
            }
            let raw_tiers = match (entry.usd, entry.tiers) {
                (Some(usd), None) => vec![RawTier { up_to: None, usd }],
                (None, Some(tiers)) if !tiers.is_empty() => tiers,
                _ => return Err(invalid("give either `usd` or `tiers`".into())),
            };
            let mut tiers = Vec::new();
            let mut previous = 0;
            for (i, t) in raw_tiers.iter().enumerate() {
                let last = i + 1 == raw_tiers.len();
                match t.up_to {
                    Some(up) if !last && up > previous => previous = up,
                    None if last => {}
                    _ => {
                        return Err(invalid(
                            "tiers need rising `up_to` bounds and an unbounded last tier".into(),
                        ));
                    }
                }
                tiers.push(Tier {
                    up_to: t.up_to,
                    price: UnitPrice::parse(&t.usd, per).map_err(invalid)?,
                });
            }
            self.prices.insert(
                (key.clone(), region.clone()),
                Price {
                    key: key.clone(),
                    region,
                    unit: unit.to_string(),
                    per,
                    tiers,
                    source: entry.source,
                    taken: entry.taken,
                    via: entry.via,
                },
            );
        }
        Ok(())
    }

    pub fn get(&self, key: &PriceKey, region: &str) -> Option<&Price> {
        self.prices.get(&(key.clone(), region.to_string()))
    }

    pub fn item(&self, item: PriceItem, region: &str) -> Option<&Price> {
        self.get(&PriceKey::Item(item), region)
    }

    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances.get(name)
    }

    pub fn instance_names(&self) -> impl Iterator<Item = &str> {
        self.instances.keys().map(String::as_str)
    }

    /// The regions every item is priced in.
    pub fn regions(&self) -> Vec<&str> {
        let mut regions: Vec<&str> = self
            .prices
            .keys()
            .filter(|(key, _)| matches!(key, PriceKey::Item(_)))
            .map(|(_, region)| region.as_str())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        regions
    }

    pub fn prices(&self) -> impl Iterator<Item = &Price> {
        self.prices.values()
    }
}

/// The committed price table, parsed on first use. The tests prove it parses.
pub fn prices() -> &'static PriceTable {
    static TABLE: LazyLock<PriceTable> = LazyLock::new(|| {
        PriceTable::parse(PRICE_FILE).unwrap_or_else(|e| panic!("the committed {e}"))
    });
    &TABLE
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    items: BTreeMap<PriceItem, ItemEntry>,
    instances: BTreeMap<String, InstanceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemEntry {
    unit: String,
    per: u64,
    regions: BTreeMap<String, RegionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceEntry {
    architecture: Architecture,
    vcpu: u32,
    memory_gib: u32,
    regions: BTreeMap<String, RegionEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionEntry {
    usd: Option<String>,
    tiers: Option<Vec<RawTier>>,
    source: String,
    taken: String,
    via: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    up_to: Option<u64>,
    usd: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_table_prices_every_item_in_both_regions_with_source_and_date() {
        let table = prices();
        assert_eq!(table.regions(), ["us-east-1", "us-west-2"]);
        for item in PriceItem::ALL {
            for region in ["us-east-1", "us-west-2"] {
                let price = table.item(*item, region).unwrap();
                assert!(
                    price.source.starts_with("https://aws.amazon.com/"),
                    "{price:?}"
                );
                assert!(price.taken.starts_with("20"), "{price:?}");
            }
        }
        for name in table.instance_names() {
            for region in ["us-east-1", "us-west-2"] {
                assert!(
                    table
                        .get(&PriceKey::Instance(name.into()), region)
                        .is_some(),
                    "{name} in {region}"
                );
            }
        }
        // Arm64 Lambda has its own duration price, 20% below x86.
        let first = |item| table.item(item, "us-west-2").unwrap().tiers[0].price;
        assert_eq!(first(PriceItem::LambdaDurationArm64), UnitPrice(13_333_400));
        assert_eq!(first(PriceItem::LambdaDurationX86), UnitPrice(16_666_700));
    }

    #[test]
    fn tiers_apply_to_the_monthly_total_in_order() {
        let api = prices()
            .item(PriceItem::ApiGatewayRestRequests, "us-east-1")
            .unwrap();
        // 1M requests at $3.50/M.
        let (zepto, first) = api.zepto(Quantity::default(), Quantity::units(1_000_000));
        assert_eq!(super::super::Money::from_zepto(zepto).exact(), "3.50");
        assert_eq!(first, UnitPrice(3_500_000));
        // 2M requests straddling the 333M boundary: 1M at $3.50, 1M at $2.80.
        let (zepto, _) = api.zepto(Quantity::units(332_000_000), Quantity::units(2_000_000));
        assert_eq!(super::super::Money::from_zepto(zepto).exact(), "6.30");
        // Already past the first tier: the second's price.
        let (zepto, first) = api.zepto(Quantity::units(400_000_000), Quantity::units(1_000_000));
        assert_eq!(super::super::Money::from_zepto(zepto).exact(), "2.80");
        assert_eq!(first, UnitPrice(2_800_000));
        assert_eq!(api.describe(first), "$2.80 per 1M requests");
    }

    #[test]
    fn malformed_prices_are_rejected() {
        let table = |items: &str| {
            PriceTable::parse(&format!("items:\n{items}\ninstances: {{}}\n")).map(|_| ())
        };
        let entry = |region_body: &str| {
            let mut out = String::new();
            for item in PriceItem::ALL {
                out.push_str(&format!(
                    "  {}:\n    unit: requests\n    per: 1\n    regions:\n      us-east-1: {region_body}\n",
                    item.key()
                ));
            }
            out
        };
        let ok = "{usd: \"0.5\", source: \"https://aws.amazon.com/x\", taken: 2026-11-30}";
        assert_eq!(table(&entry(ok)), Ok(()));
        for bad in [
            "{usd: \"0.5\", source: \"http://x\", taken: 2026-11-30}",
            "{usd: \"0.5\", source: \"https://aws.amazon.com/x\", taken: yesterday}",
            "{source: \"https://aws.amazon.com/x\", taken: 2026-11-30}",
            "{usd: \"0.5\", tiers: [{usd: \"1\"}], source: \"https://aws.amazon.com/x\", taken: 2026-11-30}",
            "{tiers: [{usd: \"1\"}, {up_to: 5, usd: \"2\"}], source: \"https://aws.amazon.com/x\", taken: 2026-11-30}",
            "{usd: \"0.5\", cents: 50, source: \"https://aws.amazon.com/x\", taken: 2026-11-30}",
        ] {
            assert!(table(&entry(bad)).is_err(), "{bad}");
        }
        // An item missing from the file.
        let one_short: String = entry(ok).lines().skip(5).collect::<Vec<_>>().join("\n");
        assert!(table(&one_short).is_err());
    }
}
