"""Deploys one synthesised CloudFormation template to the local AWS API emulator and reports
what it created, as JSON on stdout, for infra-gen's deploy test to assert on.

Usage: deploy.py ENDPOINT REGION STACK_NAME TEMPLATE_PATH

The function code objects the template points at are uploaded first (empty zips: the
emulator never runs Lambda code), as `infra-gen package` would upload the real ones.

DNS (environments with `dns`): moto 5.2.5's CloudFormation silently creates nothing for ACM
certificates and API Gateway custom domains and base path mappings, and a GetAtt on one fails
the whole stack. So those resources are taken out of the template first (they are listed in
the report as `skipped`; cfn-lint and checkov cover them), the records' alias targets get a
stand-in regional domain, and the hosted zone, which the account owns outside the stack, is
created here (moto picks its id, so the template's id is replaced by it). What moto does
create, the health check and the records, is reported as it stored them.
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

template = json.loads(open(template_path, encoding="utf-8").read())
account = client("sts").get_caller_identity()["Account"]

NOT_EMULATED = {
    "AWS::CertificateManager::Certificate",
    "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::BasePathMapping",
}
skipped = {k: r["Type"] for k, r in template["Resources"].items() if r["Type"] in NOT_EMULATED}
for logical in skipped:
    del template["Resources"][logical]
route53 = client("route53")
zones = {}
for logical, resource in template["Resources"].items():
    if resource["Type"] != "AWS::Route53::RecordSet":
        continue
    props = resource["Properties"]
    if props["HostedZoneId"] not in zones:
        zone_name = props["Name"].split(".", 1)[1]
        created = route53.create_hosted_zone(Name=zone_name, CallerReference=f"{stack_name}-{logical}")
        zones[props["HostedZoneId"]] = created["HostedZone"]["Id"].rsplit("/", 1)[1]
    props["HostedZoneId"] = zones[props["HostedZoneId"]]
    target = props["AliasTarget"]["DNSName"]["Fn::GetAtt"][0]
    props["AliasTarget"]["DNSName"] = f"d-{target.lower()}.execute-api.{region}.amazonaws.com"
    props["AliasTarget"]["HostedZoneId"] = "Z2OJLYMUO9EFXC"
template_text = json.dumps(template)

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

# Each environment has its own account, so every stack names its image repository the same
# (`consumer.image_repository`); the emulator has one account for all of them. The repository
# an earlier stack (or run) created in this region is removed first, as if it were another
# account's.
ecr = client("ecr")
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::ECR::Repository":
        try:
            ecr.delete_repository(repositoryName=resource["Properties"]["RepositoryName"], force=True)
        except ecr.exceptions.RepositoryNotFoundException:
            pass

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
report["skipped"] = skipped

report["health_checks"] = {}
for logical, resource in template["Resources"].items():
    if resource["Type"] == "AWS::Route53::HealthCheck" and physical.get(logical):
        check = route53.get_health_check(HealthCheckId=physical[logical])["HealthCheck"]
        report["health_checks"][check["Id"]] = check["HealthCheckConfig"]
report["records"] = {}
for zone_id in zones.values():
    for record in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        if record["Type"] == "A":
            key = f'{record["Name"]} {record.get("SetIdentifier", "")}'.strip()
            report["records"][key] = record

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
