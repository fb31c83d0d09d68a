"""The event shapes the handlers read, as AWS sends them: only the fields used.

Plain ``TypedDict``s over the event dictionary, in place of Powertools' data classes
(whose package imports some thirty event modules on every cold start for what is
dictionary access here). Fields AWS may leave out are ``NotRequired``.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

# ---------------------------------------------------------------- API Gateway HTTP API 2.0


class HttpApiEvent(TypedDict):
    """Payload format 2.0: a repeated query parameter arrives comma-joined."""

    headers: NotRequired[dict[str, str]]
    queryStringParameters: NotRequired[dict[str, str]]
    body: NotRequired[str]
    isBase64Encoded: NotRequired[bool]


# ---------------------------------------------------------------- S3 event notifications


class S3Object(TypedDict):
    key: str  # URL-encoded as in the notification ("+" for spaces, %xx)


class S3Entity(TypedDict):
    object: S3Object


class S3Record(TypedDict):
    s3: S3Entity


class S3Event(TypedDict):
    Records: list[S3Record]


# ---------------------------------------------------------------- DynamoDB streams


class StreamChange(TypedDict):
    SequenceNumber: str
    Keys: dict[str, Any]  # the item's key attributes: {"id": {"S": ...}}
    ApproximateCreationDateTime: NotRequired[float]
    NewImage: NotRequired[dict[str, Any]]  # attribute values, {"S": ...} and so on
    OldImage: NotRequired[dict[str, Any]]


class StreamRecord(TypedDict):
    eventID: str
    eventName: str  # INSERT, MODIFY or REMOVE
    dynamodb: StreamChange


class StreamEvent(TypedDict):
    Records: list[StreamRecord]


class BatchItemFailure(TypedDict):
    itemIdentifier: str  # the record's SequenceNumber


class PartialBatchResponse(TypedDict):
    """What Lambda reads with ``ReportBatchItemFailures``: it retries from the lowest
    reported sequence number on."""

    batchItemFailures: list[BatchItemFailure]
