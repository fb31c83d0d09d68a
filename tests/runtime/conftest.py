"""Fixtures for the function runtime's tests: moto's server, deployed test functions, the runtime.

Every test deploys its own small functions (zips built here, also written to an artifacts
directory, as ``make build`` writes dist/) with boto3, then runs a FunctionRuntime over them.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.runtime import FunctionRuntime, RuntimeSettings
from tests.runtime.moto_keeping_streams import StreamKeepingMotoServer

REGION = "us-east-1"

# The test functions: one module, several handlers. They use boto3 (the runtime's SDK)
# with no endpoint configured, so their calls reach the emulator only through the
# environment the runtime gives them.
HANDLERS = '''
import importlib, json, os, sys, time
import boto3

def echo(event, context):
    return {"event": event, "env": dict(os.environ), "path": sys.path,
            "function": context.function_name, "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis()}

def fail(event, context):
    raise ValueError("boom: " + json.dumps(event))

def nap(event, context):
    time.sleep(float(event.get("seconds", 5)))
    return {"slept": event.get("seconds", 5)}

def use_layer(event, context):
    return getattr(importlib.import_module(event["module"]), "VALUE", "imported")

def record(event, context):
    """Send the event to the queue named by SEEN_QUEUE; fail or partially fail on request."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=os.environ["SEEN_QUEUE"])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    records = event.get("Records", []) if isinstance(event, dict) else []
    failed = [r["dynamodb"]["SequenceNumber"] for r in records
              if r.get("dynamodb", {}).get("NewImage", {}).get("fail", {}).get("S") == "yes"]
    if failed and os.environ.get("FAIL_MODE") == "partial":
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    if failed or os.environ.get("FAIL_MODE") == "always":
        raise RuntimeError("refused " + ",".join(failed))
    return {"statusCode": 201, "headers": {"X-Seen": "yes"}, "body": json.dumps(event)}
'''


def build_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[StreamKeepingMotoServer]:
    with StreamKeepingMotoServer() as server:
        yield server


@pytest.fixture
def emulator_url(moto_server: StreamKeepingMotoServer) -> Iterator[str]:
    yield moto_server.url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(urllib.request.Request(f"{moto_server.url}/moto-api/reset", method="POST"))


@pytest.fixture
def aws(emulator_url: str) -> Callable[[str], Any]:
    def client(service: str, endpoint_url: str | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint_url or emulator_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(proxies={}, retries={"max_attempts": 1}),
        )

    return client


class Deployer:
    """Creates functions and layers in the emulator; their zips land in the artifacts dir."""

    def __init__(self, aws: Callable[[str], Any], artifacts_dir: Path) -> None:
        self.aws = aws
        self.lambda_client = aws("lambda")
        self.artifacts_dir = artifacts_dir
        self.role = aws("iam").create_role(
            RoleName="runtime-test", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )["Role"]["Arn"]

    def _store(self, name: str, content: bytes) -> None:
        (self.artifacts_dir / name).write_bytes(content)

    def layer(self, name: str, files: dict[str, str]) -> str:
        content = build_zip(files)
        self._store(f"{name}-layer.zip", content)
        return str(
            self.lambda_client.publish_layer_version(
                LayerName=name, Content={"ZipFile": content}, CompatibleRuntimes=["python3.12"]
            )["LayerVersionArn"]
        )

    def function(
        self,
        name: str,
        handler: str,
        *,
        environment: dict[str, str] | None = None,
        timeout: int = 10,
        layers: list[str] | None = None,
        files: dict[str, str] | None = None,
        store: bool = True,
    ) -> str:
        content = build_zip(files or {"handlers.py": HANDLERS})
        if store:
            self._store(f"{name}.zip", content)
        return str(
            self.lambda_client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=self.role,
                Handler=handler,
                Code={"ZipFile": content},
                Timeout=timeout,
                Environment={"Variables": environment or {}},
                Layers=layers or [],
            )["FunctionArn"]
        )

    def queue(self, name: str) -> tuple[str, str]:
        sqs = self.aws("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(url), str(arn["Attributes"]["QueueArn"])


@pytest.fixture
def deploy(aws: Callable[[str], Any], tmp_path: Path) -> Deployer:
    artifacts = tmp_path / "dist"
    artifacts.mkdir()
    return Deployer(aws, artifacts)


FAST = RuntimeSettings(
    async_retry_base_delay_seconds=0.05,
    stream_poll_interval_seconds=0.05,
    stream_retry_base_delay_seconds=0.05,
    acquire_timeout_seconds=20,
)


@pytest.fixture
def start_runtime(emulator_url: str, deploy: Deployer) -> Iterator[Callable[..., FunctionRuntime]]:
    started: list[FunctionRuntime] = []

    def start(settings: RuntimeSettings = FAST) -> FunctionRuntime:
        runtime = FunctionRuntime(emulator_url, deploy.artifacts_dir, REGION, settings=settings)
        runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()


def drain(sqs: Any, url: str, expected: int, timeout: float = 20.0) -> list[Any]:
    """Messages of a queue, parsed, until ``expected`` arrived (or the timeout passed)."""
    bodies: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(bodies) < expected and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in answer.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(bodies) < expected:
            time.sleep(0.05)
    return bodies
