//! Semantic checks on a typed spec: the limits AWS and Kubernetes enforce at deploy time,
//! caught at synth time with the line to fix.

use std::collections::{BTreeMap, BTreeSet};

use platform_contract::FUNCTION_NAMES;

use super::tree::{Located, Origin};
use super::{EnvironmentSpec, SpecError, error_at};
use crate::spec::{BillingMode, DnsRouting, TopicSpec};

/// The regions the platform can deploy to (commercial partition).
pub const KNOWN_REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
    "me-south-1",
];

/// CloudWatch Logs accepts only these retention periods.
const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub fn environment_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 20
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "environment name `{name}` (the file name) must be 1-20 lowercase letters, digits or '-', starting with a letter"
        ))
    }
}

/// The region pair, checked before per-region resolution (which depends on it).
pub fn regions(spec: &EnvironmentSpec, tree: &Located) -> Result<(), Vec<SpecError>> {
    let origin = tree
        .get("regions")
        .map(|r| r.origin.clone())
        .unwrap_or_else(|| tree.origin.clone());
    let mut errors = Vec::new();
    if spec.regions.len() != 2 {
        errors.push(error_at(
            &origin,
            "regions",
            format!(
                "an active/active environment needs exactly 2 regions, found {}",
                spec.regions.len()
            ),
        ));
    }
    for (i, region) in spec.regions.iter().enumerate() {
        if !KNOWN_REGIONS.contains(&region.as_str()) {
            let item_origin = match &tree.get("regions").map(|r| &r.node) {
                Some(super::tree::Node::Seq(items)) => items.get(i).map(|l| l.origin.clone()),
                _ => None,
            }
            .unwrap_or_else(|| origin.clone());
            errors.push(error_at(
                &item_origin,
                &format!("regions[{i}]"),
                format!("`{region}` is not a known AWS region"),
            ));
        }
    }
    if spec.regions.len() == 2 && spec.regions[0] == spec.regions[1] {
        errors.push(error_at(&origin, "regions", "the two regions must differ"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Collects errors against the field paths of one merged spec.
pub(super) struct Checker<'a> {
    origins: &'a BTreeMap<String, Origin>,
    fallback: &'a Origin,
    errors: Vec<SpecError>,
}

impl Checker<'_> {
    pub(super) fn fail(&mut self, field: &str, message: impl Into<String>) {
        // A field absent from the tree (an optional left out) is reported at its parent.
        let mut key = field.to_string();
        let origin = loop {
            if let Some(o) = self.origins.get(&key) {
                break o;
            }
            match key.rfind(['.', '[']) {
                Some(i) => key.truncate(i),
                None => break self.fallback,
            }
        };
        self.errors.push(error_at(origin, field, message));
    }

    pub(super) fn range(&mut self, field: &str, value: u64, min: u64, max: u64) {
        if value < min || value > max {
            self.fail(field, format!("{value} is outside {min}..={max}"));
        }
    }

    /// A map keyed by function (`field.<name>`) must name each of the platform's functions
    /// and nothing else; `missing` says what a function lacks. Returns the entries present, in
    /// `FUNCTION_NAMES` order, for their own checks.
    pub(super) fn per_function<'m, T>(
        &mut self,
        field: &str,
        map: &'m BTreeMap<String, T>,
        missing: &str,
    ) -> Vec<(&'static str, &'m T)> {
        for name in map.keys() {
            if !FUNCTION_NAMES.contains(&name.as_str()) {
                self.fail(
                    &format!("{field}.{name}"),
                    format!(
                        "unknown function; the platform's functions are {}",
                        FUNCTION_NAMES.join(", ")
                    ),
                );
            }
        }
        let mut present = Vec::new();
        for name in FUNCTION_NAMES {
            match map.get(name) {
                Some(entry) => present.push((name, entry)),
                None => self.fail(field, format!("function `{name}` has no {missing}")),
            }
        }
        present
    }

    fn non_empty(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        }
    }
}

pub fn spec(
    spec: &EnvironmentSpec,
    region: &str,
    origins: &BTreeMap<String, Origin>,
    fallback: &Origin,
) -> Result<(), Vec<SpecError>> {
    let mut c = Checker {
        origins,
        fallback,
        errors: Vec::new(),
    };
    if spec.account.len() != 12 || !spec.account.bytes().all(|b| b.is_ascii_digit()) {
        c.fail(
            "account",
            format!("`{}` is not a 12-digit AWS account id", spec.account),
        );
    }
    for (key, value) in &spec.tags {
        let field = format!("tags.{key}");
        if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
            c.fail(
                &field,
                "tag keys must be 1-128 characters and not start with `aws:`",
            );
        }
        if value.len() > 256 {
            c.fail(&field, "tag values must be at most 256 characters");
        }
    }
    check_functions(&mut c, spec);
    check_table(&mut c, spec);
    let prices = crate::cost::prices::prices();
    let node_types: Vec<(&str, &str)> = prices
        .instance_names()
        .filter_map(|name| Some((name, prices.instance(name)?.architecture.as_str())))
        .collect();
    super::usage::check(&mut c, spec, &node_types);
    let s = &spec.stream;
    c.range("stream.batch_size", s.batch_size.into(), 1, 10_000);
    c.range("stream.max_retries", s.max_retries.into(), 0, 10_000);
    c.range(
        "stream.max_record_age_seconds",
        s.max_record_age_seconds.into(),
        60,
        604_800,
    );
    c.range(
        "stream.parallelization_factor",
        s.parallelization_factor.into(),
        1,
        10,
    );
    let a = &spec.alarms;
    c.range(
        "alarms.evaluation_periods",
        a.evaluation_periods.into(),
        1,
        100,
    );
    if !(a.period_seconds == 10
        || a.period_seconds == 30
        || (a.period_seconds >= 60 && a.period_seconds.is_multiple_of(60)))
    {
        c.fail(
            "alarms.period_seconds",
            format!("{} must be 10, 30 or a multiple of 60", a.period_seconds),
        );
    }
    if spec.routing.detail_types.is_empty() {
        c.fail("routing.detail_types", "list at least one detail-type");
    }
    for (i, d) in spec.routing.detail_types.iter().enumerate() {
        c.non_empty(&format!("routing.detail_types[{i}]"), d);
    }
    let api = &spec.api;
    if api.throttle_rate_limit.is_nan() || api.throttle_rate_limit <= 0.0 {
        c.fail("api.throttle_rate_limit", "must be greater than 0");
    }
    c.range(
        "api.throttle_burst_limit",
        api.throttle_burst_limit.into(),
        1,
        5_000,
    );
    c.range(
        "api.authorizer_cache_seconds",
        api.authorizer_cache_seconds.into(),
        0,
        3_600,
    );
    if !api.jwt_issuer.starts_with("https://") {
        c.fail(
            "api.jwt_issuer",
            format!("`{}` must be an https:// URL", api.jwt_issuer),
        );
    }
    c.non_empty("api.jwt_audience", &api.jwt_audience);
    let h = &spec.health;
    let schedule_ok = (h.schedule.starts_with("rate(") || h.schedule.starts_with("cron("))
        && h.schedule.ends_with(')')
        && h.schedule.len() > 6;
    if !schedule_ok {
        c.fail(
            "health.schedule",
            format!(
                "`{}` is not an EventBridge schedule: use rate(...) or cron(...)",
                h.schedule
            ),
        );
    }
    c.range(
        "health.peer_timeout_ms",
        h.peer_timeout_ms.into(),
        100,
        29_000,
    );
    if let Some(url) = &h.peer_health_url {
        if !url.starts_with("https://") {
            c.fail(
                "health.peer_health_url",
                format!("`{url}` must be an https:// URL"),
            );
        }
        // The detailed `/health` sits behind the authorizer and the health-checker holds no
        // token: any other route answers 401 and degrades this region forever.
        let liveness = platform_contract::API_LIVENESS_PATH;
        if !url.trim_end_matches('/').ends_with(liveness) {
            c.fail(
                "health.peer_health_url",
                format!("`{url}` must be the peer API's open `{liveness}` route (`.../<stage>{liveness}`)"),
            );
        }
    }
    let r = &spec.router;
    for (i, route) in r.routes.iter().enumerate() {
        let valid = route.split_once('=').is_some_and(|(source, detail)| {
            !source.is_empty() && !detail.is_empty() && !route.contains(';')
        });
        if !valid {
            c.fail(
                &format!("router.routes[{i}]"),
                format!("`{route}` is not `source=detail-type` (`*` matches any)"),
            );
        }
    }
    c.range(
        "router.compression_threshold_bytes",
        r.compression_threshold_bytes.into(),
        64,
        262_144,
    );
    c.range(
        "router.circuit_failure_threshold",
        r.circuit_failure_threshold.into(),
        1,
        1_000,
    );
    c.range(
        "router.circuit_open_seconds",
        r.circuit_open_seconds.into(),
        1,
        3_600,
    );
    check_consumer(&mut c, spec, region);
    check_observability(&mut c, spec);
    check_dns(&mut c, spec);
    let d = &spec.delivery;
    if d.deploy_role_name.is_empty()
        || d.deploy_role_name.len() > 64
        || !d
            .deploy_role_name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch))
    {
        c.fail(
            "delivery.deploy_role_name",
            format!("`{}` is not a valid IAM role name", d.deploy_role_name),
        );
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}

/// The longest region name in [`KNOWN_REGIONS`]: a region-specific record name must fit a
/// DNS label with it.
const LONGEST_REGION: usize = 14;

fn check_dns(c: &mut Checker<'_>, spec: &EnvironmentSpec) {
    let Some(dns) = &spec.dns else {
        return;
    };
    let zone_id_ok = dns.hosted_zone_id.starts_with('Z')
        && (2..=32).contains(&dns.hosted_zone_id.len())
        && dns
            .hosted_zone_id
            .chars()
            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit());
    if !zone_id_ok {
        c.fail(
            "dns.hosted_zone_id",
            format!(
                "`{}` is not a Route 53 hosted zone id (Z followed by uppercase letters and digits)",
                dns.hosted_zone_id
            ),
        );
    }
    let zone_ok = is_domain_name(&dns.zone);
    if !zone_ok {
        c.fail(
            "dns.zone",
            format!(
                "`{}` is not a lowercase domain name without a trailing dot",
                dns.zone
            ),
        );
    }
    if !is_domain_name(&dns.record) {
        c.fail(
            "dns.record",
            format!(
                "`{}` is not a lowercase domain name without a trailing dot",
                dns.record
            ),
        );
    } else if zone_ok && !dns.record.ends_with(&format!(".{}", dns.zone)) {
        // The region-specific names derive from the record's first label, so the record
        // cannot be the zone apex.
        c.fail(
            "dns.record",
            format!(
                "`{}` must be a subdomain of the zone `{}` (not its apex)",
                dns.record, dns.zone
            ),
        );
    } else if dns.record.split('.').next().unwrap_or_default().len() + 1 + LONGEST_REGION > 63 {
        c.fail(
            "dns.record",
            format!(
                "the first label of `{}` leaves no room for `-<region>` in a 63-character DNS label",
                dns.record
            ),
        );
    }
    match (dns.routing, &dns.primary_region) {
        (DnsRouting::Failover, None) => c.fail(
            "dns.primary_region",
            "`routing: failover` needs the primary region",
        ),
        (DnsRouting::Failover, Some(primary)) if !spec.regions.contains(primary) => c.fail(
            "dns.primary_region",
            format!(
                "`{primary}` is not one of this environment's regions ({})",
                spec.regions.join(", ")
            ),
        ),
        (DnsRouting::Latency, Some(_)) => c.fail(
            "dns.primary_region",
            "only `routing: failover` has a primary region; latency routing is active/active",
        ),
        _ => {}
    }
    let interval = dns.health_check.interval_seconds;
    if interval != 10 && interval != 30 {
        c.fail(
            "dns.health_check.interval_seconds",
            format!("{interval} must be 10 or 30 (Route 53's request intervals)"),
        );
    }
    c.range(
        "dns.health_check.failure_threshold",
        dns.health_check.failure_threshold.into(),
        1,
        10,
    );
    if spec.health.peer_health_url.is_some() {
        c.fail(
            "health.peer_health_url",
            "with `dns` set, the peer's URL is derived from `dns.record`: remove this setting",
        );
    }
}

/// A lowercase, fully qualified domain name without the trailing dot: 2+ labels, 253 chars.
fn is_domain_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').count() >= 2 && s.split('.').all(is_dns_label)
}

fn check_observability(c: &mut Checker<'_>, spec: &EnvironmentSpec) {
    let o = &spec.observability;
    let url = &o.runbook_base_url;
    if !url.starts_with("https://") || !url.ends_with('/') || url.contains(char::is_whitespace) {
        c.fail(
            "observability.runbook_base_url",
            format!("`{url}` must be an https:// URL ending in `/` (the runbooks directory)"),
        );
    }
    let a = &o.alerts;
    // A day is the longest `for` that still pages about the incident it was written for.
    let minutes = [
        ("lag_messages", a.lag_messages.for_minutes),
        ("lag_seconds", a.lag_seconds.for_minutes),
        ("dead_letters", a.dead_letters.for_minutes),
        (
            "processing_p99_seconds",
            a.processing_p99_seconds.for_minutes,
        ),
        ("not_ready", a.not_ready.for_minutes),
        ("no_partitions", a.no_partitions.for_minutes),
    ];
    for (name, value) in minutes {
        c.range(
            &format!("observability.alerts.{name}.for_minutes"),
            value.into(),
            0,
            1_440,
        );
    }
    // (name, value, lowest allowed, highest allowed, lowest inclusive)
    let thresholds = [
        ("lag_messages", a.lag_messages.threshold, 1.0, 1e9),
        ("lag_seconds", a.lag_seconds.threshold, 1.0, 604_800.0),
        ("dead_letters", a.dead_letters.threshold, 0.0, 1e6),
        // The consumer's latency histogram ends at 10 s: a higher objective cannot be read.
        (
            "processing_p99_seconds",
            a.processing_p99_seconds.threshold,
            0.0001,
            10.0,
        ),
    ];
    for (name, value, min, max) in thresholds {
        if !(min..=max).contains(&value) {
            c.fail(
                &format!("observability.alerts.{name}.threshold"),
                format!("{value} is outside {min}..={max}"),
            );
        }
    }
}

fn check_functions(c: &mut Checker<'_>, spec: &EnvironmentSpec) {
    let contract_names: BTreeSet<&str> = FUNCTION_NAMES
        .iter()
        .filter_map(|f| platform_contract::env_contract(f))
        .flat_map(|vars| vars.iter().map(|v| v.name))
        .collect();
    for (name, f) in c.per_function("functions", &spec.functions, "settings") {
        let field = |leaf: &str| format!("functions.{name}.{leaf}");
        c.range(&field("memory_mb"), f.memory_mb.into(), 128, 10_240);
        c.range(&field("timeout_seconds"), f.timeout_seconds.into(), 1, 900);
        if !LOG_RETENTION_DAYS.contains(&f.log_retention_days) {
            c.fail(
                &field("log_retention_days"),
                format!(
                    "{} is not a CloudWatch retention period ({LOG_RETENTION_DAYS:?})",
                    f.log_retention_days
                ),
            );
        }
        if let Some(reserved) = f.reserved_concurrency {
            c.range(&field("reserved_concurrency"), reserved.into(), 1, 10_000);
            if f.provisioned_concurrency > reserved {
                c.fail(
                    &field("provisioned_concurrency"),
                    format!(
                        "{} is above reserved_concurrency {reserved}",
                        f.provisioned_concurrency
                    ),
                );
            }
        }
        for key in f.environment.keys() {
            let env_field = format!("functions.{name}.environment.{key}");
            let valid = key.starts_with(|ch: char| ch.is_ascii_uppercase() || ch == '_')
                && key
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_');
            if !valid {
                c.fail(
                    &env_field,
                    "variable names are upper-case letters, digits and '_'",
                );
            } else if key.starts_with("AWS_") {
                c.fail(
                    &env_field,
                    "AWS_* variables are reserved by the Lambda runtime",
                );
            } else if contract_names.contains(key.as_str()) {
                c.fail(&env_field, "this variable belongs to the platform's configuration contract and is set by infra-gen");
            }
        }
    }
}

fn check_table(c: &mut Checker<'_>, spec: &EnvironmentSpec) {
    let t = &spec.table;
    match t.billing_mode {
        BillingMode::PayPerRequest => {
            if t.read_capacity.is_some() || t.write_capacity.is_some() {
                c.fail(
                    "table.read_capacity",
                    "capacities apply only to billing_mode: provisioned",
                );
            }
        }
        BillingMode::Provisioned => {
            for (field, value) in [
                ("table.read_capacity", t.read_capacity),
                ("table.write_capacity", t.write_capacity),
            ] {
                match value {
                    Some(v) => c.range(field, v.into(), 1, 40_000),
                    None => c.fail(field, "required with billing_mode: provisioned"),
                }
            }
        }
    }
    if let Some(ttl) = &t.ttl_attribute {
        c.non_empty("table.ttl_attribute", ttl);
    }
}

const DAY_SECONDS: u64 = 24 * 3600;

fn check_consumer(c: &mut Checker<'_>, spec: &EnvironmentSpec, region: &str) {
    let k = &spec.consumer;
    if !is_dns_label(&k.namespace) {
        c.fail(
            "consumer.namespace",
            format!("`{}` is not a Kubernetes namespace name", k.namespace),
        );
    }
    c.non_empty("consumer.image_repository", &k.image_repository);
    c.non_empty("consumer.group_id", &k.group_id);
    c.range("consumer.replicas.min", k.replicas.min.into(), 1, 100);
    if k.replicas.max < k.replicas.min {
        c.fail(
            "consumer.replicas.max",
            format!(
                "{} is below replicas.min {}",
                k.replicas.max, k.replicas.min
            ),
        );
    }
    let ttl = platform_contract::CDC_TOMBSTONE_TTL_RANGE;
    c.range(
        "consumer.tombstone_ttl_days",
        k.tombstone_ttl_days.into(),
        ttl.start().div_ceil(DAY_SECONDS),
        ttl.end() / DAY_SECONDS,
    );
    c.range(
        "consumer.target_cpu_utilization",
        k.target_cpu_utilization.into(),
        1,
        100,
    );
    for (kind, compute) in [
        ("requests", &k.resources.requests),
        ("limits", &k.resources.limits),
    ] {
        if !is_cpu_quantity(&compute.cpu) {
            c.fail(
                &format!("consumer.resources.{kind}.cpu"),
                format!("`{}` is not a CPU quantity (e.g. 250m or 1)", compute.cpu),
            );
        }
        if !is_memory_quantity(&compute.memory) {
            c.fail(
                &format!("consumer.resources.{kind}.memory"),
                format!("`{}` is not a memory quantity (e.g. 128Mi)", compute.memory),
            );
        }
    }
    if k.topics.is_empty() {
        c.fail("consumer.topics", "list at least one topic");
    }
    let mut seen = BTreeSet::new();
    for (
        i,
        TopicSpec {
            topic,
            table,
            key_columns,
        },
    ) in k.topics.iter().enumerate()
    {
        let field = |leaf: &str| format!("consumer.topics[{i}].{leaf}");
        c.non_empty(&field("topic"), topic);
        c.non_empty(&field("table"), table);
        if !seen.insert(topic.as_str()) {
            c.fail(&field("topic"), format!("`{topic}` is listed twice"));
        }
        if key_columns.is_empty() {
            c.fail(&field("key_columns"), "list at least one key column");
        }
        for text in [topic, table].into_iter().chain(key_columns) {
            if text.contains([';', '=', ':', ',']) {
                c.fail(
                    &field("topic"),
                    format!("`{text}` must not contain ; = : or ,"),
                );
            }
        }
    }
    if k.kafka_bootstrap_servers.is_empty() {
        c.fail("consumer.kafka_bootstrap_servers", format!("no brokers for {region}: set region_overrides.{region}.consumer.kafka_bootstrap_servers"));
    }
    for (i, server) in k.kafka_bootstrap_servers.iter().enumerate() {
        let port_ok = server.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !port_ok {
            c.fail(
                &format!("consumer.kafka_bootstrap_servers[{i}]"),
                format!("`{server}` is not host:port"),
            );
        }
    }
    if k.eks_cluster_name.is_empty() {
        c.fail(
            "consumer.eks_cluster_name",
            format!("no EKS cluster for {region}: set region_overrides.{region}.consumer.eks_cluster_name"),
        );
    }
    let oidc = &k.eks_oidc_provider;
    if oidc.is_empty() {
        c.fail("consumer.eks_oidc_provider", format!("no EKS OIDC provider for {region}: set region_overrides.{region}.consumer.eks_oidc_provider"));
    } else if oidc.contains("://") || !oidc.contains(&format!(".{region}.")) {
        c.fail("consumer.eks_oidc_provider", format!("`{oidc}` must be the issuer host and path without scheme, in {region} (oidc.eks.{region}.amazonaws.com/id/...)"));
    }
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_cpu_quantity(s: &str) -> bool {
    let digits = s.strip_suffix('m').unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.parse::<f64>().is_ok_and(|v| v > 0.0)
}

fn is_memory_quantity(s: &str) -> bool {
    let digits = ["Ki", "Mi", "Gi", "Ti", "K", "M", "G", "T"]
        .iter()
        .find_map(|unit| s.strip_suffix(unit))
        .unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|v| v > 0)
}
