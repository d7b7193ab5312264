//! CloudFormation semantics the diff flags: which property changes replace a resource (from
//! the "Update requires: Replacement" entries of the CloudFormation resource reference, for
//! the types the platform uses and their close relatives), and which resources and properties
//! are security-relevant.
//!
//! Paths are those of [`super::PropertyChange`], relative to the resource
//! (`Properties.KeySchema[0].AttributeName`). A rule names a property; it matches the
//! property itself and everything beneath it.

/// Marks every property of a type as forcing replacement.
const ALL_PROPERTIES: &str = "*";

/// Per resource type, the top-level properties whose change makes CloudFormation create a
/// new physical resource and delete the old one.
const REPLACEMENT: &[(&str, &[&str])] = &[
    ("AWS::ApiGateway::Authorizer", &["RestApiId"]),
    ("AWS::ApiGateway::BasePathMapping", &["DomainName"]),
    ("AWS::ApiGateway::DomainName", &["DomainName"]),
    (
        "AWS::CertificateManager::Certificate",
        &[
            "DomainName",
            "SubjectAlternativeNames",
            "ValidationMethod",
            "DomainValidationOptions",
            "CertificateAuthorityArn",
            "KeyAlgorithm",
        ],
    ),
    (
        "AWS::ApiGateway::Deployment",
        &["RestApiId", "DeploymentCanarySettings"],
    ),
    ("AWS::ApiGateway::Method", &["RestApiId", "ResourceId"]),
    (
        "AWS::ApiGateway::Resource",
        &["ParentId", "PathPart", "RestApiId"],
    ),
    ("AWS::ApiGateway::Stage", &["RestApiId", "StageName"]),
    ("AWS::CloudWatch::Alarm", &["AlarmName"]),
    ("AWS::CloudWatch::Dashboard", &["DashboardName"]),
    (
        "AWS::DynamoDB::Table",
        &["TableName", "KeySchema", "LocalSecondaryIndexes"],
    ),
    (
        "AWS::ECR::Repository",
        &["RepositoryName", "EncryptionConfiguration"],
    ),
    ("AWS::Events::EventBus", &["Name", "EventSourceName"]),
    ("AWS::Events::Rule", &["Name", "EventBusName"]),
    ("AWS::IAM::ManagedPolicy", &["ManagedPolicyName", "Path"]),
    ("AWS::IAM::Role", &["RoleName", "Path"]),
    ("AWS::KMS::Alias", &["AliasName"]),
    ("AWS::KMS::Key", &["KeySpec", "KeyUsage", "MultiRegion"]),
    ("AWS::Lambda::Alias", &["FunctionName", "Name"]),
    (
        "AWS::Lambda::EventSourceMapping",
        &[
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
        ],
    ),
    ("AWS::Lambda::Function", &["FunctionName", "PackageType"]),
    // Every property of a Lambda permission forces a new statement id.
    ("AWS::Lambda::Permission", &[ALL_PROPERTIES]),
    (
        "AWS::Lambda::Version",
        &["FunctionName", "CodeSha256", "Description"],
    ),
    ("AWS::Logs::LogGroup", &["LogGroupName"]),
    // The name and zone per the reference; Route 53 cannot change a record's routing policy
    // or set identifier in place either (ChangeResourceRecordSets deletes and creates), so a
    // switch between latency and failover replaces the record: for a moment that region is
    // not in the answer.
    (
        "AWS::Route53::RecordSet",
        &[
            "Name",
            "HostedZoneId",
            "HostedZoneName",
            "SetIdentifier",
            "Region",
            "Failover",
        ],
    ),
    ("AWS::SecretsManager::ResourcePolicy", &["SecretId"]),
    ("AWS::SecretsManager::Secret", &["Name"]),
    ("AWS::SQS::Queue", &["QueueName", "FifoQueue"]),
];

/// Types whose every change (and whose addition or removal) is security-relevant: they grant,
/// trust or authorize.
const SECURITY_TYPES: &[&str] = &[
    "AWS::ApiGateway::Authorizer",
    // The TLS identity the API presents.
    "AWS::CertificateManager::Certificate",
    "AWS::IAM::Group",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::OIDCProvider",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::KMS::Grant",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Url",
    "AWS::S3::BucketPolicy",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
];

/// Property names that are security-relevant on any type: policies and trust, who a resource
/// acts as, encryption settings, and how callers are authorized.
const SECURITY_PROPERTIES: &[&str] = &[
    // Policies, trust and identity.
    "AssumeRolePolicyDocument",
    "KeyPolicy",
    "Policies",
    "Policy",
    "PolicyDocument",
    "ResourcePolicy",
    "ManagedPolicyArns",
    "PermissionsBoundary",
    "Role",
    "RoleArn",
    "ExecutionRoleArn",
    "RepositoryPolicyText",
    // Encryption at rest and in transit.
    "BucketEncryption",
    "EnableKeyRotation",
    "Encrypted",
    "KmsDataKeyReusePeriodSeconds",
    "KmsKeyArn",
    "KmsKeyId",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    "SSESpecification",
    "EncryptionConfiguration",
    // Whether an image tag can be moved to other content (what a deployment pulls).
    "ImageTagMutability",
    "RegionalCertificateArn",
    "SecurityPolicy",
    // Authorization of callers.
    "ApiKeyRequired",
    "AuthorizationScopes",
    "AuthorizationType",
    "AuthorizerId",
    "AuthType",
];

/// Whether changing `path` of a resource of `resource_type` makes CloudFormation replace it.
pub fn requires_replacement(resource_type: &str, path: &str) -> bool {
    if path == "Type" {
        return true;
    }
    let Some(property) = top_property(path) else {
        return false;
    };
    REPLACEMENT
        .iter()
        .find(|(t, _)| *t == resource_type)
        .is_some_and(|(_, props)| props.iter().any(|p| *p == ALL_PROPERTIES || *p == property))
}

/// Whether resources of this type are security-relevant as a whole.
pub fn security_relevant_type(resource_type: &str) -> bool {
    SECURITY_TYPES.contains(&resource_type)
}

/// Whether changing `path` of a resource of `resource_type` is security-relevant: anything
/// on a security type, or a security property at any depth (so `Targets[0].RoleArn` and
/// `Properties.SSESpecification.KMSMasterKeyId` count too).
pub fn security_relevant(resource_type: &str, path: &str) -> bool {
    if security_relevant_type(resource_type) {
        return true;
    }
    property_names(path).any(|name| SECURITY_PROPERTIES.contains(&name))
}

/// The property a path under `Properties` starts with: `Properties.KeySchema[0]` ->
/// `KeySchema`.
fn top_property(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("Properties.")?;
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The plain (identifier-like) key names along a path; quoted keys and indices are skipped.
fn property_names(path: &str) -> impl Iterator<Item = &str> {
    path.split(['.', '[', ']'])
        .filter(|s| !s.is_empty() && !s.starts_with('"') && !s.as_bytes()[0].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_schema_replaces_a_table_and_billing_mode_does_not() {
        let t = "AWS::DynamoDB::Table";
        assert!(requires_replacement(
            t,
            "Properties.KeySchema[0].AttributeName"
        ));
        assert!(requires_replacement(t, "Properties.KeySchema"));
        assert!(!requires_replacement(t, "Properties.BillingMode"));
        assert!(!requires_replacement(t, "Properties.KeySchemaExtra"));
        assert!(requires_replacement(t, "Type"));
    }

    #[test]
    fn every_property_of_a_lambda_permission_replaces_it() {
        assert!(requires_replacement(
            "AWS::Lambda::Permission",
            "Properties.SourceArn"
        ));
        assert!(!requires_replacement(
            "AWS::Lambda::Function",
            "Properties.MemorySize"
        ));
        assert!(!requires_replacement("AWS::Unknown::Thing", "Properties.X"));
    }

    #[test]
    fn a_records_name_or_routing_policy_replaces_it_and_its_health_check_does_not() {
        let r = "AWS::Route53::RecordSet";
        assert!(requires_replacement(r, "Properties.Name"));
        assert!(requires_replacement(r, "Properties.Region"));
        assert!(requires_replacement(r, "Properties.Failover"));
        assert!(requires_replacement(r, "Properties.SetIdentifier"));
        assert!(!requires_replacement(r, "Properties.HealthCheckId"));
        assert!(!requires_replacement(r, "Properties.AliasTarget.DNSName"));
        assert!(requires_replacement(
            "AWS::CertificateManager::Certificate",
            "Properties.SubjectAlternativeNames[0]"
        ));
        assert!(requires_replacement(
            "AWS::ApiGateway::DomainName",
            "Properties.DomainName"
        ));
    }

    #[test]
    fn tls_settings_of_the_api_domain_are_security_relevant() {
        let d = "AWS::ApiGateway::DomainName";
        assert!(security_relevant(d, "Properties.SecurityPolicy"));
        assert!(security_relevant(d, "Properties.RegionalCertificateArn"));
        assert!(!security_relevant(d, "Properties.EndpointConfiguration"));
        assert!(security_relevant_type(
            "AWS::CertificateManager::Certificate"
        ));
        assert!(!security_relevant(
            "AWS::Route53::RecordSet",
            "Properties.Region"
        ));
    }

    #[test]
    fn security_covers_types_policies_encryption_and_authorization() {
        assert!(security_relevant(
            "AWS::IAM::Role",
            "Properties.Description"
        ));
        assert!(security_relevant(
            "AWS::KMS::Key",
            "Properties.KeyPolicy.Statement[0].Principal"
        ));
        assert!(security_relevant(
            "AWS::DynamoDB::Table",
            "Properties.SSESpecification.SSEEnabled"
        ));
        assert!(security_relevant(
            "AWS::ApiGateway::Method",
            "Properties.AuthorizationType"
        ));
        assert!(security_relevant(
            "AWS::Events::Rule",
            "Properties.Targets[0].RoleArn"
        ));
        assert!(!security_relevant(
            "AWS::Lambda::Function",
            "Properties.MemorySize"
        ));
        assert!(!security_relevant(
            "AWS::Lambda::Function",
            "Properties.Environment.Variables[\"Role\"]"
        ));
    }
}
