"""The pics table as modules/data creates it, for moto-backed tests and the benchmark.

Its key, indexes, TTL attribute and stream view type come from the contract
(modules/contract/contract.json), as modules/data's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aipic.contract import TABLE, index_name

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

OWNER_INDEX_NAME = index_name("owner")
PENDING_INDEX_NAME = index_name("pending")
TTL_ATTRIBUTE = str(TABLE["ttl_attribute"])


def create_pics_table(dynamodb_client: DynamoDBClient, table_name: str) -> str:
    """Create the pics table and return its stream ARN."""
    response = dynamodb_client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in TABLE["key_attributes"].items()
        ],
        KeySchema=[{"AttributeName": TABLE["hash_key"], "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index["name"],
                "KeySchema": [
                    {"AttributeName": index["hash_key"], "KeyType": "HASH"},
                    {"AttributeName": index["range_key"], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index["projection"]},
            }
            for index in TABLE["indexes"].values()
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": TABLE["stream_view_type"]},
    )
    dynamodb_client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return str(response["TableDescription"]["LatestStreamArn"])
