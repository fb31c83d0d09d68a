"""The end state when the webhook adopted the one prediction generate started but could
not record itself (a read timeout, a throttled write)."""

from __future__ import annotations

from typing import Any, Protocol

from local.replicate.standin import ReplicateStandIn


class StoredPictures(Protocol):
    """What the check reads: the pics table's item and the bucket's keys
    (tests.conftest.AwsAccount)."""

    def item(self, pic_id: str) -> dict[str, Any] | None: ...

    def object_keys(self) -> list[str]: ...


def assert_the_webhook_adopted_the_prediction(
    aws: StoredPictures, replicate: ReplicateStandIn, *, pic_id: str, owner: str
) -> None:
    """One prediction was started; once its webhook is delivered the picture is PROCESSING
    with that prediction's id and its PNG is stored under the owner's key."""
    # pytest rewrites the asserts of test modules only: these say what they saw.
    (prediction_id,) = replicate.predictions
    replicate.wait_for_webhooks()
    (delivery,) = replicate.completed_deliveries
    assert delivery.delivered, delivery
    item = aws.item(pic_id)
    assert item is not None, f"no picture {pic_id}"
    state = (item["completionStatus"], item.get("predictionId"))
    assert state == ("PROCESSING", prediction_id), item
    keys = aws.object_keys()
    assert keys == [f"pics/{owner}/{pic_id}.png"], keys
