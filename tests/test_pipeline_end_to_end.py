"""The whole chain, every hop in the shape AWS and Replicate really use.

STARTED item (as the createAIPic resolver writes it) → generate against the Replicate
stand-in → the stand-in's signed webhook through the HTTP API stand-in → webhook handler
streams the PNG into (moto) S3 → on_upload with the notification for the real object →
records read from the table's (moto) stream → publish → the AppSync stand-in receives
PROCESSING, each progress step and then COMPLETED for the picture's owner.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aipic import failure_reasons
from aipic.handlers import generate, on_upload, publish, webhook

from local.appsync.standin import AppSyncStandIn
from local.replicate.standin import ReplicateStandIn, render_png
from local.runtime.events import lambda_context, s3_object_created_event
from local.runtime.http_api import HttpApiGateway
from tests.conftest import OWNER, AwsAccount

PIC_ID = "e2e0c1d2-3b4a-4c5d-9e6f-7a8b9c0d1e2f"
PROMPT = "a lighthouse at dawn, oil painting"


@pytest.fixture
def gateway(aws: AwsAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpApiGateway]:
    with HttpApiGateway(webhook.handler) as api:
        monkeypatch.setenv("WEBHOOK_URL", api.webhook_url)
        yield api


def test_prompt_becomes_a_published_picture(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    appsync: AppSyncStandIn,
    gateway: HttpApiGateway,
) -> None:
    stream = aws.stream_reader()
    aws.put_pic(PIC_ID, prompt=PROMPT, settings={"width": 512, "height": 512})

    result = generate.handler(
        {"id": PIC_ID, "owner": OWNER, "prompt": PROMPT, "settings": {"width": 512, "height": 512}},
        lambda_context("aipic-generate"),
    )
    assert result["outcome"] == "PROCESSING"

    replicate.wait_for_webhooks()
    (delivery,) = replicate.completed_deliveries
    assert delivery.url == f"{gateway.webhook_url}?id={PIC_ID}"
    assert delivery.delivered, delivery
    invocation = gateway.invocations[-1]
    assert invocation.event["routeKey"] == "POST /webhooks/replicate"
    assert invocation.event["queryStringParameters"] == {"id": PIC_ID}

    key = f"pics/{OWNER}/{PIC_ID}.png"
    assert aws.object_keys() == [key]
    stored = aws.s3.get_object(Bucket=aws.bucket, Key=key)
    assert stored["Body"].read() == render_png(PROMPT)
    assert stored["Metadata"] == {"pic-id": PIC_ID, "owner": OWNER}

    upload_result = on_upload.handler(
        s3_object_created_event(aws.s3, aws.bucket, key), lambda_context("aipic-on-upload")
    )
    assert upload_result == {"completed": [key], "ignored": []}

    publish_result = publish.handler(stream.read_event(), lambda_context("aipic-publish"))
    assert publish_result == {"batchItemFailures": []}

    events = appsync.events_for(OWNER)
    # Each 10-point progress step of the stand-in's tqdm log, in order, between the two.
    steps = [("PROCESSING", progress) for progress in range(10, 101, 10)]
    assert [(e.data["completionStatus"], e.data.get("progress")) for e in events] == [
        ("PROCESSING", None),
        *steps,
        ("COMPLETED", 100),
    ]
    completed = events[-1].data
    assert completed["id"] == PIC_ID
    assert completed["imgId"] == key
    assert completed["prompt"] == PROMPT
    assert completed["settings"] == {"width": 512, "height": 512}
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "COMPLETED"
    assert item["predictionId"] == delivery.prediction["id"]


def test_failed_prediction_reaches_the_subscriber(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    appsync: AppSyncStandIn,
    gateway: HttpApiGateway,
) -> None:
    replicate.outcome, replicate.error = "failed", "NSFW content detected"
    stream = aws.stream_reader()
    aws.put_pic(PIC_ID, prompt=PROMPT)

    generate.handler(
        {"id": PIC_ID, "owner": OWNER, "prompt": PROMPT, "settings": {}}, lambda_context()
    )
    replicate.wait_for_webhooks()
    (delivery,) = replicate.completed_deliveries
    assert delivery.delivered

    publish.handler(stream.read_event(), lambda_context())

    statuses = [(e.data["completionStatus"], e.data.get("failureReason")) for e in appsync.events]
    assert statuses[0] == ("PROCESSING", None)
    assert statuses[-1] == ("FAILED", failure_reasons.PREDICTION_BLOCKED)
    assert {status for status, _ in statuses[1:-1]} <= {"PROCESSING"}  # progress steps
    assert aws.object_keys() == []
