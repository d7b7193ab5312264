//! The event platform, as constructs: one stack per environment and region, built from that
//! region's resolved spec. This is the only place that knows what the platform is made of;
//! the renderers only know how to write resources.

use std::collections::BTreeMap;

use platform_contract as contract;
use serde_json::json;

use crate::assets::SourceHashes;
use crate::construct::grant::{
    BusHandle, FunctionHandle, ImportedBus, KeyHandle, QueueHandle, RoleHandle, SecretHandle,
    TableHandle,
};
use crate::construct::*;
use crate::spec::{BillingMode, Environment, RegionalSpec, RemovalPolicy};

/// Every resource name starts with this.
pub const PREFIX: &str = "infra-gen";
/// The Kubernetes service account the consumer runs as (bound to its IRSA role).
pub const CONSUMER_SERVICE_ACCOUNT: &str = "cdc-consumer";
/// Functions EventBridge invokes asynchronously; the rest are invoked synchronously (API
/// Gateway, the stream mapping), where a function DLQ would never receive anything.
const ASYNC_FUNCTIONS: [&str; 3] = ["event-router", "event-transformer", "health-checker"];

/// Deterministic names of one environment's resources in one region, shared by the stack and
/// by the renderers that need a name before deployment (Kustomize, workflows).
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
    pub fn cdc_table(&self) -> String {
        self.scoped("cdc-state")
    }
    pub fn cdc_dlq(&self) -> &'static str {
        "cdc-dlq"
    }
    pub fn consumer_role(&self) -> &'static str {
        "cdc-consumer"
    }
    pub fn consumer_image(&self, repository: &str, tag: &str) -> String {
        format!(
            "{}.dkr.ecr.{}.amazonaws.com/{repository}:{tag}",
            self.account, self.region
        )
    }
}

pub fn build_app(
    environments: &[Environment],
    assets: &SourceHashes,
) -> Result<App, ConstructError> {
    let mut app = App::default();
    for env in environments {
        let stacks = env
            .regions
            .iter()
            .map(|r| build_stack(r, assets))
            .collect::<Result<Vec<_>, _>>()?;
        app.stages.push(Stage {
            env: env.name.clone(),
            stacks,
        });
    }
    Ok(app)
}

pub fn build_stack(rs: &RegionalSpec, assets: &SourceHashes) -> Result<Stack, ConstructError> {
    let spec = &rs.spec;
    let names = Names::new(rs);
    let (env, region, peer) = (rs.env.as_str(), rs.region.as_str(), rs.peer_region.as_str());
    let retain = spec.removal_policy == RemovalPolicy::Retain;
    let mut stack = Stack::new(
        names.stack(),
        env,
        region,
        &spec.account,
        format!("{PREFIX} event platform: {env} / {region}"),
    );
    stack.tags.push(("project".into(), PREFIX.into()));
    stack.tags.push(("environment".into(), env.into()));
    for (k, v) in &spec.tags {
        if k != "project" && k != "environment" {
            stack.tags.push((k.clone(), v.clone()));
        }
    }
    let account_root = Value::join([
        Value::str("arn:"),
        Value::Pseudo(Pseudo::Partition),
        Value::str(format!(":iam::{}:root", spec.account)),
    ]);

    // ---- Encryption key: one per environment and region, for every store and log.
    let key_id = stack.add(
        &["DataKey"],
        ResourceKind::KmsKey(KmsKey {
            description: format!("{PREFIX} {env} data key ({region})"),
            policy: vec![
                Statement::allow(&["kms:*"], [Value::str("*")])
                    .with_sid("AccountAdministersKey")
                    .with_principal(Principal::Aws(account_root.clone())),
                Statement::allow(&["kms:Decrypt", "kms:GenerateDataKey"], [Value::str("*")])
                    .with_sid("EventBridgeWritesEncryptedDlq")
                    .with_principal(Principal::Service("events.amazonaws.com".into())),
                Statement::allow(
                    &[
                        "kms:Decrypt",
                        "kms:Encrypt",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                        "kms:DescribeKey",
                    ],
                    [Value::str("*")],
                )
                .with_sid("CloudWatchLogsEncryptsLogGroups")
                .with_principal(Principal::Service(format!("logs.{region}.amazonaws.com")))
                .with_condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    vec![Value::str(format!(
                        "arn:aws:logs:{region}:{}:log-group:*",
                        spec.account
                    ))],
                ),
            ],
        }),
        retain,
    )?;
    let key = KeyHandle { id: key_id.clone() };
    stack.add(
        &["DataKey", "Alias"],
        ResourceKind::KmsAlias(KmsAlias {
            name: format!("alias/{PREFIX}-{env}-data"),
            target_key: key_id.clone(),
        }),
        false,
    )?;

    // ---- Dead-letter queues.
    let queue =
        |stack: &mut Stack, path: &str, suffix: &str| -> Result<QueueHandle, ConstructError> {
            let id = stack.add(
                &[path],
                ResourceKind::Queue(Queue {
                    name: names.scoped(suffix),
                    kms_key: key_id.clone(),
                    retention_seconds: 14 * 24 * 3600,
                    redrive: None,
                }),
                retain,
            )?;
            Ok(QueueHandle {
                id,
                key: key.clone(),
            })
        };
    let stream_failures = queue(&mut stack, "StreamFailureDlq", "stream-failures")?;
    let events_dlq = queue(&mut stack, "EventsDlq", "events-dlq")?;
    let cdc_dlq = queue(&mut stack, "CdcDlq", names.cdc_dlq())?;

    // ---- Tables.
    let provisioned = match spec.table.billing_mode {
        BillingMode::PayPerRequest => None,
        BillingMode::Provisioned => Some((
            spec.table.read_capacity.unwrap_or(1),
            spec.table.write_capacity.unwrap_or(1),
        )),
    };
    // Every table shares the environment's billing, recovery, protection and key settings.
    let table = |stack: &mut Stack,
                 path: &str,
                 name: String,
                 sort_key: Option<&str>,
                 stream: bool,
                 ttl: Option<String>| {
        let id = stack.add(
            &[path],
            ResourceKind::Table(Table {
                name,
                partition_key: "pk".into(),
                sort_key: sort_key.map(String::from),
                provisioned,
                stream_new_and_old_images: stream,
                point_in_time_recovery: spec.table.point_in_time_recovery,
                deletion_protection: spec.table.deletion_protection,
                kms_key: key_id.clone(),
                ttl_attribute: ttl,
            }),
            retain,
        )?;
        Ok::<_, ConstructError>(TableHandle {
            id,
            key: key.clone(),
        })
    };
    let events_table = table(
        &mut stack,
        "EventsTable",
        names.scoped("events"),
        Some("sk"),
        true,
        spec.table.ttl_attribute.clone(),
    )?;
    let table_id = events_table.id.clone();
    let cdc_table = table(
        &mut stack,
        "CdcStateTable",
        names.cdc_table(),
        None,
        false,
        None,
    )?;
    let cdc_table_id = cdc_table.id.clone();
    // Idempotency records of the stream processor: a table of its own, since writing them to
    // the events table would feed its own stream. It writes `expiresAt` on each record (see
    // functions/README.md).
    let idempotency = table(
        &mut stack,
        "IdempotencyTable",
        names.scoped("idempotency"),
        None,
        false,
        Some("expiresAt".into()),
    )?;
    let idempotency_id = idempotency.id.clone();

    // ---- Buses and the signing secret.
    let bus_id = stack.add(
        &["Bus"],
        ResourceKind::EventBus(EventBus { name: names.bus() }),
        false,
    )?;
    let bus = BusHandle { id: bus_id.clone() };
    let peer_bus = ImportedBus {
        arn: names.bus_arn_in(peer),
    };
    let secret_id = stack.add(
        &["JwtSigningKey"],
        ResourceKind::Secret(Secret {
            name: format!("{PREFIX}/{env}/jwt-signing-key"),
            description: format!("JWT signing key for the {PREFIX} {env} API authorizer"),
            kms_key: key_id.clone(),
            generated_length: 64,
        }),
        retain,
    )?;
    let secret = SecretHandle {
        id: secret_id.clone(),
        key: key.clone(),
    };

    // The API comes before the functions: the authorizer's policy names it.
    let api = stack.add(
        &["Api"],
        ResourceKind::RestApi(RestApi {
            name: names.scoped("api"),
            description: format!("{PREFIX} {env} API ({region})"),
        }),
        false,
    )?;

    let refs = Refs {
        bus: &bus_id,
        table: &table_id,
        idempotency_table: &idempotency_id,
        secret: &secret_id,
        api: &api,
        events_dlq: &events_dlq,
        stream_failures: &stream_failures,
    };

    // ---- Functions, each with its own role and log group.
    let mut functions: BTreeMap<&str, FunctionHandle> = BTreeMap::new();
    for name in contract::FUNCTION_NAMES {
        let settings = &spec.functions[name];
        let log_group = stack.add(
            &[name, "Logs"],
            ResourceKind::LogGroup(LogGroup {
                name: format!("/aws/lambda/{}", names.function(name)),
                retention_days: settings.log_retention_days,
                kms_key: key_id.clone(),
            }),
            retain,
        )?;
        let role = stack.add(
            &[name, "Role"],
            ResourceKind::Role(Role {
                name: names.role(name),
                description: format!("Execution role of {}", names.function(name)),
                assumed_by: Principal::Service("lambda.amazonaws.com".into()),
                trust_conditions: Vec::new(),
                web_identity: false,
                statements: vec![
                    Statement::allow(
                        &["logs:CreateLogStream", "logs:PutLogEvents"],
                        [Value::arn(&log_group)],
                    ),
                    // X-Ray has no resource-level permissions: these two actions need `*`.
                    Statement::allow(
                        &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                        [Value::str("*")],
                    ),
                ],
            }),
            false,
        )?;
        let mut environment: Vec<(String, Value)> = function_environment(name, rs, &names, &refs);
        environment.extend(
            settings
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), Value::str(v.clone()))),
        );
        let async_invoked = ASYNC_FUNCTIONS.contains(&name);
        let id = stack.add(
            &[name],
            ResourceKind::Function(Function {
                name: names.function(name),
                description: format!("{PREFIX} {name} ({env})"),
                role: role.clone(),
                architecture: settings.architecture.as_str(),
                memory_mb: settings.memory_mb,
                timeout_seconds: settings.timeout_seconds,
                reserved_concurrency: settings.reserved_concurrency,
                environment,
                kms_key: key_id.clone(),
                code: assets.function_asset(name, settings.architecture.as_str()),
                log_group: log_group.clone(),
                dead_letter_queue: async_invoked.then(|| events_dlq.id.clone()),
            }),
            false,
        )?;
        let handle = FunctionHandle {
            id,
            role,
            name: names.function(name),
        };
        key.grant_decrypt(&mut stack, &handle); // environment variables are encrypted with the key
        if async_invoked {
            events_dlq.grant_send(&mut stack, &handle);
        }
        if settings.provisioned_concurrency > 0 {
            let version = stack.add(
                &[name, "Version"],
                ResourceKind::FunctionVersion(FunctionVersion {
                    function: handle.id.clone(),
                }),
                false,
            )?;
            stack.add(
                &[name, "Live"],
                ResourceKind::FunctionAlias(FunctionAlias {
                    name: "live".into(),
                    function: handle.id.clone(),
                    version,
                    provisioned_concurrency: settings.provisioned_concurrency,
                }),
                false,
            )?;
        }
        functions.insert(name, handle);
    }
    let f = |name: &str| functions[name].clone();

    // event-router: both buses.
    bus.grant_put_events(&mut stack, &f("event-router"));
    peer_bus.grant_put_events(&mut stack, &f("event-router"));
    // stream-processor: the stream, with bisect, retries and an on-failure destination.
    events_table.grant_stream_read(&mut stack, &f("stream-processor"));
    idempotency.grant(
        &mut stack,
        &f("stream-processor"),
        &["dynamodb:GetItem", "dynamodb:PutItem"],
    );
    stream_failures.grant_send(&mut stack, &f("stream-processor"));
    bus.grant_put_events(&mut stack, &f("stream-processor"));
    stack.add(
        &["stream-processor", "EventSource"],
        ResourceKind::EventSourceMapping(EventSourceMapping {
            function: f("stream-processor").id,
            source_arn: Value::attr(&table_id, Attr::StreamArn),
            batch_size: spec.stream.batch_size,
            bisect_on_error: true,
            max_retries: spec.stream.max_retries,
            max_record_age_seconds: spec.stream.max_record_age_seconds,
            parallelization_factor: spec.stream.parallelization_factor,
            report_batch_item_failures: true,
            on_failure_queue: stream_failures.id.clone(),
        }),
        false,
    )?;
    // event-transformer: writes the transformed events, forwards them, dead-letters invalid ones.
    events_table.grant_write_data(&mut stack, &f("event-transformer"));
    bus.grant_put_events(&mut stack, &f("event-transformer"));
    // health-checker: describes its dependencies and stores the latest status.
    events_table.grant_describe(&mut stack, &f("health-checker"));
    events_table.grant_write_data(&mut stack, &f("health-checker"));
    bus.grant_describe(&mut stack, &f("health-checker"));
    for q in [&stream_failures, &events_dlq, &cdc_dlq] {
        q.grant_get_attributes(&mut stack, &f("health-checker"));
    }
    // authorizer: the only principal that may read the signing key.
    secret.grant_read(&mut stack, &f("authorizer"));
    stack.add(
        &["JwtSigningKey", "Policy"],
        ResourceKind::SecretPolicy(SecretPolicy {
            secret: secret_id.clone(),
            statements: vec![
                Statement::allow(&["secretsmanager:GetSecretValue"], [Value::str("*")])
                    .deny()
                    .with_sid("OnlyTheAuthorizerReads")
                    .with_principal(Principal::Any)
                    .with_condition(
                        "StringNotEquals",
                        "aws:PrincipalArn",
                        vec![Value::str(names.role_arn("authorizer"))],
                    ),
            ],
        }),
        false,
    )?;

    // ---- Rules.
    let mut dlq_sources = Vec::new();
    let lambda_rule = |stack: &mut Stack,
                       path: &str,
                       rule: Rule,
                       function: &FunctionHandle|
     -> Result<LogicalId, ConstructError> {
        let rule_id = stack.add(&[path], ResourceKind::Rule(rule), false)?;
        stack.add(
            &[path, "Permission"],
            ResourceKind::LambdaPermission(LambdaPermission {
                function: function.id.clone(),
                principal: "events.amazonaws.com".into(),
                source_arn: Value::arn(&rule_id),
            }),
            false,
        )?;
        Ok(rule_id)
    };
    let lambda_target =
        |function: &FunctionHandle, dlq: bool, retries: u32, max_age: Option<u32>| RuleTarget {
            id: pascal_case(&function.name),
            arn: Value::arn(&function.id),
            role: None,
            dead_letter_queue: dlq.then(|| events_dlq.id.clone()),
            max_retries: Some(retries),
            max_event_age_seconds: max_age,
        };
    let transform = lambda_rule(
        &mut stack,
        "TransformRule",
        Rule {
            name: names.scoped("transform"),
            description: "Route by detail-type to event-transformer".into(),
            bus: Some(bus_id.clone()),
            trigger: RuleTrigger::Pattern(json!({ "detail-type": spec.routing.detail_types })),
            targets: vec![lambda_target(&f("event-transformer"), true, 4, Some(7200))],
        },
        &f("event-transformer"),
    )?;
    dlq_sources.push(transform);
    let route = lambda_rule(
        &mut stack,
        "RouteRule",
        Rule {
            name: names.scoped("route"),
            description: "Events needing routing decisions go to event-router".into(),
            bus: Some(bus_id.clone()),
            trigger: RuleTrigger::Pattern(json!({ "detail-type": ["route.request"] })),
            targets: vec![lambda_target(&f("event-router"), true, 4, Some(7200))],
        },
        &f("event-router"),
    )?;
    dlq_sources.push(route);
    lambda_rule(
        &mut stack,
        "HealthCheckSchedule",
        Rule {
            name: names.scoped("health-schedule"),
            description: "Run health-checker on its schedule".into(),
            bus: None,
            trigger: RuleTrigger::Schedule(spec.health.schedule.clone()),
            targets: vec![lambda_target(&f("health-checker"), false, 0, None)],
        },
        &f("health-checker"),
    )?;
    let forward_role = stack.add(
        &["CrossRegionForwardRule", "Role"],
        ResourceKind::Role(Role {
            name: names.role("forward"),
            description: format!("EventBridge forwards replicated events to {peer}"),
            assumed_by: Principal::Service("events.amazonaws.com".into()),
            trust_conditions: Vec::new(),
            web_identity: false,
            statements: Vec::new(),
        }),
        false,
    )?;
    peer_bus.grant_put_events(
        &mut stack,
        &RoleHandle {
            id: forward_role.clone(),
        },
    );
    let forward = stack.add(
        &["CrossRegionForwardRule"],
        ResourceKind::Rule(Rule {
            name: names.scoped(&format!("forward-to-{peer}")),
            description: format!("Forward locally originated replicated events to {peer}"),
            bus: Some(bus_id.clone()),
            trigger: RuleTrigger::Pattern(
                json!({ "detail": { "replicate": [true], "originRegion": [region] } }),
            ),
            targets: vec![RuleTarget {
                id: "PeerBus".into(),
                arn: Value::str(peer_bus.arn.clone()),
                role: Some(forward_role),
                dead_letter_queue: Some(events_dlq.id.clone()),
                max_retries: None,
                max_event_age_seconds: None,
            }],
        }),
        false,
    )?;
    dlq_sources.push(forward);
    stack.add(
        &["EventsDlq", "Policy"],
        ResourceKind::QueuePolicy(QueuePolicy {
            queue: events_dlq.id.clone(),
            statements: vec![
                deny_insecure_transport(&events_dlq.id),
                Statement::allow(&["sqs:SendMessage"], [Value::arn(&events_dlq.id)])
                    .with_sid("EventBridgeRulesDeadLetter")
                    .with_principal(Principal::Service("events.amazonaws.com".into()))
                    .with_condition(
                        "ArnEquals",
                        "aws:SourceArn",
                        dlq_sources.iter().map(Value::arn).collect(),
                    ),
            ],
        }),
        false,
    )?;
    for q in [&stream_failures, &cdc_dlq] {
        stack.add(
            &[q.id.as_str(), "Policy"],
            ResourceKind::QueuePolicy(QueuePolicy {
                queue: q.id.clone(),
                statements: vec![deny_insecure_transport(&q.id)],
            }),
            false,
        )?;
    }

    // ---- REST API: GET /health behind the TOKEN authorizer.
    let health_resource = stack.add(
        &["Api", "health"],
        ResourceKind::ApiResource(ApiResource {
            api: api.clone(),
            path_part: "health".into(),
        }),
        false,
    )?;
    let authorizer = stack.add(
        &["TokenAuthorizer"],
        ResourceKind::ApiAuthorizer(ApiAuthorizer {
            name: names.scoped("jwt"),
            api: api.clone(),
            function: f("authorizer").id,
            identity_header: "Authorization".into(),
            cache_seconds: spec.api.authorizer_cache_seconds,
        }),
        false,
    )?;
    let method = stack.add(
        &["Api", "health", "GET"],
        ResourceKind::ApiMethod(ApiMethod {
            api: api.clone(),
            resource: health_resource,
            http_method: "GET".into(),
            authorizer: authorizer.clone(),
            function: f("health-checker").id,
        }),
        false,
    )?;
    let execute_api = |suffix: &str| {
        Value::join([
            Value::str("arn:"),
            Value::Pseudo(Pseudo::Partition),
            Value::str(format!(":execute-api:{region}:{}:", spec.account)),
            Value::attr(&api, Attr::Name),
            Value::str(suffix.to_string()),
        ])
    };
    stack.add(
        &["Api", "health", "GET", "Permission"],
        ResourceKind::LambdaPermission(LambdaPermission {
            function: f("health-checker").id,
            principal: "apigateway.amazonaws.com".into(),
            source_arn: execute_api(&format!("/{env}/GET/health")),
        }),
        false,
    )?;
    stack.add(
        &["TokenAuthorizer", "Permission"],
        ResourceKind::LambdaPermission(LambdaPermission {
            function: f("authorizer").id,
            principal: "apigateway.amazonaws.com".into(),
            source_arn: execute_api("/authorizers/*"),
        }),
        false,
    )?;
    let deployment = stack.add(
        &["Api", "Deployment"],
        ResourceKind::ApiDeployment(ApiDeployment {
            api: api.clone(),
            fingerprint: "GET /health CUSTOM".into(),
        }),
        false,
    )?;
    stack.depend(&deployment, &method);
    let access_logs = stack.add(
        &["Api", "AccessLogs"],
        ResourceKind::LogGroup(LogGroup {
            name: format!("/aws/apigateway/{}", names.scoped("api")),
            retention_days: spec.functions["health-checker"].log_retention_days,
            kms_key: key_id.clone(),
        }),
        retain,
    )?;
    stack.add(
        &["Api", "Stage"],
        ResourceKind::ApiStage(ApiStage {
            name: env.to_string(),
            api: api.clone(),
            deployment,
            access_log_group: access_logs,
            throttle_rate_limit: spec.api.throttle_rate_limit,
            throttle_burst_limit: spec.api.throttle_burst_limit,
        }),
        false,
    )?;

    // ---- The consumer's side: IRSA role, permissions.
    let oidc = &spec.consumer.eks_oidc_provider;
    let consumer_role = stack.add(
        &["ConsumerRole"],
        ResourceKind::Role(Role {
            name: names.role(names.consumer_role()),
            description: format!("IRSA role of the CDC consumer ({env}, {region})"),
            assumed_by: Principal::Federated(Value::join([
                Value::str("arn:"),
                Value::Pseudo(Pseudo::Partition),
                Value::str(format!(":iam::{}:oidc-provider/{oidc}", spec.account)),
            ])),
            trust_conditions: vec![
                Condition {
                    operator: "StringEquals".into(),
                    key: format!("{oidc}:sub"),
                    values: vec![Value::str(format!(
                        "system:serviceaccount:{}:{CONSUMER_SERVICE_ACCOUNT}",
                        spec.consumer.namespace
                    ))],
                },
                Condition {
                    operator: "StringEquals".into(),
                    key: format!("{oidc}:aud"),
                    values: vec![Value::str("sts.amazonaws.com")],
                },
            ],
            web_identity: true,
            statements: Vec::new(),
        }),
        false,
    )?;
    let consumer = RoleHandle {
        id: consumer_role.clone(),
    };
    cdc_table.grant_read_write_data(&mut stack, &consumer);
    cdc_dlq.grant_send(&mut stack, &consumer);
    if spec.consumer.publish_cdc_events {
        bus.grant_put_events(&mut stack, &consumer);
    }

    // ---- Alarms.
    let a = &spec.alarms;
    for q in [&stream_failures, &events_dlq, &cdc_dlq] {
        stack.add(
            &[q.id.as_str(), "DepthAlarm"],
            ResourceKind::Alarm(Alarm {
                name: format!("{}-{}-depth", names.scoped(region), q.id),
                namespace: "AWS/SQS".into(),
                metric: "ApproximateNumberOfMessagesVisible".into(),
                dimension: ("QueueName".into(), Value::attr(&q.id, Attr::Name)),
                statistic: "Maximum".into(),
                period_seconds: a.period_seconds,
                threshold: a.dlq_depth_threshold,
                evaluation_periods: a.evaluation_periods,
            }),
            false,
        )?;
    }
    for name in contract::FUNCTION_NAMES {
        stack.add(
            &[name, "ErrorsAlarm"],
            ResourceKind::Alarm(Alarm {
                name: format!("{}-{name}-errors", names.scoped(region)),
                namespace: "AWS/Lambda".into(),
                metric: "Errors".into(),
                dimension: (
                    "FunctionName".into(),
                    Value::attr(&functions[name].id, Attr::Name),
                ),
                statistic: "Sum".into(),
                period_seconds: a.period_seconds,
                threshold: a.lambda_error_threshold,
                evaluation_periods: a.evaluation_periods,
            }),
            false,
        )?;
    }

    stack.output(
        "ApiUrl",
        "Base URL of the REST API stage",
        Value::join([
            Value::str("https://"),
            Value::attr(&api, Attr::Name),
            Value::str(format!(".execute-api.{region}.amazonaws.com/{env}/")),
        ]),
    );
    stack.output(
        "EventBusArn",
        "This region's event bus",
        Value::arn(&bus_id),
    );
    stack.output(
        "ConsumerRoleArn",
        "IRSA role of the CDC consumer",
        Value::arn(&consumer_role),
    );
    stack.output(
        "CdcDlqUrl",
        "Dead-letter queue of the CDC consumer",
        Value::attr(&cdc_dlq.id, Attr::Url),
    );
    stack.output(
        "CdcTableName",
        "Sink table of the CDC consumer",
        Value::attr(&cdc_table_id, Attr::Name),
    );
    stack.check_references()?;
    Ok(stack)
}

fn deny_insecure_transport(queue: &LogicalId) -> Statement {
    Statement::allow(&["sqs:*"], [Value::arn(queue)])
        .deny()
        .with_sid("DenyInsecureTransport")
        .with_principal(Principal::Any)
        .with_condition("Bool", "aws:SecureTransport", vec![Value::str("false")])
}

/// The resources whose names and ARNs the functions' environments carry.
struct Refs<'a> {
    bus: &'a LogicalId,
    table: &'a LogicalId,
    idempotency_table: &'a LogicalId,
    secret: &'a LogicalId,
    api: &'a LogicalId,
    events_dlq: &'a QueueHandle,
    stream_failures: &'a QueueHandle,
}

/// The configuration contract of each function, as template values.
fn function_environment(
    function: &str,
    rs: &RegionalSpec,
    names: &Names,
    refs: &Refs<'_>,
) -> Vec<(String, Value)> {
    let spec = &rs.spec;
    let Refs {
        bus,
        table,
        secret,
        events_dlq,
        stream_failures,
        ..
    } = *refs;
    let mut env: Vec<(&str, Value)> = vec![
        (contract::STAGE, Value::str(rs.env.clone())),
        (contract::LOG_LEVEL, spec.log_level.as_str().into()),
    ];
    let bus_name = || Value::attr(bus, Attr::Name);
    let table_name = || Value::attr(table, Attr::Name);
    let dlq_url = || Value::attr(&events_dlq.id, Attr::Url);
    match function {
        "event-router" => {
            env.extend([
                (contract::PEER_REGION, Value::str(rs.peer_region.clone())),
                (contract::EVENT_BUS_NAME, bus_name()),
                (
                    contract::PEER_EVENT_BUS_ARN,
                    Value::str(names.bus_arn_in(&rs.peer_region)),
                ),
                (contract::DLQ_URL, dlq_url()),
                (
                    contract::COMPRESSION_THRESHOLD_BYTES,
                    spec.router.compression_threshold_bytes.to_string().into(),
                ),
                (
                    contract::CIRCUIT_FAILURE_THRESHOLD,
                    spec.router.circuit_failure_threshold.to_string().into(),
                ),
                (
                    contract::CIRCUIT_OPEN_SECONDS,
                    spec.router.circuit_open_seconds.to_string().into(),
                ),
            ]);
            if !spec.router.routes.is_empty() {
                env.push((
                    contract::ROUTING_RULES,
                    Value::str(spec.router.routes.join(";")),
                ));
            }
        }
        "stream-processor" => env.extend([
            (contract::EVENT_BUS_NAME, bus_name()),
            (contract::EVENTS_TABLE_NAME, table_name()),
            (
                contract::IDEMPOTENCY_TABLE_NAME,
                Value::attr(refs.idempotency_table, Attr::Name),
            ),
        ]),
        "event-transformer" => env.extend([
            (contract::EVENT_BUS_NAME, bus_name()),
            (contract::EVENTS_TABLE_NAME, table_name()),
            (contract::DLQ_URL, dlq_url()),
        ]),
        "health-checker" => {
            env.extend([
                (contract::PEER_REGION, Value::str(rs.peer_region.clone())),
                (contract::EVENTS_TABLE_NAME, table_name()),
                (contract::EVENT_BUS_NAME, bus_name()),
                (
                    contract::HEALTH_DLQ_URLS,
                    Value::join([
                        Value::attr(&stream_failures.id, Attr::Url),
                        Value::str(","),
                        dlq_url(),
                        Value::str(format!(",{}", names.queue_url(names.cdc_dlq()))),
                    ]),
                ),
                (
                    contract::DLQ_DEPTH_THRESHOLD,
                    spec.health.dlq_depth_threshold.to_string().into(),
                ),
                (
                    contract::PEER_TIMEOUT_MS,
                    spec.health.peer_timeout_ms.to_string().into(),
                ),
            ]);
            if let Some(url) = &spec.health.peer_health_url {
                env.push((contract::PEER_HEALTH_URL, Value::str(url.clone())));
            }
        }
        "authorizer" => env.extend([
            // One Allow covers every method of the stage, so a cached decision serves them all.
            (
                contract::JWT_POLICY_RESOURCE,
                Value::join([
                    Value::str(format!(
                        "arn:aws:execute-api:{}:{}:",
                        rs.region, spec.account
                    )),
                    Value::attr(refs.api, Attr::Name),
                    Value::str(format!("/{}/*", rs.env)),
                ]),
            ),
            (contract::JWT_SECRET_ARN, Value::arn(secret)),
            (
                contract::JWT_ISSUER,
                Value::str(spec.api.jwt_issuer.clone()),
            ),
            (
                contract::JWT_AUDIENCE,
                Value::str(spec.api.jwt_audience.clone()),
            ),
        ]),
        _ => {}
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The consumer's environment (its ConfigMap), by contract name.
pub fn consumer_environment(rs: &RegionalSpec) -> Vec<(&'static str, String)> {
    let spec = &rs.spec;
    let names = Names::new(rs);
    let topics: Vec<contract::TopicTable> = spec
        .consumer
        .topics
        .iter()
        .map(|t| contract::TopicTable {
            topic: t.topic.clone(),
            table: t.table.clone(),
            key_columns: t.key_columns.clone(),
        })
        .collect();
    let mut env = vec![
        (contract::STAGE, rs.env.clone()),
        (contract::LOG_LEVEL, spec.log_level.as_str().to_string()),
        (contract::AWS_REGION, rs.region.clone()),
        (
            contract::KAFKA_BOOTSTRAP_SERVERS,
            spec.consumer.kafka_bootstrap_servers.join(","),
        ),
        (contract::KAFKA_GROUP_ID, spec.consumer.group_id.clone()),
        (
            contract::CDC_TOPIC_TABLES,
            contract::TopicTable::format_list(&topics),
        ),
        (contract::CDC_TABLE_NAME, names.cdc_table()),
        (contract::CDC_DLQ_URL, names.queue_url(names.cdc_dlq())),
        (
            contract::METRICS_PORT,
            contract::DEFAULT_METRICS_PORT.to_string(),
        ),
    ];
    if spec.consumer.publish_cdc_events {
        env.push((contract::CDC_EVENT_BUS_NAME, names.bus()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{SourceFile, resolve};

    fn environments() -> Vec<Environment> {
        let file = |name: &str, text: &str| SourceFile {
            display_path: format!("environments/{name}"),
            text: text.to_string(),
        };
        resolve(
            &file(
                "defaults.yaml",
                include_str!("../../environments/defaults.yaml"),
            ),
            &[
                file("dev.yaml", include_str!("../../environments/dev.yaml")),
                file("prod.yaml", include_str!("../../environments/prod.yaml")),
            ],
        )
        .unwrap()
    }

    fn ids(stack: &Stack) -> Vec<String> {
        stack.resources.iter().map(|r| r.id.to_string()).collect()
    }

    #[test]
    fn every_function_gets_its_whole_required_contract() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            for r in &stack.resources {
                let ResourceKind::Function(f) = &r.kind else {
                    continue;
                };
                let program = f
                    .name
                    .trim_start_matches(&format!("{PREFIX}-{}-", stack.env));
                let contract = contract::env_contract(program)
                    .unwrap_or_else(|| panic!("no contract for {program}"));
                let set: Vec<&str> = f.environment.iter().map(|(k, _)| k.as_str()).collect();
                for var in contract.iter().filter(|v| v.required) {
                    assert!(
                        set.contains(&var.name),
                        "{}: {program} lacks required {}",
                        stack.name,
                        var.name
                    );
                }
                for name in &set {
                    assert!(
                        contract.iter().any(|v| v.name == *name),
                        "{}: {program} sets {name}, which is not in its contract",
                        stack.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_consumer_environment_is_its_contract() {
        for env in environments() {
            for rs in &env.regions {
                let set: Vec<&str> = consumer_environment(rs).iter().map(|(k, _)| *k).collect();
                for var in contract::CONSUMER_ENV {
                    assert!(
                        !var.required || set.contains(&var.name),
                        "consumer lacks {}",
                        var.name
                    );
                }
                assert!(
                    set.iter()
                        .all(|n| contract::CONSUMER_ENV.iter().any(|v| v.name == *n))
                );
            }
        }
    }

    #[test]
    fn adding_constructs_renames_nothing() {
        let envs = environments();
        let dev = &envs[0].regions[0];
        let mut with_alias = dev.clone();
        with_alias
            .spec
            .functions
            .get_mut("stream-processor")
            .unwrap()
            .provisioned_concurrency = 1;
        let before = ids(&build_stack(dev, &SourceHashes::default()).unwrap());
        let after = ids(&build_stack(&with_alias, &SourceHashes::default()).unwrap());
        let added: Vec<_> = after.iter().filter(|id| !before.contains(id)).collect();
        assert_eq!(added, ["StreamProcessorVersion", "StreamProcessorLive"]);
        assert!(before.iter().all(|id| after.contains(id)));
    }

    #[test]
    fn no_role_grants_a_wildcard_action_and_wildcard_resources_are_only_xray() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            for r in &stack.resources {
                let ResourceKind::Role(role) = &r.kind else {
                    continue;
                };
                for s in &role.statements {
                    assert!(
                        s.actions.iter().all(|a| !a.ends_with('*')),
                        "{}: {:?}",
                        role.name,
                        s.actions
                    );
                    if s.resources.contains(&Value::str("*")) {
                        assert!(
                            s.actions.iter().all(|a| a.starts_with("xray:")),
                            "{}: {:?}",
                            role.name,
                            s.actions
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_authorizer_can_read_the_signing_key() {
        let app = build_app(&environments(), &SourceHashes::default()).unwrap();
        for stack in app.stacks() {
            let readers: Vec<&str> = stack
                .resources
                .iter()
                .filter_map(|r| match &r.kind {
                    ResourceKind::Role(role)
                        if role.statements.iter().any(|s| {
                            s.actions
                                .iter()
                                .any(|a| a == "secretsmanager:GetSecretValue")
                        }) =>
                    {
                        Some(role.name.as_str())
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                readers,
                [format!(
                    "infra-gen-{}-{}-authorizer",
                    stack.env, stack.region
                )]
            );
        }
    }
}
