//! The typed resources ("L1" constructs) a stack holds. Each is format-neutral: the renderers
//! map every kind to its CloudFormation type and its Terraform resource(s).

use super::LogicalId;
use super::iam::{Principal, Statement};
use super::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: LogicalId,
    pub kind: ResourceKind,
    /// Kept when the stack is deleted (stateful resources of long-lived environments).
    pub retain: bool,
    /// Ordering that no reference expresses (e.g. a permission before its use).
    pub depends_on: Vec<LogicalId>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResourceKind {
    KmsKey(KmsKey),
    KmsAlias(KmsAlias),
    Queue(Queue),
    QueuePolicy(QueuePolicy),
    Table(Table),
    EventBus(EventBus),
    Secret(Secret),
    SecretPolicy(SecretPolicy),
    LogGroup(LogGroup),
    Role(Role),
    Function(Function),
    FunctionVersion(FunctionVersion),
    FunctionAlias(FunctionAlias),
    EventSourceMapping(EventSourceMapping),
    Rule(Rule),
    LambdaPermission(LambdaPermission),
    RestApi(RestApi),
    ApiResource(ApiResource),
    ApiAuthorizer(ApiAuthorizer),
    ApiMethod(ApiMethod),
    ApiDeployment(ApiDeployment),
    ApiStage(ApiStage),
    Alarm(Alarm),
    Certificate(Certificate),
    ApiDomain(ApiDomain),
    ApiBasePathMapping(ApiBasePathMapping),
    HealthCheck(HealthCheck),
    DnsRecord(DnsRecord),
    Dashboard(Dashboard),
    ImageRepository(ImageRepository),
}

impl ResourceKind {
    /// The CloudFormation type name, also used in messages and diffs.
    pub fn cfn_type(&self) -> &'static str {
        match self {
            ResourceKind::KmsKey(_) => "AWS::KMS::Key",
            ResourceKind::KmsAlias(_) => "AWS::KMS::Alias",
            ResourceKind::Queue(_) => "AWS::SQS::Queue",
            ResourceKind::QueuePolicy(_) => "AWS::SQS::QueuePolicy",
            ResourceKind::Table(_) => "AWS::DynamoDB::Table",
            ResourceKind::EventBus(_) => "AWS::Events::EventBus",
            ResourceKind::Secret(_) => "AWS::SecretsManager::Secret",
            ResourceKind::SecretPolicy(_) => "AWS::SecretsManager::ResourcePolicy",
            ResourceKind::LogGroup(_) => "AWS::Logs::LogGroup",
            ResourceKind::Role(_) => "AWS::IAM::Role",
            ResourceKind::Function(_) => "AWS::Lambda::Function",
            ResourceKind::FunctionVersion(_) => "AWS::Lambda::Version",
            ResourceKind::FunctionAlias(_) => "AWS::Lambda::Alias",
            ResourceKind::EventSourceMapping(_) => "AWS::Lambda::EventSourceMapping",
            ResourceKind::Rule(_) => "AWS::Events::Rule",
            ResourceKind::LambdaPermission(_) => "AWS::Lambda::Permission",
            ResourceKind::RestApi(_) => "AWS::ApiGateway::RestApi",
            ResourceKind::ApiResource(_) => "AWS::ApiGateway::Resource",
            ResourceKind::ApiAuthorizer(_) => "AWS::ApiGateway::Authorizer",
            ResourceKind::ApiMethod(_) => "AWS::ApiGateway::Method",
            ResourceKind::ApiDeployment(_) => "AWS::ApiGateway::Deployment",
            ResourceKind::ApiStage(_) => "AWS::ApiGateway::Stage",
            ResourceKind::Alarm(_) => "AWS::CloudWatch::Alarm",
            ResourceKind::Certificate(_) => "AWS::CertificateManager::Certificate",
            ResourceKind::ApiDomain(_) => "AWS::ApiGateway::DomainName",
            ResourceKind::ApiBasePathMapping(_) => "AWS::ApiGateway::BasePathMapping",
            ResourceKind::HealthCheck(_) => "AWS::Route53::HealthCheck",
            ResourceKind::DnsRecord(_) => "AWS::Route53::RecordSet",
            ResourceKind::Dashboard(_) => "AWS::CloudWatch::Dashboard",
            ResourceKind::ImageRepository(_) => "AWS::ECR::Repository",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KmsKey {
    pub description: String,
    pub policy: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KmsAlias {
    pub name: String,
    pub target_key: LogicalId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub name: String,
    pub kms_key: LogicalId,
    pub retention_seconds: u32,
    /// Where messages go after `max_receive_count` failed receives, if anywhere.
    pub redrive: Option<(LogicalId, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueuePolicy {
    pub queue: LogicalId,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub partition_key: String,
    pub sort_key: Option<String>,
    /// `None`: on-demand; `Some((read, write))`: provisioned capacity.
    pub provisioned: Option<(u32, u32)>,
    pub stream_new_and_old_images: bool,
    pub point_in_time_recovery: bool,
    pub deletion_protection: bool,
    pub kms_key: LogicalId,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventBus {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    pub name: String,
    pub description: String,
    pub kms_key: LogicalId,
    /// Length of the generated alphanumeric value.
    pub generated_length: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecretPolicy {
    pub secret: LogicalId,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogGroup {
    pub name: String,
    pub retention_days: u32,
    pub kms_key: LogicalId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    pub description: String,
    pub assumed_by: Principal,
    /// Conditions on the trust statement (IRSA's `sub` and `aud`).
    pub trust_conditions: Vec<super::iam::Condition>,
    /// `sts:AssumeRoleWithWebIdentity` for federated principals, else `sts:AssumeRole`.
    pub web_identity: bool,
    /// The role's inline policy; grants append to it.
    pub statements: Vec<Statement>,
}

impl Role {
    /// The statement of the role's trust policy: who may assume it, on which conditions.
    /// It has no resources; renderers leave the `Resource` key out.
    pub fn trust_statement(&self) -> Statement {
        let action = if self.web_identity {
            "sts:AssumeRoleWithWebIdentity"
        } else {
            "sts:AssumeRole"
        };
        let mut trust = Statement::allow(&[action], []);
        trust.principal = Some(self.assumed_by.clone());
        trust.conditions = self.trust_conditions.clone();
        trust
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub description: String,
    pub role: LogicalId,
    pub architecture: &'static str,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    pub reserved_concurrency: Option<u32>,
    pub environment: Vec<(String, Value)>,
    pub kms_key: LogicalId,
    pub code: Asset,
    pub log_group: LogicalId,
    pub dead_letter_queue: Option<LogicalId>,
}

/// Deployable code identified by the hash of what builds it (see `crate::assets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The crate the artefact is built from, relative to the repository root.
    pub source_dir: String,
    /// sha256 hex of the sources, lockfile and build settings.
    pub hash: String,
}

impl Asset {
    /// The artefact's file name; `infra-gen package` writes it under `target/lambda-assets/`.
    pub fn file_name(&self, name: &str) -> String {
        format!("{name}-{}.zip", self.hash)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionVersion {
    pub function: LogicalId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionAlias {
    pub name: String,
    pub function: LogicalId,
    pub version: LogicalId,
    pub provisioned_concurrency: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventSourceMapping {
    pub function: LogicalId,
    pub source_arn: Value,
    pub batch_size: u32,
    pub bisect_on_error: bool,
    pub max_retries: u32,
    pub max_record_age_seconds: u32,
    pub parallelization_factor: u32,
    pub report_batch_item_failures: bool,
    pub on_failure_queue: LogicalId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub description: String,
    /// `None`: the default bus (schedules live there).
    pub bus: Option<LogicalId>,
    pub trigger: RuleTrigger,
    pub targets: Vec<RuleTarget>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleTrigger {
    /// An event pattern, as JSON.
    Pattern(serde_json::Value),
    Schedule(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleTarget {
    pub id: String,
    pub arn: Value,
    /// Role EventBridge assumes (needed for bus-to-bus targets).
    pub role: Option<LogicalId>,
    pub dead_letter_queue: Option<LogicalId>,
    pub max_retries: Option<u32>,
    pub max_event_age_seconds: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LambdaPermission {
    pub function: LogicalId,
    pub principal: String,
    pub source_arn: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RestApi {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResource {
    pub api: LogicalId,
    pub path_part: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiAuthorizer {
    pub name: String,
    pub api: LogicalId,
    pub function: LogicalId,
    pub identity_header: String,
    pub cache_seconds: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiMethod {
    pub api: LogicalId,
    pub resource: LogicalId,
    pub http_method: String,
    /// The TOKEN authorizer in front of the method; `None`: open to anyone (the liveness
    /// route Route 53 probes, which cannot send a header).
    pub authorizer: Option<LogicalId>,
    /// Lambda proxy integration target.
    pub function: LogicalId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiDeployment {
    pub api: LogicalId,
    /// Hash of the API's methods: a changed API gets a new deployment.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiStage {
    pub name: String,
    pub api: LogicalId,
    pub deployment: LogicalId,
    pub access_log_group: LogicalId,
    pub throttle_rate_limit: f64,
    pub throttle_burst_limit: u32,
    /// Tighter limits for single methods, on top of the stage-wide ones.
    pub method_throttles: Vec<MethodThrottle>,
}

/// Throttling of one method of a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodThrottle {
    /// The resource path without the leading `/`, e.g. `live`.
    pub path: String,
    pub http_method: String,
    pub rate_limit: f64,
    pub burst_limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub namespace: String,
    pub metric: String,
    pub dimension: (String, Value),
    pub statistic: String,
    pub period_seconds: u32,
    pub threshold: u32,
    pub evaluation_periods: u32,
}

/// A public ACM certificate validated through DNS records in a Route 53 zone (which
/// CloudFormation and the Terraform module create).
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    pub domain: String,
    pub alternative_names: Vec<String>,
    pub hosted_zone_id: String,
}

/// A regional API Gateway custom domain name (TLS 1.2 minimum).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiDomain {
    pub name: String,
    pub certificate: LogicalId,
}

/// Serves a stage at the root of a custom domain.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiBasePathMapping {
    pub domain: LogicalId,
    pub api: LogicalId,
    pub stage: LogicalId,
}

/// A Route 53 HTTPS health check (SNI on, port 443). Operators force a region out by
/// pointing it at another path (`scripts/ops/dns-region`): Terraform ignores changes to the
/// path, and CloudFormation resets it only when the check's own settings change.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// Tagged as `Name`, which the Route 53 console shows.
    pub name: String,
    pub fqdn: String,
    pub path: String,
    pub interval_seconds: u32,
    pub failure_threshold: u32,
}

/// An A alias record to an API Gateway custom domain.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsRecord {
    pub hosted_zone_id: String,
    pub name: String,
    pub target: LogicalId,
    pub routing: RecordRouting,
    pub health_check: Option<LogicalId>,
}

/// How Route 53 chooses among the records of one name.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordRouting {
    /// The only record of its name.
    Simple,
    /// One of several; answered to clients nearest `region`.
    Latency {
        set_identifier: String,
        region: String,
    },
    /// The primary answers while healthy; the secondary otherwise.
    Failover {
        set_identifier: String,
        primary: bool,
    },
}

/// A CloudWatch dashboard. The body is CloudWatch's own dashboard JSON (its widgets), the same
/// in both formats; being a string once deployed, it names resources rather than referencing
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub name: String,
    pub body: serde_json::Value,
}

/// A container image repository (ECR): tags never move, every push is scanned, images are
/// encrypted with the stack's key and old ones expire by the lifecycle rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRepository {
    pub name: String,
    pub kms_key: LogicalId,
    /// The lifecycle rule keeps this many most recent images, tagged or not.
    pub keep_images: u32,
    /// Deleting the stack deletes the images too (environments that do not retain stores);
    /// otherwise a repository with images cannot be deleted.
    pub empty_on_delete: bool,
}

/// A stack output: a value other stacks, pipelines and people read.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub value: Value,
}
