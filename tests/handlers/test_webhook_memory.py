"""The webhook streams a 64 MiB image into S3 with less than 16 MiB of memory growth.

S3 is moto's server in a subprocess on 127.0.0.1 (as in the local demo), so the bytes
moto keeps are not counted: tracemalloc measures only this process, i.e. the handler,
botocore and the Replicate stand-in (which generates the image on the fly).
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator

import boto3
import pytest

from local.emulator.server import MotoServer
from local.pics_table import create_pics_table
from local.replicate.standin import ReplicateStandIn, large_png_size
from tests.conftest import (
    OWNER,
    REGION,
    REPLICATE_TOKEN,
    SECRET_PARAMETER,
    WEBHOOK_SECRET,
    handler_environment,
)
from tests.handlers.webhook_support import PIC_ID, call_webhook, start_prediction, webhook_event

IMAGE_BYTES = 64 * 1024 * 1024
ALLOWED_GROWTH_BYTES = 16 * 1024 * 1024


@pytest.fixture
def moto_server(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with MotoServer() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        yield server.url


def test_64_mib_image_streams_in_constant_memory(
    moto_server: str, cold_start: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in handler_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAX_IMAGE_BYTES", str(2 * IMAGE_BYTES))
    monkeypatch.setenv("ALLOWED_IMAGE_URL_SCHEMES", "http")
    monkeypatch.setenv("IMAGE_HOST_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("IMAGE_FETCH_ALLOW_LOOPBACK", "true")
    session = boto3.Session(region_name=REGION)
    dynamodb, s3 = session.client("dynamodb"), session.client("s3")
    create_pics_table(dynamodb, os.environ["PICS_TABLE_NAME"])
    s3.create_bucket(Bucket=os.environ["PICS_BUCKET_NAME"])
    session.client("ssm").put_parameter(
        Name=SECRET_PARAMETER, Value=WEBHOOK_SECRET, Type="SecureString"
    )

    with ReplicateStandIn(WEBHOOK_SECRET, expected_token=REPLICATE_TOKEN) as replicate:

        def deliver(pic_id: str) -> int:
            prediction_id = start_prediction(replicate)
            dynamodb.put_item(
                TableName=os.environ["PICS_TABLE_NAME"],
                Item={
                    "id": {"S": pic_id},
                    "owner": {"S": OWNER},
                    "prompt": {"S": "big"},
                    "completionStatus": {"S": "PROCESSING"},
                    "createdAt": {"S": "2025-06-01T12:00:00.000Z"},
                    "predictionId": {"S": prediction_id},
                },
            )
            event = webhook_event(replicate.final_prediction(prediction_id), pic_id)
            status, _ = call_webhook(event)
            return status

        # Warm up: first calls import modules and build clients, which is not streaming.
        replicate.large_image_bytes = 6 * 1024 * 1024
        assert deliver("warm-up") == 200

        replicate.large_image_bytes = IMAGE_BYTES
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            status = deliver(PIC_ID)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert status == 200
    head = s3.head_object(Bucket=os.environ["PICS_BUCKET_NAME"], Key=f"pics/{OWNER}/{PIC_ID}.png")
    assert head["ContentLength"] == large_png_size(IMAGE_BYTES)
    growth = peak - baseline
    print(f"peak memory growth streaming {IMAGE_BYTES >> 20} MiB: {growth / 2**20:.1f} MiB")
    assert growth < ALLOWED_GROWTH_BYTES
