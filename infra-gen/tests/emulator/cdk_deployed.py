"""Reports what a `cdk deploy` left in one account's emulator for one region, as JSON on
stdout, for infra-gen's CDK CLI deploy test to assert on.

Usage: cdk_deployed.py ENDPOINT REGION BUCKET STACK_NAME...

Reported: each stack's status and resources (logical id -> type and physical id), every object
in the CDK bootstrap bucket with the SHA-256 of its bytes, and every Lambda function with its
code location and the emulator's CodeSha256 of the zip it read from the bucket (as hex).
"""
import base64
import hashlib
import json
import sys

import boto3

endpoint, region, bucket = sys.argv[1:4]
stack_names = sys.argv[4:]
session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
client = lambda service: session.client(service, endpoint_url=endpoint)

cfn = client("cloudformation")
stacks = {}
for name in stack_names:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    resources = {
        r["LogicalResourceId"]: {"type": r.get("ResourceType"), "physical": r.get("PhysicalResourceId")}
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
        if "LogicalResourceId" in r
    }
    stacks[name] = {
        "status": stack["StackStatus"],
        "reason": stack.get("StackStatusReason"),
        "resources": resources,
    }

s3 = client("s3")
objects = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for item in page.get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        objects[item["Key"]] = hashlib.sha256(body).hexdigest()

lam = client("lambda")
functions = {}
for page in lam.get_paginator("list_functions").paginate():
    for f in page["Functions"]:
        code = lam.get_function(FunctionName=f["FunctionName"])["Code"]
        functions[f["FunctionName"]] = {
            "code_sha256_hex": base64.b64decode(f["CodeSha256"]).hex(),
            "code_size": f["CodeSize"],
            "location": code.get("Location"),
            "architectures": f.get("Architectures"),
        }

print(json.dumps({"stacks": stacks, "objects": objects, "functions": functions}))
