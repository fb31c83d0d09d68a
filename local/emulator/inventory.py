"""What an emulator still holds of a stack: to prove that ``terraform destroy`` left nothing.

``leftovers(url, name_prefix=...)`` lists, as ``service: name``, every table, bucket,
function, layer, event source mapping, queue, GraphQL API, user pool, identity pool, role,
parameter, log group, HTTP API, alarm, EventBridge rule and KMS key that is still there
(a KMS key scheduled for deletion counts as gone: AWS never deletes one at once; the
account's AWS-managed keys do not count).
Resources with names are matched on ``name_prefix``; the others all count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
from botocore.client import BaseClient

from local.net import LOOPBACK

DEFAULT_REGION = "us-east-1"


def _client(url: str, region: str) -> Callable[[str], BaseClient]:
    def make(service: str) -> BaseClient:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=url,
            # The emulator's fake credentials (moto accepts any).
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )

    return make


def _named(url: str, region: str, prefix: str) -> Iterator[str]:
    client = _client(url, region)
    found: dict[str, list[str]] = {
        "dynamodb": client("dynamodb").list_tables()["TableNames"],
        "s3": [b["Name"] for b in client("s3").list_buckets()["Buckets"]],
        "lambda": [f["FunctionName"] for f in client("lambda").list_functions()["Functions"]],
        "lambda layer": [layer["LayerName"] for layer in client("lambda").list_layers()["Layers"]],
        "sqs": [q.rsplit("/", 1)[-1] for q in client("sqs").list_queues().get("QueueUrls", [])],
        "appsync": [a["name"] for a in client("appsync").list_graphql_apis()["graphqlApis"]],
        "cognito-idp": [
            p["Name"] for p in client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
        ],
        "cognito-identity": [
            p["IdentityPoolName"]
            for p in client("cognito-identity").list_identity_pools(MaxResults=60)["IdentityPools"]
        ],
        "iam role": [r["RoleName"] for r in client("iam").list_roles()["Roles"]],
        "ssm": [p["Name"].lstrip("/") for p in client("ssm").describe_parameters()["Parameters"]],
        "logs": [
            g["logGroupName"].rsplit("/", 1)[-1]
            for g in client("logs").describe_log_groups()["logGroups"]
        ],
        "apigatewayv2": [a["Name"] for a in client("apigatewayv2").get_apis()["Items"]],
        "cloudwatch alarm": [
            a["AlarmName"] for a in client("cloudwatch").describe_alarms()["MetricAlarms"]
        ],
        "events rule": [r["Name"] for r in client("events").list_rules()["Rules"]],
    }
    for service, names in found.items():
        for name in names:
            if name.startswith(prefix):
                yield f"{service}: {name}"


def _unnamed(url: str, region: str) -> Iterator[str]:
    client = _client(url, region)
    for mapping in client("lambda").list_event_source_mappings()["EventSourceMappings"]:
        yield f"lambda event source mapping: {mapping['UUID']} ({mapping['FunctionArn']})"
    kms = client("kms")
    # AWS-managed keys (alias/aws/dynamodb, ...) are the account's, not the stack's: moto
    # creates them when a client first names the alias, as AWS does on first use.
    aws_managed = {
        alias.get("TargetKeyId")
        for alias in kms.list_aliases()["Aliases"]
        if alias["AliasName"].startswith("alias/aws/")
    }
    for key in kms.list_keys()["Keys"]:
        if key["KeyId"] in aws_managed:
            continue
        state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        if state != "PendingDeletion":
            yield f"kms: {key['KeyId']} ({state})"


def leftovers(url: str, *, name_prefix: str, region: str = DEFAULT_REGION) -> list[str]:
    """Everything of the stack the emulator at ``url`` still holds (empty: all gone)."""
    if f"//{LOOPBACK}:" not in url:
        raise ValueError(f"only an emulator on {LOOPBACK} is inspected, not {url}")
    return [*_named(url, region, name_prefix), *_unnamed(url, region)]
