"""Lambda's destination records (asynchronous invocations, stream batches) and their delivery.

Shapes as documented for Lambda destinations: the invocation record
(version, timestamp, requestContext, requestPayload, responseContext, responsePayload)
and the stream failure record (requestContext, responseContext, version, timestamp,
DDBStreamBatchInfo). Delivered with SQS SendMessage through the emulator, to the queue the
destination ARN names.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from local.runtime.config import AwsClients, Destination
from local.runtime.invocations import InvocationResult

_log = logging.getLogger(__name__)


def _timestamp(at: datetime | None = None) -> str:
    moment = at or datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _response_context(result: InvocationResult | None) -> dict[str, Any]:
    context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if result is not None and result.function_error:
        context["functionError"] = result.function_error
    return context


def invocation_record(
    *,
    function_arn: str,
    request_id: str,
    condition: str,
    invoke_count: int,
    request_payload: bytes,
    result: InvocationResult | None,
) -> dict[str, Any]:
    """An asynchronous invocation's destination record (condition Success/RetriesExhausted/
    EventAgeExceeded)."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _timestamp(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _json_or_text(request_payload),
        "responseContext": _response_context(result),
    }
    if result is not None:
        record["responsePayload"] = _json_or_text(result.payload)
    return record


def stream_batch_record(
    *,
    function_arn: str,
    request_id: str,
    condition: str,
    invoke_count: int,
    result: InvocationResult | None,
    shard_id: str,
    stream_arn: str,
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    """A DynamoDB stream batch's failure record (condition RetryAttemptsExhausted/
    RecordAgeExceeded); it names the records, the consumer reads them from the stream."""
    arrivals = [_arrival(r) for r in records]
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": _response_context(result),
        "version": "1.0",
        "timestamp": _timestamp(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrivals[0],
            "approximateArrivalOfLastRecord": arrivals[-1],
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def _arrival(record: dict[str, Any]) -> str:
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    at = datetime.fromtimestamp(float(created), UTC) if created is not None else None
    return _timestamp(at).replace(".000Z", "Z")


def _json_or_text(payload: bytes) -> object:
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return payload.decode(errors="replace")


class DestinationSender:
    """Sends destination records; an unsupported destination type is logged, not dropped
    silently."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def send(self, destination: Destination, record: dict[str, Any]) -> None:
        if destination.service != "sqs":
            _log.error(
                "destination %s is not delivered locally (only SQS is); record: %s",
                destination.arn,
                json.dumps(record),
            )
            return
        sqs = self._clients("sqs")
        queue_url = sqs.get_queue_url(
            QueueName=destination.queue_name, QueueOwnerAWSAccountId=destination.account_id
        )["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
