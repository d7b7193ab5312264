//! Each stack's CloudFormation and Terraform describe the same resources: every CloudFormation
//! resource has its Terraform counterpart under the snake_case of its logical id, Terraform adds
//! only the companion resources its provider splits out, and the functions' settings agree.

mod common;

use std::collections::BTreeSet;

use common::*;

/// The Terraform type of each CloudFormation type; `None` where the provider folds the
/// resource into another one (a Lambda version is the function's `publish`).
fn terraform_type(cfn: &str) -> Option<&'static str> {
    Some(match cfn {
        "AWS::KMS::Key" => "aws_kms_key",
        "AWS::KMS::Alias" => "aws_kms_alias",
        "AWS::SQS::Queue" => "aws_sqs_queue",
        "AWS::SQS::QueuePolicy" => "aws_sqs_queue_policy",
        "AWS::DynamoDB::Table" => "aws_dynamodb_table",
        "AWS::Events::EventBus" => "aws_cloudwatch_event_bus",
        "AWS::SecretsManager::Secret" => "aws_secretsmanager_secret",
        "AWS::SecretsManager::ResourcePolicy" => "aws_secretsmanager_secret_policy",
        "AWS::Logs::LogGroup" => "aws_cloudwatch_log_group",
        "AWS::IAM::Role" => "aws_iam_role",
        "AWS::Lambda::Function" => "aws_lambda_function",
        "AWS::Lambda::Version" => return None,
        "AWS::Lambda::Alias" => "aws_lambda_alias",
        "AWS::Lambda::EventSourceMapping" => "aws_lambda_event_source_mapping",
        "AWS::Events::Rule" => "aws_cloudwatch_event_rule",
        "AWS::Lambda::Permission" => "aws_lambda_permission",
        "AWS::ApiGateway::RestApi" => "aws_api_gateway_rest_api",
        "AWS::ApiGateway::Resource" => "aws_api_gateway_resource",
        "AWS::ApiGateway::Authorizer" => "aws_api_gateway_authorizer",
        "AWS::ApiGateway::Method" => "aws_api_gateway_method",
        "AWS::ApiGateway::Deployment" => "aws_api_gateway_deployment",
        "AWS::ApiGateway::Stage" => "aws_api_gateway_stage",
        "AWS::CloudWatch::Alarm" => "aws_cloudwatch_metric_alarm",
        "AWS::CertificateManager::Certificate" => "aws_acm_certificate",
        "AWS::ApiGateway::DomainName" => "aws_api_gateway_domain_name",
        "AWS::ApiGateway::BasePathMapping" => "aws_api_gateway_base_path_mapping",
        "AWS::Route53::HealthCheck" => "aws_route53_health_check",
        "AWS::Route53::RecordSet" => "aws_route53_record",
        "AWS::CloudWatch::Dashboard" => "aws_cloudwatch_dashboard",
        "AWS::ECR::Repository" => "aws_ecr_repository",
        other => panic!("no Terraform mapping for {other}"),
    })
}

/// Resources Terraform's AWS provider models separately from what CloudFormation holds inline.
const COMPANIONS: [&str; 7] = [
    "aws_ecr_lifecycle_policy",
    "aws_acm_certificate_validation",
    "aws_iam_role_policy",
    "aws_cloudwatch_event_target",
    "aws_api_gateway_integration",
    "aws_api_gateway_method_settings",
    "aws_lambda_provisioned_concurrency_config",
];

fn snake_case(id: &str) -> String {
    infra_gen::construct::LogicalId::from_path(&[id]).snake_case()
}

/// `(type, name)` of every `resource "type" "name" {` in a Terraform file.
fn terraform_resources(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("resource \""))
        .map(|rest| {
            let mut parts = rest.split('"');
            (
                parts.next().unwrap().to_string(),
                parts.nth(1).unwrap().to_string(),
            )
        })
        .collect()
}

/// The body of `resource "type" "name" { ... }` (up to the closing brace at column 0).
fn terraform_block<'a>(text: &'a str, kind: &str, name: &str) -> &'a str {
    let start = text
        .find(&format!("resource \"{kind}\" \"{name}\" {{"))
        .unwrap_or_else(|| panic!("{kind}.{name}"));
    let end = text[start..].find("\n}\n").unwrap();
    &text[start..start + end]
}

/// Every string in a JSON value, keys excluded.
fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[test]
fn cloudformation_and_terraform_describe_the_same_resources() {
    let out = synth_all();
    let (mut stacks, mut dashboards, mut dns_records) = (0, 0, 0);
    for template_path in files_matching(out.path(), |p| p.ends_with(".template.json")) {
        let unit = template_path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (env, region) = unit.split_once('-').unwrap();
        let template: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&template_path).unwrap()).unwrap();
        let main_tf =
            std::fs::read_to_string(out.path().join(format!("terraform/{env}/{region}/main.tf")))
                .unwrap();
        let tf = terraform_resources(&main_tf);

        let mut expected = BTreeSet::new();
        for (id, resource) in template["Resources"].as_object().unwrap() {
            if let Some(kind) = terraform_type(resource["Type"].as_str().unwrap()) {
                expected.insert((kind.to_string(), snake_case(id)));
            }
        }
        let missing: Vec<_> = expected.difference(&tf).collect();
        assert!(missing.is_empty(), "{unit}: Terraform lacks {missing:?}");
        // A certificate's DNS validation records are a companion too (CloudFormation writes
        // them from the certificate's DomainValidationOptions).
        let extra: Vec<_> = tf
            .difference(&expected)
            .filter(|(kind, name)| {
                let validation =
                    kind == "aws_route53_record" && name.ends_with("_certificate_validation");
                !COMPANIONS.contains(&kind.as_str()) && !validation
            })
            .collect();
        assert!(
            extra.is_empty(),
            "{unit}: Terraform has resources CloudFormation does not: {extra:?}"
        );

        for (id, resource) in template["Resources"].as_object().unwrap() {
            if resource["Type"] != "AWS::Lambda::Function" {
                continue;
            }
            let props = &resource["Properties"];
            let block = terraform_block(&main_tf, "aws_lambda_function", &snake_case(id));
            for (key, tf_key) in [("MemorySize", "memory_size"), ("Timeout", "timeout")] {
                let line = format!("{tf_key} = {}", props[key]);
                assert!(
                    block
                        .lines()
                        .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == line),
                    "{unit} {id}: no `{line}` in\n{block}"
                );
            }
            for var in props["Environment"]["Variables"]
                .as_object()
                .unwrap()
                .keys()
            {
                assert!(
                    block.contains(&format!("{var} ")),
                    "{unit} {id}: Terraform lacks environment variable {var}"
                );
            }
        }
        // The CloudWatch dashboard: the same name, and every string of CloudFormation's body
        // (metric, dimension value, title, query) in Terraform's `jsonencode` of it.
        for (id, resource) in template["Resources"].as_object().unwrap() {
            if resource["Type"] != "AWS::CloudWatch::Dashboard" {
                continue;
            }
            let props = &resource["Properties"];
            let block = terraform_block(&main_tf, "aws_cloudwatch_dashboard", &snake_case(id));
            assert!(
                block.contains(&format!("dashboard_name = {}", props["DashboardName"])),
                "{unit} {id}: the dashboard names differ"
            );
            let body: serde_json::Value =
                serde_json::from_str(props["DashboardBody"].as_str().unwrap()).unwrap();
            let mut strings = Vec::new();
            collect_strings(&body, &mut strings);
            assert!(strings.len() > 100, "{unit} {id}: a thin dashboard");
            for s in strings {
                let quoted = serde_json::Value::String(s.clone()).to_string();
                assert!(
                    block.contains(&quoted),
                    "{unit} {id}: Terraform's body lacks {quoted}"
                );
            }
            dashboards += 1;
        }
        dns_records += dns_agrees(&unit, &template, &main_tf);
        stacks += 1;
    }
    assert_eq!((stacks, dashboards), (6, 6));
    // prod sets `dns`: a shared and a regional record in each of its two regions.
    assert_eq!(dns_records, 4);
}

/// The records' names, routing and health checks, and the health checks' targets, agree;
/// returns the number of records compared.
fn dns_agrees(unit: &str, template: &serde_json::Value, main_tf: &str) -> usize {
    let squeeze = |block: &str| {
        block
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut records = 0;
    for (id, resource) in template["Resources"].as_object().unwrap() {
        let props = &resource["Properties"];
        match resource["Type"].as_str().unwrap() {
            "AWS::Route53::RecordSet" => {
                let block = squeeze(terraform_block(
                    main_tf,
                    "aws_route53_record",
                    &snake_case(id),
                ));
                let mut lines = vec![format!("name = {}", props["Name"])];
                if let Some(set) = props.get("SetIdentifier") {
                    lines.push(format!("set_identifier = {set}"));
                }
                if let Some(region) = props.get("Region") {
                    lines.push(format!("latency_routing_policy {{\nregion = {region}\n}}"));
                }
                if let Some(failover) = props.get("Failover") {
                    lines.push(format!("failover_routing_policy {{\ntype = {failover}\n}}"));
                }
                match props.get("HealthCheckId") {
                    Some(check) => lines.push(format!(
                        "health_check_id = aws_route53_health_check.{}.id",
                        snake_case(check["Ref"].as_str().unwrap())
                    )),
                    None => assert!(!block.contains("health_check_id"), "{unit} {id}"),
                }
                for line in lines {
                    assert!(
                        block.contains(&line),
                        "{unit} {id}: no `{line}` in\n{block}"
                    );
                }
                records += 1;
            }
            "AWS::Route53::HealthCheck" => {
                let block = squeeze(terraform_block(
                    main_tf,
                    "aws_route53_health_check",
                    &snake_case(id),
                ));
                let config = &props["HealthCheckConfig"];
                for (key, tf_key) in [
                    ("Type", "type"),
                    ("FullyQualifiedDomainName", "fqdn"),
                    ("ResourcePath", "resource_path"),
                    ("RequestInterval", "request_interval"),
                    ("FailureThreshold", "failure_threshold"),
                    ("EnableSNI", "enable_sni"),
                ] {
                    let line = format!("{tf_key} = {}", config[key]);
                    assert!(
                        block.contains(&line),
                        "{unit} {id}: no `{line}` in\n{block}"
                    );
                }
            }
            _ => {}
        }
    }
    records
}
