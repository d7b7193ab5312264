//! The oracle's comparison: two engines' CloudFormation templates of the same stacks, reduced to
//! what they mean, and every difference between them. Pure (templates in, differences and the
//! report's text out); `tests/cdk_oracle.rs` is the edge that synthesises both and reads and
//! writes the committed report.
//!
//! Each template is first *resolved*: every resource gets an identity that does not depend on
//! the engine (its type and physical name, or what it belongs to: "policy of <queue>"), and every
//! intrinsic becomes the value it will have once deployed where the engines' spellings differ
//! only in form (`Ref` of a queue is its URL, `Fn::GetAtt [Table, Arn]` the table's ARN, the
//! pseudo parameters their values), and an opaque `<type:identity>.<attribute>` where it cannot
//! be known before deploying. Then, per stack:
//!
//! - **inventory**: resources by (type, identity), both ways. CDK's scaffolding is mapped, each
//!   kind by a rule stated where it is applied: a role's `AWS::IAM::Policy` is the native role's
//!   inline policy (its statements are compared as permissions); CDK's `BootstrapVersion`
//!   parameter and rule are reported as template differences.
//! - **properties**: every property of matched resources, leaf by leaf, and their deletion and
//!   replacement policies, except the policy documents (compared as permissions) and resource
//!   `Tags` equal to the stack's tags (native tags the stack, CloudFormation propagates them;
//!   CDK writes them on each resource too). `Metadata` is not compared here: CDK's is its
//!   construct path, native's the checkov skips with their reasons, whose effect the report
//!   shows as the two engines' checkov verdicts. `DependsOn` neither: CloudFormation orders
//!   by references first, and the deploy test shows both orders work.
//! - **permissions**: per principal (a role by name, a service, `*`), the set of allowed (action,
//!   resource, condition) triples from identity policies, resource policies (queues, key,
//!   secret) and Lambda permissions, both ways.
//!
//! Keys and values are made stack-independent (account, regions and environment replaced by
//! `<account>`, `<region>`, `<peer>`, `<env>`; sha256 digests by `<sha256>`), so one difference
//! seen in all six stacks is one row of the report.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// One stack as both engines wrote it.
pub struct StackPair<'a> {
    pub stack: String,
    pub env: String,
    pub region: String,
    pub peer_region: String,
    pub account: String,
    /// The stack tags (the manifest's), which CDK also writes on each taggable resource.
    pub tags: BTreeMap<String, String>,
    pub native: &'a Value,
    pub cdk: &'a Value,
}

/// A difference, keyed independently of the stack it was seen in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// `<kind>: <what>`, e.g. `property: AWS::SQS::Queue infra-gen-<env>-events-dlq .Foo`.
    pub key: String,
    pub stack: String,
    /// The value each engine has (`-` where it has none).
    pub native: String,
    pub cdk: String,
}

/// What the comparison matched, per stack (the report's first table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub native_resources: usize,
    pub cdk_resources: usize,
    pub matched: usize,
    /// CDK resources mapped onto a native counterpart of another form (role policies).
    pub mapped: usize,
    pub native_permissions: usize,
    pub cdk_permissions: usize,
}

/// Compares one stack; differences in a stable order.
pub fn compare(pair: &StackPair<'_>) -> (Counts, Vec<Difference>) {
    let norm = Normaliser::new(pair);
    let native = Resolved::new(pair.native, pair);
    let cdk = Resolved::new(pair.cdk, pair);
    let mut out = Vec::new();
    let mut diff = |key: String, native: String, cdk: String| {
        out.push(Difference {
            key: norm.text(&key),
            stack: pair.stack.clone(),
            native: norm.text(&native),
            cdk: norm.text(&cdk),
        })
    };
    let mut counts = Counts {
        native_resources: native.resources.len(),
        cdk_resources: cdk.resources.len(),
        ..Counts::default()
    };

    // Inventory, both ways.
    let native_roles_with_policies: BTreeSet<String> = native
        .resources
        .values()
        .filter(|r| r.kind == "AWS::IAM::Role" && r.properties.contains_key("Policies"))
        .map(|r| r.identity.clone())
        .collect();
    let by_key = |res: &Resolved| -> BTreeMap<(String, String), String> {
        res.resources
            .iter()
            .map(|(id, r)| ((r.kind.clone(), r.identity.clone()), id.clone()))
            .collect()
    };
    let (native_keys, cdk_keys) = (by_key(&native), by_key(&cdk));
    for ((kind, identity), id) in &native_keys {
        if !cdk_keys.contains_key(&(kind.clone(), identity.clone())) {
            diff(
                format!("resource only in native: {kind} {identity}"),
                id.clone(),
                "-".into(),
            );
        }
    }
    for ((kind, identity), id) in &cdk_keys {
        if native_keys.contains_key(&(kind.clone(), identity.clone())) {
            counts.matched += 1;
            continue;
        }
        // Mapping: CDK keeps a role's statements in a separate `AWS::IAM::Policy`, where the
        // native engine inlines them in the role (`Policies`); the statements themselves are
        // compared below, as permissions.
        if kind == "AWS::IAM::Policy"
            && let Some(role) = identity.strip_prefix("policy of ")
            && native_roles_with_policies.contains(role)
        {
            counts.mapped += 1;
            continue;
        }
        diff(
            format!("resource only in cdk: {kind} {identity}"),
            "-".into(),
            id.clone(),
        );
    }

    // Properties of the matched resources.
    for ((kind, identity), native_id) in &native_keys {
        let Some(cdk_id) = cdk_keys.get(&(kind.clone(), identity.clone())) else {
            continue;
        };
        let (n, c) = (&native.resources[native_id], &cdk.resources[cdk_id]);
        let mut paths = BTreeMap::new();
        leaf_differences("", &n.compared(pair), &c.compared(pair), &mut paths);
        for (key, value) in [
            ("DeletionPolicy", (&n.deletion, &c.deletion)),
            ("UpdateReplacePolicy", (&n.replace, &c.replace)),
        ] {
            if value.0 != value.1 {
                paths.insert(key.to_string(), (show(value.0), show(value.1)));
            }
        }
        for (path, (nv, cv)) in paths {
            diff(format!("property: {kind} {identity} {path}"), nv, cv);
        }
    }

    // Permissions, both ways. A native pair that one of CDK's wildcards covers (CDK's
    // `kms:GenerateDataKey*` covers our `kms:GenerateDataKey`) is one CDK grants too: only
    // the wider CDK pair is a difference.
    let (np, cp) = (native.permissions(), cdk.permissions());
    counts.native_permissions = np.len();
    counts.cdk_permissions = cp.len();
    for p in np.difference(&cp) {
        if !cp.iter().any(|c| c.covers(p)) {
            diff(
                format!("permission only in native: {p}"),
                "allowed".into(),
                "-".into(),
            );
        }
    }
    for p in cp.difference(&np) {
        diff(
            format!("permission only in cdk: {p}"),
            "-".into(),
            "allowed".into(),
        );
    }

    // Template-level: outputs by name, parameters and rules.
    for section in ["Outputs", "Parameters", "Rules"] {
        let (n, c) = (native.section(section), cdk.section(section));
        for name in n.keys().chain(c.keys()).collect::<BTreeSet<_>>() {
            let (nv, cv) = (n.get(name), c.get(name));
            if nv != cv {
                diff(
                    format!("template: {section}.{name}"),
                    nv.map_or("-".into(), Value::to_string),
                    cv.map_or("-".into(), Value::to_string),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    (counts, out)
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

/// Every leaf path where two resolved values differ (arrays compared as multisets: the engines
/// order lists differently where CloudFormation does not care).
fn leaf_differences(
    path: &str,
    a: &Value,
    b: &Value,
    out: &mut BTreeMap<String, (String, String)>,
) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (xv, yv) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                leaf_differences(&format!("{path}.{k}"), xv, yv, out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let sorted = |v: &Vec<Value>| {
                let mut s: Vec<String> = v.iter().map(canonical).collect();
                s.sort();
                s
            };
            if sorted(x) != sorted(y) {
                out.insert(path.to_string(), (a.to_string(), b.to_string()));
            }
        }
        _ if numbers_equal(a, b) => {}
        _ => {
            let text = |v: &Value| match v {
                Value::Null => "-".to_string(),
                other => other.to_string(),
            };
            out.insert(path.to_string(), (text(a), text(b)));
        }
    }
}

/// `1000` and `1000.0`, or `"300"` and `300`: the same to CloudFormation.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    a == b || matches!((num(a), num(b)), (Some(x), Some(y)) if x == y)
}

/// One resource, resolved.
struct Resource {
    kind: String,
    identity: String,
    /// Properties with every intrinsic resolved.
    properties: Map<String, Value>,
    deletion: Option<String>,
    replace: Option<String>,
}

impl Resource {
    /// What the property comparison looks at: all but the policy documents (compared as
    /// permissions) and tags that are the stack's own.
    fn compared(&self, pair: &StackPair<'_>) -> Value {
        let mut p = self.properties.clone();
        for key in [
            "Policies",
            "PolicyDocument",
            "KeyPolicy",
            "ResourcePolicy",
            "ManagedPolicyArns",
        ] {
            p.remove(key);
        }
        if let Some(Value::Array(tags)) = p.get("Tags") {
            let as_map: BTreeMap<String, String> = tags
                .iter()
                .filter_map(|t| {
                    Some((
                        t["Key"].as_str()?.to_string(),
                        t["Value"].as_str()?.to_string(),
                    ))
                })
                .collect();
            if as_map == pair.tags {
                p.remove("Tags");
            }
        }
        Value::Object(p)
    }
}

/// A template with identities and resolved values.
struct Resolved {
    resources: BTreeMap<String, Resource>,
    template: Value,
}

impl Resolved {
    fn new(template: &Value, pair: &StackPair<'_>) -> Resolved {
        let raw = template["Resources"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let ctx = Context {
            raw: &raw,
            pair,
            identities: std::cell::RefCell::new(BTreeMap::new()),
        };
        let resources = raw
            .iter()
            .map(|(id, r)| {
                let properties = match ctx.resolve(&r["Properties"]) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                let resource = Resource {
                    kind: r["Type"].as_str().unwrap_or_default().to_string(),
                    identity: ctx.identity(id),
                    properties,
                    deletion: r["DeletionPolicy"].as_str().map(String::from),
                    replace: r["UpdateReplacePolicy"].as_str().map(String::from),
                };
                (id.clone(), resource)
            })
            .collect();
        let mut resolved = template.clone();
        for section in ["Outputs", "Parameters", "Rules"] {
            if let Some(v) = template.get(section) {
                resolved[section] = ctx.resolve(v);
            }
        }
        Resolved {
            resources,
            template: resolved,
        }
    }

    fn section(&self, name: &str) -> Map<String, Value> {
        self.template[name].as_object().cloned().unwrap_or_default()
    }

    /// Every allowed (or denied) (principal, action, resource, condition).
    fn permissions(&self) -> BTreeSet<Permission> {
        let mut out = BTreeSet::new();
        for r in self.resources.values() {
            let p = &r.properties;
            match r.kind.as_str() {
                "AWS::IAM::Role" => {
                    let principal = format!("role {}", r.identity);
                    for policy in p
                        .get("Policies")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        statements(&policy["PolicyDocument"], Some(&principal), &mut out);
                    }
                    for arn in p
                        .get("ManagedPolicyArns")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        out.insert(Permission {
                            principal: principal.clone(),
                            effect: "allow".into(),
                            action: "managed policy".into(),
                            resource: text(arn),
                            condition: String::new(),
                        });
                    }
                }
                "AWS::IAM::Policy" => {
                    for role in p
                        .get("Roles")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let principal = format!("role {}", text(role));
                        statements(&p["PolicyDocument"], Some(&principal), &mut out);
                    }
                }
                "AWS::SQS::QueuePolicy" => statements(&p["PolicyDocument"], None, &mut out),
                "AWS::KMS::Key" => statements(&p["KeyPolicy"], None, &mut out),
                "AWS::SecretsManager::ResourcePolicy" => {
                    statements(&p["ResourcePolicy"], None, &mut out)
                }
                "AWS::Lambda::Permission" => {
                    let condition = p
                        .get("SourceArn")
                        .map(|s| format!(" if aws:SourceArn = {}", text(s)))
                        .unwrap_or_default();
                    out.insert(Permission {
                        principal: principal_text(&p["Principal"]),
                        effect: "allow".into(),
                        action: text(&p["Action"]),
                        resource: text(&p["FunctionName"]),
                        condition,
                    });
                }
                _ => {}
            }
        }
        out
    }
}

/// One (principal, effect, action, resource, condition) a template allows or denies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Permission {
    principal: String,
    effect: String,
    action: String,
    resource: String,
    /// ` if <condition>`, or empty.
    condition: String,
}

impl Permission {
    /// Whether this grants everything `other` does: same principal, effect and condition, and
    /// an action and resource that match `other`'s as IAM wildcards do.
    fn covers(&self, other: &Permission) -> bool {
        self.principal == other.principal
            && self.effect == other.effect
            && self.condition == other.condition
            && glob(&self.action.to_lowercase(), &other.action.to_lowercase())
            && glob(&self.resource, &other.resource)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} on {}{}",
            self.principal, self.effect, self.action, self.resource, self.condition
        )
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Expands a policy document into one permission per (principal, action, resource, and
/// condition value: `ArnEquals` over a list of ARNs is one grant per ARN, however it is
/// spelt).
fn statements(document: &Value, principal: Option<&str>, out: &mut BTreeSet<Permission>) {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(a) => a.iter().map(text).collect(),
            Value::Null => Vec::new(),
            other => vec![text(other)],
        }
    };
    let statements = match &document["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    for s in statements {
        let effect = s["Effect"].as_str().unwrap_or("Allow").to_lowercase();
        let principals = match principal {
            Some(p) => vec![p.to_string()],
            None => principal_list(&s["Principal"]),
        };
        let conditions = expand_condition(&s["Condition"]);
        for who in &principals {
            for action in list(&s["Action"]) {
                for resource in list(&s["Resource"]) {
                    for condition in &conditions {
                        out.insert(Permission {
                            principal: who.clone(),
                            effect: effect.clone(),
                            action: action.clone(),
                            resource: resource.clone(),
                            condition: condition.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// A condition as ` if <json>`; one operator on one key with a list of values is one
/// condition per value (IAM ORs them).
fn expand_condition(c: &Value) -> Vec<String> {
    if let Value::Object(ops) = c
        && ops.len() == 1
        && let Some((op, Value::Object(keys))) = ops.iter().next()
        && keys.len() == 1
        && let Some((key, Value::Array(values))) = keys.iter().next()
    {
        return values
            .iter()
            .map(|v| format!(" if {}", canonical(&serde_json::json!({ op: { key: v } }))))
            .collect();
    }
    match c {
        Value::Null => vec![String::new()],
        c => vec![format!(" if {}", canonical(c))],
    }
}

fn principal_list(p: &Value) -> Vec<String> {
    match p {
        Value::String(s) if s == "*" => vec!["anyone".into()],
        Value::Object(m) => m
            .iter()
            .flat_map(|(kind, v)| {
                let values = match v {
                    Value::Array(a) => a.iter().map(text).collect::<Vec<_>>(),
                    other => vec![text(other)],
                };
                values
                    .into_iter()
                    .map(move |v| match (kind.as_str(), v.as_str()) {
                        ("AWS", "*") => "anyone".to_string(),
                        ("Service", _) => format!("service {v}"),
                        _ => format!("{} {v}", kind.to_lowercase()),
                    })
            })
            .collect(),
        other => vec![text(other)],
    }
}

fn principal_text(p: &Value) -> String {
    match p.as_str() {
        Some(s) if s.ends_with(".amazonaws.com") => format!("service {s}"),
        _ => principal_list(p).join(","),
    }
}

/// A resolved value as text (strings without quotes).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => canonical(other),
    }
}

/// JSON with object keys sorted and single-element arrays as their element (IAM's two
/// spellings of one value).
fn canonical(v: &Value) -> String {
    fn norm(v: &Value) -> Value {
        match v {
            Value::Array(a) if a.len() == 1 => norm(&a[0]),
            Value::Array(a) => {
                let mut items: Vec<Value> = a.iter().map(norm).collect();
                items.sort_by_key(Value::to_string);
                Value::Array(items)
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), norm(v)))
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    norm(v).to_string()
}

/// Resolution of one template's intrinsics and identities.
struct Context<'a> {
    raw: &'a Map<String, Value>,
    pair: &'a StackPair<'a>,
    identities: std::cell::RefCell<BTreeMap<String, String>>,
}

impl Context<'_> {
    fn kind(&self, id: &str) -> &str {
        self.raw
            .get(id)
            .and_then(|r| r["Type"].as_str())
            .unwrap_or("")
    }

    fn prop(&self, id: &str, name: &str) -> String {
        self.raw
            .get(id)
            .map(|r| text(&self.resolve(&r["Properties"][name])))
            .unwrap_or_default()
    }

    /// The resource's engine-independent name: its physical name, or what it belongs to.
    fn identity(&self, id: &str) -> String {
        if let Some(known) = self.identities.borrow().get(id) {
            return known.clone();
        }
        let p = |name: &str| self.prop(id, name);
        let identity = match self.kind(id) {
            "AWS::KMS::Key" => p("Description"),
            "AWS::KMS::Alias" => p("AliasName"),
            "AWS::SQS::Queue" => p("QueueName"),
            "AWS::DynamoDB::Table" => p("TableName"),
            "AWS::Events::EventBus" | "AWS::Events::Rule" | "AWS::SecretsManager::Secret" => {
                p("Name")
            }
            "AWS::ApiGateway::RestApi" | "AWS::ApiGateway::Authorizer" => p("Name"),
            "AWS::ApiGateway::Stage" => p("StageName"),
            "AWS::ApiGateway::DomainName" | "AWS::CertificateManager::Certificate" => {
                p("DomainName")
            }
            "AWS::Logs::LogGroup" => p("LogGroupName"),
            "AWS::IAM::Role" => p("RoleName"),
            "AWS::Lambda::Function" => p("FunctionName"),
            "AWS::CloudWatch::Alarm" => p("AlarmName"),
            "AWS::CloudWatch::Dashboard" => p("DashboardName"),
            "AWS::ECR::Repository" => p("RepositoryName"),
            "AWS::Route53::RecordSet" => p("Name"),
            "AWS::Route53::HealthCheck" => {
                self.raw[id]["Properties"]["HealthCheckConfig"]["FullyQualifiedDomainName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            }
            "AWS::SQS::QueuePolicy" => format!("policy of {}", self.first_of(id, "Queues")),
            "AWS::IAM::Policy" => format!("policy of {}", self.first_of(id, "Roles")),
            "AWS::SecretsManager::ResourcePolicy" => format!("policy of {}", p("SecretId")),
            "AWS::ApiGateway::Resource" => format!("/{}", p("PathPart")),
            "AWS::ApiGateway::Method" => format!("{} {}", p("HttpMethod"), p("ResourceId")),
            "AWS::ApiGateway::Deployment" => format!("deployment of {}", p("RestApiId")),
            "AWS::ApiGateway::BasePathMapping" => format!("mapping of {}", p("DomainName")),
            "AWS::Lambda::Version" => format!("version of {}", p("FunctionName")),
            "AWS::Lambda::Alias" => format!("{}:{}", p("FunctionName"), p("Name")),
            "AWS::Lambda::EventSourceMapping" => {
                format!("{} from {}", p("FunctionName"), p("EventSourceArn"))
            }
            "AWS::Lambda::Permission" => format!(
                "{} for {} from {}",
                p("FunctionName"),
                p("Principal"),
                p("SourceArn")
            ),
            _ => id.to_string(),
        };
        self.identities
            .borrow_mut()
            .insert(id.to_string(), identity.clone());
        identity
    }

    fn first_of(&self, id: &str, list: &str) -> String {
        text(&self.resolve(&self.raw[id]["Properties"][list][0]))
    }

    /// What `Ref` returns, where the engines may spell it differently.
    fn reference(&self, id: &str) -> String {
        let (pair, name) = (self.pair, || self.identity(id));
        match self.kind(id) {
            "AWS::SQS::Queue" => format!(
                "https://sqs.{}.amazonaws.com/{}/{}",
                pair.region,
                pair.account,
                name()
            ),
            "AWS::DynamoDB::Table"
            | "AWS::Lambda::Function"
            | "AWS::Events::EventBus"
            | "AWS::IAM::Role"
            | "AWS::Logs::LogGroup"
            | "AWS::ApiGateway::Stage"
            | "AWS::ApiGateway::DomainName"
            | "AWS::Events::Rule"
            | "AWS::ECR::Repository" => name(),
            kind => format!("<{kind} {}>", name()),
        }
    }

    /// What `Fn::GetAtt` returns, where it can be known before deploying.
    fn attribute(&self, id: &str, attribute: &str) -> String {
        let (pair, name) = (self.pair, self.identity(id));
        let (region, account) = (&pair.region, &pair.account);
        match (self.kind(id), attribute) {
            ("AWS::SQS::Queue", "Arn") => format!("arn:aws:sqs:{region}:{account}:{name}"),
            ("AWS::SQS::Queue", "QueueName") => name,
            ("AWS::SQS::Queue", "QueueUrl") => self.reference(id),
            ("AWS::DynamoDB::Table", "Arn") => {
                format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
            }
            ("AWS::Lambda::Function", "Arn") => {
                format!("arn:aws:lambda:{region}:{account}:function:{name}")
            }
            ("AWS::Events::EventBus", "Arn") => {
                format!("arn:aws:events:{region}:{account}:event-bus/{name}")
            }
            ("AWS::Events::EventBus" | "AWS::Events::Rule", "Name") => name,
            ("AWS::Events::Rule", "Arn") => self.rule_arn(id, &name),
            ("AWS::IAM::Role", "Arn") => format!("arn:aws:iam::{account}:role/{name}"),
            ("AWS::Logs::LogGroup", "Arn") => {
                format!("arn:aws:logs:{region}:{account}:log-group:{name}:*")
            }
            (kind, attribute) => format!("<{kind} {name}>.{attribute}"),
        }
    }

    /// A rule's ARN: `rule/<bus>/<name>` on a custom bus.
    fn rule_arn(&self, id: &str, name: &str) -> String {
        let (region, account) = (&self.pair.region, &self.pair.account);
        let bus = self.prop(id, "EventBusName");
        if bus.is_empty() || bus == "default" {
            format!("arn:aws:events:{region}:{account}:rule/{name}")
        } else {
            format!("arn:aws:events:{region}:{account}:rule/{bus}/{name}")
        }
    }

    fn pseudo(&self, name: &str) -> Option<String> {
        Some(match name {
            "AWS::Partition" => "aws".into(),
            "AWS::Region" => self.pair.region.clone(),
            "AWS::AccountId" => self.pair.account.clone(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            _ => return None,
        })
    }

    /// A value with every intrinsic function replaced by what it resolves to.
    fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::Object(m) if m.len() == 1 => {
                let (f, arg) = m.iter().next().expect("one entry");
                match f.as_str() {
                    "Ref" => {
                        let target = arg.as_str().unwrap_or_default();
                        Value::String(self.pseudo(target).unwrap_or_else(|| {
                            if self.raw.contains_key(target) {
                                self.reference(target)
                            } else {
                                format!("<parameter {target}>")
                            }
                        }))
                    }
                    "Fn::GetAtt" => {
                        let (id, attr) = match arg {
                            Value::Array(a) => (
                                a[0].as_str().unwrap_or_default().to_string(),
                                a[1].as_str().unwrap_or_default().to_string(),
                            ),
                            Value::String(s) => {
                                let (i, a) = s.split_once('.').unwrap_or((s, ""));
                                (i.to_string(), a.to_string())
                            }
                            _ => Default::default(),
                        };
                        Value::String(self.attribute(&id, &attr))
                    }
                    "Fn::Join" => {
                        let sep = arg[0].as_str().unwrap_or_default();
                        let parts: Vec<String> = arg[1]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|p| text(&self.resolve(p)))
                            .collect();
                        Value::String(parts.join(sep))
                    }
                    "Fn::Split" => {
                        let sep = arg[0].as_str().unwrap_or_default();
                        let whole = text(&self.resolve(&arg[1]));
                        Value::Array(whole.split(sep).map(|p| Value::String(p.into())).collect())
                    }
                    "Fn::Select" => {
                        let index = arg[0]
                            .as_u64()
                            .or_else(|| arg[0].as_str().and_then(|s| s.parse().ok()))
                            .unwrap_or_default();
                        match self.resolve(&arg[1]) {
                            Value::Array(items) => {
                                items.get(index as usize).cloned().unwrap_or(Value::Null)
                            }
                            other => other,
                        }
                    }
                    "Fn::Sub" => {
                        let mut s = arg.as_str().unwrap_or_default().to_string();
                        for pseudo in [
                            "AWS::Partition",
                            "AWS::Region",
                            "AWS::AccountId",
                            "AWS::URLSuffix",
                        ] {
                            s = s.replace(
                                &format!("${{{pseudo}}}"),
                                &self.pseudo(pseudo).unwrap_or_default(),
                            );
                        }
                        Value::String(s)
                    }
                    _ => Value::Object(
                        m.iter()
                            .map(|(k, v)| (k.clone(), self.resolve(v)))
                            .collect(),
                    ),
                }
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.resolve(x)).collect()),
            other => other.clone(),
        }
    }
}

/// Makes text stack-independent: account, regions, environment and digests by placeholders.
struct Normaliser {
    replacements: Vec<(String, &'static str)>,
    env: String,
}

impl Normaliser {
    fn new(pair: &StackPair<'_>) -> Normaliser {
        Normaliser {
            replacements: vec![
                (pair.account.clone(), "<account>"),
                (pair.peer_region.clone(), "<peer>"),
                (pair.region.clone(), "<region>"),
            ],
            env: pair.env.clone(),
        }
    }

    fn text(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (from, to) in &self.replacements {
            s = s.replace(from.as_str(), to);
        }
        replace_digests(&replace_word(&s, &self.env, "<env>"))
    }
}

/// Replaces `word` where it is not part of a longer alphanumeric run.
fn replace_word(s: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + word.len()..].chars().next();
        let bounded = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        out.push_str(&rest[..i]);
        out.push_str(if bounded(before) && bounded(after) {
            with
        } else {
            word
        });
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// 64 hex digits (a sha256) become `<sha256>`: asset names change with every source change.
fn replace_digests(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run >= 64 {
            out.push_str("<sha256>");
            i += run;
        } else if run > 0 {
            out.push_str(&s[i..i + run]);
            i += run;
        } else {
            let c = s[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The differences of all stacks grouped by key: the stacks each was seen in and one
/// stack's values.
pub fn group(differences: &[Difference]) -> BTreeMap<String, (Vec<String>, String, String)> {
    let mut out: BTreeMap<String, (Vec<String>, String, String)> = BTreeMap::new();
    for d in differences {
        let entry = out
            .entry(d.key.clone())
            .or_insert_with(|| (Vec::new(), d.native.clone(), d.cdk.clone()));
        if !entry.0.contains(&d.stack) {
            entry.0.push(d.stack.clone());
        }
    }
    out
}

/// The justification a new difference starts with; the test fails while any row has it.
pub const UNJUSTIFIED: &str = "UNJUSTIFIED";

/// Escapes a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The justifications of an existing report, by key (its difference table's first column).
pub fn justifications(report: &str) -> BTreeMap<String, String> {
    report
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells = split_cells(l);
            Some((
                cells.first()?.trim_matches('`').replace("\\|", "|"),
                cells.last()?.clone(),
            ))
        })
        .collect()
}

fn split_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push_str("\\|");
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current).trim().to_string()),
            other => current.push(other),
        }
    }
    cells.push(current.trim().to_string());
    cells
}

/// One validator's verdict on each engine's six templates (the report's validator table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub tool: String,
    pub native: String,
    pub cdk: String,
}

/// The report: counts per stack, the validators' verdicts, then every difference with its
/// justification (kept from `previous` by key; new ones are [`UNJUSTIFIED`]).
pub fn report(
    counts: &[(String, Counts)],
    validations: &[Validation],
    differences: &[Difference],
    previous: &BTreeMap<String, String>,
    regenerate: &str,
) -> String {
    let mut s = String::new();
    s.push_str("# The CDK oracle: native engine against aws-cdk-lib\n\n");
    s.push_str(&format!(
        "Generated by `{regenerate}` from both engines' synthesis of every stack \
         (see `docs/cdk-engine.md`); only the justification column is written by hand, and it \
         is kept by key when the report is regenerated. `tests/cdk_oracle.rs` fails when a \
         difference is not in this table, when a row no longer matches, or when a \
         justification is `{UNJUSTIFIED}`. Keys and values are stack-independent: `<env>`, \
         `<region>`, `<peer>`, `<account>` and `<sha256>` stand for what varies.\n\n"
    ));
    s.push_str("## Stacks\n\n| stack | native resources | cdk resources | matched | mapped (cdk role policies) | native permissions | cdk permissions |\n|---|---|---|---|---|---|---|\n");
    for (stack, c) in counts {
        s.push_str(&format!(
            "| {stack} | {} | {} | {} | {} | {} | {} |\n",
            c.native_resources,
            c.cdk_resources,
            c.matched,
            c.mapped,
            c.native_permissions,
            c.cdk_permissions
        ));
    }
    if !validations.is_empty() {
        s.push_str("\n## Validators on both engines' six templates\n\n| validator | native | cdk |\n|---|---|---|\n");
        for v in validations {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(&v.tool),
                cell(&v.native),
                cell(&v.cdk)
            ));
        }
    }
    let grouped = group(differences);
    s.push_str(&format!(
        "\n## Differences ({} rows)\n\n| key | stacks | native | cdk | justification |\n|---|---|---|---|---|\n",
        grouped.len()
    ));
    for (key, (stacks, native, cdk)) in &grouped {
        let stacks = if stacks.len() == counts.len() {
            "all".to_string()
        } else {
            stacks.join(", ")
        };
        let why = previous
            .get(key)
            .cloned()
            .unwrap_or_else(|| UNJUSTIFIED.to_string());
        s.push_str(&format!(
            "| `{}` | {stacks} | {} | {} | {} |\n",
            cell(key),
            cell(&truncate(native)),
            cell(&truncate(cdk)),
            why
        ));
    }
    s
}

/// Long values (policies, patterns) cut for the table; the key says where to look.
fn truncate(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pair<'a>(native: &'a Value, cdk: &'a Value) -> StackPair<'a> {
        StackPair {
            stack: "infra-gen-dev-us-east-1".into(),
            env: "dev".into(),
            region: "us-east-1".into(),
            peer_region: "us-west-2".into(),
            account: "111111111111".into(),
            tags: BTreeMap::new(),
            native,
            cdk,
        }
    }

    #[test]
    fn ref_and_getatt_spellings_of_one_value_are_equal_and_a_changed_value_is_a_row() {
        let native = json!({"Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "infra-gen-dev-q"}},
            "F": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "infra-gen-dev-f",
                "MemorySize": 128, "Environment": {"Variables": {"URL": {"Ref": "Q"}}}}},
        }});
        let cdk = json!({"Resources": {
            "QABC": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "infra-gen-dev-q"}},
            "FABC": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "infra-gen-dev-f",
                "MemorySize": 256, "Environment": {"Variables": {"URL": {"Fn::Join": ["", [
                    "https://sqs.", {"Ref": "AWS::Region"}, ".amazonaws.com/111111111111/infra-gen-dev-q"]]}}}}},
        }});
        let (counts, diffs) = compare(&pair(&native, &cdk));
        assert_eq!(counts.matched, 2);
        let keys: Vec<&str> = diffs.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            ["property: AWS::Lambda::Function infra-gen-<env>-f .MemorySize"]
        );
        assert_eq!(
            (diffs[0].native.as_str(), diffs[0].cdk.as_str()),
            ("128", "256")
        );
    }

    #[test]
    fn a_cdk_role_policy_maps_to_the_native_inline_policy_and_permissions_compare_both_ways() {
        let statement =
            |action: &str| json!({"Effect": "Allow", "Action": action, "Resource": "*"});
        let native = json!({"Resources": {
            "R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r",
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement("a:One"), statement("a:Two")]}}]}},
        }});
        let cdk = json!({"Resources": {
            "RX": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r"}},
            "RP": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "RX"}],
                "PolicyDocument": {"Statement": [statement("a:One"), statement("a:Three")]}}},
        }});
        let (counts, diffs) = compare(&pair(&native, &cdk));
        assert_eq!((counts.matched, counts.mapped), (1, 1));
        let keys: Vec<&str> = diffs.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "permission only in cdk: role r allow a:Three on *",
                "permission only in native: role r allow a:Two on *",
            ]
        );
    }

    #[test]
    fn a_wildcard_covers_what_it_matches_and_a_condition_list_is_one_grant_per_value() {
        let permission = |action: &str, resource: &str| Permission {
            principal: "role r".into(),
            effect: "allow".into(),
            action: action.into(),
            resource: resource.into(),
            condition: String::new(),
        };
        assert!(
            permission("kms:GenerateDataKey*", "k").covers(&permission("kms:GenerateDataKey", "k"))
        );
        assert!(
            permission("dynamodb:ListStreams", "*")
                .covers(&permission("dynamodb:ListStreams", "t/stream/*"))
        );
        assert!(
            !permission("kms:GenerateDataKey", "k")
                .covers(&permission("kms:GenerateDataKey*", "k"))
        );
        assert!(!permission("sqs:*", "q1").covers(&permission("sqs:SendMessage", "q2")));
        let one = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": "q",
            "Condition": {"ArnEquals": {"aws:SourceArn": ["r1", "r2"]}}}});
        let two = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": "q", "Condition": {"ArnEquals": {"aws:SourceArn": "r2"}}},
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": "q", "Condition": {"ArnEquals": {"aws:SourceArn": "r1"}}}]});
        let (mut a, mut b) = (BTreeSet::new(), BTreeSet::new());
        statements(&one, None, &mut a);
        statements(&two, None, &mut b);
        assert_eq!(a.len(), 2);
        assert_eq!(a, b);
    }

    #[test]
    fn the_report_keeps_justifications_by_key_and_marks_new_rows() {
        let d = |key: &str| Difference {
            key: key.into(),
            stack: "s".into(),
            native: "a|b".into(),
            cdk: "-".into(),
        };
        let counts = vec![("s".to_string(), Counts::default())];
        let first = report(&counts, &[], &[d("k1")], &BTreeMap::new(), "cmd");
        assert!(first.contains(UNJUSTIFIED));
        let justified = first.replace(UNJUSTIFIED, "because");
        let kept = justifications(&justified);
        assert_eq!(kept.get("k1").map(String::as_str), Some("because"));
        let second = report(&counts, &[], &[d("k1"), d("k2")], &kept, "cmd");
        assert_eq!(
            justifications(&second).get("k2").map(String::as_str),
            Some(UNJUSTIFIED)
        );
        assert_eq!(
            justifications(&second).get("k1").map(String::as_str),
            Some("because")
        );
    }

    #[test]
    fn stack_specific_text_becomes_placeholders() {
        let native = json!({});
        let p = pair(&native, &native);
        let n = Normaliser::new(&p);
        assert_eq!(
            n.text(&format!(
                "arn:aws:sqs:us-east-1:111111111111:infra-gen-dev-q {}",
                "a".repeat(64)
            )),
            "arn:aws:sqs:<region>:<account>:infra-gen-<env>-q <sha256>"
        );
        assert_eq!(n.text("device dev/x"), "device <env>/x");
    }
}
