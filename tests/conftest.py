"""Shared fixtures for the handler and end-to-end tests.

``aws`` gives an in-process moto account holding what Terraform creates (the pics table
with its stream, the bucket, the two SSM SecureStrings) and the handlers' environment
variables set; ``replicate`` / ``appsync`` start the local stand-ins and point the
settings at them. Every fixture resets the package's cold-start caches so each test sees
its own environment, as a fresh Lambda execution environment would.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aipic import coldstart
from aipic.contract import TABLE, env_name
from moto import mock_aws

from local.appsync.standin import AppSyncStandIn
from local.pics_table import PENDING_INDEX_NAME, create_pics_table
from local.replicate.standin import MODEL_VERSION, ReplicateStandIn
from local.runtime.events import DynamoDBStreamReader
from local.runtime.http_api import HttpApiGateway

REGION = "us-east-1"
TABLE_NAME = "aipic-test-pics"
BUCKET_NAME = "aipic-test-pictures"
TOKEN_PARAMETER = "/aipic/test/replicate-api-token"
SECRET_PARAMETER = "/aipic/test/replicate-webhook-secret"
REPLICATE_TOKEN = "r8_TestTokenForTheStandIn0000000000000000"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"test-signing-key-for-aipic-32byt").decode()
PUBLIC_WEBHOOK_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/webhooks/replicate"
OWNER = "0c8b5a1e-7f3d-4d2a-9c61-2f4e8b9a7d10"
CREATED_AT = "2025-06-01T12:00:00.000Z"


@dataclass
class AwsAccount:
    """The moto account and helpers to arrange and inspect the pics table."""

    dynamodb: Any
    s3: Any
    ssm: Any
    streams: Any
    stream_arn: str
    table_name: str = TABLE_NAME
    bucket: str = BUCKET_NAME

    def put_pic(
        self,
        pic_id: str,
        *,
        status: str = "STARTED",
        owner: str = OWNER,
        prompt: str = "a lighthouse at dawn",
        prediction_id: str | None = None,
        settings: dict[str, Any] | None = None,
        created_at: str = CREATED_AT,
        claimed: bool = False,
    ) -> None:
        """Write a picture the way the createAIPic resolver (and generate) would: not
        final yet means listed in the pending index."""
        item: dict[str, Any] = {
            "id": {"S": pic_id},
            "owner": {"S": owner},
            "prompt": {"S": prompt},
            "completionStatus": {"S": status},
            "createdAt": {"S": created_at},
            "updatedAt": {"S": created_at},
        }
        if status in ("STARTED", "PROCESSING"):
            item[TABLE["indexes"]["pending"]["hash_key"]] = {"S": TABLE["pending_partition"]}
        if claimed:
            item["generateClaimedAt"] = {"S": created_at}
        if prediction_id is not None:
            item["predictionId"] = {"S": prediction_id}
        if settings:
            item["settings"] = {"M": {k: _typed(v) for k, v in settings.items()}}
        self.dynamodb.put_item(TableName=self.table_name, Item=item)

    def item(self, pic_id: str) -> dict[str, Any] | None:
        """The stored item with plain values (strings and numbers as str)."""
        response = self.dynamodb.get_item(
            TableName=self.table_name, Key={"id": {"S": pic_id}}, ConsistentRead=True
        )
        raw = response.get("Item")
        if raw is None:
            return None
        return {name: next(iter(value.values())) for name, value in raw.items()}

    def object_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket)
        return [entry["Key"] for entry in listing.get("Contents", [])]

    def stream_reader(self) -> DynamoDBStreamReader:
        return DynamoDBStreamReader(self.streams, self.stream_arn, REGION)


def _typed(value: Any) -> dict[str, str]:
    if isinstance(value, bool | int | float):
        return {"N": str(value)}
    return {"S": str(value)}


GRAPHQL_URL = "https://example123.appsync-api.us-east-1.amazonaws.com/graphql"


def handler_environment() -> dict[str, str]:
    return {
        env_name("pics_table_name"): TABLE_NAME,
        env_name("pics_bucket_name"): BUCKET_NAME,
        env_name("replicate_api_token_parameter"): TOKEN_PARAMETER,
        env_name("replicate_model"): MODEL_VERSION,
        env_name("webhook_url"): PUBLIC_WEBHOOK_URL,
        env_name("webhook_secret_parameter"): SECRET_PARAMETER,
        env_name("replicate_max_attempts"): "4",
        env_name("pending_index_name"): PENDING_INDEX_NAME,
        env_name("picture_deadline_minutes"): "30",
        env_name("service_name"): "aipic-test",
        env_name("log_level"): "WARNING",
        env_name("appsync_graphql_url"): GRAPHQL_URL,
    }


@pytest.fixture(scope="session", autouse=True)
def atomic_dynamodb_writes() -> None:
    """In-process moto applies conditional writes without a lock, so two threads can both
    pass one condition; DynamoDB never lets them. The emulator's patch makes them atomic
    here too, so the concurrency tests judge the handlers, not moto."""
    from local.emulator.patches import dynamodb_atomic_writes

    dynamodb_atomic_writes.apply()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region; never a real account or endpoint."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTINGONLY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-access-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture
def cold_start() -> Iterator[None]:
    """Each test starts like a fresh execution environment, and leaves none behind."""
    coldstart.reset()
    yield
    coldstart.reset()


_shared_session: list[boto3.Session] = []


def _reuse_boto3_session() -> None:
    """moto drops boto3's default session on every start; reusing one keeps the parsed
    service models, and its clients: building one costs about 10 ms (the session's event
    hooks are copied into it), and moto intercepts below the client (a botocore
    ``before-send`` hook), so a client built once serves every test's fresh account."""
    if not _shared_session:
        session = boto3.Session(region_name=REGION)
        build = session.client
        clients: dict[tuple[object, ...], Any] = {}

        def client(service_name: str, **options: Any) -> Any:
            # Everything a client is built from: its arguments (a Config by identity; the
            # key keeps it alive) and the endpoint variable.
            key = (service_name, os.environ.get("AWS_ENDPOINT_URL"), *sorted(options.items()))
            if key not in clients:
                clients[key] = build(service_name, **options)
            return clients[key]

        session.client = client  # type: ignore[method-assign]
        _shared_session.append(session)
    boto3.DEFAULT_SESSION = _shared_session[0]


@pytest.fixture
def aws(
    aws_credentials: None, cold_start: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsAccount]:
    for name, value in handler_environment().items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        _reuse_boto3_session()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        ssm = boto3.client("ssm", region_name=REGION)
        stream_arn = create_pics_table(dynamodb, TABLE_NAME)
        s3.create_bucket(Bucket=BUCKET_NAME)
        ssm.put_parameter(Name=TOKEN_PARAMETER, Value=REPLICATE_TOKEN, Type="SecureString")
        ssm.put_parameter(Name=SECRET_PARAMETER, Value=WEBHOOK_SECRET, Type="SecureString")
        yield AwsAccount(
            dynamodb=dynamodb,
            s3=s3,
            ssm=ssm,
            streams=boto3.client("dynamodbstreams", region_name=REGION),
            stream_arn=stream_arn,
        )


@pytest.fixture
def replicate(aws: AwsAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplicateStandIn]:
    """The Replicate stand-in, with the settings pointed at it (http allowed for it only)."""
    with ReplicateStandIn(WEBHOOK_SECRET, expected_token=REPLICATE_TOKEN) as standin:
        monkeypatch.setenv(env_name("replicate_api_url"), standin.base_url)
        monkeypatch.setenv(env_name("image_host_allowlist"), standin.image_host)
        monkeypatch.setenv(env_name("allowed_image_url_schemes"), "https,http")
        # The stand-in's file host is 127.0.0.1: the local stack allows loopback, AWS never.
        monkeypatch.setenv(env_name("image_fetch_allow_loopback"), "true")
        yield standin
        standin.wait_for_webhooks()


@pytest.fixture
def appsync(aws: AwsAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppSyncStandIn]:
    with AppSyncStandIn(region=REGION) as standin:
        monkeypatch.setenv(env_name("appsync_graphql_url"), standin.url)
        yield standin


@pytest.fixture
def gateway(aws: AwsAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpApiGateway]:
    """Replicate's webhooks reach the webhook handler (as through the HTTP API)."""
    from aipic.handlers import webhook

    with HttpApiGateway(webhook.handler) as api:
        monkeypatch.setenv("WEBHOOK_URL", api.webhook_url)
        yield api


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record generate's backoff delays instead of sleeping them."""
    from aipic.handlers import generate

    delays: list[float] = []
    monkeypatch.setattr(generate, "retry_sleep", delays.append)
    return delays
