"""DynamoDB Streams records as Lambda's poller hands them to a function, read shard by shard.

GetRecords answers (boto3-parsed) become the records of a Lambda event: ``eventVersion``
1.1, ``eventSourceARN``, ``ApproximateCreationDateTime`` in epoch seconds, binary values
base64 again. One moto quirk is undone here: an UpdateItem that creates an item yields
two INSERT records, the first with only the key attributes. DynamoDB never writes two
INSERTs for a key without a REMOVE between them, so an INSERT whose image is just its keys
and which is followed by another INSERT of the same keys is moto's extra record and is
dropped; a key-only INSERT at the end of a read is held until the next read tells which it
is (a real key-only item is then delivered).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from botocore.client import BaseClient


def _plain(value: object) -> object:
    """boto3 decodes B/BS values to bytes; Lambda's event carries them base64-encoded."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def as_lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    change: dict[str, Any] = {key: _plain(value) for key, value in record["dynamodb"].items()}
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", region),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _is_key_only_insert(record: dict[str, Any]) -> bool:
    change = record["dynamodb"]
    return bool(record["eventName"] == "INSERT" and change.get("NewImage") == change.get("Keys"))


def _same_item_inserted(first: dict[str, Any], second: dict[str, Any]) -> bool:
    same_keys = second["dynamodb"].get("Keys") == first["dynamodb"].get("Keys")
    return bool(second["eventName"] == "INSERT" and same_keys)


def drop_moto_double_inserts(
    records: list[dict[str, Any]], *, final: bool
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(records to deliver, a trailing key-only INSERT held back unless ``final``)."""
    kept: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        if _is_key_only_insert(record):
            following = records[index + 1 : index + 2]
            if following and _same_item_inserted(record, following[0]):
                continue
            if not following and not final:
                return kept, record
        kept.append(record)
    return kept, None


class ShardReader:
    """Reads one shard from a starting position onward."""

    def __init__(
        self,
        streams: BaseClient,
        stream_arn: str,
        shard_id: str,
        starting_position: str,
        region: str,
    ) -> None:
        self._streams = streams
        self.stream_arn = stream_arn
        self.shard_id = shard_id
        self._region = region
        iterator_type = "LATEST" if starting_position == "LATEST" else "TRIM_HORIZON"
        self._iterator: str | None = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType=iterator_type
        )["ShardIterator"]
        self._held: dict[str, Any] | None = None

    @property
    def holding(self) -> bool:
        """A record is held back until the next read."""
        return self._held is not None

    def read(self) -> list[dict[str, Any]]:
        """The records written since the last read, as Lambda records."""
        fresh: list[dict[str, Any]] = []
        if self._iterator is not None:
            answer = self._streams.get_records(ShardIterator=self._iterator, Limit=1000)
            self._iterator = answer.get("NextShardIterator")
            fresh = [as_lambda_record(r, self.stream_arn, self._region) for r in answer["Records"]]
        held, self._held = self._held, None
        candidates = ([held] if held else []) + fresh
        # A held record with nothing new after it was a real key-only item.
        kept, self._held = drop_moto_double_inserts(
            candidates, final=held is not None and not fresh
        )
        return kept
