"""Who may do what, through the whole local stack with gql's AppSync transports: a user
hears only their own pictures, only the publish function may publish, a token must be
the pool's and current, a subscription needs auth, a bad prompt writes nothing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import (
    AppSyncAuthentication,
    AppSyncIAMAuthentication,
    AppSyncJWTAuthentication,
)
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError, TransportServerError

from local.client import SUBSCRIBE, GraphQLResponseError, PicEvent, PictureClient, SignedInUser
from local.runtime.config import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from local.stack import LocalStack

from .conftest import (
    PICTURE_TIMEOUT_SECONDS,
    function_for,
    items_of,
    new_user,
    run_picture,
    settle,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PUBLISH = (
    "mutation Publish($owner: ID!, $data: AWSJSON!) "
    "{ publish(owner: $owner, data: $data) { owner data } }"
)


def host(client: PictureClient) -> str:
    return client.config.graphql_host


async def _next_event(events: Any) -> PicEvent:
    async with asyncio.timeout(PICTURE_TIMEOUT_SECONDS):
        event: PicEvent = await anext(events)
        return event


def test_a_second_user_receives_none_of_the_first_users_events(
    stack: LocalStack, client: PictureClient
) -> None:
    alice, bob = new_user(client, "alice"), new_user(client, "bob")

    async def scenario() -> tuple[list[PicEvent], list[PicEvent], str]:
        async with client.subscription(bob) as bobs_events:
            # Alice's whole picture, PROCESSING to COMPLETED, while Bob is subscribed.
            alices = await asyncio.to_thread(run_picture, stack, client, alice, "alice's owl")
            bobs_pic = await asyncio.to_thread(client.create, bob, "bob's badger")
            seen: list[PicEvent] = []
            while not seen or seen[-1].status != "COMPLETED":
                seen.append(await _next_event(bobs_events))
            return alices.events, seen, bobs_pic["id"]

    alices_events, bobs_events, bobs_pic_id = asyncio.run(scenario())
    assert [e.status for e in alices_events] == ["PROCESSING", "COMPLETED"]
    assert {e.owner for e in alices_events} == {alice.sub}
    # Bob's first event is his own: had any of Alice's reached him, it would come first.
    assert [(e.owner, e.pic["id"], e.status) for e in bobs_events] == [
        (bob.sub, bobs_pic_id, "PROCESSING"),
        (bob.sub, bobs_pic_id, "COMPLETED"),
    ]


def test_a_cognito_user_calling_publish_is_refused(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    cognito = Client(
        transport=AIOHTTPTransport(
            url=client.config.graphql_url,
            auth=AppSyncJWTAuthentication(host=host(client), jwt=user.id_token),
        )
    )
    # What the publish function signs with (the runtime's credentials), as the control.
    iam = Client(
        transport=AIOHTTPTransport(
            url=client.config.graphql_url,
            auth=AppSyncIAMAuthentication(
                host=host(client),
                region_name=stack.region,
                credentials=_credentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY),
            ),
        )
    )

    def publish(gql_client: Client, status: str) -> dict[str, Any]:
        data = f'{{"id": "forged-pic", "completionStatus": "{status}"}}'
        variables = {"owner": user.sub, "data": data}
        return gql_client.execute(GraphQLRequest(PUBLISH, variable_values=variables))

    async def scenario() -> tuple[TransportQueryError, PicEvent]:
        async with client.subscription(user) as events:
            with pytest.raises(TransportQueryError) as refused:
                await asyncio.to_thread(publish, cognito, "COMPLETED")
            await asyncio.to_thread(publish, iam, "FAILED")
            return refused.value, await _next_event(events)

    refusal, first_event = asyncio.run(scenario())
    (error,) = refusal.errors or []
    assert error["errorType"] == "Unauthorized"
    assert error["message"] == "Not Authorized to access publish on type Mutation"
    assert refusal.data == {"publish": None}
    # The subscriber's first event is the IAM one: the refused publish sent nothing.
    assert first_event.pic == {"id": "forged-pic", "completionStatus": "FAILED"}


def _credentials(key_id: str, secret: str) -> Any:
    from botocore.credentials import Credentials

    return Credentials(key_id, secret)


def _moto_signing_key() -> Any:
    """The private key the emulator (moto) signs the pool's tokens with."""
    from joserfc.jwk import RSAKey
    from moto.utilities.utils import load_resource

    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def _expired(user: SignedInUser) -> str:
    """The user's own ID token, signed with the pool's key, but expired a minute ago."""
    from joserfc import jwt as jose_jwt

    header = jwt.get_unverified_header(user.id_token)
    claims = jwt.decode(user.id_token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 3700, auth_time=now - 3700, exp=now - 60)
    return jose_jwt.encode({"alg": "RS256", "kid": header["kid"]}, claims, _moto_signing_key())


def _forged(user: SignedInUser) -> str:
    """The user's own claims, current, signed with a key that is not the pool's."""
    header = jwt.get_unverified_header(user.id_token)
    claims = jwt.decode(user.id_token, options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": header["kid"]})


@pytest.mark.parametrize(
    ("make_token", "message"),
    [(_expired, "Token has expired."), (_forged, "Unable to parse JWT token.")],
    ids=["expired", "forged"],
)
def test_an_expired_or_forged_token_is_refused(
    stack: LocalStack, client: PictureClient, user: SignedInUser, make_token: Any, message: str
) -> None:
    bad = SignedInUser(user.username, user.sub, make_token(user))

    with pytest.raises(GraphQLResponseError) as refused:
        client.list_pictures(bad)
    assert refused.value.error_types == ["UnauthorizedException"]
    assert str(refused.value) == message
    with pytest.raises(GraphQLResponseError):
        client.create(bad, "a picture nobody may create")
    assert items_of(stack, user.sub) == []

    async def subscribe() -> None:
        async with client.subscription(bad):
            pass

    with pytest.raises(TransportServerError, match=message):
        asyncio.run(subscribe())
    assert client.list_pictures(user) == []  # the genuine token still works


class NoAuthentication(AppSyncAuthentication):
    """Sends only the host: no Authorization at all."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get_headers(
        self, data: str | None = None, headers: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return {"host": self.host}


def test_a_subscription_without_auth_is_refused(client: PictureClient) -> None:
    async def subscribe() -> None:
        transport = AppSyncWebsocketsTransport(
            url=client.config.realtime_url, auth=NoAuthentication(host(client))
        )
        async with Client(transport=transport) as session:
            async for _ in session.subscribe(GraphQLRequest(SUBSCRIBE)):
                raise AssertionError("an event reached a subscription without auth")

    with pytest.raises(TransportServerError, match="UnauthorizedException"):
        asyncio.run(subscribe())


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("   ", "The prompt must not be empty"),
        ("x" * 1001, "The prompt must be at most 1000 characters (got 1001)"),
    ],
    ids=["blank", "too-long"],
)
def test_an_invalid_prompt_is_a_graphql_error_and_nothing_is_written(
    stack: LocalStack, client: PictureClient, user: SignedInUser, prompt: str, message: str
) -> None:
    generate = function_for(stack, "generate")
    calls_before = len(stack.runtime.invocations.records(generate.name))
    posts_before = len(stack.replicate.prediction_requests)

    with pytest.raises(GraphQLResponseError) as refused:
        client.create(user, prompt)

    (error,) = refused.value.errors
    assert error["errorType"] == "ValidationError"
    assert error["message"] == message
    assert error["path"] == ["createAIPic"]
    settle(stack)
    assert items_of(stack, user.sub) == []  # no picture, no quota counter
    assert len(stack.runtime.invocations.records(generate.name)) == calls_before
    assert len(stack.replicate.prediction_requests) == posts_before
    assert client.list_pictures(user) == []
