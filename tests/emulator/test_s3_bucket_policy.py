"""The TLS-only bucket policy lets the emulator's requests through; other statements hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _policy(bucket: str, statement: dict[str, Any]) -> str:
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**statement, "Resource": resources}]}
    )


def test_tls_only_policy_allows_puts(client: Callable[[str], Any]) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="tls-only")
    deny_plain_http = {
        "Sid": "DenyRequestsWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket="tls-only", Policy=_policy("tls-only", deny_plain_http))
    s3.put_object(Bucket="tls-only", Key="pics/a.png", Body=b"png")
    assert s3.get_object(Bucket="tls-only", Key="pics/a.png")["Body"].read() == b"png"


def test_an_unconditional_deny_still_denies(client: Callable[[str], Any]) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="deny-puts")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject"}
    s3.put_bucket_policy(Bucket="deny-puts", Policy=_policy("deny-puts", deny))
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket="deny-puts", Key="a", Body=b"x")
    # moto answers a policy denial with a bare 403
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
