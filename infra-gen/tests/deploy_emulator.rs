//! Every synthesised template deploys to the local AWS API emulator's CloudFormation and the
//! resources it creates carry the spec's settings, for the resource types the emulator
//! implements (it skips alarms, queue and secret policies, secrets and API Gateway
//! authorizers, and ignores PITR, SSE and architectures: those are covered by cfn-lint and
//! checkov instead). With `dns`, it also skips ACM certificates and API Gateway custom domains
//! and base path mappings without a word; `emulator/deploy.py` takes them out, and the test
//! asserts what it does create: the Route 53 health check and records.

mod common;

use std::process::Command;

use common::*;
use infra_gen::spec;
use serde_json::Value;

fn deploy(endpoint: &str, template: &std::path::Path, stack: &str, region: &str) -> Value {
    let python = test_support::tool("python-aws").expect("the emulator's venv");
    let script = repo_root().join("infra-gen/tests/emulator/deploy.py");
    let out = Command::new(python)
        .arg(script)
        .args([endpoint, region, stack])
        .arg(template)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "deploy.py {stack}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_stack_deploys_with_the_specs_settings() {
    let Some(endpoint) = test_support::aws_endpoint() else {
        return;
    };
    let out = synth_all();
    let envs = spec::load_dir(&repo_root().join("environments")).unwrap();
    let mut deployed = 0;
    for env in &envs {
        for rs in &env.regions {
            let stack = format!("infra-gen-{}-{}", rs.env, rs.region);
            let template = out.path().join(format!(
                "cloudformation/{}-{}/{stack}.template.json",
                rs.env, rs.region
            ));
            let report = deploy(&endpoint, &template, &stack, &rs.region);
            assert_eq!(
                report["status"], "CREATE_COMPLETE",
                "{stack}: {}",
                report["reason"]
            );
            check_settings(&report, rs);
            check_dns(&report, rs);
            deployed += 1;
        }
    }
    assert_eq!(deployed, 6);
}

fn check_settings(report: &Value, rs: &spec::RegionalSpec) {
    let (env, spec) = (rs.env.as_str(), &rs.spec);
    let events_table = &report["tables"][format!("infra-gen-{env}-events")];
    assert_eq!(
        events_table["keys"],
        serde_json::json!([["pk", "HASH"], ["sk", "RANGE"]])
    );
    assert_eq!(events_table["stream"], "NEW_AND_OLD_IMAGES");
    assert_eq!(events_table["billing"], "PAY_PER_REQUEST");
    assert_eq!(
        report["tables"][format!("infra-gen-{env}-cdc-state")]["keys"],
        serde_json::json!([["pk", "HASH"]])
    );

    for queue in ["stream-failures", "events-dlq", "cdc-dlq"] {
        let q = &report["queues"][format!("infra-gen-{env}-{queue}")];
        assert_eq!(q["retention"], "1209600", "{queue}");
        assert!(
            q["kms"].as_str().is_some_and(|k| k.contains(":key/")),
            "{queue} is not KMS-encrypted: {q}"
        );
    }
    assert!(
        report["buses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == format!("infra-gen-{env}").as_str())
    );
    let transform = &report["rules"][format!("infra-gen-{env}-transform")];
    assert_eq!(
        transform["pattern"]["detail-type"],
        serde_json::json!(spec.routing.detail_types)
    );
    let forward = &report["rules"][format!("infra-gen-{env}-forward-to-{}", rs.peer_region)];
    assert_eq!(
        forward["targets"][0],
        format!(
            "arn:aws:events:{}:{}:event-bus/infra-gen-{env}",
            rs.peer_region, spec.account
        )
    );
    assert_eq!(
        report["rules"][format!("infra-gen-{env}-health-schedule")]["schedule"],
        spec.health.schedule.as_str()
    );

    for (name, settings) in &spec.functions {
        let f = &report["functions"][format!("infra-gen-{env}-{name}")];
        assert_eq!(f["memory"], settings.memory_mb, "{name}");
        assert_eq!(f["timeout"], settings.timeout_seconds, "{name}");
        assert_eq!(f["runtime"], "provided.al2023");
        assert_eq!(
            f["reserved"].as_u64(),
            settings.reserved_concurrency.map(u64::from),
            "{name}"
        );
        assert_eq!(f["environment"]["STAGE"], env);
        assert!(
            f["role"]
                .as_str()
                .unwrap()
                .ends_with(&format!("role/infra-gen-{env}-{}-{name}", rs.region))
        );
    }
    let router_env = &report["functions"][format!("infra-gen-{env}-event-router")]["environment"];
    assert_eq!(router_env["PEER_EVENT_BUS_ARN"], forward["targets"][0]);
    assert_eq!(router_env["EVENT_BUS_NAME"], format!("infra-gen-{env}"));

    // Least privilege: no role may use a `*` action, and only X-Ray may use a `*` resource.
    for (role, body) in report["roles"].as_object().unwrap() {
        if !role.starts_with(&format!("infra-gen-{env}-{}", rs.region)) {
            continue;
        }
        for policy in body["policies"].as_object().unwrap().values() {
            let text = policy.to_string();
            assert!(
                !text.contains("'Action': '*'") && !text.contains(":*'"),
                "{role} has a wildcard action: {text}"
            );
        }
    }
    let consumer = &report["roles"][format!("infra-gen-{env}-{}-cdc-consumer", rs.region)];
    let trust = consumer["trust"]["Statement"][0].clone();
    assert_eq!(trust["Action"], "sts:AssumeRoleWithWebIdentity");
    assert!(
        trust["Principal"]["Federated"]
            .as_str()
            .unwrap()
            .ends_with(&spec.consumer.eks_oidc_provider)
    );
}

/// With `dns`: moto skips the certificate, the custom domains and their mappings (deploy.py
/// takes them out, see there); the health check and both records are created as the spec says.
fn check_dns(report: &Value, rs: &spec::RegionalSpec) {
    let skipped = report["skipped"].as_object().unwrap();
    let Some(dns) = &rs.spec.dns else {
        assert!(skipped.is_empty(), "{skipped:?}");
        assert!(report["records"].as_object().unwrap().is_empty());
        return;
    };
    let mut types: Vec<&str> = skipped.values().map(|t| t.as_str().unwrap()).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "AWS::ApiGateway::BasePathMapping",
            "AWS::ApiGateway::BasePathMapping",
            "AWS::ApiGateway::DomainName",
            "AWS::ApiGateway::DomainName",
            "AWS::CertificateManager::Certificate",
        ]
    );
    let regional = infra_gen::platform::Names::regional_api_domain(&dns.record, &rs.region);
    let checks = report["health_checks"].as_object().unwrap();
    assert_eq!(checks.len(), 1, "{checks:?}");
    let (check_id, config) = checks.iter().next().unwrap();
    assert_eq!(config["Type"], "HTTPS");
    assert_eq!(config["FullyQualifiedDomainName"], regional.as_str());
    assert_eq!(config["ResourcePath"], platform_contract::API_LIVENESS_PATH);
    assert_eq!(config["RequestInterval"], dns.health_check.interval_seconds);
    assert_eq!(
        config["FailureThreshold"],
        dns.health_check.failure_threshold
    );

    let records = report["records"].as_object().unwrap();
    let shared = &records[&format!("{} {}", dns.record, rs.region)];
    assert_eq!(shared["SetIdentifier"], rs.region.as_str());
    assert_eq!(shared["HealthCheckId"], check_id.as_str());
    match dns.routing {
        spec::DnsRouting::Latency => assert_eq!(shared["Region"], rs.region.as_str()),
        spec::DnsRouting::Failover => {
            let primary = dns.primary_region.as_deref() == Some(rs.region.as_str());
            assert_eq!(
                shared["Failover"],
                if primary { "PRIMARY" } else { "SECONDARY" }
            );
        }
    }
    let own = &records[&regional];
    assert!(own.get("HealthCheckId").is_none() && own.get("SetIdentifier").is_none());
    assert_eq!(records.len(), 2, "{records:?}");

    // Each region's health-checker calls the other region's liveness route by its own name.
    let checker = &report["functions"][format!("infra-gen-{}-health-checker", rs.env)];
    assert_eq!(
        checker["environment"]["PEER_HEALTH_URL"],
        format!(
            "https://{}/live",
            infra_gen::platform::Names::regional_api_domain(&dns.record, &rs.peer_region)
        )
    );
}
