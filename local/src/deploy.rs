//! Deploying a region's stack to the emulator and reading back what was deployed.
//!
//! The stacks are the cloud assemblies, deployed with the real CDK CLI
//! (`scripts/ops/deploy-emulator`, which lists its own emulator workarounds). The
//! emulator (moto) does not implement everything the template declares; what the local
//! platform creates or changes itself, and why:
//!
//! - **The JWT signing secret** (`AWS::SecretsManager::Secret`, silently skipped by moto, and
//!   with it the authorizer's `JWT_SECRET_ARN`, a `Ref` to it): created here under the
//!   template's name with a random 64-character value (both regions get the same value, so one
//!   test token works in both), and `JWT_SECRET_ARN` is set to its ARN.
//! - **Lambda targets of the bus rules**: moto cannot invoke functions, and a rule with a Lambda
//!   target makes PutEvents answer 500. Each such target is replaced by an SQS "shadow" queue
//!   (`local-shadow-<rule>`) on the same rule, so the deployed pattern decides what is
//!   delivered; the runner invokes the function with each message, with the target's retry
//!   policy and dead-letter queue. A schedule rule's Lambda target is removed and the runner
//!   fires the schedule itself.
//! - **The table stream's event source mapping** is left out of the copy of each assembly
//!   that is deployed (moto "invokes" the function on every write, fails without Docker, and
//!   empties the stream's shard): the runner reads the stream with the template's mapping
//!   settings ([`emulator_assemblies`]).
//! - **The API's TOKEN authorizer** (`AWS::ApiGateway::Authorizer`, skipped by moto, so the
//!   method read back has no authorizer id) and the **stage** (moto creates none): read from
//!   the deployed template.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::aws_api::{SignedClient, encode};

/// One deployed function, as the emulator reports it.
#[derive(Debug, Clone)]
pub struct DeployedFunction {
    /// The crate (and binary) name: `event-router`, ...
    pub program: String,
    pub name: String,
    pub arn: String,
    pub timeout_seconds: u64,
    /// The environment exactly as deployed (plus what [`fixups`] had to supply).
    pub environment: BTreeMap<String, String>,
}

/// A bus rule whose Lambda target the runner plays.
#[derive(Debug, Clone)]
pub struct RuleTarget {
    pub rule: String,
    pub bus: String,
    pub function: String,
    /// `Some(queue url)` for a pattern rule (the shadow queue), `None` for a schedule.
    pub shadow_queue_url: Option<String>,
    pub schedule: Option<String>,
    pub max_retries: u32,
    pub dead_letter_arn: Option<String>,
}

/// The stream trigger's settings, read back from the event source mapping.
#[derive(Debug, Clone)]
pub struct StreamMapping {
    pub function: String,
    pub stream_arn: String,
    pub batch_size: usize,
    pub starting_position: String,
    pub bisect_on_error: bool,
    pub max_retries: i64,
    pub on_failure_arn: Option<String>,
    pub report_batch_item_failures: bool,
}

/// One method of the REST API.
#[derive(Debug, Clone)]
pub struct ApiMethod {
    pub path: String,
    pub http_method: String,
    /// `Some(function)` when the method uses the TOKEN authorizer.
    pub authorizer: Option<String>,
    pub function: String,
}

/// The REST API as deployed.
#[derive(Debug, Clone)]
pub struct DeployedApi {
    pub id: String,
    pub stage: String,
    pub methods: Vec<ApiMethod>,
    /// The authorizer's identity source header (lower case) and cache time.
    pub identity_header: String,
    pub authorizer_cache_seconds: u64,
}

/// What a region's deployment left in the emulator.
#[derive(Debug, Clone)]
pub struct DeployedRegion {
    pub region: String,
    pub account: String,
    pub stack: String,
    pub template: Value,
    pub functions: BTreeMap<String, DeployedFunction>,
    pub rules: Vec<RuleTarget>,
    pub stream: Option<StreamMapping>,
    pub api: DeployedApi,
    pub jwt_secret_arn: String,
}

impl DeployedRegion {
    /// A resource's physical name from the template (`TableName`, `QueueName`, ...).
    pub fn property(&self, logical_id: &str, property: &str) -> Option<String> {
        self.template["Resources"][logical_id]["Properties"][property]
            .as_str()
            .map(str::to_string)
    }
}

/// The template of `env`'s stack in `region` in a cloud assembly directory (`generated/`).
pub fn template_path(generated: &Path, env: &str, region: &str) -> PathBuf {
    generated.join(format!(
        "cloudformation/{env}-{region}/infra-gen-{env}-{region}.template.json"
    ))
}

/// Stands in for Cargo in `infra_gen::package`: the emulator stores the function zips but never
/// runs them, and the local processes are host builds, so each zip's `bootstrap` is a small
/// script saying so (the assembly's asset names and the zipping stay infra-gen's own).
struct PlaceholderBuilder {
    dir: PathBuf,
}

impl infra_gen::package::Builder for PlaceholderBuilder {
    fn build(&self, package: &str, target: &str) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(format!("{package}-{target}"));
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho '{package} ({target}): a local-platform placeholder; the function runs as a host process' >&2\nexit 1\n"
            ),
        )?;
        Ok(path)
    }
}

/// Writes the function zips the environment's assemblies name (their `*.assets.json` file
/// assets, `<function>-<asset hash>.zip`) into `out`.
pub fn placeholder_assets(
    generated: &Path,
    environment: &infra_gen::spec::Environment,
    scratch: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let mut artefacts = std::collections::BTreeSet::new();
    for rs in &environment.regions {
        let manifest = generated.join(format!(
            "cloudformation/{0}-{1}/infra-gen-{0}-{1}.assets.json",
            rs.env, rs.region
        ));
        let assets: Value = serde_json::from_slice(
            &std::fs::read(&manifest).with_context(|| manifest.display().to_string())?,
        )?;
        for file in assets["files"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, f)| f)
        {
            let Some(name) = file["source"]["path"]
                .as_str()
                .and_then(|p| Path::new(p).file_name())
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".zip"))
            else {
                continue;
            };
            let Some((function, hash)) = name.rsplit_once('-') else {
                continue;
            };
            let architecture = rs
                .spec
                .functions
                .get(function)
                .map_or("arm64", |f| f.architecture.as_str());
            artefacts.insert(infra_gen::package::Artefact {
                function: function.to_string(),
                architecture: architecture.to_string(),
                asset_hash: hash.to_string(),
            });
        }
    }
    // `infra_gen::package::package` would also check that the sources did not change while
    // it built; a placeholder does not depend on them, so only its build and zip steps are
    // used.
    use infra_gen::package::{Builder as _, archive};
    let builder = PlaceholderBuilder {
        dir: scratch.to_path_buf(),
    };
    for artefact in &artefacts {
        let binary = std::fs::read(builder.build(&artefact.function, artefact.rust_target())?)?;
        let bytes = archive::zip(vec![archive::Entry::executable("bootstrap", binary)])?;
        infra_gen::package::write_atomically(&out.join(artefact.file_name()), &bytes)?;
    }
    Ok(())
}

/// Deploys the environment's assemblies (`generated/cloudformation/<env>-<region>`) to the
/// emulator with `scripts/ops/deploy-emulator`: the real CDK CLI, bootstrap then deploy, as
/// the promotion deploys them.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub repo_root: PathBuf,
    /// The assembly directories to deploy ([`emulator_assemblies`]).
    pub assemblies: Vec<PathBuf>,
    /// The function zips the assemblies name.
    pub assets: PathBuf,
    pub emulator: String,
    pub account: String,
    pub env: String,
    pub regions: Vec<String>,
    /// The CLI's progress (stderr).
    pub log: PathBuf,
}

/// Runs the deploy; see [`DeployRequest`].
pub fn deploy_stacks(request: &DeployRequest) -> anyhow::Result<()> {
    let DeployRequest {
        repo_root,
        assemblies,
        assets,
        emulator,
        account,
        env,
        regions,
        log,
    } = request;
    let script = repo_root.join("scripts/ops/deploy-emulator");
    let mut command = Command::new(&script);
    command
        .arg("--endpoint")
        .arg(format!("{account}={emulator}"))
        .arg("--assets")
        .arg(assets);
    for assembly in assemblies {
        if !assembly.join("manifest.json").exists() {
            bail!("no cloud assembly at {}", assembly.display());
        }
        command.arg(assembly);
    }
    let errors = std::fs::File::create(log)?;
    let out = command
        .stderr(errors)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        bail!(
            "deploy-emulator failed ({}):\n{}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    for region in regions {
        let stack = format!("infra-gen-{env}-{region}");
        let deployed = stdout.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.first() == Some(&"stack")
                && fields.get(1) == Some(&stack.as_str())
                && fields.get(4).is_some_and(|s| s.ends_with("_COMPLETE"))
        });
        if !deployed {
            bail!("deploy-emulator did not report {stack} deployed:\n{stdout}");
        }
    }
    Ok(())
}

fn resources_of_type<'a>(
    template: &'a Value,
    kind: &'a str,
) -> impl Iterator<Item = (&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(move |(_, r)| r["Type"] == kind)
}

/// The logical id a `Fn::GetAtt [X, Arn]` inside `value` names, anywhere in it.
fn get_att_target(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            if let Some(att) = map.get("Fn::GetAtt").and_then(Value::as_array) {
                return att.first().and_then(Value::as_str).map(str::to_string);
            }
            map.values().find_map(get_att_target)
        }
        Value::Array(items) => items.iter().find_map(get_att_target),
        _ => None,
    }
}

/// The function name in an ARN or an integration URI (`...:function:NAME/invocations`).
pub fn function_name_in(arn_or_uri: &str) -> Option<String> {
    let rest = arn_or_uri.split(":function:").nth(1)?;
    Some(
        rest.split(['/', ':'])
            .next()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Reads back the deployed functions, rules, stream mapping and API, and makes the fix-ups
/// listed in the module documentation.
pub async fn read_back(
    client: &SignedClient,
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    generated: &Path,
    env: &str,
    account: &str,
    jwt_secret: &str,
) -> anyhow::Result<DeployedRegion> {
    let region = client.region().to_string();
    let stack = format!("infra-gen-{env}-{region}");
    let template_file = template_path(generated, env, &region);
    let template: Value = serde_json::from_slice(
        &std::fs::read(&template_file).with_context(|| template_file.display().to_string())?,
    )?;
    let prefix = format!("infra-gen-{env}-");

    // The signing secret moto skipped.
    let (_, secret) = resources_of_type(&template, "AWS::SecretsManager::Secret")
        .next()
        .context("the template has no signing secret")?;
    let secret_name = secret["Properties"]["Name"]
        .as_str()
        .context("the signing secret has no Name")?;
    let created = client
        .json(
            "secretsmanager",
            "1.1",
            "secretsmanager.CreateSecret",
            &json!({"Name": secret_name, "SecretString": jwt_secret}),
        )
        .await?;
    let jwt_secret_arn = created["ARN"]
        .as_str()
        .context("CreateSecret returned no ARN")?
        .to_string();

    let mut functions = BTreeMap::new();
    let mut logical_to_function = BTreeMap::new();
    for (logical, resource) in resources_of_type(&template, "AWS::Lambda::Function") {
        let name = resource["Properties"]["FunctionName"]
            .as_str()
            .with_context(|| format!("{logical} has no FunctionName"))?;
        let config = client
            .rest(
                "lambda",
                "GET",
                &format!("/2015-03-31/functions/{}/configuration", encode(name)),
                None,
            )
            .await?;
        let mut environment: BTreeMap<String, String> = config["Environment"]["Variables"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
        let declared = &resource["Properties"]["Environment"]["Variables"];
        if declared
            .get(platform_contract::JWT_SECRET_ARN)
            .is_some_and(|v| v["Ref"].is_string())
        {
            environment.insert(
                platform_contract::JWT_SECRET_ARN.to_string(),
                jwt_secret_arn.clone(),
            );
        }
        let program = name.strip_prefix(&prefix).unwrap_or(name).to_string();
        logical_to_function.insert(logical.clone(), name.to_string());
        functions.insert(
            name.to_string(),
            DeployedFunction {
                program,
                name: name.to_string(),
                arn: config["FunctionArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                timeout_seconds: config["Timeout"].as_u64().unwrap_or(30),
                environment,
            },
        );
    }

    let rules = retarget_rules(events, sqs, env, &region, account).await?;

    let stream = stream_mapping(client, &template, &logical_to_function, account).await?;

    let api = read_api(client, &template, &logical_to_function).await?;

    Ok(DeployedRegion {
        region,
        account: account.to_string(),
        stack,
        template,
        functions,
        rules,
        stream,
        api,
        jwt_secret_arn,
    })
}

/// The stream trigger from the template's event source mapping (see [`emulator_assemblies`]
/// for why it is not deployed to the emulator), its stream read back from the table.
async fn stream_mapping(
    client: &SignedClient,
    template: &Value,
    logical_to_function: &BTreeMap<String, String>,
    account: &str,
) -> anyhow::Result<Option<StreamMapping>> {
    let Some((logical, mapping)) =
        resources_of_type(template, "AWS::Lambda::EventSourceMapping").next()
    else {
        return Ok(None);
    };
    let m = &mapping["Properties"];
    let function = m["FunctionName"]["Ref"]
        .as_str()
        .and_then(|l| logical_to_function.get(l))
        .with_context(|| format!("{logical}: FunctionName is not a function of the stack"))?
        .clone();
    let table_logical = get_att_target(&m["EventSourceArn"])
        .with_context(|| format!("{logical}: EventSourceArn is not a table's stream"))?;
    let table = template["Resources"][&table_logical]["Properties"]["TableName"]
        .as_str()
        .with_context(|| format!("{table_logical} has no TableName"))?;
    let described = client
        .json(
            "dynamodb",
            "1.0",
            "DynamoDB_20120810.DescribeTable",
            &json!({"TableName": table}),
        )
        .await?;
    let stream_arn = described["Table"]["LatestStreamArn"]
        .as_str()
        .with_context(|| format!("{table} has no stream in the emulator"))?
        .to_string();
    let on_failure_arn = get_att_target(&m["DestinationConfig"]["OnFailure"]["Destination"])
        .and_then(|queue| {
            template["Resources"][&queue]["Properties"]["QueueName"]
                .as_str()
                .map(|name| format!("arn:aws:sqs:{}:{account}:{name}", client.region()))
        });
    Ok(Some(StreamMapping {
        function,
        stream_arn,
        batch_size: m["BatchSize"].as_u64().unwrap_or(100) as usize,
        starting_position: m["StartingPosition"]
            .as_str()
            .unwrap_or("TRIM_HORIZON")
            .to_string(),
        bisect_on_error: m["BisectBatchOnFunctionError"].as_bool().unwrap_or(false),
        max_retries: m["MaximumRetryAttempts"].as_i64().unwrap_or(-1),
        on_failure_arn,
        report_batch_item_failures: m["FunctionResponseTypes"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures")),
    }))
}

/// Copies the environment's assemblies to `out`, each template without its event source
/// mappings, and returns the copies' directories. moto registers a DynamoDB event source
/// mapping on its table and, on every write, "invokes" the function (which fails without
/// Docker) and then empties the stream's shard, so a record is only readable for the moment
/// that takes: no poller can read the stream reliably while the mapping is deployed. The
/// runner plays the mapping from the template's settings instead ([`stream_mapping`]).
pub fn emulator_assemblies(
    generated: &Path,
    env: &str,
    regions: &[String],
    out: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut copies = Vec::new();
    for region in regions {
        let name = format!("{env}-{region}");
        let source = generated.join("cloudformation").join(&name);
        let target = out.join(&name);
        std::fs::create_dir_all(&target)?;
        for entry in std::fs::read_dir(&source)
            .with_context(|| format!("no cloud assembly at {}", source.display()))?
        {
            let entry = entry?;
            let file_name = entry.file_name();
            let text = std::fs::read_to_string(entry.path())?;
            let text = if file_name.to_string_lossy().ends_with(".template.json") {
                let mut template: Value = serde_json::from_str(&text)?;
                if let Some(resources) = template["Resources"].as_object_mut() {
                    resources.retain(|_, r| r["Type"] != "AWS::Lambda::EventSourceMapping");
                }
                serde_json::to_string_pretty(&template)?
            } else {
                text
            };
            std::fs::write(target.join(&file_name), text)?;
        }
        copies.push(target);
    }
    Ok(copies)
}

async fn read_api(
    client: &SignedClient,
    template: &Value,
    logical_to_function: &BTreeMap<String, String>,
) -> anyhow::Result<DeployedApi> {
    let (_, rest_api) = resources_of_type(template, "AWS::ApiGateway::RestApi")
        .next()
        .context("the template has no REST API")?;
    let api_name = rest_api["Properties"]["Name"].as_str().unwrap_or_default();
    let apis = client.rest("apigateway", "GET", "/restapis", None).await?;
    let id = apis["item"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == api_name)
        .and_then(|a| a["id"].as_str())
        .with_context(|| format!("the emulator has no REST API named {api_name}"))?
        .to_string();
    let (_, stage) = resources_of_type(template, "AWS::ApiGateway::Stage")
        .next()
        .context("the template has no API stage")?;
    let stage = stage["Properties"]["StageName"]
        .as_str()
        .context("the stage has no StageName")?
        .to_string();
    let (_, authorizer) = resources_of_type(template, "AWS::ApiGateway::Authorizer")
        .next()
        .context("the template has no API authorizer")?;
    let authorizer_props = &authorizer["Properties"];
    if authorizer_props["Type"] != "TOKEN" {
        bail!(
            "the API's authorizer is {}, not TOKEN",
            authorizer_props["Type"]
        );
    }
    let authorizer_function = get_att_target(&authorizer_props["AuthorizerUri"])
        .and_then(|logical| logical_to_function.get(&logical).cloned())
        .context("the authorizer's function is not in the template")?;
    let identity_header = authorizer_props["IdentitySource"]
        .as_str()
        .and_then(|s| s.strip_prefix("method.request.header."))
        .context("the authorizer's identity source is not a header")?
        .to_ascii_lowercase();

    let resources = client
        .rest(
            "apigateway",
            "GET",
            &format!("/restapis/{id}/resources?embed=methods"),
            None,
        )
        .await?;
    let mut methods = Vec::new();
    for resource in resources["item"].as_array().into_iter().flatten() {
        let path = resource["path"].as_str().unwrap_or_default();
        for (http_method, method) in resource["resourceMethods"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let uri = method["methodIntegration"]["uri"]
                .as_str()
                .unwrap_or_default();
            if method["methodIntegration"]["type"] != "AWS_PROXY" {
                bail!("{http_method} {path}: only Lambda proxy integrations are served locally");
            }
            let function = function_name_in(uri)
                .with_context(|| format!("{http_method} {path}: no function in {uri}"))?;
            let authorizer = match method["authorizationType"].as_str() {
                Some("CUSTOM") => Some(authorizer_function.clone()),
                Some("NONE") => None,
                other => {
                    bail!("{http_method} {path}: authorization {other:?} is not served locally")
                }
            };
            methods.push(ApiMethod {
                path: path.to_string(),
                http_method: http_method.clone(),
                authorizer,
                function,
            });
        }
    }
    Ok(DeployedApi {
        id,
        stage,
        methods,
        identity_header,
        authorizer_cache_seconds: authorizer_props["AuthorizerResultTtlInSeconds"]
            .as_u64()
            .unwrap_or(300),
    })
}

/// Replaces every Lambda target of the region's rules (see the module documentation).
async fn retarget_rules(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    env: &str,
    region: &str,
    account: &str,
) -> anyhow::Result<Vec<RuleTarget>> {
    let mut out = Vec::new();
    for bus in [format!("infra-gen-{env}"), "default".to_string()] {
        let rules = events.list_rules().event_bus_name(&bus).send().await?;
        for rule in rules.rules() {
            let rule_name = rule.name().unwrap_or_default().to_string();
            let targets = events
                .list_targets_by_rule()
                .rule(&rule_name)
                .event_bus_name(&bus)
                .send()
                .await?;
            for target in targets.targets() {
                let Some(function) = function_name_in(target.arn()) else {
                    continue;
                };
                let max_retries = target
                    .retry_policy()
                    .and_then(|p| p.maximum_retry_attempts())
                    .map_or(185, |n| n.max(0) as u32);
                let dead_letter_arn = target
                    .dead_letter_config()
                    .and_then(|d| d.arn())
                    .map(str::to_string);
                events
                    .remove_targets()
                    .rule(&rule_name)
                    .event_bus_name(&bus)
                    .ids(target.id())
                    .send()
                    .await?;
                let shadow_queue_url = if rule.event_pattern().is_some() {
                    let queue = format!("local-shadow-{rule_name}");
                    let url = sqs
                        .create_queue()
                        .queue_name(&queue)
                        .attributes(
                            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                            "5",
                        )
                        .send()
                        .await?
                        .queue_url()
                        .unwrap_or_default()
                        .to_string();
                    let arn = format!("arn:aws:sqs:{region}:{account}:{queue}");
                    events
                        .put_targets()
                        .rule(&rule_name)
                        .event_bus_name(&bus)
                        .targets(
                            aws_sdk_eventbridge::types::Target::builder()
                                .id(format!("local-{}", target.id()))
                                .arn(arn)
                                .build()?,
                        )
                        .send()
                        .await?;
                    Some(url)
                } else {
                    None
                };
                out.push(RuleTarget {
                    rule: rule_name.clone(),
                    bus: bus.clone(),
                    function,
                    shadow_queue_url,
                    schedule: rule.schedule_expression().map(str::to_string),
                    max_retries,
                    dead_letter_arn,
                });
            }
        }
    }
    Ok(out)
}

/// A queue URL from its ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`) on the emulator.
pub fn queue_url_from_arn(endpoint: &str, arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let (_, _, _, _region, account, name) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some(format!(
        "{}/{account}/{name}",
        endpoint.trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_out_of_arns_and_integration_uris() {
        assert_eq!(
            function_name_in("arn:aws:lambda:us-west-2:1:function:infra-gen-dev-router").as_deref(),
            Some("infra-gen-dev-router")
        );
        assert_eq!(
            function_name_in(
                "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:1:function:f/invocations"
            )
            .as_deref(),
            Some("f")
        );
        assert_eq!(function_name_in("arn:aws:sqs:us-west-2:1:q"), None);
    }

    #[test]
    fn get_att_targets_are_found_inside_joins() {
        let uri = json!({"Fn::Join": ["", ["arn:", {"Fn::GetAtt": ["Authorizer", "Arn"]}, "/invocations"]]});
        assert_eq!(get_att_target(&uri).as_deref(), Some("Authorizer"));
    }
}
