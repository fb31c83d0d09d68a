"""boto3 clients and the HTTP session, created once per execution environment.

No endpoint is hard-coded: boto3 honours ``AWS_ENDPOINT_URL`` (the local demo points it at
moto's server) and the region the Lambda runtime sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from aipic.coldstart import cached

if TYPE_CHECKING:
    import requests

# Short timeouts: every caller is inside a Lambda invocation with its own deadline.
_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3}
)


@cached
def dynamodb_client() -> BaseClient:
    return boto3.client("dynamodb", config=_CONFIG)


@cached
def s3_client() -> BaseClient:
    return boto3.client("s3", config=_CONFIG)


@cached
def session() -> boto3.Session:
    return boto3.Session()


@cached
def http_session() -> requests.Session:
    # Imported here so handlers that make no HTTP calls do not pay for requests.
    import requests

    return requests.Session()
