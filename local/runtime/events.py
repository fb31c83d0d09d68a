"""Builders of the event shapes AWS really sends to the handlers, plus a Lambda context.

- API Gateway HTTP API, payload format 2.0 (what the webhook function receives)
- S3 ObjectCreated notifications, built from the real object (key URL-encoded as S3 does)
- DynamoDB stream batches, read from moto's stream of the table (typed images)
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from botocore.client import BaseClient

WEBHOOK_ROUTE_KEY = "POST /webhooks/replicate"
ACCOUNT_ID = "123456789012"


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and the handlers use."""

    function_name: str = "aipic-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/aipic-test"
    log_stream_name: str = "2025/01/01/[$LATEST]0123456789abcdef"
    timeout_seconds: float = 30.0
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def lambda_context(function_name: str = "aipic-test") -> LambdaContext:
    return LambdaContext(function_name=function_name)


# ---------------------------------------------------------------- API Gateway HTTP API 2.0


def api_gateway_v2_event(
    *,
    body: bytes,
    headers: Mapping[str, str],
    raw_query_string: str = "",
    method: str = "POST",
    raw_path: str = "/webhooks/replicate",
    route_key: str = WEBHOOK_ROUTE_KEY,
    source_ip: str = "203.0.113.7",
    base64_encode: bool | None = None,
) -> dict[str, Any]:
    """An HTTP API payload-format-2.0 event.

    Header names are lowercased and repeated query parameters joined with commas, as API
    Gateway does. API Gateway base64-encodes bodies it does not consider text; by default
    a body that is not UTF-8 is encoded, ``base64_encode`` forces either way.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if base64_encode is None:
        try:
            body.decode("utf-8")
            base64_encode = False
        except UnicodeDecodeError:
            base64_encode = True
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query_string, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query_string,
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": base64.b32encode(uuid.uuid4().bytes)[:16].decode(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": base64.b64encode(body).decode() if base64_encode else body.decode("utf-8"),
        "isBase64Encoded": base64_encode,
    }
    if query:
        event["queryStringParameters"] = query
    return event


# ---------------------------------------------------------------- S3 notifications


def s3_key_as_notified(key: str) -> str:
    """S3 URL-encodes keys in notifications: ``+`` for spaces, ``%xx`` otherwise."""
    return quote_plus(key, safe="/")


def s3_object_created_record(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    region: str = "us-east-1",
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE:aipic-webhook"},
        "requestParameters": {"sourceIPAddress": "198.51.100.10"},
        "responseElements": {
            "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
            "x-amz-id-2": base64.b64encode(uuid.uuid4().bytes).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "pics-object-created",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": s3_key_as_notified(key),
                "size": size,
                "eTag": etag.strip('"'),
                "sequencer": f"{time.time_ns():X}",
            },
        },
    }


def s3_object_created_event(
    s3_client: BaseClient,
    bucket: str,
    key: str,
    *,
    region: str = "us-east-1",
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """The notification S3 sends for an object that exists in ``bucket`` (size, eTag read)."""
    head = s3_client.head_object(Bucket=bucket, Key=key)
    record = s3_object_created_record(
        bucket=bucket,
        key=key,
        size=int(head["ContentLength"]),
        etag=str(head["ETag"]),
        region=region,
        event_name=event_name,
    )
    return {"Records": [record]}


# ---------------------------------------------------------------- DynamoDB streams


class DynamoDBStreamReader:
    """Reads new records from a table's stream (moto's real stream) as Lambda batches."""

    def __init__(
        self, streams_client: BaseClient, stream_arn: str, region: str = "us-east-1"
    ) -> None:
        self._client = streams_client
        self._stream_arn = stream_arn
        self._region = region
        self._iterators: dict[str, str | None] = {}

    def _shard_ids(self) -> list[str]:
        description = self._client.describe_stream(StreamArn=self._stream_arn)
        return [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]

    def read_records(self) -> list[dict[str, Any]]:
        """Records written since the last call (all records on the first call)."""
        records: list[dict[str, Any]] = []
        for shard_id in self._shard_ids():
            iterator = self._iterators.get(shard_id)
            if shard_id not in self._iterators:
                iterator = self._client.get_shard_iterator(
                    StreamArn=self._stream_arn,
                    ShardId=shard_id,
                    ShardIteratorType="TRIM_HORIZON",
                )["ShardIterator"]
            if iterator is None:
                continue
            response = self._client.get_records(ShardIterator=iterator)
            records.extend(response["Records"])
            self._iterators[shard_id] = response.get("NextShardIterator")
        return [self._as_lambda_record(record) for record in records]

    def read_event(self) -> dict[str, Any]:
        """The next batch, shaped as the event Lambda's stream poller delivers."""
        return {"Records": self.read_records()}

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):  # boto3 parsed it; Lambda sends epoch seconds
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": record.get("awsRegion", self._region),
            "dynamodb": change,
            "eventSourceARN": self._stream_arn,
        }
