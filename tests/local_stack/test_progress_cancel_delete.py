"""Progress, cancel and delete through the whole local stack, as a frontend sees them:
gql's AppSync transports on both subscriptions (``subscribe`` and the typed
``onAIPicChange``), the Replicate stand-in's model logging a real diffusers progress bar
in its ``logs`` webhooks, and every hop (webhook, publish, cleanup) run by the function
runtime from what Terraform created."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.client import FINAL_STATUSES, GraphQLResponseError, PicEvent, PictureClient, SignedInUser
from local.stack import LocalStack

from .conftest import PICTURE_TIMEOUT_SECONDS, item, items_of, new_user, object_keys, settle

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# At most this many progress steps reach a subscriber per picture (README: steps of 10).
MAX_PROGRESS_EVENTS = 10


@dataclass
class Followed:
    """What one subscription received for one picture."""

    events: list[PicEvent] = field(default_factory=list)

    @property
    def statuses(self) -> list[str]:
        return [event.status for event in self.events]

    @property
    def progress(self) -> list[int]:
        """The progress of each PROCESSING event (a final event keeps the last one)."""
        return [
            int(event.pic["progress"])
            for event in self.events
            if event.status == "PROCESSING" and event.pic.get("progress")
        ]


async def _collect(events: Any, pic_id: str, into: Followed, *, until_deleted: bool) -> None:
    async for event in events:
        if event.pic.get("id") != pic_id:
            continue
        into.events.append(event)
        if until_deleted and event.pic.get("deletedAt"):
            return
        if not until_deleted and event.status in FINAL_STATUSES:
            return


def _follow_both(
    stack: LocalStack,
    client: PictureClient,
    user: SignedInUser,
    start: Any,
    *,
    while_running: Any = None,
    until_deleted: bool = False,
) -> tuple[dict[str, Any], Followed, Followed]:
    """Subscribe on both subscriptions (progress steps included), ``start(...)`` (a
    client call returning the picture), run ``while_running(pic)`` once the first event
    arrived, and collect each subscription's events of that picture until it is final
    (or deleted); bounded."""

    async def scenario() -> tuple[dict[str, Any], Followed, Followed]:
        async with (
            client.subscription(user, progress_steps=True) as untyped,
            client.subscription(user, progress_steps=True, typed=True) as typed,
        ):
            pic = await asyncio.to_thread(start)
            seen_untyped, seen_typed = Followed(), Followed()
            tasks = {
                asyncio.create_task(
                    _collect(untyped, pic["id"], seen_untyped, until_deleted=until_deleted)
                ),
                asyncio.create_task(
                    _collect(typed, pic["id"], seen_typed, until_deleted=until_deleted)
                ),
            }
            if while_running is not None:
                deadline = time.monotonic() + PICTURE_TIMEOUT_SECONDS
                while not seen_untyped.events and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                await asyncio.to_thread(while_running, pic)
            done, pending = await asyncio.wait(tasks, timeout=PICTURE_TIMEOUT_SECONDS)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for task in done:
                task.result()
            return pic, seen_untyped, seen_typed

    try:
        return asyncio.run(scenario())
    finally:
        settle(stack)


@pytest.fixture
def model_with_progress(stack: LocalStack) -> None:
    """The stand-in's model logs its diffusers bar; a 50-step run takes 1 s (10 logs
    webhooks, one per 0.5 model seconds). conftest's knob fixture restores it."""
    stack.replicate.progress_bar = True
    stack.replicate.time_scale = 0.2


@pytest.mark.usefixtures("model_with_progress")
def test_progress_rises_in_bounded_steps_on_both_subscriptions_then_completed(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    pic, untyped, typed = _follow_both(
        stack, client, user, lambda: client.create(user, "a kingfisher, progress bar")
    )

    for followed in (untyped, typed):
        # PROCESSING (repeated by each progress step), then COMPLETED, in that order.
        assert followed.statuses[-1] == "COMPLETED", followed.statuses
        assert set(followed.statuses[:-1]) == {"PROCESSING"}, followed.statuses
        progress = followed.progress
        assert progress, "no progress step reached the subscriber"
        assert progress == sorted(set(progress)), f"not strictly rising: {progress}"
        assert all(0 < step <= 100 for step in progress), progress
        assert len(progress) <= MAX_PROGRESS_EVENTS, progress
        assert all(step % 10 == 0 for step in progress), progress
    # The typed subscription carries the same pictures as subscribe.
    assert [(e.status, e.pic.get("progress")) for e in typed.events] == [
        (e.status, e.pic.get("progress")) for e in untyped.events
    ]
    assert all(event.owner == user.sub for event in typed.events + untyped.events)
    stored = item(stack, pic["id"])
    assert stored is not None
    assert stored["completionStatus"] == "COMPLETED"
    # The stand-in really sent more logs webhooks than the subscriber got steps.
    (prediction,) = [
        p for p in stack.replicate.predictions.values() if p["input"]["prompt"] == pic["prompt"]
    ]
    logs_deliveries = [
        d
        for d in stack.replicate.deliveries
        if d.prediction["id"] == prediction["id"] and d.event == "logs"
    ]
    assert len(logs_deliveries) >= len(untyped.progress)


def test_cancel_stops_a_running_picture_at_replicate_and_the_subscriber_sees_canceled(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    stack.replicate.time_scale = 2.0  # a 10 s run: long enough to cancel while it runs
    canceled: dict[str, Any] = {}

    pic, untyped, typed = _follow_both(
        stack,
        client,
        user,
        lambda: client.create(user, "a very slow picture of a snail"),
        while_running=lambda pic: canceled.update(client.cancel(user, pic["id"])),
    )

    assert canceled["id"] == pic["id"]
    assert canceled["completionStatus"] == "CANCELED"
    for followed in (untyped, typed):
        assert followed.statuses[-1] == "CANCELED", followed.statuses
        assert "FAILED" not in followed.statuses
    stored = item(stack, pic["id"])
    assert stored is not None
    assert stored["completionStatus"] == "CANCELED"
    assert stored["predictionId"] in stack.replicate.cancellations
    assert object_keys(stack, f"pics/{user.sub}/{pic['id']}") == []

    # A final picture cannot be canceled again: a clear error, nothing changes.
    with pytest.raises(GraphQLResponseError) as refused:
        client.cancel(user, pic["id"])
    assert refused.value.error_types == ["PictureAlreadyFinal"]
    assert item(stack, pic["id"]) == stored


def test_another_users_picture_can_be_neither_canceled_nor_deleted(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    stack.replicate.time_scale = 2.0  # still running while the other user tries
    pic = client.create(user, "a picture someone else wants gone")
    other = new_user(client, "other")
    try:
        before = item(stack, pic["id"])
        for attempt in (client.cancel, client.delete):
            with pytest.raises(GraphQLResponseError) as refused:
                attempt(other, pic["id"])
            assert refused.value.error_types == ["NotFound"]
        assert item(stack, pic["id"]) == before
        assert stack.replicate.cancellations.count(before["predictionId"]) == 0  # type: ignore[index]
        # A running picture is not deleted even by its owner: cancel it first.
        with pytest.raises(GraphQLResponseError) as not_final:
            client.delete(user, pic["id"])
        assert not_final.value.error_types == ["PictureNotFinal"]
    finally:
        client.cancel(user, pic["id"])
        settle(stack)


def test_delete_removes_the_item_and_every_image_version_and_keeps_the_quota(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    pic, _, _ = _follow_both(
        stack, client, user, lambda: client.create(user, "a picture that will be deleted")
    )
    key = f"pics/{user.sub}/{pic['id']}.png"
    assert object_keys(stack, key) == [key]
    quota_before = [i for i in items_of(stack, user.sub) if str(i["id"]).startswith("quota#")]

    deleted: dict[str, Any] = {}

    def delete() -> dict[str, Any]:
        deleted.update(client.delete(user, pic["id"]))
        return deleted

    _, untyped, typed = _follow_both(stack, client, user, delete, until_deleted=True)

    assert deleted["id"] == pic["id"]
    assert deleted["deletedAt"]
    for followed in (untyped, typed):
        assert followed.events, "the subscriber got no deletion event"
        assert followed.events[-1].pic.get("deletedAt"), followed.events
    assert item(stack, pic["id"]) is None
    versions = stack.aws_client("s3").list_object_versions(
        Bucket=stack.outputs["bucket_name"], Prefix=key
    )
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []
    quota_after = [i for i in items_of(stack, user.sub) if str(i["id"]).startswith("quota#")]
    assert quota_after == quota_before  # the day's quota is not given back
    assert [int(counter["count"]) for counter in quota_before] == [1]

    with pytest.raises(GraphQLResponseError) as gone:
        client.delete(user, pic["id"])
    assert gone.value.error_types == ["NotFound"]
