//! With `dns` (native: `platform/dns.rs`): the certificate, the shared and the regional custom
//! domains with their mappings, the Route 53 health check on the region's `/live`, and the two
//! records.
//!
//! All eight are `CfnResource`s, with the native engine's logical ids: the generated bindings
//! hold neither `aws_certificatemanager` nor `aws_route53_targets`, so the L2 `DomainName`
//! (which takes an ACM certificate) and `ARecord` with an API Gateway alias target cannot be
//! expressed, and Route 53 health checks have no L2 at all. The ids being fixed, the
//! references between them are plain `Ref`/`Fn::GetAtt`.

use aws_cdk_lib::aws_apigateway::RestApi;
use aws_cdk_lib::{CfnResource, CfnResourceProps, Stack, prelude::*};
use platform_contract::API_LIVENESS_PATH;
use serde_json::{Value, json};

use crate::platform::Names;
use crate::spec::{DnsRouting, RegionalSpec};

/// Route 53's HTTPS health-check port.
const HTTPS_PORT: u16 = 443;

pub fn dns(stack: &Stack, rs: &RegionalSpec, names: &Names, api: &RestApi) -> jsii::Result<()> {
    let Some(dns) = &rs.spec.dns else {
        return Ok(());
    };
    let regional = Names::regional_api_domain(&dns.record, &rs.region);
    let zone = &dns.hosted_zone_id;
    cfn(
        stack,
        "ApiCertificate",
        "AWS::CertificateManager::Certificate",
        json!({
            "DomainName": dns.record,
            "SubjectAlternativeNames": [regional],
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [
                { "DomainName": dns.record, "HostedZoneId": zone },
                { "DomainName": regional, "HostedZoneId": zone },
            ],
            "CertificateTransparencyLoggingPreference": "ENABLED",
        }),
    )?;
    let stage = api.deployment_stage()?.stage_name()?;
    for (id, name) in [("ApiDomain", &dns.record), ("ApiRegionalDomain", &regional)] {
        cfn(
            stack,
            id,
            "AWS::ApiGateway::DomainName",
            json!({
                "DomainName": name,
                "RegionalCertificateArn": { "Ref": "ApiCertificate" },
                "EndpointConfiguration": { "Types": ["REGIONAL"] },
                "SecurityPolicy": "TLS_1_2",
            }),
        )?;
        cfn(
            stack,
            &format!("{id}Mapping"),
            "AWS::ApiGateway::BasePathMapping",
            json!({
                "DomainName": { "Ref": id },
                "RestApiId": api.rest_api_id()?,
                "Stage": stage,
            }),
        )?;
    }
    cfn(
        stack,
        "ApiHealthCheck",
        "AWS::Route53::HealthCheck",
        json!({
            "HealthCheckConfig": {
                "Type": "HTTPS",
                "FullyQualifiedDomainName": regional,
                "Port": HTTPS_PORT,
                "ResourcePath": API_LIVENESS_PATH,
                "RequestInterval": dns.health_check.interval_seconds,
                "FailureThreshold": dns.health_check.failure_threshold,
                "EnableSNI": true,
            },
            "HealthCheckTags": [{ "Key": "Name", "Value": format!("{}-api-live", names.stack()) }],
        }),
    )?;
    let alias = |domain: &str| {
        json!({
            "DNSName": { "Fn::GetAtt": [domain, "RegionalDomainName"] },
            "HostedZoneId": { "Fn::GetAtt": [domain, "RegionalHostedZoneId"] },
            "EvaluateTargetHealth": false,
        })
    };
    let mut shared = json!({
        "HostedZoneId": zone,
        "Name": dns.record,
        "Type": "A",
        "AliasTarget": alias("ApiDomain"),
        "SetIdentifier": rs.region,
        "HealthCheckId": { "Ref": "ApiHealthCheck" },
    });
    match dns.routing {
        DnsRouting::Latency => shared["Region"] = json!(rs.region),
        DnsRouting::Failover => {
            let primary = dns.primary_region.as_deref() == Some(rs.region.as_str());
            shared["Failover"] = json!(if primary { "PRIMARY" } else { "SECONDARY" });
        }
    }
    cfn(stack, "ApiRecord", "AWS::Route53::RecordSet", shared)?;
    cfn(
        stack,
        "ApiRegionalRecord",
        "AWS::Route53::RecordSet",
        json!({
            "HostedZoneId": zone,
            "Name": regional,
            "Type": "A",
            "AliasTarget": alias("ApiRegionalDomain"),
        }),
    )?;
    Ok(())
}

/// A `CfnResource` with a fixed logical id (the native engine's).
pub fn cfn(stack: &Stack, id: &str, kind: &str, properties: Value) -> jsii::Result<CfnResource> {
    let Value::Object(properties) = properties else {
        unreachable!("resource properties are written as a JSON object")
    };
    let resource = CfnResource::new(
        stack,
        id,
        &CfnResourceProps {
            r#type: Some(kind.into()),
            properties: Some(properties.into_iter().collect()),
        },
    )?;
    resource.override_logical_id(id)?;
    Ok(resource)
}
