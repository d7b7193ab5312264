"""Deploys one synthesised CloudFormation template to the local AWS API emulator and reports
what it created, as JSON on stdout, for infra-gen's deploy test to assert on.

Usage: deploy.py ENDPOINT REGION STACK_NAME TEMPLATE_PATH

The function code objects the template points at are uploaded first (empty zips: the
emulator never runs Lambda code), as `infra-gen package` would upload the real ones.
"""
import io
import json
import sys
import time
import zipfile

import boto3

endpoint, region, stack_name, template_path = sys.argv[1:5]
session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
client = lambda service: session.client(service, endpoint_url=endpoint)

template_text = open(template_path, encoding="utf-8").read()
template = json.loads(template_text)
account = client("sts").get_caller_identity()["Account"]

s3 = client("s3")
bucket = f"cdk-hnb659fds-assets-{account}-{region}"
try:
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
archive = io.BytesIO()
with zipfile.ZipFile(archive, "w") as z:
    z.writestr("bootstrap", "#!/bin/sh\n")
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Lambda::Function":
        s3.put_object(Bucket=bucket, Key=resource["Properties"]["Code"]["S3Key"], Body=archive.getvalue())

cfn = client("cloudformation")
cfn.create_stack(StackName=stack_name, TemplateBody=template_text, Capabilities=["CAPABILITY_NAMED_IAM"])
deadline = time.time() + 120
while True:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if not stack["StackStatus"].endswith("IN_PROGRESS") or time.time() > deadline:
        break
    time.sleep(0.5)

# The emulator lists resource types it does not implement without ids; they are left out.
physical = {
    r["LogicalResourceId"]: r.get("PhysicalResourceId")
    for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    if "LogicalResourceId" in r
}
report = {"status": stack["StackStatus"], "reason": stack.get("StackStatusReason"), "resources": physical}

ddb = client("dynamodb")
report["tables"] = {}
for logical, resource in template["Resources"].items():
    if resource["Type"] == "AWS::DynamoDB::Table" and logical in physical:
        name = resource["Properties"]["TableName"]
        table = ddb.describe_table(TableName=name)["Table"]
        pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        report["tables"][name] = {
            "keys": [[k["AttributeName"], k["KeyType"]] for k in table["KeySchema"]],
            "billing": table.get("BillingModeSummary", {}).get("BillingMode"),
            "stream": table.get("StreamSpecification", {}).get("StreamViewType"),
            "sse": table.get("SSEDescription", {}).get("SSEType"),
            "pitr": pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        }

sqs = client("sqs")
report["queues"] = {}
for url in sqs.list_queues().get("QueueUrls", []):
    if stack_name.split("-")[2] in url:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        report["queues"][url.rsplit("/", 1)[1]] = {
            "retention": attrs.get("MessageRetentionPeriod"),
            "kms": attrs.get("KmsMasterKeyId"),
        }

events = client("events")
report["buses"] = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
report["rules"] = {}
for bus in report["buses"] + ["default"]:
    for rule in events.list_rules(EventBusName=bus).get("Rules", []):
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
        report["rules"][rule["Name"]] = {
            "bus": bus,
            "pattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
            "schedule": rule.get("ScheduleExpression"),
            "targets": [t["Arn"] for t in targets],
        }

lam = client("lambda")
report["functions"] = {}
for page in lam.get_paginator("list_functions").paginate():
    for f in page["Functions"]:
        config = lam.get_function(FunctionName=f["FunctionName"])
        report["functions"][f["FunctionName"]] = {
            "memory": f["MemorySize"],
            "timeout": f["Timeout"],
            "architectures": f.get("Architectures"),
            "runtime": f.get("Runtime"),
            "role": f["Role"],
            "environment": f.get("Environment", {}).get("Variables", {}),
            "reserved": config.get("Concurrency", {}).get("ReservedConcurrentExecutions"),
        }

iam = client("iam")
report["roles"] = {}
for page in iam.get_paginator("list_roles").paginate():
    for role in page["Roles"]:
        policies = {}
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            policies[name] = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
        report["roles"][role["RoleName"]] = {"trust": role["AssumeRolePolicyDocument"], "policies": policies}

print(json.dumps(report, default=str))
