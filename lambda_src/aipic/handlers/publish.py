"""publish: push every picture change its owner needs to see to their subscriptions.

Consumes the table's stream (NEW_AND_OLD_IMAGES) with Powertools' ``BatchProcessor``: a
record whose publish fails is reported in ``batchItemFailures``, and so is every record
after it in the batch, unpublished: Lambda retries a stream from the first reported record
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

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from aipic.appsync import AppSyncPublisher
from aipic.clients import http_session, session
from aipic.coldstart import cached
from aipic.observability import logger
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

# Every record of an all-failed batch is reported too, rather than raising: same retry.
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


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


def _deletion_time(created: int | None) -> str:
    moment = datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def picture_event(record: DynamoDBRecord) -> dict[str, Any] | None:
    """The picture to publish for this record, or None when there is nothing to tell."""
    change = record.dynamodb
    if change is None:
        return None
    new_image = change.new_image
    old_image = change.old_image
    if record.get("eventName") == "REMOVE":
        if "completionStatus" not in old_image or not old_image.get("owner"):
            return None  # a quota counter's expiry
        deleted_at = _deletion_time(change.approximate_creation_date_time)
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


class EarlierRecordFailedError(Exception):
    """Not published: an earlier record of the batch failed, and the retry resends this one."""


def publish_record(record: DynamoDBRecord) -> None:
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
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    failed = False

    def in_shard_order(record: DynamoDBRecord) -> None:
        nonlocal failed
        if failed:
            raise EarlierRecordFailedError(
                record.dynamodb.sequence_number if record.dynamodb else ""
            )
        try:
            publish_record(record)
        except Exception:
            failed = True
            raise

    return process_partial_response(
        event=event, record_handler=in_shard_order, processor=processor, context=context
    )
