"""POST /_local/faults fails the next N S3 writes as S3 does (500 InternalError)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local.emulator.server import MotoServer

from .conftest import REGION


@pytest.fixture
def faults(emulator: MotoServer) -> Iterator[str]:
    url = f"{emulator.url}/_local/faults"
    yield url
    requests.delete(url, timeout=5).raise_for_status()


def _no_retries(emulator: MotoServer) -> Any:
    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_the_next_put_fails_with_internal_error_and_stores_nothing(
    emulator: MotoServer, faults: str, client: Callable[[str], Any]
) -> None:
    s3 = _no_retries(emulator)
    s3.create_bucket(Bucket="faulty-puts")
    armed = requests.post(faults, json={"s3": {"count": 1, "operations": ["PutObject"]}}, timeout=5)
    assert armed.json()["s3"]["armed"] == 1

    with pytest.raises(ClientError) as failed:
        s3.put_object(Bucket="faulty-puts", Key="pics/a.png", Body=b"png")
    assert failed.value.response["Error"]["Code"] == "InternalError"
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "Contents" not in s3.list_objects_v2(Bucket="faulty-puts")

    s3.put_object(Bucket="faulty-puts", Key="pics/a.png", Body=b"png")  # disarmed again
    assert s3.get_object(Bucket="faulty-puts", Key="pics/a.png")["Body"].read() == b"png"
    state = requests.get(faults, timeout=5).json()["s3"]
    assert state["armed"] == 0
    assert state["injected"] == [
        {"operation": "PutObject", "bucket": "faulty-puts", "key": "pics/a.png"}
    ]


def test_the_sdk_retries_an_internal_error(
    emulator: MotoServer, faults: str, client: Callable[[str], Any]
) -> None:
    s3 = client("s3")  # boto3's default retries, as the functions have
    s3.create_bucket(Bucket="retried-puts")
    requests.post(faults, json={"s3": {"count": 1}}, timeout=5).raise_for_status()
    s3.put_object(Bucket="retried-puts", Key="k", Body=b"x")
    assert s3.get_object(Bucket="retried-puts", Key="k")["Body"].read() == b"x"
    assert len(requests.get(faults, timeout=5).json()["s3"]["injected"]) == 1


def test_upload_part_fails_and_other_operations_do_not(emulator: MotoServer, faults: str) -> None:
    s3 = _no_retries(emulator)
    s3.create_bucket(Bucket="faulty-parts")
    requests.post(
        faults, json={"s3": {"count": 1, "operations": ["UploadPart"]}}, timeout=5
    ).raise_for_status()
    s3.put_object(Bucket="faulty-parts", Key="whole", Body=b"x")  # not armed for PutObject
    upload = s3.create_multipart_upload(Bucket="faulty-parts", Key="parts")["UploadId"]
    with pytest.raises(ClientError) as failed:
        s3.upload_part(Bucket="faulty-parts", Key="parts", UploadId=upload, PartNumber=1, Body=b"p")
    assert failed.value.response["Error"]["Code"] == "InternalError"


def test_unknown_operation_is_refused(faults: str) -> None:
    answer = requests.post(
        faults, json={"s3": {"count": 1, "operations": ["GetObject"]}}, timeout=5
    )
    assert answer.status_code == 400
    assert requests.get(faults, timeout=5).json()["s3"]["armed"] == 0
