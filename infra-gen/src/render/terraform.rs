//! Terraform: one root module per stack, in `terraform/<env>/<region>/`, describing the same
//! resources with the same settings as the CloudFormation template, in AWS provider 5.x terms.
//!
//! Mappings that are not one-to-one:
//! - A Role with statements becomes `aws_iam_role` + `aws_iam_role_policy` `<id>_policy`; a
//!   Function whose role has statements depends on that policy, because in CloudFormation the
//!   inline policy is part of the role and Lambda checks the role's permissions at creation
//!   (dead-letter queue, stream source).
//! - FunctionVersion has no resource of its own: it is `publish = true` on its function, and
//!   references to the version resolve to `aws_lambda_function.<function>.version`.
//!   FunctionAlias becomes `aws_lambda_alias` + `aws_lambda_provisioned_concurrency_config`.
//! - Rule becomes `aws_cloudwatch_event_rule` + one `aws_cloudwatch_event_target` per target;
//!   ApiMethod becomes `aws_api_gateway_method` + `aws_api_gateway_integration`; ApiStage
//!   becomes `aws_api_gateway_stage` + `aws_api_gateway_method_settings`.
//! - A depends-on names every Terraform resource of the construct it points at, so ordering is
//!   what CloudFormation's DependsOn guarantees.

use std::cell::Cell;
use std::collections::BTreeMap;

use super::checkov_skips;
use super::cloudformation::ACCESS_LOG_FORMAT;
use super::cloudformation::{API_DOMAIN_SECURITY_POLICY, EXECUTION_LOG_LEVEL};
use super::hcl::{Block, Body, Expr, escape, quote};
use crate::construct::*;
use crate::output::FileSet;

/// The AWS provider release the module is written and checked against.
const AWS_PROVIDER_VERSION: &str = "5.80.0";
/// The S3 backend's `use_lockfile` (native state locking, no DynamoDB table) is generally
/// available from 1.11; older releases reject it or treat it as experimental.
const REQUIRED_TERRAFORM: &str = ">= 1.11.0";

/// The module directory of a stack under `generated/`.
pub fn module_dir(stack: &Stack) -> String {
    format!("terraform/{}/{}/", stack.env, stack.region)
}

/// Writes the stack's root module.
pub fn render(stack: &Stack, files: &mut FileSet) {
    let dir = module_dir(stack);
    files.own(dir.clone());
    let r = Resolver::new(stack);
    let resources: Vec<Block> = stack
        .resources
        .iter()
        .flat_map(|res| r.resource(res))
        .collect();
    let outputs: Vec<Block> = stack.outputs.iter().map(|o| r.output(o)).collect();
    // Data sources last-minute: only the pseudo parameters something used are declared.
    let main: Vec<Block> = r.data_sources().into_iter().chain(resources).collect();
    files.add(format!("{dir}versions.tf"), file(versions(stack)));
    files.add(format!("{dir}variables.tf"), file(variables(stack)));
    files.add(format!("{dir}main.tf"), file(main));
    let artefacts = artefacts(stack);
    if !artefacts.is_empty() {
        files.add(format!("{dir}artefacts.tf"), file(artefacts));
    }
    files.add(format!("{dir}outputs.tf"), file(outputs));
}

/// The repository root seen from a module directory (`generated/terraform/<env>/<region>/`):
/// `infra-gen package` writes the function zips under it, in `crate::package::ASSET_DIR`.
pub const ROOT_FROM_MODULE: &str = "../../../..";
/// The Terraform-only bucket holding the module's function code.
const ARTEFACT_BUCKET: &str = "artefacts";

/// The `aws_s3_object` of a function's code.
fn code_object_name(function: &LogicalId) -> String {
    format!("{}_code", function.snake_case())
}

/// Terraform's own code delivery, so that `terraform apply` alone deploys the functions
/// (CloudFormation's `cdk deploy` publishes to the CDK bootstrap bucket instead, which only
/// it fills): a bucket of the module's own, and one object per function whose source is the
/// zip `infra-gen package` wrote. Kept out of `main.tf`, which mirrors the template resource
/// for resource.
fn artefacts(stack: &Stack) -> Vec<Block> {
    if !stack
        .resources
        .iter()
        .any(|r| matches!(r.kind, ResourceKind::Function(_)))
    {
        return Vec::new();
    }
    // The platform's stacks always have their data key; a stack without one gets the
    // AWS-managed S3 key.
    let key = stack
        .resources
        .iter()
        .find(|r| matches!(r.kind, ResourceKind::KmsKey(_)))
        .map(|r| format!("{}.arn", Resolver::new(stack).address(&r.id)));
    let bucket_ref = format!("aws_s3_bucket.{ARTEFACT_BUCKET}.id");
    let on_bucket = || {
        let mut body = Body::new();
        body.attr("bucket", Expr::raw(&bucket_ref));
        body
    };
    let skip = |check: &str, why: &str| format!("checkov:skip={check}:{why}");
    let mut bucket = Body::new();
    bucket.prepend_comments(&[
        skip("CKV_AWS_18", "Holds only build outputs that infra-gen package reproduces byte for byte; writes come from the deploy role, which CloudTrail records"),
        skip("CKV_AWS_144", "The objects are rebuilt from the sources; each region's module has its own bucket, so nothing needs replicating"),
        skip("CKV2_AWS_62", "Nothing reacts to uploads: Terraform points each function at its object in the same apply"),
    ]);
    bucket
        .attr(
            "bucket",
            Expr::str(&format!(
                "{}-tf-{ARTEFACT_BUCKET}-{}",
                stack.name, stack.account
            )),
        )
        .comment(" Build outputs only: destroying the module may take them with it.")
        .attr("force_destroy", Expr::bool(true));
    let mut versioning_configuration = Body::new();
    versioning_configuration.attr("status", Expr::str("Enabled"));
    let mut versioning = on_bucket();
    versioning.block("versioning_configuration", &[], versioning_configuration);
    let mut by_default = Body::new();
    by_default.attr("sse_algorithm", Expr::str("aws:kms"));
    if let Some(key) = &key {
        by_default.attr("kms_master_key_id", Expr::raw(key));
    }
    let mut rule = Body::new();
    rule.block("apply_server_side_encryption_by_default", &[], by_default)
        .attr("bucket_key_enabled", Expr::bool(true));
    let mut encryption = on_bucket();
    encryption.block("rule", &[], rule);
    let mut public_access = on_bucket();
    for setting in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        public_access.attr(setting, Expr::bool(true));
    }
    let bucket_arn = format!("aws_s3_bucket.{ARTEFACT_BUCKET}.arn");
    let deny_plain_http = Expr::Object(vec![
        ("Sid".into(), Expr::str("DenyPlainHttp")),
        ("Effect".into(), Expr::str("Deny")),
        ("Principal".into(), Expr::str("*")),
        ("Action".into(), Expr::str("s3:*")),
        (
            "Resource".into(),
            Expr::List(vec![
                Expr::raw(&bucket_arn),
                Expr::raw(format!("\"${{{bucket_arn}}}/*\"")),
            ]),
        ),
        (
            "Condition".into(),
            Expr::Object(vec![(
                "Bool".into(),
                Expr::Object(vec![("aws:SecureTransport".into(), Expr::str("false"))]),
            )]),
        ),
    ]);
    let mut policy = on_bucket();
    policy.attr(
        "policy",
        Expr::Call(
            "jsonencode",
            vec![Expr::Object(vec![
                ("Version".into(), Expr::str("2012-10-17")),
                ("Statement".into(), Expr::List(vec![deny_plain_http])),
            ])],
        ),
    );
    let mut noncurrent = Body::new();
    noncurrent.attr("noncurrent_days", Expr::int(30));
    let mut abort = Body::new();
    abort.attr("days_after_initiation", Expr::int(1));
    let mut lifecycle_rule = Body::new();
    lifecycle_rule
        .attr("id", Expr::str("expire-replaced-code"))
        .attr("status", Expr::str("Enabled"))
        .block("filter", &[], Body::new())
        .block("noncurrent_version_expiration", &[], noncurrent)
        .block("abort_incomplete_multipart_upload", &[], abort);
    let mut lifecycle = on_bucket();
    lifecycle.block("rule", &[], lifecycle_rule);

    let mut blocks = vec![
        resource_block("aws_s3_bucket", ARTEFACT_BUCKET, bucket),
        resource_block("aws_s3_bucket_versioning", ARTEFACT_BUCKET, versioning),
        resource_block(
            "aws_s3_bucket_server_side_encryption_configuration",
            ARTEFACT_BUCKET,
            encryption,
        ),
        resource_block(
            "aws_s3_bucket_public_access_block",
            ARTEFACT_BUCKET,
            public_access,
        ),
        resource_block("aws_s3_bucket_policy", ARTEFACT_BUCKET, policy),
        resource_block(
            "aws_s3_bucket_lifecycle_configuration",
            ARTEFACT_BUCKET,
            lifecycle,
        ),
    ];
    for r in &stack.resources {
        let ResourceKind::Function(f) = &r.kind else {
            continue;
        };
        let function = f.code.source_dir.trim_start_matches("functions/");
        // A template string: `path.module` is interpolated, the rest is plain path.
        let source = Expr::raw(format!(
            "\"${{path.module}}/{}\"",
            escape(&format!(
                "{ROOT_FROM_MODULE}/{}/{}",
                crate::package::ASSET_DIR,
                f.code.file_name(function)
            ))
        ));
        let mut object = Body::new();
        object
            .attr("bucket", Expr::raw(&bucket_ref))
            .attr("key", Expr::str(&f.code.file_name(function)))
            .comment(" Written by `infra-gen package`; run it before `terraform plan`.")
            .attr("source", source.clone())
            .attr("source_hash", Expr::Call("filemd5", vec![source]))
            .attr("server_side_encryption", Expr::str("aws:kms"));
        if let Some(key) = &key {
            object.attr("kms_key_id", Expr::raw(key));
        }
        object.attr(
            "depends_on",
            Expr::List(vec![
                Expr::raw(format!("aws_s3_bucket_versioning.{ARTEFACT_BUCKET}")),
                Expr::raw(format!("aws_s3_bucket_policy.{ARTEFACT_BUCKET}")),
            ]),
        );
        blocks.push(resource_block(
            "aws_s3_object",
            &code_object_name(&r.id),
            object,
        ));
    }
    blocks
}

/// Top-level blocks, one blank line between them.
fn file(blocks: Vec<Block>) -> String {
    let mut body = Body::new();
    for (i, block) in blocks.into_iter().enumerate() {
        if i > 0 {
            body.blank();
        }
        body.push(block);
    }
    body.to_file()
}

fn versions(stack: &Stack) -> Vec<Block> {
    let mut providers = Body::new();
    providers.attr(
        "aws",
        Expr::Object(vec![
            ("source".into(), Expr::str("hashicorp/aws")),
            (
                "version".into(),
                Expr::str(&format!("= {AWS_PROVIDER_VERSION}")),
            ),
        ]),
    );
    let mut backend = Body::new();
    backend
        .attr(
            "bucket",
            Expr::str(&format!("infra-gen-tfstate-{}", stack.account)),
        )
        .attr(
            "key",
            Expr::str(&format!("{}/{}/terraform.tfstate", stack.env, stack.region)),
        )
        .attr("region", Expr::str(&stack.region))
        .attr("encrypt", Expr::bool(true))
        .attr("use_lockfile", Expr::bool(true));
    let mut terraform = Body::new();
    terraform
        .attr("required_version", Expr::str(REQUIRED_TERRAFORM))
        .blank()
        .block("required_providers", &[], providers)
        .blank()
        .block("backend", &["s3"], backend);

    let tags = stack
        .tags
        .iter()
        .map(|(k, v)| {
            let value = if k == "environment" && v == &stack.env {
                Expr::raw("var.environment")
            } else {
                Expr::str(v)
            };
            (k.clone(), value)
        })
        .collect();
    let mut default_tags = Body::new();
    default_tags.attr("tags", Expr::Object(tags));
    let mut provider = Body::new();
    provider
        .attr("region", Expr::raw("var.region"))
        // A plan with credentials of another account fails instead of touching it.
        .attr("allowed_account_ids", Expr::strs([stack.account.as_str()]))
        .blank()
        .block("default_tags", &[], default_tags);
    vec![
        Block::new("terraform", &[], terraform),
        Block::new("provider", &["aws"], provider),
    ]
}

/// The module is generated for one environment and region; the variables exist so that a
/// pipeline can pass its own view and fail fast when it is pointed at the wrong module.
fn variables(stack: &Stack) -> Vec<Block> {
    let variable = |name: &str, value: &str, description: &str| {
        let mut validation = Body::new();
        validation
            .attr("condition", Expr::raw(format!("var.{name} == {}", quote(value))))
            .attr(
                "error_message",
                Expr::str(&format!(
                    "This module is generated for {name} {value}; synthesise the module of the {name} you want."
                )),
            );
        let mut body = Body::new();
        body.attr("description", Expr::str(description))
            .attr("type", Expr::raw("string"))
            .attr("default", Expr::str(value))
            .blank()
            .block("validation", &[], validation);
        Block::new("variable", &[name], body)
    };
    vec![
        variable(
            "environment",
            &stack.env,
            "Environment this module deploys; tags every resource.",
        ),
        variable(
            "region",
            &stack.region,
            "AWS region this module deploys to; configures the provider.",
        ),
    ]
}

/// The Terraform resource type of a construct's main resource.
fn tf_type(kind: &ResourceKind) -> &'static str {
    use ResourceKind as K;
    match kind {
        K::KmsKey(_) => "aws_kms_key",
        K::KmsAlias(_) => "aws_kms_alias",
        K::Queue(_) => "aws_sqs_queue",
        K::QueuePolicy(_) => "aws_sqs_queue_policy",
        K::Table(_) => "aws_dynamodb_table",
        K::EventBus(_) => "aws_cloudwatch_event_bus",
        K::Secret(_) => "aws_secretsmanager_secret",
        K::SecretPolicy(_) => "aws_secretsmanager_secret_policy",
        K::LogGroup(_) => "aws_cloudwatch_log_group",
        K::Role(_) => "aws_iam_role",
        K::Function(_) | K::FunctionVersion(_) => "aws_lambda_function",
        K::FunctionAlias(_) => "aws_lambda_alias",
        K::EventSourceMapping(_) => "aws_lambda_event_source_mapping",
        K::Rule(_) => "aws_cloudwatch_event_rule",
        K::LambdaPermission(_) => "aws_lambda_permission",
        K::RestApi(_) => "aws_api_gateway_rest_api",
        K::ApiResource(_) => "aws_api_gateway_resource",
        K::ApiAuthorizer(_) => "aws_api_gateway_authorizer",
        K::ApiMethod(_) => "aws_api_gateway_method",
        K::ApiDeployment(_) => "aws_api_gateway_deployment",
        K::ApiStage(_) => "aws_api_gateway_stage",
        K::Alarm(_) => "aws_cloudwatch_metric_alarm",
        K::Certificate(_) => "aws_acm_certificate",
        K::ApiDomain(_) => "aws_api_gateway_domain_name",
        K::ApiBasePathMapping(_) => "aws_api_gateway_base_path_mapping",
        K::HealthCheck(_) => "aws_route53_health_check",
        K::DnsRecord(_) => "aws_route53_record",
        K::Dashboard(_) => "aws_cloudwatch_dashboard",
        K::ImageRepository(_) => "aws_ecr_repository",
    }
}

/// Names of the extra resources some constructs map to, from the construct's snake_case id.
fn role_policy_name(role: &LogicalId) -> String {
    format!("{}_policy", role.snake_case())
}

fn integration_name(method: &LogicalId) -> String {
    format!("{}_integration", method.snake_case())
}

fn method_settings_name(stage: &LogicalId) -> String {
    format!("{}_settings", stage.snake_case())
}

fn method_throttle_name(stage: &LogicalId, throttle: &MethodThrottle) -> String {
    let method = LogicalId::from_path(&[&throttle.path, &throttle.http_method]);
    format!("{}_{}_settings", stage.snake_case(), method.snake_case())
}

/// A certificate's DNS validation records and the resource that waits for them.
fn validation_name(certificate: &LogicalId) -> String {
    format!("{}_validation", certificate.snake_case())
}

fn lifecycle_policy_name(repository: &LogicalId) -> String {
    format!("{}_lifecycle", repository.snake_case())
}

fn concurrency_name(alias: &LogicalId) -> String {
    format!("{}_concurrency", alias.snake_case())
}

fn target_name(rule: &LogicalId, target: &RuleTarget) -> String {
    format!(
        "{}_{}",
        rule.snake_case(),
        LogicalId::from_path(&[&target.id]).snake_case()
    )
}

struct Resolver<'a> {
    kinds: BTreeMap<&'a LogicalId, &'a ResourceKind>,
    /// Pseudo parameters referenced so far: partition, region, account id.
    pseudo_used: Cell<[bool; 3]>,
}

impl<'a> Resolver<'a> {
    fn new(stack: &'a Stack) -> Resolver<'a> {
        Resolver {
            kinds: stack.resources.iter().map(|r| (&r.id, &r.kind)).collect(),
            pseudo_used: Cell::new([false; 3]),
        }
    }

    fn kind(&self, id: &LogicalId) -> Option<&'a ResourceKind> {
        self.kinds.get(id).copied()
    }

    /// `type.name` of the construct's main resource; a version is its function.
    fn address(&self, id: &LogicalId) -> String {
        match self.kind(id) {
            Some(ResourceKind::FunctionVersion(v)) => self.address(&v.function),
            Some(kind) => format!("{}.{}", tf_type(kind), id.snake_case()),
            None => panic!("reference to {id}, which is not in the stack"),
        }
    }

    /// Every Terraform resource of a construct, for `depends_on`.
    fn addresses(&self, id: &LogicalId) -> Vec<String> {
        let mut out = vec![self.address(id)];
        match self.kind(id) {
            Some(ResourceKind::Role(r)) if !r.statements.is_empty() => {
                out.push(format!("aws_iam_role_policy.{}", role_policy_name(id)));
            }
            Some(ResourceKind::ApiMethod(_)) => {
                out.push(format!(
                    "aws_api_gateway_integration.{}",
                    integration_name(id)
                ));
            }
            Some(ResourceKind::ApiStage(stage)) => {
                out.push(format!(
                    "aws_api_gateway_method_settings.{}",
                    method_settings_name(id)
                ));
                out.extend(stage.method_throttles.iter().map(|t| {
                    format!(
                        "aws_api_gateway_method_settings.{}",
                        method_throttle_name(id, t)
                    )
                }));
            }
            Some(ResourceKind::Certificate(_)) => out.extend([
                format!("aws_route53_record.{}", validation_name(id)),
                format!("aws_acm_certificate_validation.{}", validation_name(id)),
            ]),
            Some(ResourceKind::FunctionAlias(_)) => out.push(format!(
                "aws_lambda_provisioned_concurrency_config.{}",
                concurrency_name(id)
            )),
            Some(ResourceKind::ImageRepository(_)) => out.push(format!(
                "aws_ecr_lifecycle_policy.{}",
                lifecycle_policy_name(id)
            )),
            Some(ResourceKind::Rule(rule)) => out.extend(
                rule.targets
                    .iter()
                    .map(|t| format!("aws_cloudwatch_event_target.{}", target_name(id, t))),
            ),
            _ => {}
        }
        out
    }

    /// The attribute expression CloudFormation's Ref / GetAtt of the same construct denotes.
    fn attr(&self, id: &LogicalId, attr: Attr) -> String {
        use ResourceKind as K;
        let kind = self.kind(id);
        let field = match (attr, kind) {
            (Attr::Arn, Some(K::FunctionVersion(_))) => "qualified_arn",
            (Attr::Arn, _) => "arn",
            (Attr::Name, Some(K::Function(_))) => "function_name",
            (Attr::Name, Some(K::FunctionVersion(_))) => "qualified_arn",
            (
                Attr::Name,
                Some(K::EventBus(_) | K::Queue(_) | K::Table(_) | K::LogGroup(_) | K::Role(_))
                | Some(K::KmsAlias(_) | K::Rule(_)),
            ) => "name",
            (Attr::Name, Some(K::KmsKey(_))) => "key_id",
            (Attr::Name, Some(K::Secret(_) | K::FunctionAlias(_))) => "arn",
            (Attr::Name, Some(K::ApiStage(_))) => "stage_name",
            (Attr::Name, Some(K::EventSourceMapping(_))) => "uuid",
            (Attr::Name, _) => "id",
            (Attr::Url, Some(K::ImageRepository(_))) => "repository_url",
            (Attr::Url, _) => "url",
            (Attr::StreamArn, _) => "stream_arn",
            (Attr::RootResourceId, _) => "root_resource_id",
            (Attr::Version, _) => "version",
        };
        format!("{}.{field}", self.address(id))
    }

    fn pseudo(&self, p: Pseudo) -> &'static str {
        let (index, expr) = match p {
            Pseudo::Partition => (0, "data.aws_partition.current.partition"),
            Pseudo::Region => (1, "data.aws_region.current.name"),
            Pseudo::AccountId => (2, "data.aws_caller_identity.current.account_id"),
        };
        let mut used = self.pseudo_used.get();
        used[index] = true;
        self.pseudo_used.set(used);
        expr
    }

    fn data_sources(&self) -> Vec<Block> {
        let used = self.pseudo_used.get();
        ["aws_partition", "aws_region", "aws_caller_identity"]
            .into_iter()
            .zip(used)
            .filter(|(_, used)| *used)
            .map(|(source, _)| Block::new("data", &[source, "current"], Body::new()))
            .collect()
    }

    fn value(&self, v: &Value) -> Expr {
        match v {
            Value::Str(s) => Expr::str(s),
            Value::Int(i) => Expr::int(*i),
            Value::Bool(b) => Expr::bool(*b),
            Value::List(items) => Expr::List(items.iter().map(|i| self.value(i)).collect()),
            Value::Map(entries) => Expr::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
            Value::Attr(id, attr) => Expr::Raw(self.attr(id, *attr)),
            Value::Pseudo(p) => Expr::raw(self.pseudo(*p)),
            Value::Join(parts) => self.join(parts),
        }
    }

    /// A template string; a lone reference stays bare, as `terraform fmt` would rewrite it.
    fn join(&self, parts: &[Value]) -> Expr {
        if let [single] = parts
            && !matches!(single, Value::Str(_))
        {
            return self.value(single);
        }
        let mut out = String::from("\"");
        for part in parts {
            self.template_part(part, &mut out);
        }
        out.push('"');
        Expr::Raw(out)
    }

    fn template_part(&self, v: &Value, out: &mut String) {
        match v {
            Value::Str(s) => out.push_str(&escape(s)),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Bool(b) => out.push_str(&b.to_string()),
            Value::Join(parts) => parts.iter().for_each(|p| self.template_part(p, out)),
            Value::Attr(id, attr) => {
                out.push_str("${");
                out.push_str(&self.attr(id, *attr));
                out.push('}');
            }
            Value::Pseudo(p) => {
                out.push_str("${");
                out.push_str(self.pseudo(*p));
                out.push('}');
            }
            Value::List(_) | Value::Map(_) => {
                panic!("a list or map inside a join has no string form: {v:?}")
            }
        }
    }

    fn one_or_many(&self, values: &[Value], resolve: impl Fn(&Value) -> Expr) -> Expr {
        match values {
            [one] => resolve(one),
            many => Expr::List(many.iter().map(resolve).collect()),
        }
    }

    /// A policy's resource. CloudFormation's log group ARN ends in `:*` (every stream of the
    /// group) and Terraform's does not: add it back so that the permissions are the same.
    fn statement_resource(&self, v: &Value) -> Expr {
        match v {
            Value::Attr(id, Attr::Arn)
                if matches!(self.kind(id), Some(ResourceKind::LogGroup(_))) =>
            {
                Expr::Raw(format!("\"${{{}}}:*\"", self.attr(id, Attr::Arn)))
            }
            other => self.value(other),
        }
    }

    fn statement(&self, s: &Statement, with_resource: bool) -> Expr {
        let mut out = Vec::new();
        if let Some(sid) = &s.sid {
            out.push(("Sid".to_string(), Expr::str(sid)));
        }
        let effect = match s.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        out.push(("Effect".into(), Expr::str(effect)));
        if let Some(p) = &s.principal {
            out.push(("Principal".into(), self.principal(p)));
        }
        let action = match s.actions.as_slice() {
            [one] => Expr::str(one),
            many => Expr::strs(many.iter().map(String::as_str)),
        };
        out.push(("Action".into(), action));
        if with_resource {
            out.push((
                "Resource".into(),
                self.one_or_many(&s.resources, |v| self.statement_resource(v)),
            ));
        }
        if !s.conditions.is_empty() {
            out.push(("Condition".into(), self.conditions(&s.conditions)));
        }
        Expr::Object(out)
    }

    fn conditions(&self, conditions: &[Condition]) -> Expr {
        let mut by_operator: Vec<(String, Vec<(String, Expr)>)> = Vec::new();
        for c in conditions {
            let value = self.one_or_many(&c.values, |v| self.value(v));
            match by_operator.iter_mut().find(|(op, _)| op == &c.operator) {
                Some((_, entries)) => entries.push((c.key.clone(), value)),
                None => by_operator.push((c.operator.clone(), vec![(c.key.clone(), value)])),
            }
        }
        Expr::Object(
            by_operator
                .into_iter()
                .map(|(op, entries)| (op, Expr::Object(entries)))
                .collect(),
        )
    }

    fn principal(&self, p: &Principal) -> Expr {
        let (key, value) = match p {
            Principal::Service(s) => ("Service", Expr::str(s)),
            Principal::Aws(v) => ("AWS", self.value(v)),
            Principal::Federated(v) => ("Federated", self.value(v)),
            Principal::Any => ("AWS", Expr::str("*")),
        };
        Expr::Object(vec![(key.to_string(), value)])
    }

    fn document(&self, statements: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::Call(
            "jsonencode",
            vec![Expr::Object(vec![
                ("Version".into(), Expr::str("2012-10-17")),
                (
                    "Statement".into(),
                    Expr::List(statements.into_iter().collect()),
                ),
            ])],
        )
    }

    fn policy(&self, statements: &[Statement]) -> Expr {
        self.document(statements.iter().map(|s| self.statement(s, true)))
    }

    fn output(&self, o: &Output) -> Block {
        let mut body = Body::new();
        body.attr("description", Expr::str(&o.description))
            .attr("value", self.value(&o.value));
        Block::new(
            "output",
            &[&LogicalId::from_path(&[&o.name]).snake_case()],
            body,
        )
    }

    /// The construct's Terraform resources, main resource first.
    fn resource(&self, res: &Resource) -> Vec<Block> {
        let id = &res.id;
        let name = id.snake_case();
        let mut body = Body::new();
        let mut lifecycle = Body::new();
        let mut extra = Vec::new();
        let mut depends_on: Vec<String> = res
            .depends_on
            .iter()
            .flat_map(|d| self.addresses(d))
            .collect();
        let arn = |id: &LogicalId| Expr::Raw(self.attr(id, Attr::Arn));
        let reference = |id: &LogicalId, attr: Attr| Expr::Raw(self.attr(id, attr));
        use ResourceKind as K;
        match &res.kind {
            K::KmsKey(k) => {
                body.attr("description", Expr::str(&k.description))
                    .attr("enable_key_rotation", Expr::bool(true))
                    .attr("policy", self.policy(&k.policy));
            }
            K::KmsAlias(a) => {
                body.attr("name", Expr::str(&a.name))
                    .attr("target_key_id", arn(&a.target_key));
            }
            K::Queue(q) => {
                body.attr("name", Expr::str(&q.name))
                    .attr("kms_master_key_id", arn(&q.kms_key))
                    .attr("kms_data_key_reuse_period_seconds", Expr::int(300))
                    .attr("message_retention_seconds", Expr::int(q.retention_seconds));
                if let Some((dlq, max)) = &q.redrive {
                    body.attr(
                        "redrive_policy",
                        Expr::Call(
                            "jsonencode",
                            vec![Expr::Object(vec![
                                ("deadLetterTargetArn".into(), arn(dlq)),
                                ("maxReceiveCount".into(), Expr::int(*max)),
                            ])],
                        ),
                    );
                }
            }
            K::QueuePolicy(p) => {
                body.attr("queue_url", reference(&p.queue, Attr::Url))
                    .attr("policy", self.policy(&p.statements));
            }
            K::Table(t) => self.table(t, &mut body),
            K::EventBus(b) => {
                body.attr("name", Expr::str(&b.name));
            }
            K::Secret(s) => {
                body.comment(&format!(
                    " The value ({} alphanumeric characters in CloudFormation, which generates it) is",
                    s.generated_length
                ))
                .comment(" set out of band, so that it never enters the Terraform state.")
                .attr("name", Expr::str(&s.name))
                .attr("description", Expr::str(&s.description))
                .attr("kms_key_id", arn(&s.kms_key));
            }
            K::SecretPolicy(p) => {
                body.attr("secret_arn", arn(&p.secret))
                    .attr("policy", self.policy(&p.statements))
                    .attr("block_public_policy", Expr::bool(true));
            }
            K::LogGroup(l) => {
                body.attr("name", Expr::str(&l.name))
                    .attr("retention_in_days", Expr::int(l.retention_days))
                    .attr("kms_key_id", arn(&l.kms_key));
            }
            K::Role(role) => {
                let trust = role.trust_statement();
                body.attr("name", Expr::str(&role.name))
                    .attr("description", Expr::str(&role.description))
                    .attr(
                        "assume_role_policy",
                        self.document([self.statement(&trust, false)]),
                    );
                if !role.statements.is_empty() {
                    let mut policy = Body::new();
                    policy
                        .attr("name", Expr::str("least-privilege"))
                        .attr("role", reference(id, Attr::Name))
                        .attr("policy", self.policy(&role.statements));
                    extra.push(resource_block(
                        "aws_iam_role_policy",
                        &role_policy_name(id),
                        policy,
                    ));
                }
            }
            K::Function(f) => {
                self.function(id, f, &mut body);
                if let Some(K::Role(role)) = self.kind(&f.role)
                    && !role.statements.is_empty()
                {
                    depends_on.push(format!("aws_iam_role_policy.{}", role_policy_name(&f.role)));
                }
            }
            // Published by its function (`publish = true`); see the module documentation.
            K::FunctionVersion(_) => return Vec::new(),
            K::FunctionAlias(a) => {
                body.attr("name", Expr::str(&a.name))
                    .attr("function_name", reference(&a.function, Attr::Name))
                    .attr("function_version", reference(&a.version, Attr::Version));
                let mut concurrency = Body::new();
                concurrency
                    .attr("function_name", reference(&a.function, Attr::Name))
                    .attr(
                        "qualifier",
                        Expr::raw(format!("aws_lambda_alias.{name}.name")),
                    )
                    .attr(
                        "provisioned_concurrent_executions",
                        Expr::int(a.provisioned_concurrency),
                    );
                extra.push(resource_block(
                    "aws_lambda_provisioned_concurrency_config",
                    &concurrency_name(id),
                    concurrency,
                ));
            }
            K::EventSourceMapping(m) => {
                body.attr("function_name", reference(&m.function, Attr::Name))
                    .attr("event_source_arn", self.value(&m.source_arn))
                    .attr("starting_position", Expr::str("TRIM_HORIZON"))
                    .attr("batch_size", Expr::int(m.batch_size))
                    .attr(
                        "bisect_batch_on_function_error",
                        Expr::bool(m.bisect_on_error),
                    )
                    .attr("maximum_retry_attempts", Expr::int(m.max_retries))
                    .attr(
                        "maximum_record_age_in_seconds",
                        Expr::int(m.max_record_age_seconds),
                    )
                    .attr(
                        "parallelization_factor",
                        Expr::int(m.parallelization_factor),
                    );
                if m.report_batch_item_failures {
                    body.attr(
                        "function_response_types",
                        Expr::strs(["ReportBatchItemFailures"]),
                    );
                }
                let mut on_failure = Body::new();
                on_failure.attr("destination_arn", arn(&m.on_failure_queue));
                let mut destination = Body::new();
                destination.block("on_failure", &[], on_failure);
                body.block("destination_config", &[], destination);
            }
            K::Rule(rule) => {
                body.attr("name", Expr::str(&rule.name))
                    .attr("description", Expr::str(&rule.description));
                if let Some(bus) = &rule.bus {
                    body.attr("event_bus_name", reference(bus, Attr::Name));
                }
                match &rule.trigger {
                    RuleTrigger::Pattern(p) => {
                        body.attr("event_pattern", Expr::Call("jsonencode", vec![json(p)]))
                    }
                    RuleTrigger::Schedule(s) => body.attr("schedule_expression", Expr::str(s)),
                };
                body.attr("state", Expr::str("ENABLED"));
                extra.extend(rule.targets.iter().map(|t| self.rule_target(res, rule, t)));
            }
            K::LambdaPermission(p) => {
                body.attr("statement_id", Expr::str(id.as_str()))
                    .attr("action", Expr::str("lambda:InvokeFunction"))
                    .attr("function_name", arn(&p.function))
                    .attr("principal", Expr::str(&p.principal))
                    .attr("source_arn", self.value(&p.source_arn));
            }
            K::RestApi(a) => {
                let mut endpoint = Body::new();
                endpoint.attr("types", Expr::strs(["REGIONAL"]));
                // CloudFormation creates a replacement before deleting the original; API
                // names need not be unique, so Terraform can do the same.
                lifecycle.attr("create_before_destroy", Expr::bool(true));
                body.attr("name", Expr::str(&a.name))
                    .attr("description", Expr::str(&a.description))
                    .block("endpoint_configuration", &[], endpoint);
            }
            K::ApiResource(r) => {
                body.attr("rest_api_id", reference(&r.api, Attr::Name))
                    .attr("parent_id", reference(&r.api, Attr::RootResourceId))
                    .attr("path_part", Expr::str(&r.path_part));
            }
            K::ApiAuthorizer(a) => {
                body.attr("name", Expr::str(&a.name))
                    .attr("rest_api_id", reference(&a.api, Attr::Name))
                    .attr("type", Expr::str("TOKEN"))
                    .attr(
                        "identity_source",
                        Expr::str(&format!("method.request.header.{}", a.identity_header)),
                    )
                    .attr(
                        "authorizer_result_ttl_in_seconds",
                        Expr::int(a.cache_seconds),
                    )
                    .attr("authorizer_uri", self.invoke_arn(&a.function));
            }
            K::ApiMethod(m) => {
                body.attr("rest_api_id", reference(&m.api, Attr::Name))
                    .attr("resource_id", reference(&m.resource, Attr::Name))
                    .attr("http_method", Expr::str(&m.http_method));
                match &m.authorizer {
                    Some(authorizer) => {
                        body.attr("authorization", Expr::str("CUSTOM"))
                            .attr("authorizer_id", reference(authorizer, Attr::Name));
                    }
                    None => {
                        body.attr("authorization", Expr::str("NONE"));
                    }
                }
                let mut integration = Body::new();
                integration
                    .attr("rest_api_id", reference(&m.api, Attr::Name))
                    .attr("resource_id", reference(&m.resource, Attr::Name))
                    .attr(
                        "http_method",
                        Expr::raw(format!("aws_api_gateway_method.{name}.http_method")),
                    )
                    .attr("type", Expr::str("AWS_PROXY"))
                    .attr("integration_http_method", Expr::str("POST"))
                    .attr("uri", self.invoke_arn(&m.function));
                extra.push(resource_block(
                    "aws_api_gateway_integration",
                    &integration_name(id),
                    integration,
                ));
            }
            K::ApiDeployment(d) => {
                // The stage moves to the new deployment before the old one is deleted.
                lifecycle.attr("create_before_destroy", Expr::bool(true));
                body.attr("rest_api_id", reference(&d.api, Attr::Name))
                    .attr("description", Expr::str(&d.fingerprint))
                    .attr(
                        "triggers",
                        Expr::Object(vec![("redeployment".into(), Expr::str(&d.fingerprint))]),
                    );
            }
            K::ApiStage(s) => {
                let mut access_log = Body::new();
                access_log
                    .attr("destination_arn", arn(&s.access_log_group))
                    .attr("format", Expr::str(ACCESS_LOG_FORMAT));
                body.attr("stage_name", Expr::str(&s.name))
                    .attr("rest_api_id", reference(&s.api, Attr::Name))
                    .attr("deployment_id", reference(&s.deployment, Attr::Name))
                    .attr("xray_tracing_enabled", Expr::bool(true))
                    .block("access_log_settings", &[], access_log);
                let mut settings = Body::new();
                settings
                    .attr("metrics_enabled", Expr::bool(true))
                    .attr("logging_level", Expr::str(EXECUTION_LOG_LEVEL))
                    .attr(
                        "throttling_rate_limit",
                        Expr::raw(s.throttle_rate_limit.to_string()),
                    )
                    .attr("throttling_burst_limit", Expr::int(s.throttle_burst_limit));
                let mut method_settings = Body::new();
                method_settings
                    .attr("rest_api_id", reference(&s.api, Attr::Name))
                    .attr("stage_name", reference(id, Attr::Name))
                    .attr("method_path", Expr::str("*/*"))
                    .block("settings", &[], settings);
                extra.push(resource_block(
                    "aws_api_gateway_method_settings",
                    &method_settings_name(id),
                    method_settings,
                ));
                for t in &s.method_throttles {
                    let mut settings = Body::new();
                    settings
                        .attr("metrics_enabled", Expr::bool(true))
                        .attr("logging_level", Expr::str(EXECUTION_LOG_LEVEL))
                        .attr("throttling_rate_limit", Expr::raw(t.rate_limit.to_string()))
                        .attr("throttling_burst_limit", Expr::int(t.burst_limit));
                    let mut method_settings = Body::new();
                    method_settings
                        .attr("rest_api_id", reference(&s.api, Attr::Name))
                        .attr("stage_name", reference(id, Attr::Name))
                        .attr(
                            "method_path",
                            Expr::str(&format!("{}/{}", t.path, t.http_method)),
                        )
                        .block("settings", &[], settings);
                    extra.push(resource_block(
                        "aws_api_gateway_method_settings",
                        &method_throttle_name(id, t),
                        method_settings,
                    ));
                }
            }
            K::Alarm(a) => {
                body.attr("alarm_name", Expr::str(&a.name))
                    .attr("namespace", Expr::str(&a.namespace))
                    .attr("metric_name", Expr::str(&a.metric))
                    .attr(
                        "dimensions",
                        Expr::Object(vec![(a.dimension.0.clone(), self.value(&a.dimension.1))]),
                    )
                    .attr("statistic", Expr::str(&a.statistic))
                    .attr("period", Expr::int(a.period_seconds))
                    .attr("threshold", Expr::int(a.threshold))
                    .attr("evaluation_periods", Expr::int(a.evaluation_periods))
                    .attr(
                        "comparison_operator",
                        Expr::str("GreaterThanOrEqualToThreshold"),
                    )
                    .attr("treat_missing_data", Expr::str("notBreaching"));
            }
            K::Certificate(c) => {
                let mut options = Body::new();
                options.attr(
                    "certificate_transparency_logging_preference",
                    Expr::str("ENABLED"),
                );
                // A renamed certificate is replaced while the domain still uses the old one.
                lifecycle.attr("create_before_destroy", Expr::bool(true));
                body.attr("domain_name", Expr::str(&c.domain))
                    .attr(
                        "subject_alternative_names",
                        Expr::strs(c.alternative_names.iter().map(String::as_str)),
                    )
                    .attr("validation_method", Expr::str("DNS"))
                    .block("options", &[], options);
                extra.extend(self.certificate_validation(id, c));
            }
            K::ApiDomain(d) => {
                let mut endpoint = Body::new();
                endpoint.attr("types", Expr::strs(["REGIONAL"]));
                body.attr("domain_name", Expr::str(&d.name))
                    // The validated ARN: the domain waits until ACM has issued the certificate,
                    // as CloudFormation's certificate resource does.
                    .attr(
                        "regional_certificate_arn",
                        Expr::raw(format!(
                            "aws_acm_certificate_validation.{}.certificate_arn",
                            validation_name(&d.certificate)
                        )),
                    )
                    .attr("security_policy", Expr::str(API_DOMAIN_SECURITY_POLICY))
                    .block("endpoint_configuration", &[], endpoint);
            }
            K::ApiBasePathMapping(m) => {
                body.attr(
                    "domain_name",
                    Expr::raw(format!("{}.domain_name", self.address(&m.domain))),
                )
                .attr("api_id", reference(&m.api, Attr::Name))
                .attr("stage_name", reference(&m.stage, Attr::Name));
            }
            K::HealthCheck(h) => {
                // `scripts/ops/dns-region out` points the check at a path the API does not
                // have to force the region out of DNS; a later apply must not undo that.
                lifecycle.attr(
                    "ignore_changes",
                    Expr::List(vec![Expr::raw("resource_path")]),
                );
                body.attr("type", Expr::str("HTTPS"))
                    .attr("fqdn", Expr::str(&h.fqdn))
                    .attr("port", Expr::int(443))
                    .attr("resource_path", Expr::str(&h.path))
                    .attr("request_interval", Expr::int(h.interval_seconds))
                    .attr("failure_threshold", Expr::int(h.failure_threshold))
                    .attr("enable_sni", Expr::bool(true))
                    .attr(
                        "tags",
                        Expr::Object(vec![("Name".into(), Expr::str(&h.name))]),
                    );
            }
            K::DnsRecord(r) => {
                let domain = self.address(&r.target);
                let mut alias = Body::new();
                alias
                    .attr("name", Expr::raw(format!("{domain}.regional_domain_name")))
                    .attr("zone_id", Expr::raw(format!("{domain}.regional_zone_id")))
                    .attr("evaluate_target_health", Expr::bool(false));
                body.attr("zone_id", Expr::str(&r.hosted_zone_id))
                    .attr("name", Expr::str(&r.name))
                    .attr("type", Expr::str("A"));
                match &r.routing {
                    RecordRouting::Simple => {}
                    RecordRouting::Latency { set_identifier, .. }
                    | RecordRouting::Failover { set_identifier, .. } => {
                        body.attr("set_identifier", Expr::str(set_identifier));
                    }
                }
                if let Some(check) = &r.health_check {
                    body.attr("health_check_id", reference(check, Attr::Name));
                }
                body.block("alias", &[], alias);
                match &r.routing {
                    RecordRouting::Simple => {}
                    RecordRouting::Latency { region, .. } => {
                        let mut policy = Body::new();
                        policy.attr("region", Expr::str(region));
                        body.block("latency_routing_policy", &[], policy);
                    }
                    RecordRouting::Failover { primary, .. } => {
                        let mut policy = Body::new();
                        policy.attr(
                            "type",
                            Expr::str(if *primary { "PRIMARY" } else { "SECONDARY" }),
                        );
                        body.block("failover_routing_policy", &[], policy);
                    }
                }
            }
            K::Dashboard(d) => {
                body.attr("dashboard_name", Expr::str(&d.name)).attr(
                    "dashboard_body",
                    Expr::Call("jsonencode", vec![json(&d.body)]),
                );
            }
            K::ImageRepository(r) => {
                body.attr("name", Expr::str(&r.name))
                    .attr("image_tag_mutability", Expr::str("IMMUTABLE"))
                    .attr("force_delete", Expr::bool(r.empty_on_delete));
                let mut scanning = Body::new();
                scanning.attr("scan_on_push", Expr::bool(true));
                body.block("image_scanning_configuration", &[], scanning);
                let mut encryption = Body::new();
                encryption
                    .attr("encryption_type", Expr::str("KMS"))
                    .attr("kms_key", arn(&r.kms_key));
                body.block("encryption_configuration", &[], encryption);
                let mut policy = Body::new();
                policy
                    .attr(
                        "repository",
                        Expr::Raw(format!("{}.name", self.address(id))),
                    )
                    .attr(
                        "policy",
                        Expr::Call(
                            "jsonencode",
                            vec![json(&crate::platform::lifecycle_policy(r.keep_images))],
                        ),
                    );
                extra.push(resource_block(
                    "aws_ecr_lifecycle_policy",
                    &lifecycle_policy_name(id),
                    policy,
                ));
            }
        }
        if !depends_on.is_empty() {
            body.attr(
                "depends_on",
                Expr::List(depends_on.into_iter().map(Expr::Raw).collect()),
            );
        }
        if res.retain {
            // CloudFormation keeps a retained resource when the stack goes; Terraform's
            // nearest equivalent refuses any plan that would destroy it.
            lifecycle.attr("prevent_destroy", Expr::bool(true));
        }
        if !lifecycle.is_empty() {
            body.block("lifecycle", &[], lifecycle);
        }
        let mut blocks = vec![resource_block(tf_type(&res.kind), &name, body)];
        blocks.extend(extra);
        // A check may fire on any of the construct's resources (CKV_AWS_225 on a stage's
        // method settings, say); a skip naming a check that another type lacks is inert.
        let skips: Vec<String> = checkov_skips(&res.kind)
            .into_iter()
            .map(|(check, why)| format!("checkov:skip={check}:{why}"))
            .collect();
        for block in &mut blocks {
            block.body.prepend_comments(&skips);
        }
        blocks
    }

    fn table(&self, t: &Table, body: &mut Body) {
        body.attr("name", Expr::str(&t.name));
        match t.provisioned {
            None => {
                body.attr("billing_mode", Expr::str("PAY_PER_REQUEST"));
            }
            Some((read, write)) => {
                body.attr("billing_mode", Expr::str("PROVISIONED"))
                    .attr("read_capacity", Expr::int(read))
                    .attr("write_capacity", Expr::int(write));
            }
        }
        body.attr("hash_key", Expr::str(&t.partition_key));
        if let Some(sk) = &t.sort_key {
            body.attr("range_key", Expr::str(sk));
        }
        if t.stream_new_and_old_images {
            body.attr("stream_enabled", Expr::bool(true))
                .attr("stream_view_type", Expr::str("NEW_AND_OLD_IMAGES"));
        }
        body.attr(
            "deletion_protection_enabled",
            Expr::bool(t.deletion_protection),
        );
        for key in std::iter::once(&t.partition_key).chain(&t.sort_key) {
            let mut attribute = Body::new();
            attribute
                .attr("name", Expr::str(key))
                .attr("type", Expr::str("S"));
            body.block("attribute", &[], attribute);
        }
        let mut pitr = Body::new();
        pitr.attr("enabled", Expr::bool(t.point_in_time_recovery));
        body.block("point_in_time_recovery", &[], pitr);
        let mut sse = Body::new();
        sse.attr("enabled", Expr::bool(true))
            .attr("kms_key_arn", Expr::Raw(self.attr(&t.kms_key, Attr::Arn)));
        body.block("server_side_encryption", &[], sse);
        if let Some(ttl_attribute) = &t.ttl_attribute {
            let mut ttl = Body::new();
            ttl.attr("attribute_name", Expr::str(ttl_attribute))
                .attr("enabled", Expr::bool(true));
            body.block("ttl", &[], ttl);
        }
    }

    fn function(&self, id: &LogicalId, f: &Function, body: &mut Body) {
        let published = self
            .kinds
            .values()
            .any(|k| matches!(k, ResourceKind::FunctionVersion(v) if &v.function == id));
        body.attr("function_name", Expr::str(&f.name))
            .attr("description", Expr::str(&f.description))
            .attr("role", Expr::Raw(self.attr(&f.role, Attr::Arn)))
            .attr("runtime", Expr::str("provided.al2023"))
            .attr("handler", Expr::str("bootstrap"))
            .attr("architectures", Expr::strs([f.architecture]))
            .attr("memory_size", Expr::int(f.memory_mb))
            .attr("timeout", Expr::int(f.timeout_seconds));
        if let Some(reserved) = f.reserved_concurrency {
            body.attr("reserved_concurrent_executions", Expr::int(reserved));
        }
        // The code is the module's own object (artefacts.tf); its key is content-addressed,
        // so new code is a new key, and the version pins exactly the uploaded bytes.
        let object = format!("aws_s3_object.{}", code_object_name(id));
        body.attr("s3_bucket", Expr::raw(format!("{object}.bucket")))
            .attr("s3_key", Expr::raw(format!("{object}.key")))
            .attr(
                "s3_object_version",
                Expr::raw(format!("{object}.version_id")),
            )
            .attr("kms_key_arn", Expr::Raw(self.attr(&f.kms_key, Attr::Arn)));
        if published {
            body.comment(
                " Publishes the version CloudFormation models as its own resource; the alias",
            )
            .comment(" follows `version`, so every code or configuration change moves it.")
            .attr("publish", Expr::bool(true));
        }
        if !f.environment.is_empty() {
            let mut environment = Body::new();
            environment.attr(
                "variables",
                Expr::Object(
                    f.environment
                        .iter()
                        .map(|(k, v)| (k.clone(), self.value(v)))
                        .collect(),
                ),
            );
            body.block("environment", &[], environment);
        }
        let mut tracing = Body::new();
        tracing.attr("mode", Expr::str("Active"));
        body.block("tracing_config", &[], tracing);
        let mut logging = Body::new();
        logging
            .attr("log_format", Expr::str("JSON"))
            .attr("log_group", Expr::Raw(self.attr(&f.log_group, Attr::Name)));
        body.block("logging_config", &[], logging);
        if let Some(dlq) = &f.dead_letter_queue {
            let mut dead_letter = Body::new();
            dead_letter.attr("target_arn", Expr::Raw(self.attr(dlq, Attr::Arn)));
            body.block("dead_letter_config", &[], dead_letter);
        }
    }

    fn rule_target(&self, res: &Resource, rule: &Rule, t: &RuleTarget) -> Block {
        let mut body = Body::new();
        body.attr("rule", Expr::Raw(self.attr(&res.id, Attr::Name)));
        if let Some(bus) = &rule.bus {
            body.attr("event_bus_name", Expr::Raw(self.attr(bus, Attr::Name)));
        }
        body.attr("target_id", Expr::str(&t.id))
            .attr("arn", self.value(&t.arn));
        if let Some(role) = &t.role {
            body.attr("role_arn", Expr::Raw(self.attr(role, Attr::Arn)));
        }
        if let Some(dlq) = &t.dead_letter_queue {
            let mut dead_letter = Body::new();
            dead_letter.attr("arn", Expr::Raw(self.attr(dlq, Attr::Arn)));
            body.block("dead_letter_config", &[], dead_letter);
        }
        if t.max_retries.is_some() || t.max_event_age_seconds.is_some() {
            let mut retry = Body::new();
            if let Some(age) = t.max_event_age_seconds {
                retry.attr("maximum_event_age_in_seconds", Expr::int(age));
            }
            if let Some(n) = t.max_retries {
                retry.attr("maximum_retry_attempts", Expr::int(n));
            }
            body.block("retry_policy", &[], retry);
        }
        resource_block(
            "aws_cloudwatch_event_target",
            &target_name(&res.id, t),
            body,
        )
    }

    /// The DNS records ACM asks for, in the certificate's zone, and the resource that waits
    /// until the certificate is issued (CloudFormation does both inside the certificate).
    fn certificate_validation(&self, id: &LogicalId, c: &Certificate) -> [Block; 2] {
        let certificate = self.address(id);
        let name = validation_name(id);
        let mut record = Body::new();
        record
            .attr(
                "for_each",
                Expr::raw(format!(
                    "{{ for o in {certificate}.domain_validation_options : o.domain_name => o }}"
                )),
            )
            .blank()
            .attr("zone_id", Expr::str(&c.hosted_zone_id))
            .attr("name", Expr::raw("each.value.resource_record_name"))
            .attr("type", Expr::raw("each.value.resource_record_type"))
            .attr(
                "records",
                Expr::List(vec![Expr::raw("each.value.resource_record_value")]),
            )
            .attr("ttl", Expr::int(60))
            // Another region's certificate for the same names asks for the same record.
            .attr("allow_overwrite", Expr::bool(true));
        let mut validation = Body::new();
        validation
            .attr("certificate_arn", Expr::raw(format!("{certificate}.arn")))
            .attr(
                "validation_record_fqdns",
                Expr::raw(format!("[for r in aws_route53_record.{name} : r.fqdn]")),
            );
        [
            resource_block("aws_route53_record", &name, record),
            resource_block("aws_acm_certificate_validation", &name, validation),
        ]
    }

    /// API Gateway's Lambda integration URI, which the provider exports as `invoke_arn`.
    fn invoke_arn(&self, function: &LogicalId) -> Expr {
        Expr::raw(format!("{}.invoke_arn", self.address(function)))
    }
}

fn resource_block(tf_type: &str, name: &str, body: Body) -> Block {
    Block::new("resource", &[tf_type, name], body)
}

/// A JSON value as an HCL expression, for `jsonencode`.
fn json(v: &serde_json::Value) -> Expr {
    use serde_json::Value as J;
    match v {
        J::Null => Expr::raw("null"),
        J::Bool(b) => Expr::bool(*b),
        J::Number(n) => Expr::raw(n.to_string()),
        J::String(s) => Expr::str(s),
        J::Array(items) => Expr::List(items.iter().map(json).collect()),
        J::Object(entries) => {
            Expr::Object(entries.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::SourceHashes;
    use crate::spec::{SourceFile, resolve};

    fn source(path: &str, text: &str) -> SourceFile {
        SourceFile {
            display_path: path.to_string(),
            text: text.to_string(),
        }
    }

    /// prod's first region: it has every kind, provisioned concurrency included.
    fn prod_stack() -> Stack {
        let envs = resolve(
            &source(
                "environments/defaults.yaml",
                include_str!("../../../environments/defaults.yaml"),
            ),
            &[source(
                "environments/prod.yaml",
                include_str!("../../../environments/prod.yaml"),
            )],
        )
        .expect("the real specs resolve");
        crate::platform::build_stack(&envs[0].regions[0], &SourceHashes::default())
            .expect("the real specs build")
    }

    fn rendered(stack: &Stack) -> FileSet {
        let mut files = FileSet::default();
        render(stack, &mut files);
        files
    }

    fn file(files: &FileSet, stack: &Stack, name: &str) -> String {
        let path = format!("{}{name}", module_dir(stack));
        String::from_utf8(
            files
                .get(&path)
                .unwrap_or_else(|| panic!("{path}"))
                .to_vec(),
        )
        .unwrap()
    }

    /// Whitespace runs collapsed, so assertions need not know the alignment.
    fn squeezed(text: &str) -> String {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// (type, name) of every `resource` block, sorted.
    fn resource_headers(main: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = main
            .lines()
            .filter_map(|l| l.strip_prefix("resource \""))
            .map(|rest| {
                let mut parts = rest.split('"');
                let ty = parts.next().unwrap().to_string();
                let name = parts.nth(1).unwrap().to_string();
                (ty, name)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_resource_has_its_terraform_counterparts() {
        let stack = prod_stack();
        let main = file(&rendered(&stack), &stack, "main.tf");
        let mut expected = Vec::new();
        let mut kinds_seen = BTreeMap::new();
        for res in &stack.resources {
            *kinds_seen.entry(res.kind.cfn_type()).or_insert(0) += 1;
            let name = res.id.snake_case();
            let mut push = |ty: &str, n: String| expected.push((ty.to_string(), n));
            match &res.kind {
                ResourceKind::FunctionVersion(v) => {
                    let function = v.function.snake_case();
                    let block = main
                        .split("\n\n")
                        .find(|b| {
                            b.starts_with(&format!(
                                "resource \"aws_lambda_function\" \"{function}\""
                            ))
                        })
                        .expect("the versioned function");
                    assert!(squeezed(block).contains("\npublish = true\n"), "{block}");
                }
                ResourceKind::Role(r) => {
                    push("aws_iam_role", name.clone());
                    if !r.statements.is_empty() {
                        push("aws_iam_role_policy", format!("{name}_policy"));
                    }
                }
                ResourceKind::FunctionAlias(_) => {
                    push("aws_lambda_alias", name.clone());
                    push(
                        "aws_lambda_provisioned_concurrency_config",
                        format!("{name}_concurrency"),
                    );
                }
                ResourceKind::Rule(rule) => {
                    push("aws_cloudwatch_event_rule", name.clone());
                    for t in &rule.targets {
                        let target = LogicalId::from_path(&[&t.id]).snake_case();
                        push("aws_cloudwatch_event_target", format!("{name}_{target}"));
                    }
                }
                ResourceKind::ApiMethod(_) => {
                    push("aws_api_gateway_method", name.clone());
                    push("aws_api_gateway_integration", format!("{name}_integration"));
                }
                ResourceKind::ApiStage(stage) => {
                    push("aws_api_gateway_stage", name.clone());
                    push(
                        "aws_api_gateway_method_settings",
                        format!("{name}_settings"),
                    );
                    for t in &stage.method_throttles {
                        push(
                            "aws_api_gateway_method_settings",
                            format!("{name}_{}_get_settings", t.path),
                        );
                    }
                }
                ResourceKind::Certificate(_) => {
                    push("aws_acm_certificate", name.clone());
                    push("aws_route53_record", format!("{name}_validation"));
                    push(
                        "aws_acm_certificate_validation",
                        format!("{name}_validation"),
                    );
                }
                ResourceKind::ImageRepository(_) => {
                    push("aws_ecr_repository", name.clone());
                    push("aws_ecr_lifecycle_policy", format!("{name}_lifecycle"));
                }
                kind => push(tf_type(kind), name),
            }
        }
        expected.sort();
        assert_eq!(resource_headers(&main), expected);
        // The stack exercises every kind, so the mapping of each was checked above.
        assert_eq!(kinds_seen.len(), 30, "{kinds_seen:?}");
    }

    #[test]
    fn references_render_as_attribute_expressions() {
        let stack = prod_stack();
        let files = rendered(&stack);
        let main = squeezed(&file(&files, &stack, "main.tf"));
        for expected in [
            "role = aws_iam_role.event_router_role.arn",
            "kms_master_key_id = aws_kms_key.data_key.arn",
            "queue_url = aws_sqs_queue.events_dlq.url",
            "event_source_arn = aws_dynamodb_table.events_table.stream_arn",
            "function_version = aws_lambda_function.event_router.version",
            "parent_id = aws_api_gateway_rest_api.api.root_resource_id",
            "rest_api_id = aws_api_gateway_rest_api.api.id",
            "log_group = aws_cloudwatch_log_group.event_router_logs.name",
            "QueueName = aws_sqs_queue.events_dlq.name",
            "FunctionName = aws_lambda_function.event_router.function_name",
            "authorizer_uri = aws_lambda_function.authorizer.invoke_arn",
            // Same permissions as CloudFormation, whose log group ARN ends in `:*`.
            r#"Resource = "${aws_cloudwatch_log_group.event_router_logs.arn}:*""#,
            r#"AWS = "arn:${data.aws_partition.current.partition}:iam::"#,
            "depends_on = [aws_iam_role_policy.event_router_role_policy]",
            // The deployment waits for both routes, the open liveness one included.
            "depends_on = [aws_api_gateway_method.api_health_get, aws_api_gateway_integration.api_health_get_integration, aws_api_gateway_method.api_live_get, aws_api_gateway_integration.api_live_get_integration]",
            r#"authorization = "NONE""#,
            "regional_certificate_arn = aws_acm_certificate_validation.api_certificate_validation.certificate_arn",
            "health_check_id = aws_route53_health_check.api_health_check.id",
            "name = aws_api_gateway_domain_name.api_domain.regional_domain_name",
        ] {
            assert!(main.contains(expected), "main.tf lacks `{expected}`");
        }
        assert_eq!(
            main.matches("data \"aws_partition\" \"current\" {}")
                .count(),
            1
        );
        assert!(!main.contains("data \"aws_region\""), "declared but unused");
        let outputs = squeezed(&file(&files, &stack, "outputs.tf"));
        assert!(outputs.contains("output \"cdc_dlq_url\" {\ndescription = "));
        assert!(outputs.contains("value = aws_sqs_queue.cdc_dlq.url"));
    }

    #[test]
    fn backend_provider_and_variables_are_pinned_to_the_stack() {
        let stack = prod_stack();
        let files = rendered(&stack);
        let versions = squeezed(&file(&files, &stack, "versions.tf"));
        for expected in [
            "version = \"= 5.80.0\"",
            &format!("bucket = \"infra-gen-tfstate-{}\"", stack.account),
            &format!("key = \"{}/{}/terraform.tfstate\"", stack.env, stack.region),
            "use_lockfile = true",
            &format!("allowed_account_ids = [\"{}\"]", stack.account),
            "region = var.region",
            "environment = var.environment",
        ] {
            assert!(
                versions.contains(expected),
                "versions.tf lacks `{expected}`"
            );
        }
        let variables = squeezed(&file(&files, &stack, "variables.tf"));
        assert!(variables.contains(&format!("condition = var.region == \"{}\"", stack.region)));
    }

    #[test]
    fn every_file_keeps_the_terraform_fmt_alignment() {
        let stack = prod_stack();
        for (path, content) in rendered(&stack).files() {
            let text = std::str::from_utf8(content).unwrap();
            assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{path}");
            let mut run: Vec<(usize, &str)> = Vec::new();
            for line in text.lines().chain([""]) {
                assert!(
                    !line.ends_with(' ') && !line.contains('\t'),
                    "{path}: `{line}`"
                );
                let indent = line.len() - line.trim_start().len();
                let single_line_assign =
                    line.trim_start()
                        .split_once(' ')
                        .is_some_and(|(key, rest)| {
                            !key.starts_with('#')
                                && rest.trim_start().starts_with("= ")
                                && !line.ends_with(['{', '[', '('])
                        });
                if single_line_assign && run.first().is_none_or(|(i, _)| *i == indent) {
                    run.push((indent, line));
                    continue;
                }
                check_run(path, &run);
                run.clear();
                if single_line_assign {
                    run.push((indent, line));
                }
            }
        }
    }

    /// In a run, `=` is in one column, one space after the longest key.
    fn check_run(path: &str, run: &[(usize, &str)]) {
        let columns: Vec<usize> = run
            .iter()
            .map(|(_, l)| l.find(" = ").unwrap() + 1)
            .collect();
        let longest = run
            .iter()
            .map(|(i, l)| i + l.trim_start().split(' ').next().unwrap().len())
            .max();
        if let Some(longest) = longest {
            assert!(
                columns.iter().all(|c| *c == longest + 1),
                "{path}: {run:#?}"
            );
        }
    }

    #[test]
    fn literals_are_escaped_so_that_nothing_interpolates() {
        let mut stack = Stack::new(
            "s".into(),
            "dev",
            "us-west-2",
            "111111111111",
            String::new(),
        );
        let bus = stack
            .add(
                &["Bus"],
                ResourceKind::EventBus(EventBus {
                    name: r#"a${var.x}"b\%{if}"#.into(),
                }),
                false,
            )
            .unwrap();
        stack.output(
            "Joined",
            "a join with literal text",
            Value::join([
                Value::str("${not}:"),
                Value::arn(&bus),
                Value::str(":"),
                Value::Pseudo(Pseudo::Region),
            ]),
        );
        let files = rendered(&stack);
        let main = file(&files, &stack, "main.tf");
        assert!(main.contains(r#"name = "a$${var.x}\"b\\%%{if}""#), "{main}");
        assert!(
            main.contains("data \"aws_region\" \"current\" {}"),
            "{main}"
        );
        let outputs = file(&files, &stack, "outputs.tf");
        assert!(
            outputs.contains(
                r#"value       = "$${not}:${aws_cloudwatch_event_bus.bus.arn}:${data.aws_region.current.name}""#
            ),
            "{outputs}"
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let stack = prod_stack();
        let first = rendered(&stack);
        assert_eq!(first, rendered(&prod_stack()));
        let names: Vec<&String> = first.files().keys().collect();
        assert_eq!(
            names,
            [
                "artefacts.tf",
                "main.tf",
                "outputs.tf",
                "variables.tf",
                "versions.tf"
            ]
            .map(|f| format!("terraform/prod/{}/{f}", stack.region))
            .iter()
            .collect::<Vec<_>>()
        );
    }
}
