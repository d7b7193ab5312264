//! The engine, normalisation and reports on small templates shaped like the platform's.

use serde_json::{Value as Json, json};

use super::compare::{self, StackTemplate};
use super::report::{self, OutputFormat};
use super::*;

fn function(memory: u64) -> Json {
    json!({
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": "infra-gen-prod-us-west-2-event-router",
            "MemorySize": memory,
            "Role": {"Fn::GetAtt": ["EventRouterRole", "Arn"]}
        }
    })
}

fn role(actions: Json) -> Json {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": "infra-gen-prod-us-west-2-event-router",
            "Policies": [{
                "PolicyName": "least-privilege",
                "PolicyDocument": {"Statement": [
                    {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
                    {"Effect": "Allow", "Action": actions, "Resource": {"Fn::GetAtt": ["EventsTable", "Arn"]}}
                ]}
            }]
        }
    })
}

fn table(range_key: Option<&str>) -> Json {
    let mut keys = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    if let Some(sk) = range_key {
        keys.push(json!({"AttributeName": sk, "KeyType": "RANGE"}));
    }
    json!({
        "Type": "AWS::DynamoDB::Table",
        "Properties": {"KeySchema": keys, "BillingMode": "PAY_PER_REQUEST"},
        "DeletionPolicy": "Retain"
    })
}

fn template(resources: Json) -> Json {
    json!({"Description": "infra-gen event platform", "Resources": resources, "Outputs": {}})
}

fn base() -> Json {
    template(json!({
        "EventsTable": table(None),
        "EventRouterRole": role(json!("dynamodb:PutItem")),
        "EventRouter": function(512),
    }))
}

fn modified(base: &Json, edit: impl FnOnce(&mut Json)) -> Json {
    let mut t = base.clone();
    edit(&mut t);
    t
}

fn only_change(old: &Json, new: &Json) -> ResourceChange {
    let (resources, template) = diff_templates(old, new);
    assert!(template.is_empty(), "{template:?}");
    assert_eq!(resources.len(), 1, "{resources:#?}");
    resources.into_iter().next().unwrap()
}

#[test]
fn identical_templates_have_no_differences() {
    let stack = diff_stack(Some("a"), Some("b"), Some(&base()), Some(&base()));
    assert_eq!(stack.status, StackStatus::Unchanged);
    assert!(stack.resources.is_empty() && stack.template.is_empty());
}

#[test]
fn adding_a_function_is_a_resource_addition() {
    let new = modified(&base(), |t| {
        t["Resources"]["HealthChecker"] = function(128);
    });
    let change = only_change(&base(), &new);
    assert_eq!(change.logical_id, "HealthChecker");
    assert_eq!(change.change, ChangeKind::Added);
    assert_eq!(change.resource_type, "AWS::Lambda::Function");
    assert!(!change.replacement && !change.security);
}

#[test]
fn adding_a_role_is_security_relevant() {
    let new = modified(&base(), |t| {
        t["Resources"]["HealthCheckerRole"] = role(json!("sqs:SendMessage"));
    });
    let change = only_change(&base(), &new);
    assert_eq!(change.change, ChangeKind::Added);
    assert!(change.security);
}

#[test]
fn memory_change_is_one_property_in_place() {
    let new = modified(&base(), |t| {
        t["Resources"]["EventRouter"]["Properties"]["MemorySize"] = json!(1024);
    });
    let change = only_change(&base(), &new);
    assert_eq!(change.change, ChangeKind::Modified);
    assert_eq!(
        change.properties,
        vec![PropertyChange {
            path: "Properties.MemorySize".into(),
            old: Some(json!(512)),
            new: Some(json!(1024)),
            replacement: false,
            security: false,
        }]
    );
    assert!(!change.replacement && !change.security);
}

#[test]
fn key_schema_change_is_flagged_as_replacement() {
    let new = modified(&base(), |t| {
        t["Resources"]["EventsTable"] = table(Some("sk"));
    });
    let change = only_change(&base(), &new);
    assert_eq!(change.logical_id, "EventsTable");
    assert!(change.replacement);
    assert_eq!(change.properties.len(), 1);
    assert_eq!(change.properties[0].path, "Properties.KeySchema[1]");
    assert_eq!(change.properties[0].old, None);
    assert!(change.properties[0].replacement);
}

#[test]
fn type_change_is_a_replacement() {
    let new = modified(&base(), |t| {
        t["Resources"]["EventsTable"]["Type"] = json!("AWS::DynamoDB::GlobalTable");
    });
    assert!(only_change(&base(), &new).replacement);
}

#[test]
fn widening_an_iam_statement_is_flagged_as_security() {
    let new = modified(&base(), |t| {
        t["Resources"]["EventRouterRole"] = role(json!(["dynamodb:PutItem", "dynamodb:*"]));
    });
    let change = only_change(&base(), &new);
    assert!(change.security);
    assert!(!change.replacement);
    assert_eq!(
        change.properties[0].path,
        "Properties.Policies[0].PolicyDocument.Statement[1].Action"
    );
    assert_eq!(change.properties[0].old, Some(json!("dynamodb:PutItem")));
    assert_eq!(
        change.properties[0].new,
        Some(json!(["dynamodb:PutItem", "dynamodb:*"]))
    );
}

#[test]
fn removal_and_template_level_changes_are_reported() {
    let new = modified(&base(), |t| {
        t.as_object_mut()
            .unwrap()
            .insert("Outputs".into(), json!({"ApiUrl": {"Value": "https://x"}}));
        t["Resources"]
            .as_object_mut()
            .unwrap()
            .remove("EventRouterRole");
    });
    let (resources, template) = diff_templates(&base(), &new);
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].change, ChangeKind::Removed);
    assert!(resources[0].security);
    assert_eq!(template.len(), 1);
    assert_eq!(template[0].path, "Outputs.ApiUrl");
}

#[test]
fn keys_that_are_not_identifiers_are_quoted_in_paths() {
    let old = template(json!({"R": {"Type": "T", "Properties": {"Condition": {"a.b:sub": "x"}}}}));
    let new = template(json!({"R": {"Type": "T", "Properties": {"Condition": {"a.b:sub": "y"}}}}));
    let change = only_change(&old, &new);
    assert_eq!(
        change.properties[0].path,
        "Properties.Condition[\"a.b:sub\"]"
    );
}

#[test]
fn malformed_templates_do_not_panic() {
    for (old, new) in [
        (json!(null), json!({"Resources": 3})),
        (json!([1, 2]), json!({"Resources": {"X": "not an object"}})),
        (json!({"Resources": {"X": {"Type": 1}}}), json!("text")),
    ] {
        let stack = diff_stack(Some("a"), Some("b"), Some(&old), Some(&new));
        let report = Report::new("bad", vec![stack]);
        for format in [
            OutputFormat::Text,
            OutputFormat::Json,
            OutputFormat::Markdown,
        ] {
            report::render(&report, format, true);
        }
    }
}

#[test]
fn one_sided_stacks_are_whole_stack_changes() {
    let added = diff_stack(None, Some("prod/eu-west-1"), None, Some(&base()));
    assert_eq!(added.status, StackStatus::Added);
    assert_eq!(added.old, None);
    assert_eq!(added.resources.len(), 3);
    assert!(
        added
            .resources
            .iter()
            .all(|r| r.change == ChangeKind::Added)
    );
    assert!(added.template.is_empty());
    let removed = diff_stack(Some("prod/eu-west-1"), None, Some(&base()), None);
    assert_eq!(removed.status, StackStatus::Removed);
}

fn stack(env: &str, region: &str, peer: &str, account: &str, batch: u64) -> StackTemplate {
    let t = json!({
        "Description": format!("infra-gen event platform: {env} / {region}"),
        "Resources": {
            "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"BatchSize": batch}},
            "Forward": {"Type": "AWS::Events::Rule", "Properties": {
                "Name": format!("infra-gen-{env}-forward-to-{peer}"),
                "Targets": [{"Arn": format!("arn:aws:events:{peer}:{account}:event-bus/infra-gen-{env}")}]
            }}
        }
    });
    StackTemplate {
        env: env.into(),
        region: region.into(),
        account: account.into(),
        template: t,
        cost: None,
    }
}

fn stacks() -> Vec<StackTemplate> {
    vec![
        stack("prod", "us-west-2", "us-east-1", "333333333333", 500),
        stack("prod", "us-east-1", "us-west-2", "333333333333", 250),
        stack("staging", "us-west-2", "us-east-1", "222222222222", 500),
        stack("staging", "us-east-1", "us-west-2", "222222222222", 500),
    ]
}

#[test]
fn regions_differ_only_where_the_spec_says() {
    let report = compare::regions(&stacks(), "prod", &["us-west-2", "us-east-1"]).unwrap();
    assert_eq!(report.stacks.len(), 1);
    let stack = &report.stacks[0];
    assert_eq!(stack.old.as_deref(), Some("prod/us-west-2"));
    assert_eq!(stack.new.as_deref(), Some("prod/us-east-1"));
    assert!(stack.template.is_empty(), "{:?}", stack.template);
    assert_eq!(stack.resources.len(), 1);
    assert_eq!(stack.resources[0].logical_id, "Mapping");
    assert_eq!(
        stack.resources[0].properties[0].path,
        "Properties.BatchSize"
    );

    let staging = compare::regions(&stacks(), "staging", &[]).unwrap();
    assert!(!staging.has_differences());
}

#[test]
fn regions_must_be_the_environments_two() {
    for given in [
        &["us-west-2", "eu-west-1"][..],
        &["us-west-2", "us-west-2"],
        &["us-west-2"],
        &["us-west-2", "us-east-1", "eu-west-1"],
    ] {
        assert!(matches!(
            compare::regions(&stacks(), "prod", given),
            Err(compare::CompareError::RegionsMismatch { .. })
        ));
    }
    assert!(matches!(
        compare::regions(&stacks(), "qa", &[]),
        Err(compare::CompareError::UnknownEnvironment { .. })
    ));
}

#[test]
fn environments_are_compared_region_by_region_without_names_and_accounts() {
    let report = compare::environments(&stacks(), "staging", "prod").unwrap();
    assert_eq!(report.stacks.len(), 2);
    assert_eq!(report.stacks[0].status, StackStatus::Unchanged);
    assert_eq!(report.stacks[1].status, StackStatus::Modified);
    assert_eq!(report.stacks[1].new.as_deref(), Some("prod/us-east-1"));
    assert_eq!(report.summary.resources_modified, 1);
}

#[test]
fn base_comparison_reports_stacks_of_one_side_as_added_or_removed() {
    let old = stacks();
    let mut new = stacks();
    new.retain(|s| s.env != "staging");
    new.push(stack("qa", "us-west-2", "us-east-1", "444444444444", 10));
    let report = compare::against_base(&old, &new, "HEAD~1", None).unwrap();
    let statuses: Vec<_> = report
        .stacks
        .iter()
        .map(|s| (s.old.clone().or(s.new.clone()).unwrap(), s.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("prod/us-east-1@HEAD~1".into(), StackStatus::Unchanged),
            ("prod/us-west-2@HEAD~1".into(), StackStatus::Unchanged),
            ("qa/us-west-2".into(), StackStatus::Added),
            ("staging/us-east-1@HEAD~1".into(), StackStatus::Removed),
            ("staging/us-west-2@HEAD~1".into(), StackStatus::Removed),
        ]
    );
    assert_eq!(report.summary.stacks_added, 1);
    assert_eq!(report.summary.stacks_removed, 2);
}

#[test]
fn all_pairs_covers_region_and_environment_pairs() {
    // prod's regions, staging's regions, staging -> prod.
    assert_eq!(compare::all_pairs(&stacks()).len(), 3);
}

#[test]
fn reports_render_in_every_format() {
    let report = compare::regions(&stacks(), "prod", &[]).unwrap();
    let text = report::render(&report, OutputFormat::Text, false);
    assert!(
        text.contains("~ Mapping (AWS::Lambda::EventSourceMapping)"),
        "{text}"
    );
    assert!(text.contains("Properties.BatchSize: 500 -> 250"), "{text}");
    assert!(!text.contains('\x1b'));
    assert!(report::render(&report, OutputFormat::Text, true).contains('\x1b'));
    let parsed: Json =
        serde_json::from_str(&report::render(&report, OutputFormat::Json, false)).unwrap();
    assert_eq!(parsed["summary"]["resources_modified"], 1);
    assert_eq!(
        parsed["stacks"][0]["resources"][0]["properties"][0]["new"],
        250
    );
    let md = report::render(&report, OutputFormat::Markdown, false);
    assert!(md.starts_with("## infra-gen diff: prod: us-west-2 -> us-east-1"));
    assert!(md.contains("| | Resource | Type | Property | Old | New | Flags |"));
    assert!(md.contains("| ~ | `Mapping` | `AWS::Lambda::EventSourceMapping` | `Properties.BatchSize` | `500` | `250` |  |"), "{md}");
}
