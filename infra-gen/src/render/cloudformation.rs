//! CloudFormation: one template per stack, laid out as a CDK cloud assembly (`manifest.json`,
//! `<stack>.template.json`, `<stack>.assets.json`) so that CDK tooling deploys it
//! (`cdk deploy --app generated/cloudformation/<env>-<region>`).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::{checkov_skips, to_pretty_json};
use crate::assets::hex;
use crate::construct::*;
use crate::output::FileSet;

/// The cloud assembly schema version the manifests declare.
pub const CLOUD_ASSEMBLY_VERSION: &str = "48.0.0";
/// CDK's default bootstrap qualifier: the asset bucket and deploy roles come from `cdk bootstrap`.
const QUALIFIER: &str = "hnb659fds";

/// The directory of a stack's cloud assembly under `generated/`.
pub fn assembly_dir(stack: &Stack) -> String {
    format!("cloudformation/{}-{}/", stack.env, stack.region)
}

/// Writes the stack's cloud assembly. It has no docker image asset: the consumer image is
/// built once by `infra-gen package` (no Docker) and pushed by the promotion workflow to the
/// stack's own repository, which the overlays pull from; an image asset would build it again
/// with Docker and publish it to the bootstrap repository, where nothing pulls it.
pub fn render(stack: &Stack, files: &mut FileSet) {
    let dir = assembly_dir(stack);
    files.own(dir.clone());
    let template = to_pretty_json(&template(stack));
    let template_hash = hex(&Sha256::digest(template.as_bytes()));
    let assets = to_pretty_json(&asset_manifest(stack, &template_hash));
    let manifest = to_pretty_json(&manifest(stack, &template_hash));
    files.add(format!("{dir}{}.template.json", stack.name), template);
    files.add(format!("{dir}{}.assets.json", stack.name), assets);
    files.add(format!("{dir}manifest.json"), manifest);
}

fn bootstrap_role(stack: &Stack, role: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:iam::{account}:role/cdk-{QUALIFIER}-{role}-{account}-{region}",
        account = stack.account,
        region = stack.region
    )
}

fn asset_bucket(stack: &Stack) -> String {
    format!("cdk-{QUALIFIER}-assets-{}-{}", stack.account, stack.region)
}

fn manifest(stack: &Stack, template_hash: &str) -> Json {
    let assets_id = format!("{}.assets", stack.name);
    let tags: Map<String, Json> = stack
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
        .collect();
    json!({
        "version": CLOUD_ASSEMBLY_VERSION,
        "artifacts": {
            assets_id.clone(): {
                "type": "cdk:asset-manifest",
                "properties": {
                    "file": format!("{}.assets.json", stack.name),
                    "requiresBootstrapStackVersion": 6,
                    "bootstrapStackVersionSsmParameter": format!("/cdk-bootstrap/{QUALIFIER}/version")
                }
            },
            stack.name.clone(): {
                "type": "aws:cloudformation:stack",
                "environment": format!("aws://{}/{}", stack.account, stack.region),
                "properties": {
                    "templateFile": format!("{}.template.json", stack.name),
                    "stackName": stack.name,
                    "tags": tags,
                    "terminationProtection": stack.resources.iter().any(|r| r.retain),
                    "validateOnSynth": false,
                    "assumeRoleArn": bootstrap_role(stack, "deploy-role"),
                    "cloudFormationExecutionRoleArn": bootstrap_role(stack, "cfn-exec-role"),
                    "stackTemplateAssetObjectUrl": format!("s3://{}/{template_hash}.json", asset_bucket(stack)),
                    "requiresBootstrapStackVersion": 6,
                    "bootstrapStackVersionSsmParameter": format!("/cdk-bootstrap/{QUALIFIER}/version"),
                    "additionalDependencies": [assets_id.clone()]
                },
                "dependencies": [assets_id],
                "displayName": stack.name
            }
        }
    })
}

fn asset_manifest(stack: &Stack, template_hash: &str) -> Json {
    let destination_key = format!("{}-{}", stack.account, stack.region);
    let file_destination = |object_key: String| {
        json!({ destination_key.clone(): {
            "bucketName": asset_bucket(stack),
            "objectKey": object_key,
            "region": stack.region,
            "assumeRoleArn": bootstrap_role(stack, "file-publishing-role"),
        }})
    };
    let mut files = Map::new();
    for resource in &stack.resources {
        if let ResourceKind::Function(f) = &resource.kind {
            let function = f.code.source_dir.trim_start_matches("functions/");
            files.insert(
                f.code.hash.clone(),
                json!({
                    "displayName": format!("{} code", f.name),
                    "source": {
                        // Written by `infra-gen package`; relative to this assembly directory.
                        "path": format!("../../../target/lambda-assets/{}", f.code.file_name(function)),
                        "packaging": "file"
                    },
                    "destinations": file_destination(format!("{}.zip", f.code.hash))
                }),
            );
        }
    }
    files.insert(
        template_hash.to_string(),
        json!({
            "displayName": format!("{} template", stack.name),
            "source": { "path": format!("{}.template.json", stack.name), "packaging": "file" },
            "destinations": file_destination(format!("{template_hash}.json"))
        }),
    );
    json!({
        "version": CLOUD_ASSEMBLY_VERSION,
        "files": files,
    })
}

/// The template of one stack.
pub fn template(stack: &Stack) -> Json {
    let kinds: BTreeMap<&LogicalId, &ResourceKind> =
        stack.resources.iter().map(|r| (&r.id, &r.kind)).collect();
    let r = Resolver { kinds: &kinds };
    let mut resources = Map::new();
    for resource in &stack.resources {
        let mut body = Map::new();
        body.insert("Type".into(), resource.kind.cfn_type().into());
        body.insert("Properties".into(), r.properties(&resource.kind));
        if !resource.depends_on.is_empty() {
            body.insert(
                "DependsOn".into(),
                resource
                    .depends_on
                    .iter()
                    .map(|d| Json::from(d.as_str()))
                    .collect(),
            );
        }
        let policy = if resource.retain { "Retain" } else { "Delete" };
        if resource.retain
            || matches!(
                resource.kind,
                ResourceKind::Table(_)
                    | ResourceKind::Queue(_)
                    | ResourceKind::KmsKey(_)
                    | ResourceKind::Secret(_)
                    | ResourceKind::LogGroup(_)
                    | ResourceKind::ImageRepository(_)
            )
        {
            body.insert("UpdateReplacePolicy".into(), policy.into());
            body.insert("DeletionPolicy".into(), policy.into());
        }
        let skips = checkov_skips(&resource.kind);
        if !skips.is_empty() {
            body.insert(
                "Metadata".into(),
                json!({ "checkov": { "skip": skips.iter().map(|(id, why)| json!({"id": id, "comment": why})).collect::<Vec<_>>() } }),
            );
        }
        resources.insert(resource.id.to_string(), Json::Object(body));
    }
    let outputs: Map<String, Json> = stack
        .outputs
        .iter()
        .map(|o| {
            (
                o.name.clone(),
                json!({ "Description": o.description, "Value": r.value(&o.value) }),
            )
        })
        .collect();
    json!({
        "Description": stack.description,
        "Resources": resources,
        "Outputs": outputs,
    })
}

struct Resolver<'a> {
    kinds: &'a BTreeMap<&'a LogicalId, &'a ResourceKind>,
}

fn reference(id: &LogicalId) -> Json {
    json!({ "Ref": id.as_str() })
}

fn get_att(id: &LogicalId, attribute: &str) -> Json {
    json!({ "Fn::GetAtt": [id.as_str(), attribute] })
}

impl Resolver<'_> {
    fn attr(&self, id: &LogicalId, attr: Attr) -> Json {
        use ResourceKind as K;
        let kind = self.kinds.get(id).copied();
        match (attr, kind) {
            (Attr::Arn, Some(K::Secret(_))) => reference(id),
            (Attr::Arn, _) => get_att(id, "Arn"),
            (Attr::Name, Some(K::EventBus(_))) => get_att(id, "Name"),
            (Attr::Name, Some(K::Queue(_))) => get_att(id, "QueueName"),
            (Attr::Name, _) => reference(id),
            (Attr::Url, Some(K::ImageRepository(_))) => get_att(id, "RepositoryUri"),
            (Attr::Url, _) => reference(id),
            (Attr::StreamArn, _) => get_att(id, "StreamArn"),
            (Attr::RootResourceId, _) => get_att(id, "RootResourceId"),
            (Attr::Version, _) => get_att(id, "Version"),
        }
    }

    fn value(&self, v: &Value) -> Json {
        match v {
            Value::Str(s) => Json::from(s.as_str()),
            Value::Int(i) => Json::from(*i),
            Value::Bool(b) => Json::from(*b),
            Value::List(items) => items.iter().map(|i| self.value(i)).collect(),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
            Value::Attr(id, attr) => self.attr(id, *attr),
            Value::Join(parts) => {
                json!({ "Fn::Join": ["", parts.iter().map(|p| self.value(p)).collect::<Vec<_>>()] })
            }
            Value::Pseudo(p) => json!({ "Ref": match p {
                Pseudo::AccountId => "AWS::AccountId",
                Pseudo::Region => "AWS::Region",
                Pseudo::Partition => "AWS::Partition",
            }}),
        }
    }

    fn one_or_many(&self, values: &[Value]) -> Json {
        match values {
            [one] => self.value(one),
            many => many.iter().map(|v| self.value(v)).collect(),
        }
    }

    fn statement(&self, s: &Statement) -> Json {
        let mut out = Map::new();
        if let Some(sid) = &s.sid {
            out.insert("Sid".into(), sid.as_str().into());
        }
        out.insert(
            "Effect".into(),
            if s.effect == Effect::Allow {
                "Allow"
            } else {
                "Deny"
            }
            .into(),
        );
        if let Some(p) = &s.principal {
            out.insert("Principal".into(), self.principal(p));
        }
        out.insert(
            "Action".into(),
            match s.actions.as_slice() {
                [one] => one.as_str().into(),
                many => many.iter().map(|a| Json::from(a.as_str())).collect(),
            },
        );
        out.insert("Resource".into(), self.one_or_many(&s.resources));
        if !s.conditions.is_empty() {
            out.insert("Condition".into(), self.conditions(&s.conditions));
        }
        Json::Object(out)
    }

    fn conditions(&self, conditions: &[Condition]) -> Json {
        let mut by_operator: Map<String, Json> = Map::new();
        for c in conditions {
            let entry = by_operator
                .entry(c.operator.clone())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = entry {
                m.insert(c.key.clone(), self.one_or_many(&c.values));
            }
        }
        Json::Object(by_operator)
    }

    fn principal(&self, p: &Principal) -> Json {
        match p {
            Principal::Service(s) => json!({ "Service": s }),
            Principal::Aws(v) => json!({ "AWS": self.value(v) }),
            Principal::Federated(v) => json!({ "Federated": self.value(v) }),
            Principal::Any => json!({ "AWS": "*" }),
        }
    }

    fn document(&self, statements: &[Statement]) -> Json {
        json!({ "Version": "2012-10-17", "Statement": statements.iter().map(|s| self.statement(s)).collect::<Vec<_>>() })
    }

    fn properties(&self, kind: &ResourceKind) -> Json {
        use ResourceKind as K;
        match kind {
            K::KmsKey(k) => json!({
                "Description": k.description,
                "EnableKeyRotation": true,
                "KeyPolicy": self.document(&k.policy),
            }),
            K::KmsAlias(a) => {
                json!({ "AliasName": a.name, "TargetKeyId": get_att(&a.target_key, "Arn") })
            }
            K::Queue(q) => {
                let mut props = json!({
                    "QueueName": q.name,
                    "KmsMasterKeyId": get_att(&q.kms_key, "Arn"),
                    "KmsDataKeyReusePeriodSeconds": 300,
                    "MessageRetentionPeriod": q.retention_seconds,
                });
                if let Some((dlq, max)) = &q.redrive {
                    props["RedrivePolicy"] = json!({ "deadLetterTargetArn": get_att(dlq, "Arn"), "maxReceiveCount": max });
                }
                props
            }
            K::QueuePolicy(p) => {
                json!({ "Queues": [reference(&p.queue)], "PolicyDocument": self.document(&p.statements) })
            }
            K::Table(t) => {
                let mut keys = vec![json!({ "AttributeName": t.partition_key, "KeyType": "HASH" })];
                let mut attributes =
                    vec![json!({ "AttributeName": t.partition_key, "AttributeType": "S" })];
                if let Some(sk) = &t.sort_key {
                    keys.push(json!({ "AttributeName": sk, "KeyType": "RANGE" }));
                    attributes.push(json!({ "AttributeName": sk, "AttributeType": "S" }));
                }
                let mut props = Map::new();
                props.insert("TableName".into(), t.name.as_str().into());
                props.insert("KeySchema".into(), keys.into());
                props.insert("AttributeDefinitions".into(), attributes.into());
                match t.provisioned {
                    None => {
                        props.insert("BillingMode".into(), "PAY_PER_REQUEST".into());
                    }
                    Some((read, write)) => {
                        props.insert("BillingMode".into(), "PROVISIONED".into());
                        props.insert(
                            "ProvisionedThroughput".into(),
                            json!({ "ReadCapacityUnits": read, "WriteCapacityUnits": write }),
                        );
                    }
                }
                if t.stream_new_and_old_images {
                    props.insert(
                        "StreamSpecification".into(),
                        json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" }),
                    );
                }
                props.insert(
                    "PointInTimeRecoverySpecification".into(),
                    json!({ "PointInTimeRecoveryEnabled": t.point_in_time_recovery }),
                );
                props.insert("SSESpecification".into(), json!({ "SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": get_att(&t.kms_key, "Arn") }));
                props.insert(
                    "DeletionProtectionEnabled".into(),
                    t.deletion_protection.into(),
                );
                if let Some(ttl) = &t.ttl_attribute {
                    props.insert(
                        "TimeToLiveSpecification".into(),
                        json!({ "AttributeName": ttl, "Enabled": true }),
                    );
                }
                Json::Object(props)
            }
            K::EventBus(b) => json!({ "Name": b.name }),
            K::Secret(s) => json!({
                "Name": s.name,
                "Description": s.description,
                "KmsKeyId": get_att(&s.kms_key, "Arn"),
                "GenerateSecretString": { "PasswordLength": s.generated_length, "ExcludePunctuation": true },
            }),
            K::SecretPolicy(p) => {
                json!({ "SecretId": reference(&p.secret), "ResourcePolicy": self.document(&p.statements), "BlockPublicPolicy": true })
            }
            K::LogGroup(l) => {
                json!({ "LogGroupName": l.name, "RetentionInDays": l.retention_days, "KmsKeyId": get_att(&l.kms_key, "Arn") })
            }
            K::Role(role) => {
                let trust = role.trust_statement();
                let mut trust_json = self.statement(&trust);
                if let Json::Object(m) = &mut trust_json {
                    m.remove("Resource");
                }
                let mut props = json!({
                    "RoleName": role.name,
                    "Description": role.description,
                    "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [trust_json] },
                });
                if !role.statements.is_empty() {
                    props["Policies"] = json!([{ "PolicyName": "least-privilege", "PolicyDocument": self.document(&role.statements) }]);
                }
                props
            }
            K::Function(f) => {
                let mut props = json!({
                    "FunctionName": f.name,
                    "Description": f.description,
                    "Role": get_att(&f.role, "Arn"),
                    "Runtime": "provided.al2023",
                    "Handler": "bootstrap",
                    "Architectures": [f.architecture],
                    "MemorySize": f.memory_mb,
                    "Timeout": f.timeout_seconds,
                    "Code": {
                        "S3Bucket": { "Fn::Sub": format!("cdk-{QUALIFIER}-assets-${{AWS::AccountId}}-${{AWS::Region}}") },
                        "S3Key": format!("{}.zip", f.code.hash),
                    },
                    "Environment": { "Variables": Json::Object(f.environment.iter().map(|(k, v)| (k.clone(), self.value(v))).collect()) },
                    "KmsKeyArn": get_att(&f.kms_key, "Arn"),
                    "TracingConfig": { "Mode": "Active" },
                    "LoggingConfig": { "LogGroup": reference(&f.log_group), "LogFormat": "JSON" },
                });
                if let Some(reserved) = f.reserved_concurrency {
                    props["ReservedConcurrentExecutions"] = reserved.into();
                }
                if let Some(dlq) = &f.dead_letter_queue {
                    props["DeadLetterConfig"] = json!({ "TargetArn": get_att(dlq, "Arn") });
                }
                props
            }
            K::FunctionVersion(v) => json!({ "FunctionName": reference(&v.function) }),
            K::FunctionAlias(a) => json!({
                "Name": a.name,
                "FunctionName": reference(&a.function),
                "FunctionVersion": get_att(&a.version, "Version"),
                "ProvisionedConcurrencyConfig": { "ProvisionedConcurrentExecutions": a.provisioned_concurrency },
            }),
            K::EventSourceMapping(m) => json!({
                "FunctionName": reference(&m.function),
                "EventSourceArn": self.value(&m.source_arn),
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": m.batch_size,
                "BisectBatchOnFunctionError": m.bisect_on_error,
                "MaximumRetryAttempts": m.max_retries,
                "MaximumRecordAgeInSeconds": m.max_record_age_seconds,
                "ParallelizationFactor": m.parallelization_factor,
                "FunctionResponseTypes": if m.report_batch_item_failures { json!(["ReportBatchItemFailures"]) } else { json!([]) },
                "DestinationConfig": { "OnFailure": { "Destination": get_att(&m.on_failure_queue, "Arn") } },
            }),
            K::Rule(rule) => {
                let mut props = Map::new();
                props.insert("Name".into(), rule.name.as_str().into());
                props.insert("Description".into(), rule.description.as_str().into());
                if let Some(bus) = &rule.bus {
                    props.insert("EventBusName".into(), get_att(bus, "Name"));
                }
                match &rule.trigger {
                    RuleTrigger::Pattern(p) => props.insert("EventPattern".into(), p.clone()),
                    RuleTrigger::Schedule(s) => {
                        props.insert("ScheduleExpression".into(), s.as_str().into())
                    }
                };
                props.insert("State".into(), "ENABLED".into());
                let targets: Vec<Json> = rule
                    .targets
                    .iter()
                    .map(|t| {
                        let mut target = json!({ "Id": t.id, "Arn": self.value(&t.arn) });
                        if let Some(role) = &t.role {
                            target["RoleArn"] = get_att(role, "Arn");
                        }
                        if let Some(dlq) = &t.dead_letter_queue {
                            target["DeadLetterConfig"] = json!({ "Arn": get_att(dlq, "Arn") });
                        }
                        if t.max_retries.is_some() || t.max_event_age_seconds.is_some() {
                            let mut retry = Map::new();
                            if let Some(n) = t.max_retries {
                                retry.insert("MaximumRetryAttempts".into(), n.into());
                            }
                            if let Some(age) = t.max_event_age_seconds {
                                retry.insert("MaximumEventAgeInSeconds".into(), age.into());
                            }
                            target["RetryPolicy"] = Json::Object(retry);
                        }
                        target
                    })
                    .collect();
                props.insert("Targets".into(), targets.into());
                Json::Object(props)
            }
            K::LambdaPermission(p) => json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": get_att(&p.function, "Arn"),
                "Principal": p.principal,
                "SourceArn": self.value(&p.source_arn),
            }),
            K::RestApi(a) => {
                json!({ "Name": a.name, "Description": a.description, "EndpointConfiguration": { "Types": ["REGIONAL"] } })
            }
            K::ApiResource(r) => {
                json!({ "RestApiId": reference(&r.api), "ParentId": get_att(&r.api, "RootResourceId"), "PathPart": r.path_part })
            }
            K::ApiAuthorizer(a) => json!({
                "Name": a.name,
                "RestApiId": reference(&a.api),
                "Type": "TOKEN",
                "IdentitySource": format!("method.request.header.{}", a.identity_header),
                "AuthorizerResultTtlInSeconds": a.cache_seconds,
                "AuthorizerUri": self.invoke_uri(&a.function),
            }),
            K::ApiMethod(m) => {
                let mut props = Map::new();
                props.insert("RestApiId".into(), reference(&m.api));
                props.insert("ResourceId".into(), reference(&m.resource));
                props.insert("HttpMethod".into(), m.http_method.as_str().into());
                match &m.authorizer {
                    Some(authorizer) => {
                        props.insert("AuthorizationType".into(), "CUSTOM".into());
                        props.insert("AuthorizerId".into(), reference(authorizer));
                    }
                    None => {
                        props.insert("AuthorizationType".into(), "NONE".into());
                    }
                }
                props.insert(
                    "Integration".into(),
                    json!({ "Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": self.invoke_uri(&m.function) }),
                );
                Json::Object(props)
            }
            K::ApiDeployment(d) => {
                json!({ "RestApiId": reference(&d.api), "Description": d.fingerprint })
            }
            K::ApiStage(s) => json!({
                "StageName": s.name,
                "RestApiId": reference(&s.api),
                "DeploymentId": reference(&s.deployment),
                "TracingEnabled": true,
                "AccessLogSetting": {
                    // The group's ARN without the `:*` its `Arn` attribute ends in: API Gateway
                    // stores it so, and drift detection would otherwise always see a change.
                    "DestinationArn": self.value(&Value::join([
                        Value::str("arn:"),
                        Value::Pseudo(Pseudo::Partition),
                        Value::str(":logs:"),
                        Value::Pseudo(Pseudo::Region),
                        Value::str(":"),
                        Value::Pseudo(Pseudo::AccountId),
                        Value::str(":log-group:"),
                        Value::attr(&s.access_log_group, Attr::Name),
                    ])),
                    "Format": ACCESS_LOG_FORMAT,
                },
                "MethodSettings": std::iter::once(json!({
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "MetricsEnabled": true,
                    "LoggingLevel": EXECUTION_LOG_LEVEL,
                    "ThrottlingRateLimit": s.throttle_rate_limit,
                    "ThrottlingBurstLimit": s.throttle_burst_limit,
                })).chain(s.method_throttles.iter().map(|t| json!({
                    // CloudFormation wants the path's slashes, the first one included, as
                    // `~1` after a leading `/` (`live` is `/~1live`).
                    "ResourcePath": format!("/~1{}", t.path.replace('/', "~1")),
                    "HttpMethod": t.http_method,
                    "MetricsEnabled": true,
                    "LoggingLevel": EXECUTION_LOG_LEVEL,
                    "ThrottlingRateLimit": t.rate_limit,
                    "ThrottlingBurstLimit": t.burst_limit,
                }))).collect::<Vec<_>>(),
            }),
            K::Alarm(a) => json!({
                "AlarmName": a.name,
                "Namespace": a.namespace,
                "MetricName": a.metric,
                "Dimensions": [{ "Name": a.dimension.0, "Value": self.value(&a.dimension.1) }],
                "Statistic": a.statistic,
                "Period": a.period_seconds,
                "Threshold": a.threshold,
                "EvaluationPeriods": a.evaluation_periods,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
            }),
            K::Certificate(c) => json!({
                "DomainName": c.domain,
                "SubjectAlternativeNames": c.alternative_names,
                "ValidationMethod": "DNS",
                // CloudFormation writes the validation records into the zone itself.
                "DomainValidationOptions": std::iter::once(&c.domain).chain(&c.alternative_names)
                    .map(|name| json!({ "DomainName": name, "HostedZoneId": c.hosted_zone_id }))
                    .collect::<Vec<_>>(),
                "CertificateTransparencyLoggingPreference": "ENABLED",
            }),
            K::ApiDomain(d) => json!({
                "DomainName": d.name,
                "RegionalCertificateArn": reference(&d.certificate),
                "EndpointConfiguration": { "Types": ["REGIONAL"] },
                "SecurityPolicy": API_DOMAIN_SECURITY_POLICY,
            }),
            K::ApiBasePathMapping(m) => json!({
                "DomainName": reference(&m.domain),
                "RestApiId": reference(&m.api),
                "Stage": reference(&m.stage),
            }),
            K::HealthCheck(h) => json!({
                "HealthCheckConfig": {
                    "Type": "HTTPS",
                    "FullyQualifiedDomainName": h.fqdn,
                    "Port": 443,
                    "ResourcePath": h.path,
                    "RequestInterval": h.interval_seconds,
                    "FailureThreshold": h.failure_threshold,
                    "EnableSNI": true,
                },
                "HealthCheckTags": [{ "Key": "Name", "Value": h.name }],
            }),
            K::DnsRecord(r) => {
                let mut props = Map::new();
                props.insert("HostedZoneId".into(), r.hosted_zone_id.as_str().into());
                props.insert("Name".into(), r.name.as_str().into());
                props.insert("Type".into(), "A".into());
                props.insert(
                    "AliasTarget".into(),
                    json!({
                        "DNSName": get_att(&r.target, "RegionalDomainName"),
                        "HostedZoneId": get_att(&r.target, "RegionalHostedZoneId"),
                        // The attached health check decides; API Gateway's own target
                        // health rarely reflects a regional failure of this platform.
                        "EvaluateTargetHealth": false,
                    }),
                );
                match &r.routing {
                    RecordRouting::Simple => {}
                    RecordRouting::Latency {
                        set_identifier,
                        region,
                    } => {
                        props.insert("SetIdentifier".into(), set_identifier.as_str().into());
                        props.insert("Region".into(), region.as_str().into());
                    }
                    RecordRouting::Failover {
                        set_identifier,
                        primary,
                    } => {
                        props.insert("SetIdentifier".into(), set_identifier.as_str().into());
                        props.insert(
                            "Failover".into(),
                            if *primary { "PRIMARY" } else { "SECONDARY" }.into(),
                        );
                    }
                }
                if let Some(check) = &r.health_check {
                    props.insert("HealthCheckId".into(), reference(check));
                }
                Json::Object(props)
            }
            K::Dashboard(d) => json!({
                "DashboardName": d.name,
                "DashboardBody": d.body.to_string(),
            }),
            K::ImageRepository(r) => json!({
                "RepositoryName": r.name,
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": { "ScanOnPush": true },
                "EncryptionConfiguration": { "EncryptionType": "KMS", "KmsKey": get_att(&r.kms_key, "Arn") },
                "LifecyclePolicy": { "LifecyclePolicyText": crate::platform::lifecycle_policy(r.keep_images).to_string() },
                "EmptyOnDelete": r.empty_on_delete,
            }),
        }
    }

    fn invoke_uri(&self, function: &LogicalId) -> Json {
        self.value(&Value::join([
            Value::str("arn:"),
            Value::Pseudo(Pseudo::Partition),
            Value::str(":apigateway:"),
            Value::Pseudo(Pseudo::Region),
            Value::str(":lambda:path/2015-03-31/functions/"),
            Value::arn(function),
            Value::str("/invocations"),
        ]))
    }
}

/// The custom domains' TLS policy: TLS 1.2 minimum.
pub const API_DOMAIN_SECURITY_POLICY: &str = "TLS_1_2";

/// API Gateway execution logging: errors only (INFO would log request details at volume).
/// Like access logging, it needs the account's API Gateway CloudWatch role, which is set once
/// per account and region outside these stacks.
pub const EXECUTION_LOG_LEVEL: &str = "ERROR";

/// API Gateway access log line: JSON with the fields an on-call engineer filters on.
pub const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;
