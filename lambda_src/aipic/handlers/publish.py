"""publish: push every picture change its owner needs to see to their subscriptions.

Consumes the table's stream (NEW_AND_OLD_IMAGES) with partial batch responses. A batch's
records are published concurrently (at most ``PUBLISH_THREADS`` requests at a time on
the shared connection pool), but those of one picture one after another in stream order,
so a subscriber sees a picture's changes in the order they happened. Lambda retries a
stream from the lowest sequence number reported in ``batchItemFailures`` on, whatever
else is reported; so after a failure no further record is started, and every record
from the first one not published on is reported (the failed one, any later one of the
same picture, any left unstarted). A record of another picture published concurrently
after the failed one comes back in the retry: this execution environment remembers the
event ids it published (the last ``REMEMBERED_EVENTS``) and does not send them again,
so a subscriber gets such a change twice only if the retry lands in another environment.

Published, each as one request carrying the
``publish`` (``subscribe``, AWSJSON) and ``publishAIPic`` (``onAIPicChange``, typed)
mutations: a picture whose ``completionStatus`` changed to PROCESSING, COMPLETED, FAILED
or CANCELED; a PROCESSING picture whose ``progress`` rose (stored in 10-point steps, so
at most ten per picture); a deleted picture, as it was with ``deletedAt`` added. Not
published: the initial STARTED insert (the creating client has it from the mutation's
answer), updates that change neither (webhook attempt counts, the image store lease),
and quota counters (no ``completionStatus``, no ``owner``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer

from aipic.appsync import AppSyncPublisher
from aipic.clients import HTTP_CONNECTIONS_PER_HOST, http_session, session
from aipic.coldstart import cached
from aipic.events import BatchItemFailure, PartialBatchResponse, StreamEvent, StreamRecord
from aipic.observability import LambdaContext, logger
from aipic.pics import Status
from aipic.settings import publish_settings

# The picture as subscribers see it; internals (predictionId, webhookAttempts) stay out.
PUBLISHED_FIELDS = (
    "id",
    "owner",
    "prompt",
    "settings",
    "completionStatus",
    "createdAt",
    "updatedAt",
    "imgId",
    "failureReason",
    "progress",
)
PUBLISHED_STATUSES = frozenset(
    {Status.PROCESSING, Status.COMPLETED, Status.FAILED, Status.CANCELED}
)

# As many requests at a time as the pool keeps connections to AppSync.
PUBLISH_THREADS = HTTP_CONNECTIONS_PER_HOST
# A stream batch holds at most 10 records (the mapping's batch_size); this covers many.
REMEMBERED_EVENTS = 1000

_deserializer = TypeDeserializer()


@cached
def publisher() -> AppSyncPublisher:
    settings = publish_settings()
    return AppSyncPublisher(
        url=settings.appsync_graphql_url,
        region=settings.region,
        credentials=session().get_credentials(),
        http=http_session(),
    )


def _plain(value: object) -> object:
    """DynamoDB numbers arrive as Decimal; JSON wants int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(item) for item in value]
    return value


def _published(image: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(image[name]) for name in PUBLISHED_FIELDS if name in image}


def _image(change: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in change.get(name, {}).items()}


def _deletion_time(created: float | None) -> str:
    moment = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def picture_event(record: StreamRecord) -> dict[str, Any] | None:
    """The picture to publish for this record, or None when there is nothing to tell."""
    change = record["dynamodb"]
    new_image = _image(change, "NewImage")
    old_image = _image(change, "OldImage")
    if record["eventName"] == "REMOVE":
        if "completionStatus" not in old_image or not old_image.get("owner"):
            return None  # a quota counter's expiry
        deleted_at = _deletion_time(change.get("ApproximateCreationDateTime"))
        return {**_published(old_image), "deletedAt": deleted_at}
    status = new_image.get("completionStatus")
    if status not in PUBLISHED_STATUSES or not new_image.get("owner"):
        return None
    status_changed = old_image.get("completionStatus") != status
    progress_rose = status == Status.PROCESSING and _plain(new_image.get("progress", 0)) != _plain(
        old_image.get("progress", 0)
    )
    if not status_changed and not progress_rose:
        return None
    return _published(new_image)


# boto3's default session is not built safely by two threads at once.
_publisher_lock = threading.Lock()


def publish_record(record: StreamRecord) -> None:
    picture = picture_event(record)
    if picture is None:
        return
    with _publisher_lock:
        chosen = publisher()
    chosen.publish(str(picture["owner"]), picture)
    logger.info(
        "picture event published",
        extra={
            "pic_id": picture["id"],
            "status": picture["completionStatus"],
            "progress": picture.get("progress"),
            "deleted": "deletedAt" in picture,
        },
    )


class _PublishedEvents:
    """Event ids this environment published, the most recent ``limit``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, event_id: str) -> bool:
        with self._lock:
            return event_id in self._ids

    def add(self, event_id: str) -> None:
        with self._lock:
            self._ids[event_id] = None
            while len(self._ids) > self._limit:
                self._ids.popitem(last=False)


@cached
def published_events() -> _PublishedEvents:
    return _PublishedEvents(REMEMBERED_EVENTS)


def _picture_key(record: StreamRecord) -> str:
    return json.dumps(record["dynamodb"].get("Keys", {}), sort_keys=True)


def publish_batch(records: list[StreamRecord]) -> list[BatchItemFailure]:
    """Publish the records, each picture's in order; the failures to report."""
    published_events()  # built here, not by two threads at once
    chains: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        chains.setdefault(_picture_key(record), []).append(index)
    done = [False] * len(records)
    stop = threading.Event()

    def publish_chain(indexes: list[int]) -> None:
        for index in indexes:
            if stop.is_set():
                return
            record = records[index]
            if record["eventID"] not in published_events():
                try:
                    publish_record(record)
                except Exception:  # noqa: BLE001 - any failure: the record is retried
                    stop.set()
                    logger.exception(
                        "publish failed; the record is retried",
                        extra={"sequence": record["dynamodb"]["SequenceNumber"]},
                    )
                    return
                published_events().add(record["eventID"])
            done[index] = True

    if len(chains) == 1:
        publish_chain(next(iter(chains.values())))
    else:
        with ThreadPoolExecutor(max_workers=min(PUBLISH_THREADS, len(chains))) as pool:
            for future in [pool.submit(publish_chain, chain) for chain in chains.values()]:
                future.result()
    # Lambda resumes from the lowest reported sequence number: report from there on.
    first_undone = next((index for index, ok in enumerate(done) if not ok), len(records))
    return [
        {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}
        for record in records[first_undone:]
    ]


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialBatchResponse:
    # Every record of an all-failed batch is reported too, rather than raising: same retry.
    return {"batchItemFailures": publish_batch(cast(StreamEvent, event)["Records"])}
