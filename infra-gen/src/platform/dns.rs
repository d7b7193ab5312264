//! One name for the API across both regions (`dns` in the spec): per region, a DNS-validated
//! ACM certificate for the shared name and the region's own name, a regional API Gateway
//! custom domain for each name (TLS 1.2) mapped to the stage, a Route 53 health check on the
//! region's liveness route, and the alias records.
//!
//! The shared record (`dns.record`) is a latency or failover record with set identifier =
//! region and the health check attached, so Route 53 stops answering with a region whose
//! liveness route fails. The region-specific record (`<first label>-<region>.<rest>`) is a
//! simple alias: it always names that region, so the peer's health-checker and the health
//! check itself reach exactly this region, which the shared name cannot promise.

use super::Names;
use super::api::{Api, ApiStageHandle};
use crate::construct::*;
use crate::spec::{DnsRouting, DnsSpec, RegionalSpec};
use platform_contract::API_LIVENESS_PATH;

/// The DNS resources of this region; nothing when the environment has no `dns`.
pub fn dns(
    stack: &mut Stack,
    rs: &RegionalSpec,
    names: &Names,
    api: &Api,
    stage: &ApiStageHandle,
) -> Result<(), ConstructError> {
    let Some(dns) = &rs.spec.dns else {
        return Ok(());
    };
    let regional = Names::regional_api_domain(&dns.record, &rs.region);
    let certificate = stack.add(
        &["Api", "Certificate"],
        ResourceKind::Certificate(Certificate {
            domain: dns.record.clone(),
            alternative_names: vec![regional.clone()],
            hosted_zone_id: dns.hosted_zone_id.clone(),
        }),
        false,
    )?;
    let mut domain = |path: &str, name: &str| -> Result<LogicalId, ConstructError> {
        let domain = stack.add(
            &["Api", path],
            ResourceKind::ApiDomain(ApiDomain {
                name: name.to_string(),
                certificate: certificate.clone(),
            }),
            false,
        )?;
        stack.add(
            &["Api", path, "Mapping"],
            ResourceKind::ApiBasePathMapping(ApiBasePathMapping {
                domain: domain.clone(),
                api: api.id.clone(),
                stage: stage.id.clone(),
            }),
            false,
        )?;
        Ok(domain)
    };
    let shared_domain = domain("Domain", &dns.record)?;
    let regional_domain = domain("RegionalDomain", &regional)?;
    let health_check = stack.add(
        &["Api", "HealthCheck"],
        ResourceKind::HealthCheck(HealthCheck {
            name: format!("{}-api-live", names.stack()),
            fqdn: regional.clone(),
            path: API_LIVENESS_PATH.into(),
            interval_seconds: dns.health_check.interval_seconds,
            failure_threshold: dns.health_check.failure_threshold,
        }),
        false,
    )?;
    stack.add(
        &["Api", "Record"],
        ResourceKind::DnsRecord(DnsRecord {
            hosted_zone_id: dns.hosted_zone_id.clone(),
            name: dns.record.clone(),
            target: shared_domain,
            routing: routing(dns, &rs.region),
            health_check: Some(health_check),
        }),
        false,
    )?;
    stack.add(
        &["Api", "RegionalRecord"],
        ResourceKind::DnsRecord(DnsRecord {
            hosted_zone_id: dns.hosted_zone_id.clone(),
            name: regional,
            target: regional_domain,
            routing: RecordRouting::Simple,
            health_check: None,
        }),
        false,
    )?;
    Ok(())
}

/// The shared record's routing in `region`.
fn routing(dns: &DnsSpec, region: &str) -> RecordRouting {
    let set_identifier = region.to_string();
    match dns.routing {
        DnsRouting::Latency => RecordRouting::Latency {
            set_identifier,
            region: region.to_string(),
        },
        DnsRouting::Failover => RecordRouting::Failover {
            set_identifier,
            primary: dns.primary_region.as_deref() == Some(region),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::assets::SourceHashes;
    use crate::construct::*;
    use crate::platform::build_stack;
    use crate::spec::{DnsRouting, RegionalSpec, SourceFile, resolve};

    fn prod(edit: impl Fn(&str) -> String) -> Vec<RegionalSpec> {
        let file = |name: &str, text: &str| SourceFile {
            display_path: format!("environments/{name}"),
            text: text.to_string(),
        };
        let envs = resolve(
            &file(
                "defaults.yaml",
                include_str!("../../../environments/defaults.yaml"),
            ),
            &[file(
                "prod.yaml",
                &edit(include_str!("../../../environments/prod.yaml")),
            )],
        )
        .unwrap();
        envs[0].regions.clone()
    }

    fn records(rs: &RegionalSpec) -> Vec<DnsRecord> {
        build_stack(rs, &SourceHashes::default())
            .unwrap()
            .resources
            .into_iter()
            .filter_map(|r| match r.kind {
                ResourceKind::DnsRecord(record) => Some(record),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn latency_routing_answers_with_every_healthy_region() {
        for rs in prod(str::to_string) {
            assert_eq!(rs.spec.dns.as_ref().unwrap().routing, DnsRouting::Latency);
            let records = records(&rs);
            assert_eq!(records.len(), 2);
            let (shared, own) = (&records[0], &records[1]);
            assert_eq!(shared.name, "api.example.com");
            assert_eq!(
                shared.routing,
                RecordRouting::Latency {
                    set_identifier: rs.region.clone(),
                    region: rs.region.clone()
                }
            );
            assert!(shared.health_check.is_some());
            assert_eq!(own.name, format!("api-{}.example.com", rs.region));
            assert_eq!(own.routing, RecordRouting::Simple);
            assert_eq!(own.health_check, None);
        }
    }

    #[test]
    fn failover_routing_has_one_primary_and_one_secondary() {
        let regions = prod(|text| {
            text.replace(
                "  routing: latency\n",
                "  routing: failover\n  primary_region: us-east-1\n",
            )
        });
        let mut primaries = Vec::new();
        for rs in &regions {
            let shared = records(rs).remove(0);
            let RecordRouting::Failover {
                set_identifier,
                primary,
            } = shared.routing
            else {
                panic!("{:?}", shared.routing);
            };
            assert_eq!(set_identifier, rs.region);
            assert!(shared.health_check.is_some());
            if primary {
                primaries.push(rs.region.clone());
            }
        }
        assert_eq!(primaries, ["us-east-1"]);
    }

    #[test]
    fn the_health_check_probes_this_regions_own_name_and_the_peer_url_names_the_peer() {
        for rs in prod(str::to_string) {
            let stack = build_stack(&rs, &SourceHashes::default()).unwrap();
            let check = stack
                .resources
                .iter()
                .find_map(|r| match &r.kind {
                    ResourceKind::HealthCheck(h) => Some(h.clone()),
                    _ => None,
                })
                .unwrap();
            assert_eq!(check.fqdn, format!("api-{}.example.com", rs.region));
            assert_eq!(check.path, "/live");
            let peer_url = stack
                .resources
                .iter()
                .find_map(|r| match &r.kind {
                    ResourceKind::Function(f) if f.name.ends_with("health-checker") => f
                        .environment
                        .iter()
                        .find(|(k, _)| k == platform_contract::PEER_HEALTH_URL)
                        .map(|(_, v)| v.clone()),
                    _ => None,
                })
                .unwrap();
            assert_eq!(
                peer_url,
                Value::str(format!("https://api-{}.example.com/live", rs.peer_region))
            );
        }
    }

    #[test]
    fn without_dns_there_is_no_dns_resource_and_only_liveness_is_open() {
        let regions = prod(|text| {
            let start = text.find("# One name for both regions").unwrap();
            let end = text.find("delivery:").unwrap();
            format!("{}{}", &text[..start], &text[end..])
        });
        for rs in &regions {
            let stack = build_stack(rs, &SourceHashes::default()).unwrap();
            for r in &stack.resources {
                assert!(
                    !matches!(
                        &r.kind,
                        ResourceKind::Certificate(_)
                            | ResourceKind::ApiDomain(_)
                            | ResourceKind::ApiBasePathMapping(_)
                            | ResourceKind::HealthCheck(_)
                            | ResourceKind::DnsRecord(_)
                    ),
                    "{}",
                    r.id
                );
                // `/live` is open in every environment: the peer region's health-checker
                // calls it without a token. Nothing else is.
                if let ResourceKind::ApiMethod(m) = &r.kind {
                    assert_eq!(
                        m.authorizer.is_none(),
                        r.id.as_str() == "ApiLiveGET",
                        "{}",
                        r.id
                    );
                }
            }
        }
    }
}
