"""Progress, cancelAIPic and deleteAIPic through the local AppSync endpoint with gql: the
webhook and publish handlers run against the same moto server, and the typed
onAIPicChange subscription (gql's AppSyncWebsocketsTransport) receives what they publish.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aipic import coldstart
from aipic.handlers import publish, webhook
from aipic.pics import pics_repository
from gql import Client, GraphQLRequest, gql
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError

from local.replicate.standin import run_logs, signed_webhook_headers
from local.runtime.events import DynamoDBStreamReader, api_gateway_v2_event, lambda_context

from .conftest import (
    CREATE,
    PUBLISHER_KEY_ID,
    PUBLISHER_SECRET,
    REGION,
    TABLE_NAME,
    Stack,
    User,
    run,
)

WEBHOOK_SECRET_PARAMETER = "/aipic/appsync-tests/webhook-secret"
WEBHOOK_SECRET = "whsec_dGVzdC1zaWduaW5nLWtleS1mb3ItYWlwaWMtMzJieXQ="
PIC_FIELDS = "id owner completionStatus progress deletedAt updatedAt"
ON_CHANGE = gql(f"subscription OnChange {{ onAIPicChange {{ {PIC_FIELDS} }} }}")
CANCEL = gql(f"mutation Cancel($id: ID!) {{ cancelAIPic(id: $id) {{ {PIC_FIELDS} }} }}")
DELETE = gql(f"mutation Delete($id: ID!) {{ deleteAIPic(id: $id) {{ {PIC_FIELDS} }} }}")
LIST = gql("query List { listAIPics(limit: 100) { items { id } } }")


@pytest.fixture
def handlers(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDBStreamReader]:
    """The webhook and publish functions' environment, pointed at the fixture stack: moto's
    server for AWS, the endpoint for AppSync, signing as the publisher it knows."""
    ssm = boto3.client(
        "ssm",
        endpoint_url=stack.emulator.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ssm.put_parameter(
        Name=WEBHOOK_SECRET_PARAMETER, Value=WEBHOOK_SECRET, Type="SecureString", Overwrite=True
    )
    environment = {
        "AWS_ENDPOINT_URL": stack.emulator.url,
        "AWS_ACCESS_KEY_ID": PUBLISHER_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": PUBLISHER_SECRET,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "PICS_TABLE_NAME": TABLE_NAME,
        "PICS_BUCKET_NAME": "aipic-appsync-tests-unused",
        "WEBHOOK_SECRET_PARAMETER": WEBHOOK_SECRET_PARAMETER,
        "APPSYNC_GRAPHQL_URL": stack.endpoint.url,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    coldstart.reset()
    stream_arn = stack.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]["LatestStreamArn"]
    streams = boto3.client(
        "dynamodbstreams",
        endpoint_url=stack.emulator.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    reader = DynamoDBStreamReader(streams, stream_arn, REGION)
    reader.read_records()  # what earlier tests left on the stream is not this test's
    yield reader
    coldstart.reset()


def deliver_logs(pic_id: str, prediction_id: str, done: int, total: int = 50) -> dict[str, Any]:
    """Replicate's signed ``logs`` webhook for ``done`` of ``total`` steps, handled."""
    body = json.dumps(
        {"id": prediction_id, "status": "processing", "logs": run_logs(done, total, 0.1)}
    ).encode()
    event = api_gateway_v2_event(
        body=body,
        headers=signed_webhook_headers(WEBHOOK_SECRET, body),
        raw_query_string=f"id={pic_id}",
    )
    response = webhook.handler(event, lambda_context("aipic-webhook"))
    assert response["statusCode"] == 200, response
    answer: dict[str, Any] = json.loads(response["body"])
    return answer


def publish_stream(reader: DynamoDBStreamReader) -> None:
    """What Lambda's poller does for the publish function: the new records, one batch."""
    result = publish.handler(reader.read_event(), lambda_context("aipic-publish"))
    assert result == {"batchItemFailures": []}


def websocket(stack: Stack, user: User) -> Client:
    auth = AppSyncJWTAuthentication(host=stack.host, jwt=user.id_token)
    return Client(transport=AppSyncWebsocketsTransport(url=stack.endpoint.realtime_url, auth=auth))


async def collect(client: Client, received: list[dict[str, Any]], until: Any) -> None:
    async with client as session:
        async for event in session.subscribe(ON_CHANGE):
            received.append(event["onAIPicChange"])
            if until(received[-1]):
                return


def execute(stack: Stack, user: User, document: Any, **variables: Any) -> Any:
    return stack.jwt_client(user.id_token).execute(
        GraphQLRequest(document, variable_values=variables)
    )


def refusal(stack: Stack, user: User, document: Any, **variables: Any) -> tuple[str, str]:
    with pytest.raises(TransportQueryError) as raised:
        execute(stack, user, document, **variables)
    (error,) = raised.value.errors or []
    return error["errorType"], error["message"]


def stored(stack: Stack, pic_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = stack.dynamodb.get_item(
        TableName=TABLE_NAME, Key={"id": {"S": pic_id}}, ConsistentRead=True
    ).get("Item")
    return item


def test_progress_reaches_the_owner_in_order_in_at_most_ten_steps(
    stack: Stack, handlers: DynamoDBStreamReader
) -> None:
    alice, bob = stack.sign_up("alice"), stack.sign_up("bob")
    before = stack.endpoint.hub.subscription_count()

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        alice_events: list[dict[str, Any]] = []
        bob_events: list[dict[str, Any]] = []
        alice_listening = asyncio.create_task(
            collect(
                websocket(stack, alice), alice_events, lambda e: e["completionStatus"] == "FAILED"
            )
        )
        bob_listening = asyncio.create_task(
            collect(websocket(stack, bob), bob_events, lambda e: True)
        )
        await asyncio.to_thread(stack.wait_for_subscriptions, before + 2)
        created = await asyncio.to_thread(
            execute, stack, alice, CREATE, prompt="a red fox in fresh snow"
        )
        pic_id = created["createAIPic"]["id"]
        pics_repository().mark_processing(pic_id, "pred-fox")  # what generate records
        # Every 500 ms a logs event, some delivered late (Replicate retries): 6 % … 100 %.
        for done in (3, 7, 12, 16, 21, 18, 26, 33, 30, 39, 44, 41, 47, 50, 50):
            await asyncio.to_thread(deliver_logs, pic_id, "pred-fox", done)
        pics_repository().mark_failed(pic_id, "stopped by the test")
        await asyncio.to_thread(publish_stream, handlers)
        await alice_listening
        bob_listening.cancel()
        return alice_events, bob_events, pic_id

    alice_events, bob_events, pic_id = run(scenario)

    assert [(e["completionStatus"], e["progress"]) for e in alice_events] == [
        ("PROCESSING", None),
        ("PROCESSING", 10),
        ("PROCESSING", 20),
        ("PROCESSING", 30),
        ("PROCESSING", 40),
        ("PROCESSING", 50),
        ("PROCESSING", 60),
        ("PROCESSING", 70),
        ("PROCESSING", 80),
        ("PROCESSING", 90),
        ("PROCESSING", 100),
        ("FAILED", 100),
    ]
    assert {e["id"] for e in alice_events} == {pic_id}
    assert bob_events == []


def test_cancel_and_delete_with_their_refusals(
    stack: Stack, handlers: DynamoDBStreamReader
) -> None:
    alice, bob = stack.sign_up("alice"), stack.sign_up("bob")
    pic_id = execute(stack, alice, CREATE, prompt="a lighthouse at dawn")["createAIPic"]["id"]
    untouched = stored(stack, pic_id)

    assert refusal(stack, bob, CANCEL, id=pic_id) == (
        "NotFound",
        f"You have no picture with id {pic_id}",
    )
    assert refusal(stack, alice, DELETE, id=pic_id) == (
        "PictureNotFinal",
        "The picture is still being made; cancel it first, or wait until it is final",
    )
    assert stored(stack, pic_id) == untouched
    before = stack.endpoint.hub.subscription_count()

    async def scenario() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        listening = asyncio.create_task(
            collect(websocket(stack, alice), events, lambda e: e["deletedAt"] is not None)
        )
        await asyncio.to_thread(stack.wait_for_subscriptions, before + 1)
        cancelled = await asyncio.to_thread(execute, stack, alice, CANCEL, id=pic_id)
        assert cancelled["cancelAIPic"]["completionStatus"] == "CANCELED"
        await asyncio.to_thread(publish_stream, handlers)
        assert await asyncio.to_thread(refusal, stack, alice, CANCEL, id=pic_id) == (
            "PictureAlreadyFinal",
            "The picture is already CANCELED; only a picture still being made can be cancelled",
        )
        assert await asyncio.to_thread(refusal, stack, bob, DELETE, id=pic_id) == (
            "NotFound",
            f"You have no picture with id {pic_id}",
        )
        deleted = await asyncio.to_thread(execute, stack, alice, DELETE, id=pic_id)
        assert deleted["deleteAIPic"]["deletedAt"] is not None
        await asyncio.to_thread(publish_stream, handlers)
        await listening
        return events

    events = run(scenario)

    assert [(e["id"], e["completionStatus"], e["deletedAt"] is not None) for e in events] == [
        (pic_id, "CANCELED", False),
        (pic_id, "CANCELED", True),  # the deletion event: the picture as it was, deletedAt set
    ]
    assert stored(stack, pic_id) is None
    listed = execute(stack, alice, LIST)["listAIPics"]["items"]
    assert pic_id not in {item["id"] for item in listed}
    # The day's quota counter is still there: deleting gives no picture back.
    quota_items = [
        item
        for item in stack.dynamodb.scan(TableName=TABLE_NAME, ConsistentRead=True)["Items"]
        if item["id"]["S"].startswith(f"quota#{alice.sub}#")
    ]
    assert [int(item["count"]["N"]) for item in quota_items] == [1]
