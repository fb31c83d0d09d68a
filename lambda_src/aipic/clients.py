"""boto3 clients and the HTTP connection pool, created once per execution environment.

Every client comes from boto3's default session, so the endpoint data and credentials are
loaded once per cold start; a second session (as Powertools' SSM provider builds) would
load them all again. No endpoint is hard-coded: boto3 honours ``AWS_ENDPOINT_URL`` (the
local demo points it at moto's server) and the region the Lambda runtime sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.httpsession import get_cert_path
from urllib3 import PoolManager

from aipic.coldstart import cached

if TYPE_CHECKING:  # the typed clients (mypy-boto3-*, a development dependency only)
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_ssm.client import SSMClient

# Short timeouts: every caller is inside a Lambda invocation with its own deadline.
_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3}
)


def session() -> boto3.Session:
    """boto3's default session (created on first use), shared by every client here."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None  # for mypy: setup_default_session sets it
    return boto3.DEFAULT_SESSION


@cached
def dynamodb_client() -> DynamoDBClient:
    client: DynamoDBClient = session().client("dynamodb", config=_CONFIG)
    return client


@cached
def s3_client() -> S3Client:
    client: S3Client = session().client("s3", config=_CONFIG)
    return client


@cached
def ssm_client() -> SSMClient:
    client: SSMClient = session().client("ssm", config=_CONFIG)
    return client


# Connections kept per host: publish sends a batch's events this many at a time.
HTTP_CONNECTIONS_PER_HOST = 8


@cached
def http_session() -> PoolManager:
    """urllib3 (the runtime's, which botocore uses): no proxy variables, no retries of
    its own (each caller decides what may be repeated), botocore's CA bundle."""
    return PoolManager(
        maxsize=HTTP_CONNECTIONS_PER_HOST,
        retries=False,
        ca_certs=get_cert_path(True),
        cert_reqs="CERT_REQUIRED",
    )
