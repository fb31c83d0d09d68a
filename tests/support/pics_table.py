"""The pics table as modules/data creates it, for moto-backed tests and the demo.

Keep in step with modules/data/main.tf: key `id`, index `byOwner` (owner + createdAt),
sparse index `byPending` (pendingPartition + createdAt, keys only), NEW_AND_OLD_IMAGES
stream, TTL on `expiresAt` (quota counters).
"""

from __future__ import annotations

from typing import Any

OWNER_INDEX_NAME = "byOwner"
PENDING_INDEX_NAME = "byPending"
TTL_ATTRIBUTE = "expiresAt"


def create_pics_table(dynamodb_client: Any, table_name: str) -> str:
    """Create the pics table and return its stream ARN."""
    response = dynamodb_client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "createdAt", "AttributeType": "S"},
            {"AttributeName": "pendingPartition", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": OWNER_INDEX_NAME,
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "createdAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": PENDING_INDEX_NAME,
                "KeySchema": [
                    {"AttributeName": "pendingPartition", "KeyType": "HASH"},
                    {"AttributeName": "createdAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb_client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return str(response["TableDescription"]["LatestStreamArn"])
