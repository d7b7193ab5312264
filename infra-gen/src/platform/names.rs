//! The deterministic names of one environment's resources in one region: the one place that
//! spells them, shared by the constructs and by the renderers that need a name before
//! deployment (Kustomize, workflows, release manifests).

use super::PREFIX;
use crate::spec::RegionalSpec;

/// The names of one environment's resources in one region.
#[derive(Debug, Clone)]
pub struct Names {
    pub env: String,
    pub region: String,
    pub account: String,
}

impl Names {
    pub fn new(spec: &RegionalSpec) -> Names {
        Names {
            env: spec.env.clone(),
            region: spec.region.clone(),
            account: spec.spec.account.clone(),
        }
    }
    pub fn stack(&self) -> String {
        format!("{PREFIX}-{}-{}", self.env, self.region)
    }
    pub fn scoped(&self, suffix: &str) -> String {
        format!("{PREFIX}-{}-{suffix}", self.env)
    }
    pub fn bus(&self) -> String {
        format!("{PREFIX}-{}", self.env)
    }
    pub fn bus_arn_in(&self, region: &str) -> String {
        format!(
            "arn:aws:events:{region}:{}:event-bus/{}",
            self.account,
            self.bus()
        )
    }
    pub fn function(&self, function: &str) -> String {
        self.scoped(function)
    }
    /// IAM is global: role names carry the region.
    pub fn role(&self, what: &str) -> String {
        format!("{PREFIX}-{}-{}-{what}", self.env, self.region)
    }
    pub fn role_arn(&self, what: &str) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account, self.role(what))
    }
    pub fn queue_url(&self, queue: &str) -> String {
        format!(
            "https://sqs.{}.amazonaws.com/{}/{}",
            self.region,
            self.account,
            self.scoped(queue)
        )
    }
    /// Dashboards are global to the account: the name carries the region.
    pub fn dashboard(&self) -> String {
        format!("{PREFIX}-{}-{}-functions", self.env, self.region)
    }
    /// The API's region-specific name: the shared record with `-<region>` appended to its
    /// first label (`api.example.com` -> `api-us-west-2.example.com`), a sibling in the same
    /// zone.
    pub fn regional_api_domain(record: &str, region: &str) -> String {
        match record.split_once('.') {
            Some((first, rest)) => format!("{first}-{region}.{rest}"),
            None => format!("{record}-{region}"),
        }
    }
    /// The peer region's liveness URL under its region-specific name, when the environment
    /// has DNS.
    pub fn peer_liveness_url(record: &str, peer_region: &str) -> String {
        format!(
            "https://{}{}",
            Names::regional_api_domain(record, peer_region),
            platform_contract::API_LIVENESS_PATH
        )
    }
    pub fn cdc_table(&self) -> String {
        self.scoped("cdc-state")
    }
    pub fn cdc_dlq(&self) -> &'static str {
        "cdc-dlq"
    }
    pub fn consumer_role(&self) -> &'static str {
        "cdc-consumer"
    }
    /// The consumer's image repository: ECR names are per account and region, and each
    /// environment has its own account, so the spec's name is used as it is.
    pub fn consumer_repository(&self, repository: &str) -> String {
        repository.to_string()
    }
    /// The registry host of this account and region.
    pub fn registry(&self) -> String {
        format!("{}.dkr.ecr.{}.amazonaws.com", self.account, self.region)
    }
    pub fn consumer_image(&self, repository: &str, tag: &str) -> String {
        format!(
            "{}/{}:{tag}",
            self.registry(),
            self.consumer_repository(repository)
        )
    }
}
