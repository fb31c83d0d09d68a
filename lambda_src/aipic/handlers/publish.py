"""publish: push every picture status change to its owner's subscription.

Consumes the table's stream (NEW_AND_OLD_IMAGES) with Powertools' ``BatchProcessor``: a
record whose publish fails is reported in ``batchItemFailures``, and so is every record
after it in the batch, unpublished: Lambda retries a stream from the first reported record
on, so publishing a later one now would send it twice, and before the earlier change of
the same picture (COMPLETED, then PROCESSING and COMPLETED again on the retry).
Published: a picture whose ``completionStatus`` changed to PROCESSING, COMPLETED or
FAILED. Not published: the initial STARTED insert (the creating client has it from the
mutation's answer), updates that leave the status alone (e.g. webhook attempt counts),
removals, and quota counters (no ``completionStatus``, no ``owner``).
"""

from __future__ import annotations

import json
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
)
PUBLISHED_STATUSES = frozenset({Status.PROCESSING, Status.COMPLETED, Status.FAILED})

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


def picture_event(record: DynamoDBRecord) -> dict[str, Any] | None:
    """The picture to publish for this record, or None when there is nothing to tell."""
    change = record.dynamodb
    if change is None:
        return None
    new_image = change.new_image
    old_image = change.old_image
    status = new_image.get("completionStatus")
    if status not in PUBLISHED_STATUSES or not new_image.get("owner"):
        return None
    if old_image.get("completionStatus") == status:
        return None
    return {name: _plain(new_image[name]) for name in PUBLISHED_FIELDS if name in new_image}


class EarlierRecordFailedError(Exception):
    """Not published: an earlier record of the batch failed, and the retry resends this one."""


def publish_record(record: DynamoDBRecord) -> None:
    picture = picture_event(record)
    if picture is None:
        return
    publisher().publish(str(picture["owner"]), json.dumps(picture, sort_keys=True))
    logger.info(
        "picture event published",
        extra={"pic_id": picture["id"], "status": picture["completionStatus"]},
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
