//! The estimator against hand-computed figures, one resource kind at a time, on a stack the
//! platform builds from a test environment whose every priced setting and usage figure is
//! stated here (so editing the real specs cannot move these numbers).

use super::diff::{Side, compare};
use super::prices::prices;
use super::*;
use crate::assets::SourceHashes;
use crate::platform;
use crate::spec::{SourceFile, resolve};

const DEFAULTS: &str = include_str!("../../../environments/defaults.yaml");

/// Every setting and usage figure the expected values below depend on.
const TEST_ENV: &str = r#"
account: "123456789012"
functions:
  event-router: {memory_mb: 1024, architecture: arm64, reserved_concurrency: 50, provisioned_concurrency: 10, log_retention_days: 365}
  stream-processor: {memory_mb: 512, architecture: x86_64, provisioned_concurrency: 0, log_retention_days: 30}
  event-transformer: {memory_mb: 256, architecture: arm64, provisioned_concurrency: 0, log_retention_days: 30}
  health-checker: {memory_mb: 128, architecture: arm64, provisioned_concurrency: 0, log_retention_days: 30}
  authorizer: {memory_mb: 128, architecture: arm64, provisioned_concurrency: 0, log_retention_days: 30}
table: {billing_mode: pay_per_request, read_capacity: null, write_capacity: null, point_in_time_recovery: true}
alarms: {period_seconds: 300}
consumer:
  replicas: {min: 2, max: 6}
  resources: {requests: {cpu: 250m, memory: 64Mi}}
  publish_cdc_events: true
usage:
  functions:
    event-router: {requests_per_month: 20000000, average_duration_ms: 20, log_gb_per_month: 5}
    stream-processor: {requests_per_month: 1000000, average_duration_ms: 100, log_gb_per_month: 1}
    event-transformer: {requests_per_month: 3000000, average_duration_ms: 10, log_gb_per_month: 2}
    health-checker: {requests_per_month: 43800, average_duration_ms: 150, log_gb_per_month: 0.2}
    authorizer: {requests_per_month: 100000, average_duration_ms: 3, log_gb_per_month: 0.1}
  bus: {events_per_month: 3000000, average_event_kb: 100, forwarded_share: 0.5}
  tables:
    events: {read_units_per_month: 2000000, write_units_per_month: 4000000, storage_gb: 10}
    idempotency: {read_units_per_month: 1000000, write_units_per_month: 1000000, storage_gb: 0.5}
    cdc_state: {read_units_per_month: 0, storage_gb: 5}
  queues: {requests_per_month: 45000}
  api: {requests_per_month: 400000000, log_gb_per_month: 0.1}
  kms: {requests_per_month: 50000}
  secret: {requests_per_month: 5000}
  consumer: {average_between_min_and_max: 0.25, node_type: m6i.large, allocation: requests, owns_cluster: true}
  cdc: {messages_per_second: 20, average_item_kb: 1.5}
region_overrides:
  us-west-2:
    consumer: {kafka_bootstrap_servers: ["b:9092"], eks_cluster_name: c-usw2, eks_oidc_provider: oidc.eks.us-west-2.amazonaws.com/id/X}
  us-east-1:
    consumer: {kafka_bootstrap_servers: ["b:9092"], eks_cluster_name: c-use1, eks_oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/X}
"#;

fn source(path: &str, text: &str) -> SourceFile {
    SourceFile {
        display_path: path.to_string(),
        text: text.to_string(),
    }
}

/// The us-west-2 stack of the test environment after `edit` (a text replacement).
fn cost_with(edit: impl Fn(&str) -> String) -> StackCost {
    let envs = resolve(
        &source("environments/defaults.yaml", DEFAULTS),
        &[source("environments/test.yaml", &edit(TEST_ENV))],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rs = &envs[0].regions[0];
    assert_eq!(rs.region, "us-west-2");
    let stack = platform::build_stack(rs, &SourceHashes::default()).unwrap();
    estimate(&stack, rs, prices()).unwrap_or_else(|e| panic!("{e}"))
}

fn test_cost() -> StackCost {
    cost_with(str::to_string)
}

/// The cost of `resource`'s component starting with `component`.
fn line(cost: &StackCost, resource: &str, component: &str) -> Money {
    let found: Vec<&Line> = cost
        .lines
        .iter()
        .filter(|l| l.resource == resource && l.component.starts_with(component))
        .collect();
    assert_eq!(found.len(), 1, "{resource} / {component}: {found:#?}");
    found[0].monthly
}

/// `$` figures with up to six decimals, as micro-dollars.
fn usd(text: &str) -> Money {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    Money(whole.parse::<i64>().unwrap() * 1_000_000 + format!("{frac:0<6}").parse::<i64>().unwrap())
}

#[test]
fn lambda_requests_duration_and_provisioned_concurrency() {
    let c = test_cost();
    // 20M requests at $0.20/M.
    assert_eq!(line(&c, "EventRouter", "requests (arm64)"), usd("4"));
    // 20M x 1 GB x 0.020 s = 400,000 GB-s at the arm64 $0.0000133334.
    assert_eq!(line(&c, "EventRouter", "duration (arm64)"), usd("5.33336"));
    // 10 x 1 GB x 2,628,000 s = 26,280,000 GB-s at $0.0000033334.
    assert_eq!(
        line(&c, "EventRouterLive", "provisioned concurrency (arm64)"),
        usd("87.601752")
    );
    // x86: 1M x 0.5 GB x 0.1 s = 50,000 GB-s at $0.0000166667.
    assert_eq!(line(&c, "StreamProcessor", "requests (x86_64)"), usd("0.2"));
    assert_eq!(
        line(&c, "StreamProcessor", "duration (x86_64)"),
        usd("0.833335")
    );
    // 3M x 0.25 GB x 0.01 s = 7,500 GB-s -> $0.1000005, rounded half up once.
    assert_eq!(line(&c, "EventTransformer", "duration"), usd("0.100001"));
    // 43,800 x 0.125 GB x 0.15 s = 821.25 GB-s -> $0.01095005475.
    assert_eq!(line(&c, "HealthChecker", "requests"), usd("0.00876"));
    assert_eq!(line(&c, "HealthChecker", "duration"), usd("0.01095"));
}

#[test]
fn log_groups_ingestion_and_storage_once_retention_is_full() {
    let c = test_cost();
    assert_eq!(line(&c, "EventRouterLogs", "ingestion"), usd("2.5"));
    // 5 GB a month kept 365 days: 5 x 8,760 h / 730 h = 60 GB at $0.03.
    assert_eq!(line(&c, "EventRouterLogs", "storage"), usd("1.8"));
    // 1 GB kept 30 days: 720/730 GB -> $0.0295890...
    assert_eq!(line(&c, "StreamProcessorLogs", "storage"), usd("0.029589"));
    // The API's access logs use the API's usage.
    assert_eq!(line(&c, "ApiAccessLogs", "ingestion"), usd("0.05"));
}

#[test]
fn tables_on_demand_storage_recovery_and_cdc_writes() {
    let c = test_cost();
    assert_eq!(line(&c, "EventsTable", "reads"), usd("0.25"));
    assert_eq!(line(&c, "EventsTable", "writes"), usd("2.5"));
    assert_eq!(line(&c, "EventsTable", "storage"), usd("2.5"));
    assert_eq!(line(&c, "EventsTable", "point-in-time"), usd("2"));
    assert_eq!(line(&c, "IdempotencyTable", "storage"), usd("0.125"));
    // 20 msg/s x 2,628,000 s x 2 write units (1.5 KB) = 105,120,000 WRU at $0.625/M.
    assert_eq!(line(&c, "CdcStateTable", "writes"), usd("65.7"));
    assert_eq!(line(&c, "CdcStateTable", "reads"), Money::ZERO);
}

#[test]
fn provisioned_tables_pay_for_capacity_hours() {
    let c = cost_with(|t| {
        t.replace(
            "billing_mode: pay_per_request, read_capacity: null, write_capacity: null",
            "billing_mode: provisioned, read_capacity: 5, write_capacity: 5",
        )
    });
    // 5 x 730 = 3,650 RCU-hours at $0.00013; WCU-hours at $0.00065.
    assert_eq!(line(&c, "EventsTable", "5 read capacity"), usd("0.4745"));
    assert_eq!(line(&c, "EventsTable", "5 write capacity"), usd("2.3725"));
    assert!(!c.lines.iter().any(|l| l.component.contains("on demand")));
}

#[test]
fn bus_forwarding_charges_events_twice_and_the_transfer() {
    let c = test_cost();
    // 3M events of 100 KB = 2 chunks of 64 KB each: 6M custom events.
    assert_eq!(line(&c, "Bus", "custom events"), usd("6"));
    // 20 msg/s x 2,628,000 s = 52,560,000 CDC events (1.5 KB: one chunk).
    assert_eq!(line(&c, "Bus", "CDC events"), usd("52.56"));
    // Half forwarded: 1.5M events, 3M chunks, billed again on the peer bus.
    let forward = "CrossRegionForwardRule";
    assert_eq!(
        line(&c, forward, "custom events again on the bus in us-east-1"),
        usd("3")
    );
    // 1.5M x 100 KB = 143.0511474609375 GB at $0.02.
    assert_eq!(
        line(&c, forward, "data transfer to us-east-1"),
        usd("2.861023")
    );
    // Rules with only Lambda targets cost nothing.
    assert!(c.free.iter().any(|f| f.resource == "TransformRule"));
}

#[test]
fn api_requests_cross_into_the_second_tier() {
    let c = test_cost();
    // 333M at $3.50/M + 67M at $2.80/M.
    assert_eq!(line(&c, "Api", "requests"), usd("1353.1"));
    let api = c.lines.iter().find(|l| l.resource == "Api").unwrap();
    assert!(api.tiered);
    assert_eq!(api.price, "$3.50 per 1M requests");
}

#[test]
fn fixed_monthly_items() {
    let c = test_cost();
    assert_eq!(line(&c, "DataKey", "key"), usd("1"));
    assert_eq!(line(&c, "DataKey", "requests"), usd("0.15"));
    assert_eq!(line(&c, "JwtSigningKey", "secret"), usd("0.4"));
    assert_eq!(line(&c, "JwtSigningKey", "API calls"), usd("0.025"));
    assert_eq!(line(&c, "EventsDlq", "requests"), usd("0.018"));
    let alarms: Vec<Money> = c
        .lines
        .iter()
        .filter(|l| l.resource_type == "AWS::CloudWatch::Alarm")
        .map(|l| l.monthly)
        .collect();
    assert_eq!(alarms, vec![usd("0.1"); 8]);
    // The EKS control plane, because the spec says the cluster is the platform's.
    assert_eq!(line(&c, "c-usw2", "control plane"), usd("73"));
}

#[test]
fn high_resolution_alarms_cost_three_times_as_much() {
    let c = cost_with(|t| t.replace("period_seconds: 300", "period_seconds: 30"));
    assert_eq!(
        line(&c, "EventsDlqDepthAlarm", "alarm (high resolution)"),
        usd("0.3")
    );
}

#[test]
fn consumer_pods_by_requested_share_or_a_node_each() {
    let c = test_cost();
    // 2 + 0.25 x (6 - 2) = 3 pods; 250m of 2 vCPU (12.5%) beats 64Mi of 8 GiB;
    // 3 x 0.125 x 730 = 273.75 node-hours at $0.096 (m6i.large).
    assert_eq!(line(&c, "Consumer", "3 pods on average"), usd("26.28"));
    let whole_nodes = cost_with(|t| t.replace("allocation: requests", "allocation: node_per_pod"));
    assert_eq!(line(&whole_nodes, "Consumer", "3 pods"), usd("210.24"));
    // Memory decides when it is the larger share: 3Gi of 8 GiB = 37.5%.
    let memory_bound = cost_with(|t| t.replace("memory: 64Mi", "memory: 3Gi"));
    assert_eq!(line(&memory_bound, "Consumer", "3 pods"), usd("78.84"));
}

#[test]
fn totals_are_the_sum_of_the_lines() {
    let c = test_cost();
    assert_eq!(c.monthly, c.lines.iter().map(|l| l.monthly).sum());
    assert_eq!(
        c.monthly,
        c.by_resource().values().map(|(_, m)| *m).sum::<Money>()
    );
}

#[test]
fn dns_health_checks_are_fixed_monthly_items_and_alias_records_are_free() {
    let dns = |interval: u32| {
        format!(
            "dns: {{hosted_zone_id: Z0TEST, zone: example.com, record: api.example.com, routing: latency, health_check: {{interval_seconds: {interval}, failure_threshold: 3}}}}\nregion_overrides:"
        )
    };
    let c = cost_with(|t| t.replacen("region_overrides:", &dns(30), 1));
    let check = &c
        .lines
        .iter()
        .find(|l| l.resource_type == "AWS::Route53::HealthCheck")
        .expect("a health check with dns on")
        .resource;
    // A check of an endpoint outside the account, $0.75, with HTTPS at $2.00.
    assert_eq!(line(&c, check, "health check"), usd("0.75"));
    assert_eq!(line(&c, check, "optional features: HTTPS"), usd("2"));
    // The 10 s interval is a second feature.
    let fast = cost_with(|t| t.replacen("region_overrides:", &dns(10), 1));
    assert_eq!(
        line(&fast, check, "optional features: HTTPS, fast interval"),
        usd("4")
    );
    for free in [
        "AWS::Route53::RecordSet",
        "AWS::CertificateManager::Certificate",
        "AWS::ApiGateway::DomainName",
    ] {
        assert!(c.free.iter().any(|f| f.resource_type == free), "{free}");
    }
}

/// The change `edit` makes to the test stack's monthly cost, per `compare`.
fn change(edit: impl Fn(&str) -> String) -> (Money, Vec<(String, Money)>) {
    let (old, new) = (test_cost(), cost_with(edit));
    let c = compare(Side::Estimated(&old), Side::Estimated(&new));
    let resources = c
        .resources
        .iter()
        .map(|r| (r.resource.clone(), r.change))
        .collect();
    (c.change.unwrap(), resources)
}

#[test]
fn each_kind_of_change_moves_the_cost_by_the_right_amount() {
    // Memory: the duration (400,000 -> 800,000 GB-s) and the provisioned concurrency
    // (26,280,000 -> 52,560,000 GB-s) double.
    let (total, resources) = change(|t| t.replace("memory_mb: 1024", "memory_mb: 2048"));
    assert_eq!(total, usd("92.935112"));
    assert_eq!(
        resources,
        [
            ("EventRouter".to_string(), usd("5.33336")),
            ("EventRouterLive".to_string(), usd("87.601752"))
        ]
    );
    // Provisioned concurrency 10 -> 20.
    let (total, _) =
        change(|t| t.replace("provisioned_concurrency: 10", "provisioned_concurrency: 20"));
    assert_eq!(total, usd("87.601752"));
    // Provisioned concurrency off: the alias goes, and its cost with it.
    let (total, resources) =
        change(|t| t.replace("provisioned_concurrency: 10", "provisioned_concurrency: 0"));
    assert_eq!(total, -usd("87.601752"));
    assert_eq!(
        resources,
        [("EventRouterLive".to_string(), -usd("87.601752"))]
    );
    // Replicas max 6 -> 10: 3 -> 4 pods on average, 0.125 x 730 node-hours more.
    let (total, _) = change(|t| t.replace("max: 6", "max: 10"));
    assert_eq!(total, usd("8.76"));
    // Usage: 10M more router requests at 20 ms and 1 GB.
    let (total, _) = change(|t| {
        t.replace(
            "requests_per_month: 20000000",
            "requests_per_month: 30000000",
        )
    });
    assert_eq!(total, usd("4.66668"));
    // No change, no cost change.
    let (total, resources) = change(str::to_string);
    assert_eq!((total, resources.len()), (Money::ZERO, 0));
}

#[test]
fn every_resource_of_every_real_stack_is_priced_or_declared_free() {
    let file = |name: &str, text: &str| source(&format!("environments/{name}"), text);
    let envs = resolve(
        &file("defaults.yaml", DEFAULTS),
        &[
            file("dev.yaml", include_str!("../../../environments/dev.yaml")),
            file("prod.yaml", include_str!("../../../environments/prod.yaml")),
            file(
                "staging.yaml",
                include_str!("../../../environments/staging.yaml"),
            ),
        ],
    )
    .unwrap();
    let app = platform::build_app(&envs, &SourceHashes::default()).unwrap();
    let costs = estimate_all(app.stacks(), &envs, prices());
    assert_eq!(costs.len(), 6);
    for (stack, cost) in app.stacks().zip(costs) {
        // An unpriced kind or a missing usage figure is an error, never a silent zero.
        let cost = cost.unwrap_or_else(|e| panic!("{e}"));
        for r in &stack.resources {
            let priced = cost.lines.iter().any(|l| l.resource == r.id.as_str());
            let free = cost.free.iter().any(|f| f.resource == r.id.as_str());
            assert!(
                priced != free,
                "{}: {} ({}) priced {priced}, free {free}",
                stack.name,
                r.id,
                r.kind.cfn_type()
            );
        }
        assert!(cost.monthly > Money::ZERO, "{}", stack.name);
        assert!(cost.lines.iter().any(|l| l.resource == "Consumer"));
    }
}

#[test]
fn a_region_without_prices_is_an_error_not_a_zero() {
    let envs = resolve(
        &source("environments/defaults.yaml", DEFAULTS),
        &[source(
            "environments/test.yaml",
            &TEST_ENV.replace("us-east-1", "eu-west-1").replacen(
                "account:",
                "regions: [us-west-2, eu-west-1]\naccount:",
                1,
            ),
        )],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rs = &envs[0].regions[1];
    let stack = platform::build_stack(rs, &SourceHashes::default()).unwrap();
    let err = estimate(&stack, rs, prices()).unwrap_err();
    assert_eq!(
        err,
        CostError::Unpriced {
            item: "kms-keys".into(),
            region: "eu-west-1".into()
        }
    );
    // us-west-2 forwards to eu-west-1, whose custom events have no price either.
    let west = &envs[0].regions[0];
    let stack = platform::build_stack(west, &SourceHashes::default()).unwrap();
    assert!(matches!(
        estimate(&stack, west, prices()),
        Err(CostError::Unpriced { region, .. }) if region == "eu-west-1"
    ));
}

#[test]
fn specs_without_usage_are_not_estimated() {
    let defaults = DEFAULTS.split("\nusage:\n").next().unwrap();
    let env = TEST_ENV.split("\nusage:\n").next().unwrap().to_string()
        + "\n"
        + &TEST_ENV[TEST_ENV.find("region_overrides:").unwrap()..];
    let envs = resolve(
        &source("environments/defaults.yaml", defaults),
        &[source("environments/test.yaml", &env)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rs = &envs[0].regions[0];
    let stack = platform::build_stack(rs, &SourceHashes::default()).unwrap();
    assert_eq!(
        estimate(&stack, rs, prices()),
        Err(CostError::NoUsage { env: "test".into() })
    );
}

/// The seed's two estimates, recomputed under its own assumptions (BENCHMARKS.md, "cost").
#[test]
fn the_seeds_estimates_under_the_seeds_assumptions() {
    // One million requests of a 1,024 MB function running 100 ms.
    let per_million = |arch: &str| {
        let c = cost_with(|t| {
            t.replace(
                "stream-processor: {memory_mb: 512, architecture: x86_64",
                &format!("stream-processor: {{memory_mb: 1024, architecture: {arch}"),
            )
        });
        // The test environment's stream-processor runs 1M requests of 100 ms.
        line(&c, "StreamProcessor", "requests") + line(&c, "StreamProcessor", "duration")
    };
    assert_eq!(per_million("x86_64"), usd("1.86667"));
    assert_eq!(per_million("arm64"), usd("1.53334"));
    // Three pods, a whole m5.large each, for a month; with and without the control plane.
    let pods = cost_with(|t| {
        t.replace("max: 6", "max: 3")
            .replace("min: 2", "min: 3")
            .replace("node_type: m6i.large", "node_type: m5.large")
            .replace("allocation: requests", "allocation: node_per_pod")
    });
    assert_eq!(line(&pods, "Consumer", "3 pods"), usd("210.24"));
    assert_eq!(line(&pods, "c-usw2", "control plane"), usd("73"));
}
