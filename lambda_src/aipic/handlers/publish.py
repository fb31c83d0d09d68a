"""publish: push every picture change its owner needs to see to their subscriptions.

Consumes the table's stream (NEW_AND_OLD_IMAGES) with partial batch responses: a record
whose publish fails is reported in ``batchItemFailures``, and so is every record after it
in the batch, unpublished: Lambda retries a stream from the first reported record
on, so publishing a later one now would send it twice, and before the earlier change of
the same picture (COMPLETED, then PROCESSING and COMPLETED again on the retry).
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

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer

from aipic.appsync import AppSyncPublisher
from aipic.clients import http_session, session
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


def publish_record(record: StreamRecord) -> None:
    picture = picture_event(record)
    if picture is None:
        return
    publisher().publish(str(picture["owner"]), picture)
    logger.info(
        "picture event published",
        extra={
            "pic_id": picture["id"],
            "status": picture["completionStatus"],
            "progress": picture.get("progress"),
            "deleted": "deletedAt" in picture,
        },
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialBatchResponse:
    failures: list[BatchItemFailure] = []
    for record in cast(StreamEvent, event)["Records"]:
        sequence = record["dynamodb"]["SequenceNumber"]
        if not failures:
            try:
                publish_record(record)
                continue
            except Exception:  # noqa: BLE001 - any failure: the record is retried
                logger.exception(
                    "publish failed; the record is retried", extra={"sequence": sequence}
                )
        # Every record of an all-failed batch is reported too, rather than raising: same retry.
        failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}
