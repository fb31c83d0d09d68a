"""Subscriptions over AppSync's real-time WebSocket with gql's AppSyncWebsocketsTransport:
the events the publish mutation (IAM) sends reach their owner's subscription only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.appsync_auth import AppSyncAuthentication, AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError, TransportServerError

from .conftest import CREATE, SUBSCRIBE, Stack, User, run


def websocket_client(stack: Stack, auth: AppSyncAuthentication) -> Client:
    return Client(transport=AppSyncWebsocketsTransport(url=stack.endpoint.realtime_url, auth=auth))


def jwt_auth(stack: Stack, user: User) -> AppSyncJWTAuthentication:
    return AppSyncJWTAuthentication(host=stack.host, jwt=user.id_token)


async def collect(client: Client, count: int, received: list[Any]) -> None:
    async with client as session:
        async for event in session.subscribe(SUBSCRIBE):
            received.append(event["subscribe"])
            if len(received) == count:
                return


async def in_thread(function: Any, *args: Any) -> Any:
    return await asyncio.to_thread(function, *args)


def test_each_user_receives_only_their_own_pictures_events(stack: Stack) -> None:
    alice, bob = stack.sign_up("alice"), stack.sign_up("bob")
    before = stack.endpoint.hub.subscription_count()

    async def scenario() -> tuple[list[Any], list[Any], dict[str, Any]]:
        alice_events: list[Any] = []
        bob_events: list[Any] = []
        alice_listening = asyncio.create_task(
            collect(websocket_client(stack, jwt_auth(stack, alice)), 2, alice_events)
        )
        bob_listening = asyncio.create_task(
            collect(websocket_client(stack, jwt_auth(stack, bob)), 1, bob_events)
        )
        await in_thread(stack.wait_for_subscriptions, before + 2)
        created = await in_thread(
            stack.jwt_client(alice.id_token).execute,
            GraphQLRequest(CREATE, variable_values={"prompt": "a red fox"}),
        )
        pic = created["createAIPic"]
        # What the publish Lambda sends for each status change (SigV4, IAM auth).
        for status in ("PROCESSING", "COMPLETED"):
            await in_thread(stack.publish, alice.sub, {**pic, "completionStatus": status})
        await alice_listening
        # Bob's own event comes after Alice's: had hers reached him, he would see them first.
        await in_thread(stack.publish, bob.sub, {"id": "bobs-pic", "completionStatus": "FAILED"})
        await bob_listening
        return alice_events, bob_events, pic

    alice_events, bob_events, pic = run(scenario)
    assert [event["owner"] for event in alice_events] == [alice.sub, alice.sub]
    assert [json.loads(event["data"])["completionStatus"] for event in alice_events] == [
        "PROCESSING",
        "COMPLETED",
    ]
    assert json.loads(alice_events[0]["data"])["id"] == pic["id"]
    assert [event["owner"] for event in bob_events] == [bob.sub]
    assert json.loads(bob_events[0]["data"]) == {"id": "bobs-pic", "completionStatus": "FAILED"}


class NoAuthentication(AppSyncAuthentication):
    """Sends only the host: no Authorization at all."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get_headers(
        self, data: str | None = None, headers: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return {"host": self.host}


def test_a_subscription_without_authorization_is_refused(stack: Stack) -> None:
    async def scenario() -> None:
        await collect(websocket_client(stack, NoAuthentication(stack.host)), 1, [])

    with pytest.raises(TransportServerError) as raised:
        run(scenario)
    assert "UnauthorizedException" in str(raised.value)


def test_a_subscription_with_a_forged_token_is_refused(stack: Stack) -> None:
    user = stack.sign_up()
    head, body, _signature = user.id_token.split(".")
    forged = User(user.username, user.sub, f"{head}.{body}.{'A' * 342}", user.access_token)

    async def scenario() -> None:
        await collect(websocket_client(stack, jwt_auth(stack, forged)), 1, [])

    with pytest.raises(TransportServerError) as raised:
        run(scenario)
    assert "Unable to parse JWT token." in str(raised.value)


def test_an_iam_caller_may_not_subscribe(stack: Stack) -> None:
    from botocore.credentials import Credentials
    from gql.transport.appsync_auth import AppSyncIAMAuthentication

    from .conftest import PUBLISHER_KEY_ID, PUBLISHER_SECRET, REGION

    auth = AppSyncIAMAuthentication(
        host=stack.host,
        region_name=REGION,
        credentials=Credentials(PUBLISHER_KEY_ID, PUBLISHER_SECRET),
    )

    async def scenario() -> None:
        await collect(websocket_client(stack, auth), 1, [])

    with pytest.raises(TransportQueryError) as raised:
        run(scenario)
    # AppSync's error message carries {"errors": [...]}; gql hands that payload on whole.
    ((refusal,),) = [payload["errors"] for payload in raised.value.errors or []]
    assert refusal["errorType"] == "Unauthorized"
    assert refusal["message"] == "Not Authorized to access subscribe on type Subscription"
    assert refusal["path"] == ["subscribe"]
