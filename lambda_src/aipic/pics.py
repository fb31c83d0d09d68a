"""The pics repository: every read and write of the pics table.

Status only moves forward, STARTED → PROCESSING → COMPLETED | FAILED | CANCELED (the
owner's cancelAIPic, written by the resolver). Each transition is
a conditional UpdateItem whose condition names the states it may leave, so a duplicate or
late event never moves a picture backwards; a refused transition returns ``False``.

Two more facts live on an item. ``generateClaimedAt``: generate claims a STARTED picture
with a conditional write before it calls Replicate, so at most one invocation ever asks
for a prediction. ``pendingPartition``: set by the createAIPic resolver and removed by
every write that makes a picture final (the cancelAIPic resolver's too), so the sparse
index on it (pendingPartition + createdAt) holds exactly the pictures that are not final
yet, oldest first; the sweeper queries it for the overdue ones instead of scanning.

Storing the image is claimed too: a webhook delivery takes a lease on the PROCESSING
picture (``imageStoreLease`` + ``imageStoreLeaseExpiresAt``, epoch seconds) before it
downloads, and records ``storedImageKey`` when the object is in S3. A second delivery
meanwhile finds the lease (or the key) and downloads nothing; a lease left by an
attempt that crashed expires, so a later delivery can take over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from aipic.clients import dynamodb_client
from aipic.coldstart import cached
from aipic.contract import TABLE
from aipic.decisions.picture import FINAL_STATUSES, Pic, Status, StoreClaim
from aipic.settings import table_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, UpdateItemInputTypeDef

MAX_FAILURE_REASON_LENGTH = 1000
CLAIM_ATTRIBUTE = "generateClaimedAt"
# The pending index's hash key and its one value (modules/api/resolvers/putPic.js
# writes it): the contract's.
PENDING_ATTRIBUTE = str(TABLE["indexes"]["pending"]["hash_key"])
PENDING_PARTITION = str(TABLE["pending_partition"])
# Every write that makes a picture final ends with this, leaving the pending index.
_LEAVE_PENDING = f"REMOVE {PENDING_ATTRIBUTE}"

_deserializer = TypeDeserializer()

# The picture's state is pure (aipic.decisions decides on it); it is imported from here too.
__all__ = [
    "CLAIM_ATTRIBUTE",
    "FINAL_STATUSES",
    "PENDING_ATTRIBUTE",
    "PENDING_PARTITION",
    "Pic",
    "PicsRepository",
    "Status",
    "StoreClaim",
    "now_iso8601",
    "pics_repository",
]


def now_iso8601() -> str:
    """UTC timestamp in the format AppSync's ``util.time.nowISO8601()`` writes."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pic_from_item(item: dict[str, Any]) -> Pic:
    plain = {name: _deserializer.deserialize(value) for name, value in item.items()}
    return Pic(
        id=str(plain["id"]),
        owner=str(plain.get("owner", "")),
        status=str(plain.get("completionStatus", "")),
        prediction_id=plain.get("predictionId"),
        claimed=CLAIM_ATTRIBUTE in plain,
        progress=int(plain.get("progress", 0)),
    )


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class PicsRepository:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table_name = table_name
        self._client = client

    def get(self, pic_id: str) -> Pic | None:
        """The picture, or None for an unknown id or a quota counter."""
        response = self._client.get_item(
            TableName=self._table_name, Key={"id": {"S": pic_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        if item is None or "completionStatus" not in item:
            return None
        return _pic_from_item(item)

    def claim_for_generation(self, pic_id: str) -> bool:
        """Only the first caller for a STARTED picture wins; it alone may call Replicate."""
        return self._transition(
            pic_id,
            f"SET {CLAIM_ATTRIBUTE} = :now",
            f"completionStatus = :started AND attribute_not_exists({CLAIM_ATTRIBUTE})",
            {":started": Status.STARTED},
        )

    def adopt_prediction(self, pic_id: str, prediction_id: str) -> bool:
        """PROCESSING with the prediction a claimed picture's webhook names, if none is
        recorded yet: generate's own record of it may have been lost or still be coming."""
        return self._transition(
            pic_id,
            "SET completionStatus = :to, predictionId = :prediction, updatedAt = :now",
            f"completionStatus = :started AND attribute_exists({CLAIM_ATTRIBUTE}) "
            "AND attribute_not_exists(predictionId)",
            {":to": Status.PROCESSING, ":prediction": prediction_id, ":started": Status.STARTED},
        )

    def mark_processing(self, pic_id: str, prediction_id: str) -> bool:
        return self._transition(
            pic_id,
            "SET completionStatus = :to, predictionId = :prediction, updatedAt = :now",
            "completionStatus = :started",
            {":to": Status.PROCESSING, ":prediction": prediction_id, ":started": Status.STARTED},
        )

    def mark_completed(self, pic_id: str, owner: str, img_id: str) -> bool:
        """COMPLETED with the object key, only for a PROCESSING picture of this owner."""
        return self._transition(
            pic_id,
            f"SET completionStatus = :to, imgId = :img, updatedAt = :now {_LEAVE_PENDING}",
            "completionStatus = :processing AND #owner = :owner",
            {
                ":to": Status.COMPLETED,
                ":img": img_id,
                ":processing": Status.PROCESSING,
                ":owner": owner,
            },
        )

    def mark_failed(self, pic_id: str, reason: str) -> bool:
        return self._transition(
            pic_id,
            f"SET completionStatus = :to, failureReason = :reason, updatedAt = :now "
            f"{_LEAVE_PENDING}",
            "completionStatus IN (:started, :processing)",
            {
                ":to": Status.FAILED,
                ":reason": reason[:MAX_FAILURE_REASON_LENGTH],
                ":started": Status.STARTED,
                ":processing": Status.PROCESSING,
            },
        )

    def record_progress(self, pic_id: str, prediction_id: str, progress: int) -> bool:
        """Store ``progress`` on a PROCESSING picture of this prediction if it is higher
        than what is stored: late or reordered ``logs`` events never lower it, and a final
        picture keeps what it had."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={"id": {"S": pic_id}},
                UpdateExpression="SET #progress = :progress, updatedAt = :now",
                ConditionExpression=(
                    "completionStatus = :processing AND predictionId = :prediction"
                    " AND (attribute_not_exists(#progress) OR #progress < :progress)"
                ),
                ExpressionAttributeNames={"#progress": "progress"},
                ExpressionAttributeValues={
                    ":progress": {"N": str(progress)},
                    ":now": {"S": now_iso8601()},
                    ":processing": {"S": Status.PROCESSING},
                    ":prediction": {"S": prediction_id},
                },
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def pending_created_before(
        self, index_name: str, cutoff: str, *, page_size: int = 100
    ) -> Iterator[str]:
        """Ids of pictures not final yet and created before ``cutoff``, oldest first."""
        request: QueryInputTypeDef = {
            "TableName": self._table_name,
            "IndexName": index_name,
            "KeyConditionExpression": "#pending = :pending AND createdAt < :cutoff",
            "ExpressionAttributeNames": {"#pending": PENDING_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":pending": {"S": PENDING_PARTITION},
                ":cutoff": {"S": cutoff},
            },
            "Limit": page_size,
        }
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                yield str(item["id"]["S"])
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                return
            request["ExclusiveStartKey"] = start_key

    def fail_overdue(self, pic_id: str, cutoff: str, reason: str) -> Pic | None:
        """FAILED with ``reason`` if still not final and created before ``cutoff`` (the
        index is eventually consistent, so the item itself is checked); the picture as it
        was before, or None when it had moved on."""
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key={"id": {"S": pic_id}},
                UpdateExpression=(
                    "SET completionStatus = :to, failureReason = :reason, updatedAt = :now "
                    f"{_LEAVE_PENDING}"
                ),
                ConditionExpression=(
                    "attribute_exists(id) AND completionStatus IN (:started, :processing) "
                    "AND createdAt < :cutoff"
                ),
                ExpressionAttributeValues={
                    ":to": {"S": Status.FAILED},
                    ":reason": {"S": reason[:MAX_FAILURE_REASON_LENGTH]},
                    ":now": {"S": now_iso8601()},
                    ":started": {"S": Status.STARTED},
                    ":processing": {"S": Status.PROCESSING},
                    ":cutoff": {"S": cutoff},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return _pic_from_item(response["Attributes"])

    def record_webhook_attempt(self, pic_id: str, prediction_id: str) -> int | None:
        """Count a webhook delivery that failed transiently; None if the picture moved on."""
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key={"id": {"S": pic_id}},
                UpdateExpression="ADD webhookAttempts :one SET updatedAt = :now",
                ConditionExpression="completionStatus = :processing AND predictionId = :prediction",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":now": {"S": now_iso8601()},
                    ":processing": {"S": Status.PROCESSING},
                    ":prediction": {"S": prediction_id},
                },
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return int(response["Attributes"]["webhookAttempts"]["N"])

    def claim_image_store(
        self, pic_id: str, prediction_id: str, lease: str, now: int, expires_at: int
    ) -> StoreClaim:
        """Take the store lease (``now``/``expires_at`` in epoch seconds) if it is free."""
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={"id": {"S": pic_id}},
                UpdateExpression="SET imageStoreLease = :lease, imageStoreLeaseExpiresAt = :until",
                ConditionExpression=(
                    "completionStatus = :processing AND predictionId = :prediction"
                    " AND attribute_not_exists(storedImageKey)"
                    " AND (attribute_not_exists(imageStoreLeaseExpiresAt)"
                    " OR imageStoreLeaseExpiresAt <= :now)"
                ),
                ExpressionAttributeValues={
                    ":lease": {"S": lease},
                    ":until": {"N": str(expires_at)},
                    ":now": {"N": str(now)},
                    ":processing": {"S": Status.PROCESSING},
                    ":prediction": {"S": prediction_id},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            item = error.response.get("Item") or {}
            if item.get("completionStatus") != {"S": Status.PROCESSING} or item.get(
                "predictionId"
            ) != {"S": prediction_id}:
                return StoreClaim.NOT_PROCESSING
            return StoreClaim.STORED if "storedImageKey" in item else StoreClaim.BUSY
        return StoreClaim.CLAIMED

    def release_image_store(self, pic_id: str, lease: str) -> None:
        """Give the lease back (a transient failure), so the next delivery may retry."""
        self._update_if_lease_matches(
            pic_id, "REMOVE imageStoreLease, imageStoreLeaseExpiresAt", lease, {}
        )

    def record_image_stored(self, pic_id: str, lease: str, key: str) -> None:
        """Remember the stored object, so no later delivery downloads the image again."""
        self._update_if_lease_matches(
            pic_id,
            "SET storedImageKey = :key REMOVE imageStoreLease, imageStoreLeaseExpiresAt",
            lease,
            {":key": {"S": key}},
        )

    def _update_if_lease_matches(
        self, pic_id: str, update: str, lease: str, values: dict[str, Any]
    ) -> None:
        # Refused when the lease expired and another delivery took it over, or the
        # picture moved on: that delivery, or the final status, decides from here.
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={"id": {"S": pic_id}},
                UpdateExpression=update,
                ConditionExpression="imageStoreLease = :lease",
                ExpressionAttributeValues={":lease": {"S": lease}, **values},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    def _transition(self, pic_id: str, update: str, condition: str, values: dict[str, str]) -> bool:
        attribute_values = {name: {"S": str(value)} for name, value in values.items()}
        attribute_values[":now"] = {"S": now_iso8601()}
        request: UpdateItemInputTypeDef = {
            "TableName": self._table_name,
            "Key": {"id": {"S": pic_id}},
            "UpdateExpression": update,
            # attribute_exists keeps a stray event from creating a half-item.
            "ConditionExpression": f"attribute_exists(id) AND {condition}",
            "ExpressionAttributeValues": attribute_values,
        }
        if "#owner" in condition:
            request["ExpressionAttributeNames"] = {"#owner": "owner"}
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True


@cached
def pics_repository() -> PicsRepository:
    return PicsRepository(table_settings().table_name, dynamodb_client())
