"""Races between deliveries, invocations and the webhook, run for real: threads, delays
of up to a second, the webhook reached through the HTTP API stand-in. The decisions they
exercise (the claim, the store lease, the webhook recording first) are tabled in memory
in test_decisions_*.py; these show the conditional writes hold under real concurrency.
The integration tier (tests/tiers.py): seconds each.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import Mock

import pytest
from aipic.pics import pics_repository
from botocore.exceptions import ClientError

from local.replicate.standin import ReplicateStandIn
from local.runtime.http_api import HttpApiGateway
from tests.conftest import OWNER, AwsAccount
from tests.handlers.test_generate import PIC_ID, generate_event, invoke
from tests.handlers.webhook_support import call_webhook, processing_pic, webhook_event
from tests.support.adopted_prediction import assert_the_webhook_adopted_the_prediction


def test_throttled_processing_write_then_the_async_retries_start_one_prediction(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    gateway: HttpApiGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws.put_pic(PIC_ID)
    replicate.webhook_delay = 0.5  # the webhook comes after Lambda's retries
    throttled = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
        "UpdateItem",
    )
    with monkeypatch.context() as patch:
        patch.setattr(pics_repository(), "mark_processing", Mock(side_effect=throttled))
        with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
            invoke(generate_event())
    # Lambda retries an asynchronous invocation that raised, twice at most.
    assert invoke(generate_event()) == {"id": PIC_ID, "outcome": "skipped"}
    assert invoke(generate_event()) == {"id": PIC_ID, "outcome": "skipped"}

    assert len(replicate.prediction_requests) == 1
    assert_the_webhook_adopted_the_prediction(aws, replicate, pic_id=PIC_ID, owner=OWNER)


def test_two_concurrent_deliveries_of_the_event_start_one_prediction(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic(PIC_ID)
    replicate.prediction_delays = [0.5, 0.5]  # both invocations are in flight together
    start = threading.Barrier(2, timeout=5)

    def deliver(_: int) -> str:
        start.wait()
        return invoke(generate_event())["outcome"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(deliver, range(2)))

    assert outcomes == ["PROCESSING", "skipped"]
    assert len(replicate.prediction_requests) == 1
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["predictionId"] == next(iter(replicate.predictions))


def test_webhook_before_generates_own_record_agrees_with_it(
    aws: AwsAccount, replicate: ReplicateStandIn, gateway: HttpApiGateway
) -> None:
    aws.put_pic(PIC_ID)
    replicate.webhook_delay = 0.0
    replicate.prediction_delays = [1.0]  # the webhook arrives before generate's answer

    assert invoke(generate_event())["outcome"] == "PROCESSING"

    replicate.wait_for_webhooks()
    (delivery,) = replicate.completed_deliveries
    assert delivery.status_codes == [200]
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["predictionId"] == next(iter(replicate.predictions))


@pytest.mark.parametrize("large", [False, True], ids=["one-put", "multipart"])
def test_two_concurrent_deliveries_download_and_store_once(
    aws: AwsAccount, replicate: ReplicateStandIn, large: bool
) -> None:
    aws.s3.put_bucket_versioning(Bucket=aws.bucket, VersioningConfiguration={"Status": "Enabled"})
    replicate.image_delay = 1.0  # the first is still downloading when the second arrives
    if large:
        replicate.large_image_bytes = 6 * 1024 * 1024
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)
    start = threading.Barrier(2)

    def deliver() -> int:
        start.wait(timeout=5)
        return call_webhook(webhook_event(prediction))[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(lambda _: deliver(), range(2)))

    assert statuses == [200, 409]  # 409: Replicate delivers again later, and finds it stored
    assert len(replicate.file_requests) == 1
    versions = aws.s3.list_object_versions(Bucket=aws.bucket).get("Versions", [])
    assert len(versions) == 1
    assert call_webhook(webhook_event(prediction))[0] == 200
    assert len(replicate.file_requests) == 1
