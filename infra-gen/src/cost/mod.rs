//! Monthly cost of a stack at AWS list prices, offline: `infra-gen cost`, and the cost change
//! `infra-gen diff` reports.
//!
//! [`estimate`] is pure over one [`Stack`] of the construct tree, its [`RegionalSpec`] (the
//! settings and the `usage:` assumptions) and the vendored [`prices::PriceTable`]. It matches
//! on every [`ResourceKind`], so a new kind does not compile until it is priced or declared
//! free. The consumer runs on EKS, outside the stack: its pods (and the cluster, when the spec
//! says it is the platform's) are priced from the spec.
//!
//! What is not priced, and why: free tiers (ignored on purpose, see the price file);
//! DynamoDB Streams reads by Lambda (free); EventBridge rule matching, scheduled rules and
//! deliveries to Lambda and SQS (free); IAM, resource policies, aliases, versions,
//! permissions and API Gateway's sub-resources and custom domains (free); public ACM
//! certificates and Route 53 alias queries to API Gateway (free), the hosted zone (not the
//! stack's); CloudWatch metrics the platform's
//! alarms read (AWS-vended metrics are free); KMS calls other than `usage.kms`; Kafka (the
//! brokers are not the platform's).

pub mod diff;
pub mod money;
pub mod prices;
pub mod report;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::construct::{
    Alarm, Function, FunctionAlias, HealthCheck, LogicalId, Resource, ResourceKind, Rule, Stack,
    Table, Value,
};
use crate::spec::{Decimal, Environment, PodAllocation, RegionalSpec, UsageSpec};
pub use money::{Money, Quantity, UnitPrice};
use prices::{Price, PriceItem, PriceKey, PriceTable};

/// Hours in a month, as AWS and Infracost count them.
pub const HOURS_PER_MONTH: u128 = 730;
const SECONDS_PER_MONTH: u128 = HOURS_PER_MONTH * 3_600;
/// Bytes per GB in AWS bills (data transfer, logs, storage).
const BYTES_PER_GB: u128 = 1 << 30;
/// The consumer image's compressed size budget (issue 10 aims under 15 MB), in MiB: what one
/// stored image is charged as.
const CONSUMER_IMAGE_BUDGET_MB: u32 = 15;
/// EventBridge bills events in chunks of 64 KB, SQS requests likewise.
const EVENT_CHUNK_KB: u64 = 64;
/// A DynamoDB write request unit covers 1 KB.
const WRITE_UNIT_KB: u64 = 1;
/// A standard-resolution alarm evaluates periods of at least a minute.
const STANDARD_ALARM_PERIOD_SECONDS: u32 = 60;
/// Route 53 checks every 30 s unless the (charged) fast interval of 10 s is chosen.
const STANDARD_HEALTH_CHECK_INTERVAL_SECONDS: u32 = 30;

/// Why a stack could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error(
        "environment `{env}` states no usage assumptions (`usage:` in its specs); cost is not estimated"
    )]
    NoUsage { env: String },
    #[error("no {item} price for {region} in {}", prices::PRICE_FILE_PATH)]
    Unpriced { item: String, region: String },
    #[error("{stack}: {resource} ({resource_type}) has no usage in the spec ({hint})")]
    NoUsageFor {
        stack: String,
        resource: String,
        resource_type: &'static str,
        hint: String,
    },
    #[error("{stack}: {resource} refers to {target}, which is not a {expected} of the stack")]
    Dangling {
        stack: String,
        resource: String,
        target: String,
        expected: &'static str,
    },
    #[error("{stack}: consumer {what} `{value}` cannot be read")]
    Quantity {
        stack: String,
        what: &'static str,
        value: String,
    },
}

/// One priced component of one resource: its quantity per month, its price, its cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// The logical id, or for what lives outside the stack (the consumer's pods, the EKS
    /// cluster) a name of its own.
    pub resource: String,
    pub resource_type: &'static str,
    /// What is charged: `requests`, `duration`, `storage`, ...
    pub component: String,
    pub quantity: Quantity,
    pub unit: String,
    /// The price of the tier the quantity starts in.
    #[serde(skip)]
    pub unit_price: UnitPrice,
    /// `unit_price` as the price page quotes it: `$0.20 per 1M requests`.
    pub price: String,
    /// The quantity crossed into a cheaper tier.
    pub tiered: bool,
    pub monthly: Money,
    pub source: PriceSource,
}

/// Where a line's price comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PriceSource {
    pub item: String,
    pub region: String,
    pub url: String,
    pub taken: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// A resource that costs nothing by itself, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Free {
    pub resource: String,
    pub resource_type: &'static str,
    pub reason: &'static str,
}

/// The monthly cost of one stack (environment x region).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackCost {
    pub stack: String,
    pub env: String,
    pub region: String,
    pub monthly: Money,
    pub lines: Vec<Line>,
    pub free: Vec<Free>,
}

impl StackCost {
    /// Monthly cost per resource: (resource type, cost), by resource.
    pub fn by_resource(&self) -> BTreeMap<&str, (&'static str, Money)> {
        let mut out: BTreeMap<&str, (&'static str, Money)> = BTreeMap::new();
        for line in &self.lines {
            out.entry(line.resource.as_str())
                .or_insert((line.resource_type, Money::ZERO))
                .1 += line.monthly;
        }
        out
    }
}

/// Prices every stack of `stacks`, each with the regional spec it was built from.
pub fn estimate_all<'a>(
    stacks: impl IntoIterator<Item = &'a Stack>,
    environments: &[Environment],
    prices: &PriceTable,
) -> Vec<Result<StackCost, CostError>> {
    stacks
        .into_iter()
        .map(|stack| match regional_spec(environments, stack) {
            Some(rs) => estimate(stack, rs, prices),
            None => Err(CostError::NoUsage {
                env: stack.env.clone(),
            }),
        })
        .collect()
}

/// The spec `stack` was built from.
pub fn regional_spec<'a>(
    environments: &'a [Environment],
    stack: &Stack,
) -> Option<&'a RegionalSpec> {
    environments
        .iter()
        .filter(|e| e.name == stack.env)
        .flat_map(|e| &e.regions)
        .find(|r| r.region == stack.region)
}

/// The monthly cost of `stack`, built from `rs`.
pub fn estimate(
    stack: &Stack,
    rs: &RegionalSpec,
    prices: &PriceTable,
) -> Result<StackCost, CostError> {
    let usage = rs.spec.usage.as_ref().ok_or_else(|| CostError::NoUsage {
        env: rs.env.clone(),
    })?;
    let mut e = Estimator {
        stack,
        rs,
        usage,
        prices,
        lines: Vec::new(),
        free: Vec::new(),
        consumed: BTreeMap::new(),
    };
    for r in &stack.resources {
        e.resource(r)?;
    }
    e.consumer()?;
    Ok(StackCost {
        stack: stack.name.clone(),
        env: stack.env.clone(),
        region: stack.region.clone(),
        monthly: e.lines.iter().map(|l| l.monthly).sum(),
        lines: e.lines,
        free: e.free,
    })
}

struct Estimator<'a> {
    stack: &'a Stack,
    rs: &'a RegionalSpec,
    usage: &'a UsageSpec,
    prices: &'a PriceTable,
    lines: Vec<Line>,
    free: Vec<Free>,
    /// Units of each price already charged in this stack's month (for volume tiers).
    consumed: BTreeMap<(PriceKey, String), Quantity>,
}

impl Estimator<'_> {
    fn resource(&mut self, r: &Resource) -> Result<(), CostError> {
        let id = r.id.as_str();
        let ty = r.kind.cfn_type();
        let free = |reason| Some(reason);
        let free_reason = match &r.kind {
            ResourceKind::KmsKey(_) => {
                self.charge(id, ty, "key", PriceItem::KmsKeys, Quantity::units(1))?;
                let requests = Quantity::units(self.usage.kms.requests_per_month);
                self.charge(id, ty, "requests", PriceItem::KmsRequests, requests)?;
                None
            }
            ResourceKind::KmsAlias(_) => free("KMS aliases are free"),
            ResourceKind::Queue(_) => {
                let requests = Quantity::units(self.usage.queues.requests_per_month);
                self.charge(id, ty, "requests", PriceItem::SqsRequests, requests)?;
                None
            }
            ResourceKind::QueuePolicy(_)
            | ResourceKind::SecretPolicy(_)
            | ResourceKind::LambdaPermission(_) => free("resource policies are free"),
            ResourceKind::Table(t) => {
                self.table(r, t)?;
                None
            }
            ResourceKind::EventBus(_) => {
                self.bus(id, ty)?;
                None
            }
            ResourceKind::Secret(_) => {
                let secret = PriceItem::SecretsManagerSecrets;
                self.charge(id, ty, "secret", secret, Quantity::units(1))?;
                let calls = Quantity::units(self.usage.secret.requests_per_month);
                self.charge(
                    id,
                    ty,
                    "API calls",
                    PriceItem::SecretsManagerApiCalls,
                    calls,
                )?;
                None
            }
            ResourceKind::LogGroup(l) => {
                self.log_group(r, l.retention_days)?;
                None
            }
            ResourceKind::Role(_) => free("IAM is free"),
            ResourceKind::Function(f) => {
                self.function(r, f)?;
                None
            }
            ResourceKind::FunctionVersion(_) => free("Lambda versions are free"),
            ResourceKind::FunctionAlias(a) => {
                self.provisioned(r, a)?;
                None
            }
            ResourceKind::EventSourceMapping(_) => {
                free("Lambda's reads of a DynamoDB stream are free")
            }
            ResourceKind::Rule(rule) => {
                if self.rule(r, rule)? {
                    None
                } else {
                    free("rules, scheduled rules and deliveries to Lambda and SQS are free")
                }
            }
            ResourceKind::RestApi(_) => {
                let requests = Quantity::units(self.usage.api.requests_per_month);
                let item = PriceItem::ApiGatewayRestRequests;
                self.charge(id, ty, "requests", item, requests)?;
                None
            }
            ResourceKind::ApiResource(_)
            | ResourceKind::ApiMethod(_)
            | ResourceKind::ApiDeployment(_)
            | ResourceKind::ApiStage(_) => {
                free("API Gateway charges per request, on the API (no stage cache is configured)")
            }
            ResourceKind::ApiAuthorizer(_) => {
                free("the authorizer's invocations are priced on its function")
            }
            ResourceKind::Alarm(a) => {
                self.alarm(id, ty, a)?;
                None
            }
            ResourceKind::Certificate(_) => free("public ACM certificates are free"),
            ResourceKind::ApiDomain(_) | ResourceKind::ApiBasePathMapping(_) => {
                free("API Gateway custom domains and mappings are free")
            }
            ResourceKind::HealthCheck(h) => {
                self.health_check(id, ty, h)?;
                None
            }
            ResourceKind::DnsRecord(_) => free(
                "alias queries to an API Gateway domain are free, whatever the routing; the hosted zone is not the stack's",
            ),
            ResourceKind::Dashboard(_) => {
                let item = PriceItem::CloudWatchDashboards;
                self.charge(id, ty, "dashboard", item, Quantity::units(1))?;
                None
            }
            ResourceKind::ImageRepository(repo) => {
                // An upper bound: the lifecycle rule's image count at the consumer image's
                // size budget, as if no layer were shared between images.
                let gb = Quantity::ratio(
                    u128::from(repo.keep_images) * u128::from(CONSUMER_IMAGE_BUDGET_MB),
                    1024,
                );
                self.charge(id, ty, "image storage", PriceItem::EcrStorage, gb)?;
                None
            }
        };
        if let Some(reason) = free_reason {
            self.free.push(Free {
                resource: id.to_string(),
                resource_type: ty,
                reason,
            });
        }
        Ok(())
    }

    fn function(&mut self, r: &Resource, f: &Function) -> Result<(), CostError> {
        let (id, ty) = (r.id.as_str(), r.kind.cfn_type());
        let usage = self
            .usage
            .functions
            .iter()
            .find(|(name, _)| LogicalId::from_path(&[name.as_str()]) == r.id)
            .map(|(_, u)| u)
            .ok_or_else(|| self.no_usage(r, "usage.functions.<function>"))?;
        let arm = f.architecture == "arm64";
        let (requests, duration) = if arm {
            (
                PriceItem::LambdaRequestsArm64,
                PriceItem::LambdaDurationArm64,
            )
        } else {
            (PriceItem::LambdaRequestsX86, PriceItem::LambdaDurationX86)
        };
        let label = |what: &str| format!("{what} ({})", f.architecture);
        self.charge(
            id,
            ty,
            &label("requests"),
            requests,
            Quantity::units(usage.requests_per_month),
        )?;
        // GB-seconds = requests x memory / 1024 x duration / 1000.
        let gb_seconds = Quantity::ratio(
            u128::from(usage.requests_per_month)
                * u128::from(f.memory_mb)
                * u128::from(usage.average_duration_ms),
            1_024 * 1_000,
        );
        self.charge(
            id,
            ty,
            &format!(
                "{}, {} MB x {} ms",
                label("duration"),
                f.memory_mb,
                usage.average_duration_ms
            ),
            duration,
            gb_seconds,
        )
    }

    /// Provisioned concurrency is charged for every second it is configured, whether or not
    /// an invocation uses it.
    fn provisioned(&mut self, r: &Resource, a: &FunctionAlias) -> Result<(), CostError> {
        let f = match self.stack.resource(&a.function).map(|f| &f.kind) {
            Some(ResourceKind::Function(f)) => f,
            _ => return Err(self.dangling(r, &a.function, "function")),
        };
        let item = if f.architecture == "arm64" {
            PriceItem::LambdaProvisionedArm64
        } else {
            PriceItem::LambdaProvisionedX86
        };
        let gb_seconds = Quantity::ratio(
            u128::from(a.provisioned_concurrency) * u128::from(f.memory_mb) * SECONDS_PER_MONTH,
            1_024,
        );
        self.charge(
            r.id.as_str(),
            r.kind.cfn_type(),
            &format!(
                "provisioned concurrency ({}), {} x {} MB",
                f.architecture, a.provisioned_concurrency, f.memory_mb
            ),
            item,
            gb_seconds,
        )
    }

    fn table(&mut self, r: &Resource, t: &Table) -> Result<(), CostError> {
        let (id, ty) = (r.id.as_str(), r.kind.cfn_type());
        let tables = &self.usage.tables;
        // Usage keys name the construct: `events` is the stack's `EventsTable`.
        let is = |key: &str| LogicalId::from_path(&[key, "table"]) == r.id;
        let (reads, writes, storage) = if is("events") {
            let u = &tables.events;
            let writes = Quantity::units(u.write_units_per_month);
            (u.read_units_per_month, writes, u.storage_gb)
        } else if is("idempotency") {
            let u = &tables.idempotency;
            let writes = Quantity::units(u.write_units_per_month);
            (u.read_units_per_month, writes, u.storage_gb)
        } else if is("cdc-state") {
            let u = &tables.cdc_state;
            let cdc = &self.usage.cdc;
            // One write per change message, a unit per started KB of the item.
            let writes = Quantity::ratio(
                u128::from(cdc.messages_per_second.0)
                    * SECONDS_PER_MONTH
                    * u128::from(chunks(cdc.average_item_kb, WRITE_UNIT_KB)),
                1_000_000,
            );
            (u.read_units_per_month, writes, u.storage_gb)
        } else {
            return Err(self.no_usage(r, "usage.tables"));
        };
        match t.provisioned {
            None => {
                let reads = Quantity::units(reads);
                self.charge(
                    id,
                    ty,
                    "reads (on demand)",
                    PriceItem::DynamoDbReadUnits,
                    reads,
                )?;
                self.charge(
                    id,
                    ty,
                    "writes (on demand)",
                    PriceItem::DynamoDbWriteUnits,
                    writes,
                )?;
            }
            Some((read, write)) => {
                let hours =
                    |capacity: u32| Quantity::ratio(u128::from(capacity) * HOURS_PER_MONTH, 1);
                let item = PriceItem::DynamoDbProvisionedRead;
                self.charge(
                    id,
                    ty,
                    &format!("{read} read capacity units"),
                    item,
                    hours(read),
                )?;
                let item = PriceItem::DynamoDbProvisionedWrite;
                self.charge(
                    id,
                    ty,
                    &format!("{write} write capacity units"),
                    item,
                    hours(write),
                )?;
            }
        }
        let gb = Quantity::millionths(storage.0);
        self.charge(id, ty, "storage", PriceItem::DynamoDbStorage, gb)?;
        if t.point_in_time_recovery {
            let item = PriceItem::DynamoDbPointInTimeRecovery;
            self.charge(id, ty, "point-in-time recovery", item, gb)?;
        }
        Ok(())
    }

    fn bus(&mut self, id: &str, ty: &'static str) -> Result<(), CostError> {
        let bus = &self.usage.bus;
        let events = Quantity::units(bus.events_per_month)
            .times(chunks(bus.average_event_kb, EVENT_CHUNK_KB).into());
        self.charge(
            id,
            ty,
            "custom events",
            PriceItem::EventBridgeCustomEvents,
            events,
        )?;
        if self.rs.spec.consumer.publish_cdc_events {
            let cdc = &self.usage.cdc;
            let events = Quantity::ratio(
                u128::from(cdc.messages_per_second.0)
                    * SECONDS_PER_MONTH
                    * u128::from(chunks(cdc.average_item_kb, EVENT_CHUNK_KB)),
                1_000_000,
            );
            let item = PriceItem::EventBridgeCustomEvents;
            self.charge(id, ty, "CDC events from the consumer", item, events)?;
        }
        Ok(())
    }

    /// A rule costs something only when it sends events to another bus: each is a custom
    /// event again on that bus, and crosses regions if the bus is elsewhere. Returns whether
    /// it was charged.
    fn rule(&mut self, r: &Resource, rule: &Rule) -> Result<bool, CostError> {
        let (id, ty) = (r.id.as_str(), r.kind.cfn_type());
        let bus = &self.usage.bus;
        let mut charged = false;
        for target in &rule.targets {
            let Value::Str(arn) = &target.arn else {
                continue;
            };
            // arn:aws:events:<region>:<account>:event-bus/<name>
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            if parts.len() != 6 || parts[2] != "events" || !parts[5].starts_with("event-bus/") {
                continue;
            }
            let target_region = parts[3].to_string();
            let forwarded = Quantity::units(bus.events_per_month)
                .scale(bus.forwarded_share.0.into(), 1_000_000);
            let chunked = forwarded.times(chunks(bus.average_event_kb, EVENT_CHUNK_KB).into());
            self.charge_in(
                id,
                ty,
                &format!("custom events again on the bus in {target_region}"),
                PriceKey::Item(PriceItem::EventBridgeCustomEvents),
                &target_region,
                chunked,
            )?;
            if target_region != self.stack.region {
                // KB (millionths) x events -> GB.
                let gb = forwarded.scale(
                    u128::from(bus.average_event_kb.0) * 1_024,
                    1_000_000 * BYTES_PER_GB,
                );
                self.charge(
                    id,
                    ty,
                    &format!("data transfer to {target_region}"),
                    PriceItem::DataTransferInterRegion,
                    gb,
                )?;
            }
            charged = true;
        }
        Ok(charged)
    }

    /// Ingestion, and storage once the retention period is full (uncompressed: an upper
    /// bound, CloudWatch bills the compressed size).
    fn log_group(&mut self, r: &Resource, retention_days: u32) -> Result<(), CostError> {
        let (id, ty) = (r.id.as_str(), r.kind.cfn_type());
        let owner = self.stack.resources.iter().find_map(|o| match &o.kind {
            ResourceKind::Function(f) if f.log_group == r.id => Some(Some(&o.id)),
            ResourceKind::ApiStage(s) if s.access_log_group == r.id => Some(None),
            _ => None,
        });
        let gb_per_month: Decimal = match owner {
            Some(Some(function)) => self
                .usage
                .functions
                .iter()
                .find(|(name, _)| LogicalId::from_path(&[name.as_str()]) == *function)
                .map(|(_, u)| u.log_gb_per_month)
                .ok_or_else(|| self.no_usage(r, "usage.functions.<function>.log_gb_per_month"))?,
            Some(None) => self.usage.api.log_gb_per_month,
            None => return Err(self.no_usage(r, "a log group of no function or API stage")),
        };
        let ingested = Quantity::millionths(gb_per_month.0);
        self.charge(id, ty, "ingestion", PriceItem::LogsIngestion, ingested)?;
        let stored = ingested.scale(u128::from(retention_days) * 24, HOURS_PER_MONTH);
        self.charge(
            id,
            ty,
            &format!("storage, {retention_days} days retained"),
            PriceItem::LogsStorage,
            stored,
        )
    }

    /// A Route 53 health check of the API's regional name, with the optional features it
    /// uses: HTTPS always, the fast (10 s) interval when set. Its probes of `/live` are API
    /// requests and function invocations like any other: they belong in `usage.api` and
    /// `usage.functions.health-checker`.
    fn health_check(
        &mut self,
        id: &str,
        ty: &'static str,
        h: &HealthCheck,
    ) -> Result<(), CostError> {
        let item = PriceItem::Route53HealthChecks;
        self.charge(id, ty, "health check", item, Quantity::units(1))?;
        let mut features = vec!["HTTPS"];
        if h.interval_seconds < STANDARD_HEALTH_CHECK_INTERVAL_SECONDS {
            features.push("fast interval");
        }
        self.charge(
            id,
            ty,
            &format!("optional features: {}", features.join(", ")),
            PriceItem::Route53HealthCheckFeatures,
            Quantity::units(features.len() as u64),
        )
    }

    fn alarm(&mut self, id: &str, ty: &'static str, a: &Alarm) -> Result<(), CostError> {
        let (component, item) = if a.period_seconds < STANDARD_ALARM_PERIOD_SECONDS {
            (
                "alarm (high resolution)",
                PriceItem::CloudWatchAlarmsHighResolution,
            )
        } else {
            ("alarm", PriceItem::CloudWatchAlarmsStandard)
        };
        self.charge(id, ty, component, item, Quantity::units(1))
    }

    /// The consumer's pods on EKS nodes, and the cluster when it is the platform's.
    fn consumer(&mut self) -> Result<(), CostError> {
        let spec = &self.rs.spec.consumer;
        let u = &self.usage.consumer;
        let node_type = &u.node_type;
        let instance = self
            .prices
            .instance(node_type)
            .ok_or_else(|| CostError::Unpriced {
                item: node_type.clone(),
                region: self.stack.region.clone(),
            })?;
        // Average pods = min + position x (max - min), in millionths.
        let (min, max) = (u128::from(spec.replicas.min), u128::from(spec.replicas.max));
        let pods_millionths =
            min * 1_000_000 + u128::from(u.average_between_min_and_max.0) * (max - min);
        // Share of a node per pod, as a fraction.
        let (share_num, share_den, basis) = match u.allocation {
            PodAllocation::NodePerPod => (1, 1, "a node each".to_string()),
            PodAllocation::Requests => {
                let requests = &spec.resources.requests;
                let millicores = millicores(&requests.cpu).ok_or_else(|| CostError::Quantity {
                    stack: self.stack.name.clone(),
                    what: "CPU request",
                    value: requests.cpu.clone(),
                })?;
                let bytes = bytes(&requests.memory).ok_or_else(|| CostError::Quantity {
                    stack: self.stack.name.clone(),
                    what: "memory request",
                    value: requests.memory.clone(),
                })?;
                let cpu = (millicores, u128::from(instance.vcpu) * 1_000);
                let memory = (bytes, u128::from(instance.memory_gib) * BYTES_PER_GB);
                // The larger share: a node full on either resource takes no more pods.
                let (num, den) = if cpu.0 * memory.1 >= memory.0 * cpu.1 {
                    cpu
                } else {
                    memory
                };
                (
                    num,
                    den,
                    format!("{} CPU / {} requested", requests.cpu, requests.memory),
                )
            }
        };
        let node_hours = Quantity::ratio(
            pods_millionths * share_num * HOURS_PER_MONTH,
            1_000_000 * share_den,
        );
        let pods = Decimal(u64::try_from(pods_millionths).unwrap_or(u64::MAX));
        let stack = self.stack;
        self.charge_in(
            "Consumer",
            "Kubernetes::Deployment",
            &format!("{pods} pods on average, {basis}, {node_type} nodes"),
            PriceKey::Instance(node_type.clone()),
            &stack.region,
            node_hours,
        )?;
        if u.owns_cluster {
            let cluster = spec.eks_cluster_name.clone();
            self.charge(
                &cluster,
                "AWS::EKS::Cluster",
                "control plane",
                PriceItem::EksCluster,
                Quantity::units(HOURS_PER_MONTH as u64),
            )?;
        }
        Ok(())
    }

    fn charge(
        &mut self,
        resource: &str,
        resource_type: &'static str,
        component: &str,
        item: PriceItem,
        quantity: Quantity,
    ) -> Result<(), CostError> {
        let stack = self.stack;
        self.charge_in(
            resource,
            resource_type,
            component,
            PriceKey::Item(item),
            &stack.region,
            quantity,
        )
    }

    fn charge_in(
        &mut self,
        resource: &str,
        resource_type: &'static str,
        component: &str,
        key: PriceKey,
        region: &str,
        quantity: Quantity,
    ) -> Result<(), CostError> {
        let price: &Price = self
            .prices
            .get(&key, region)
            .ok_or_else(|| CostError::Unpriced {
                item: key.name().to_string(),
                region: region.to_string(),
            })?;
        let consumed = self.consumed.entry((key, region.to_string())).or_default();
        let (zepto, unit_price) = price.zepto(*consumed, quantity);
        *consumed = *consumed + quantity;
        let tiered = unit_price.zepto(quantity) != zepto;
        self.lines.push(Line {
            resource: resource.to_string(),
            resource_type,
            component: component.to_string(),
            quantity,
            unit: price.unit.clone(),
            unit_price,
            price: price.describe(unit_price),
            tiered,
            monthly: Money::from_zepto(zepto),
            source: PriceSource {
                item: price.key.name().to_string(),
                region: price.region.clone(),
                url: price.source.clone(),
                taken: price.taken.clone(),
                via: price.via.clone(),
            },
        });
        Ok(())
    }

    fn no_usage(&self, r: &Resource, hint: &str) -> CostError {
        CostError::NoUsageFor {
            stack: self.stack.name.clone(),
            resource: r.id.to_string(),
            resource_type: r.kind.cfn_type(),
            hint: hint.to_string(),
        }
    }

    fn dangling(&self, r: &Resource, target: &LogicalId, expected: &'static str) -> CostError {
        CostError::Dangling {
            stack: self.stack.name.clone(),
            resource: r.id.to_string(),
            target: target.to_string(),
            expected,
        }
    }
}

/// How many `chunk_kb` chunks an item of `kb` (a decimal) starts: at least one.
fn chunks(kb: Decimal, chunk_kb: u64) -> u64 {
    kb.0.div_ceil(chunk_kb * 1_000_000).max(1)
}

/// A Kubernetes CPU quantity (`250m`, `1`, `0.5`) in millicores.
fn millicores(cpu: &str) -> Option<u128> {
    match cpu.strip_suffix('m') {
        Some(m) => m.parse().ok(),
        None => {
            let (whole, frac) = cpu.split_once('.').unwrap_or((cpu, ""));
            if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let whole: u128 = if whole.is_empty() {
                0
            } else {
                whole.parse().ok()?
            };
            let frac: u128 = format!("{frac:0<3}").parse().ok()?;
            Some(whole * 1_000 + frac)
        }
    }
}

/// A Kubernetes memory quantity (`64Mi`, `1Gi`, `128M`, `1000`) in bytes.
fn bytes(memory: &str) -> Option<u128> {
    const UNITS: [(&str, u128); 8] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("K", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ];
    let (digits, factor) = UNITS
        .iter()
        .find_map(|(suffix, factor)| memory.strip_suffix(suffix).map(|d| (d, *factor)))
        .unwrap_or((memory, 1));
    digits.parse::<u128>().ok().map(|n| n * factor)
}

#[cfg(test)]
mod tests;
