//! Spec resolution against the real spec files, and one test per class of bad spec: each must
//! name the file, the line and the field.

use super::*;

const DEFAULTS: &str = include_str!("../../../environments/defaults.yaml");
const DEV: &str = include_str!("../../../environments/dev.yaml");
const PROD: &str = include_str!("../../../environments/prod.yaml");

fn source(path: &str, text: &str) -> SourceFile {
    SourceFile {
        display_path: path.to_string(),
        text: text.to_string(),
    }
}

fn resolve_with(defaults: &str, env: &str) -> Result<Vec<Environment>, SpecErrors> {
    resolve(
        &source("environments/defaults.yaml", defaults),
        &[source("environments/prod.yaml", env)],
    )
}

/// The single error of a bad spec, checked to name the expected file, line and field.
fn expect_error(defaults: &str, env: &str, file: &str, field: &str, needle: &str) -> SpecError {
    let errors = resolve_with(defaults, env)
        .expect_err("the spec should be rejected")
        .0;
    let error = errors
        .iter()
        .find(|e| e.field == field)
        .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
        .clone();
    assert_eq!(error.file, file, "{error}");
    assert!(error.line > 0, "{error}");
    assert!(
        error.to_string().contains(needle),
        "`{error}` lacks `{needle}`"
    );
    error
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).expect(needle) as u64 + 1
}

#[test]
fn real_specs_layer_defaults_environment_and_region() {
    let envs = resolve_with(DEFAULTS, PROD).unwrap();
    let prod = &envs[0];
    assert_eq!(prod.name, "prod");
    let west = &prod.regions[0];
    let east = &prod.regions[1];
    assert_eq!(
        (west.region.as_str(), west.peer_region.as_str()),
        ("us-west-2", "us-east-1")
    );
    assert_eq!(
        (east.region.as_str(), east.peer_region.as_str()),
        ("us-east-1", "us-west-2")
    );
    // Environment overrides one leaf and keeps the defaults' siblings.
    let router = &west.spec.functions["event-router"];
    assert_eq!(
        (
            router.memory_mb,
            router.timeout_seconds,
            router.provisioned_concurrency
        ),
        (1024, 30, 10)
    );
    // Region overrides win in their region only.
    assert_eq!(west.spec.stream.batch_size, 500);
    assert_eq!(east.spec.stream.batch_size, 250);
    assert!(east.spec.consumer.eks_oidc_provider.contains("us-east-1"));
}

#[test]
fn unknown_keys_name_their_line() {
    let env = PROD.replace(
        "consumer:\n  replicas:",
        "consumer:\n  replicaz: 3\n  replicas:",
    );
    let e = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "consumer.replicaz",
        "unknown field",
    );
    assert_eq!(e.line, line_of(&env, "replicaz"));
}

#[test]
fn memory_out_of_range_names_the_environment_file() {
    let env = PROD.replace(
        "event-router: {memory_mb: 1024",
        "event-router: {memory_mb: 20000",
    );
    let e = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "functions.event-router.memory_mb",
        "outside 128..=10240",
    );
    assert_eq!(e.line, line_of(&env, "memory_mb: 20000"));
}

#[test]
fn a_bad_default_names_the_defaults_file() {
    let defaults = DEFAULTS.replacen("timeout_seconds: 10", "timeout_seconds: 901", 1);
    let e = expect_error(
        &defaults,
        PROD,
        "environments/defaults.yaml",
        "functions.health-checker.timeout_seconds",
        "outside 1..=900",
    );
    assert_eq!(e.line, line_of(&defaults, "timeout_seconds: 901"));
}

#[test]
fn account_must_be_twelve_digits() {
    let env = PROD.replace("\"333333333333\"", "\"33333\"");
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "account",
        "12-digit",
    );
}

#[test]
fn an_unquoted_account_is_a_type_error_at_its_line() {
    let env = PROD.replace("\"333333333333\"", "333333333333");
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "account",
        "expected a string",
    );
}

#[test]
fn invalid_region_is_rejected() {
    let env = format!("regions: [us-west-2, us-moon-1]\n{PROD}")
        .replace("  us-east-1:\n    stream:", "  us-moon-1:\n    stream:");
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "regions[1]",
        "not a known AWS region",
    );
}

#[test]
fn provisioned_above_reserved_is_rejected() {
    let env = PROD.replace(
        "reserved_concurrency: 200, provisioned_concurrency: 10",
        "reserved_concurrency: 5, provisioned_concurrency: 10",
    );
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "functions.event-router.provisioned_concurrency",
        "above reserved_concurrency 5",
    );
}

#[test]
fn override_for_an_undeployed_region_is_rejected() {
    let env = PROD.replace("  us-east-1:\n    stream:", "  eu-west-1:\n    stream:");
    let e = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "region_overrides.eu-west-1",
        "not one of this environment's regions",
    );
    assert_eq!(e.line, line_of(&env, "    stream:"));
}

#[test]
fn environment_wide_keys_cannot_vary_by_region() {
    let env = PROD.replace(
        "  us-east-1:\n    stream:",
        "  us-east-1:\n    account: \"444444444444\"\n    stream:",
    );
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "region_overrides.us-east-1.account",
        "environment-wide",
    );
}

#[test]
fn contract_variables_cannot_be_overridden() {
    let env = PROD.replace(
        "  health-checker: {log_retention_days: 365}",
        "  health-checker: {log_retention_days: 365, environment: {EVENT_BUS_NAME: x}}",
    );
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "functions.health-checker.environment.EVENT_BUS_NAME",
        "configuration contract",
    );
}

#[test]
fn a_tombstone_ttl_outside_the_consumers_range_is_rejected() {
    for days in [0, 367] {
        let env = PROD.replace(
            "  publish_cdc_events: true",
            &format!("  publish_cdc_events: true\n  tombstone_ttl_days: {days}"),
        );
        expect_error(
            DEFAULTS,
            &env,
            "environments/prod.yaml",
            "consumer.tombstone_ttl_days",
            "outside 1..=366",
        );
    }
}

#[test]
fn missing_per_region_settings_say_where_to_put_them() {
    let env = PROD.replace("      eks_oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/PR0D000000000000000000000000USE1\n", "");
    expect_error(
        DEFAULTS,
        &env,
        "environments/defaults.yaml",
        "consumer.eks_oidc_provider",
        "region_overrides.us-east-1",
    );
}

#[test]
fn yaml_syntax_errors_carry_the_position() {
    let env = PROD.replace("stream:\n  batch_size: 500", "stream:\n  batch_size: [500");
    let errors = resolve_with(DEFAULTS, &env).unwrap_err().0;
    assert_eq!(errors[0].file, "environments/prod.yaml");
    assert!(
        errors[0].line >= line_of(&env, "batch_size: [500"),
        "{errors:?}"
    );
}

#[test]
fn bad_environment_file_names_are_rejected() {
    let errors = resolve(
        &source("environments/defaults.yaml", DEFAULTS),
        &[source("environments/Prod_1.yaml", PROD)],
    )
    .unwrap_err();
    assert!(
        errors.to_string().contains("environments/Prod_1.yaml:1:1"),
        "{errors}"
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let env = PROD
        .replace(
            "event-router: {memory_mb: 1024",
            "event-router: {memory_mb: 64",
        )
        .replace("throttle_burst_limit: 2000", "throttle_burst_limit: 0");
    let errors = resolve_with(DEFAULTS, &env).unwrap_err().0;
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"functions.event-router.memory_mb")
            && fields.contains(&"api.throttle_burst_limit"),
        "{fields:?}"
    );
}

#[test]
fn dev_resolves_too() {
    let envs = resolve(
        &source("environments/defaults.yaml", DEFAULTS),
        &[source("environments/dev.yaml", DEV)],
    )
    .unwrap();
    assert_eq!(envs[0].spec().removal_policy, RemovalPolicy::Destroy);
}

#[test]
fn observability_thresholds_are_checked_with_their_line() {
    let env = format!(
        "{PROD}observability:\n  alerts:\n    lag_seconds: {{threshold: 0, for_minutes: 5}}\n    not_ready: {{for_minutes: 2000}}\n  runbook_base_url: http://wiki/runbooks\n"
    );
    let e = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "observability.alerts.lag_seconds.threshold",
        "0 is outside 1..=604800",
    );
    assert_eq!(e.line, line_of(&env, "lag_seconds: {threshold: 0"));
    let e = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "observability.alerts.not_ready.for_minutes",
        "2000 is outside 0..=1440",
    );
    assert_eq!(e.line, line_of(&env, "not_ready: {for_minutes: 2000}"));
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "observability.runbook_base_url",
        "must be an https:// URL ending in `/`",
    );
}

#[test]
fn observability_cannot_vary_by_region() {
    let env = PROD.replace(
        "  us-east-1:\n",
        "  us-east-1:\n    observability:\n      prometheus_operator: true\n",
    );
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "region_overrides.us-east-1.observability",
        "environment-wide",
    );
}

#[test]
fn dns_defaults_to_latency_routing_and_a_30_second_check() {
    let env = PROD.replace(
        "  routing: latency\n  health_check: {interval_seconds: 30, failure_threshold: 3}\n",
        "",
    );
    let envs = resolve_with(DEFAULTS, &env).unwrap();
    let dns = envs[0].regions[0].spec.dns.clone().unwrap();
    assert_eq!(dns.routing, DnsRouting::Latency);
    assert_eq!(dns.primary_region, None);
    assert_eq!(dns.health_check, DnsHealthCheckSpec::default());
    assert_eq!(
        (
            dns.health_check.interval_seconds,
            dns.health_check.failure_threshold
        ),
        (30, 3)
    );
}

#[test]
fn failover_routing_needs_one_of_the_environments_regions_as_primary() {
    let failover = PROD.replace("  routing: latency\n", "  routing: failover\n");
    let error = expect_error(
        DEFAULTS,
        &failover,
        "environments/prod.yaml",
        "dns.primary_region",
        "needs the primary region",
    );
    // Reported at the `dns` block (where its mapping starts), the parent of the missing key.
    assert_eq!(error.line, line_of(&failover, "hosted_zone_id"));
    let elsewhere = PROD.replace(
        "  routing: latency\n",
        "  routing: failover\n  primary_region: eu-west-1\n",
    );
    let error = expect_error(
        DEFAULTS,
        &elsewhere,
        "environments/prod.yaml",
        "dns.primary_region",
        "not one of this environment's regions",
    );
    assert_eq!(error.line, line_of(&elsewhere, "primary_region"));
    let ok = PROD.replace(
        "  routing: latency\n",
        "  routing: failover\n  primary_region: us-east-1\n",
    );
    let envs = resolve_with(DEFAULTS, &ok).unwrap();
    assert_eq!(
        envs[0].regions[0].spec.dns.as_ref().unwrap().routing,
        DnsRouting::Failover
    );
}

#[test]
fn latency_routing_has_no_primary_region() {
    let env = PROD.replace(
        "  routing: latency\n",
        "  routing: latency\n  primary_region: us-west-2\n",
    );
    let error = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "dns.primary_region",
        "active/active",
    );
    assert_eq!(error.line, line_of(&env, "primary_region"));
}

#[test]
fn dns_names_zone_and_health_check_are_checked_with_their_line() {
    for (from, to, field, needle) in [
        (
            "record: api.example.com",
            "record: api.example.org",
            "dns.record",
            "must be a subdomain of the zone",
        ),
        (
            "record: api.example.com",
            "record: example.com",
            "dns.record",
            "not its apex",
        ),
        (
            "record: api.example.com",
            "record: Api.example.com.",
            "dns.record",
            "not a lowercase domain name",
        ),
        (
            "zone: example.com",
            "zone: localhost",
            "dns.zone",
            "not a lowercase domain name",
        ),
        (
            "hosted_zone_id: Z0333333333EXAMPLEPROD",
            "hosted_zone_id: example.com",
            "dns.hosted_zone_id",
            "not a Route 53 hosted zone id",
        ),
        (
            "routing: latency",
            "routing: weighted",
            "dns.routing",
            "weighted",
        ),
    ] {
        let env = PROD.replace(from, to);
        let error = expect_error(DEFAULTS, &env, "environments/prod.yaml", field, needle);
        assert_eq!(error.line, line_of(&env, to), "{error}");
    }
    let env = PROD.replace(
        "interval_seconds: 30, failure_threshold: 3",
        "interval_seconds: 20, failure_threshold: 11",
    );
    for (field, needle) in [
        ("dns.health_check.interval_seconds", "must be 10 or 30"),
        ("dns.health_check.failure_threshold", "outside 1..=10"),
    ] {
        let error = expect_error(DEFAULTS, &env, "environments/prod.yaml", field, needle);
        assert_eq!(error.line, line_of(&env, "interval_seconds: 20"));
    }
}

#[test]
fn a_typed_peer_url_must_be_the_open_liveness_route() {
    // The defect this guards against: `/health` needs a token the health-checker never holds.
    let env = DEV.replacen("/dev/live", "/dev/health", 1);
    let error = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml", // the name `resolve_with` gives the environment's text
        "health.peer_health_url",
        "open `/live` route",
    );
    assert_eq!(error.line, line_of(&env, "/dev/health"));
}

#[test]
fn with_dns_the_peer_url_is_derived_not_typed() {
    let env = PROD.replace(
        "  us-east-1:\n    stream:",
        "  us-east-1:\n    health:\n      peer_health_url: https://api-us-west-2.example.com/prod/live\n    stream:",
    );
    let error = expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "health.peer_health_url",
        "derived from `dns.record`",
    );
    assert_eq!(error.line, line_of(&env, "peer_health_url"));
}

#[test]
fn dns_cannot_vary_by_region() {
    let env = PROD.replace(
        "  us-east-1:\n    stream:",
        "  us-east-1:\n    dns: {routing: failover}\n    stream:",
    );
    expect_error(
        DEFAULTS,
        &env,
        "environments/prod.yaml",
        "region_overrides.us-east-1.dns",
        "environment-wide",
    );
}
