"""The emulator (``python -m local.emulator``) on 127.0.0.1 for the patch tests, and boto3
clients pointed at it. One emulator per module: each test uses its own names."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests

from local.emulator.server import MotoServer

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def emulator() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def client(emulator: MotoServer) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=emulator.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


def invocations(emulator: MotoServer) -> list[dict[str, Any]]:
    answer = requests.get(f"{emulator.url}/_local/lambda/invocations", timeout=5)
    answer.raise_for_status()
    return list(answer.json())


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_function(client: Callable[[str], Any], name: str) -> str:
    """A Python function (never run here) and its role; returns the function ARN."""
    role = client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    created = client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": function_zip()},
        Timeout=3,
    )
    return str(created["FunctionArn"])
