"""Concurrent conditional updates of one item behave as DynamoDB's: none is lost, and a
condition admits exactly as many writers as it should."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

WRITERS = 24


def _table(client: Callable[[str], Any], name: str) -> Any:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def test_concurrent_adds_are_all_counted(client: Callable[[str], Any]) -> None:
    dynamodb = _table(client, "atomic-adds")

    def add(_: int) -> None:
        client("dynamodb").update_item(
            TableName="atomic-adds",
            Key={"id": {"S": "counter"}},
            UpdateExpression="ADD #count :one",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(add, range(WRITERS * 8)))
    item = dynamodb.get_item(TableName="atomic-adds", Key={"id": {"S": "counter"}})["Item"]
    assert item["count"]["N"] == str(WRITERS * 8)


def test_a_conditional_claim_admits_one_writer(client: Callable[[str], Any]) -> None:
    dynamodb = _table(client, "atomic-claims")
    dynamodb.put_item(TableName="atomic-claims", Item={"id": {"S": "pic"}})

    def claim(writer: int) -> str:
        try:
            client("dynamodb").update_item(
                TableName="atomic-claims",
                Key={"id": {"S": "pic"}},
                UpdateExpression="SET claimedBy = :me",
                ConditionExpression="attribute_not_exists(claimedBy)",
                ExpressionAttributeValues={":me": {"N": str(writer)}},
            )
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "claimed"

    with ThreadPoolExecutor(WRITERS) as pool:
        claimed = list(pool.map(claim, range(WRITERS)))
    assert claimed.count("claimed") == 1
    assert set(claimed) == {"claimed", "ConditionalCheckFailedException"}
