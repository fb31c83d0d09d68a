"""The local AppSync endpoint serving the repository's API, against moto's server (Cognito,
DynamoDB) and a fake Lambda Invoke API, for clients nobody here wrote (gql, aws-amplify).

One moto server, user pool, pics table and endpoint per session; each test signs up its
own users, so tests never see each other's pictures or events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import boto3
import jwt
import pytest
from botocore.credentials import Credentials
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncIAMAuthentication, AppSyncJWTAuthentication

from local.appsync.api import ApiDefinition, api_from_repository
from local.appsync.auth import IamPrincipal, static_principals
from local.appsync.executor import NodeResolverRuntime
from local.appsync.server import AppSyncEndpoint
from local.emulator.server import MotoServer
from local.pics_table import create_pics_table

from .fake_lambda import FakeLambda

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
TABLE_NAME = "aipic-appsync-pics"
GENERATE_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:aipic-generate"
PASSWORD = "Corr3ct-Horse-Battery!"
# What the publish Lambda's role session signs with; the endpoint knows these.
PUBLISHER_KEY_ID = "ASIAPUBLISHERTEST001"
PUBLISHER_SECRET = "publisher-secret-access-key-for-tests"
PUBLISHER = IamPrincipal(
    secret_access_key=PUBLISHER_SECRET,
    account_id=ACCOUNT_ID,
    user_arn=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/aipic-publish/aipic-publish",
    username="AROAPUBLISHERROLE0001:aipic-publish",
)
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

PUBLISH = gql(
    "mutation Publish($owner: ID!, $data: AWSJSON!) { publish(owner: $owner, data: $data) "
    "{ owner data } }"
)
CREATE = gql(
    "mutation Create($prompt: String!) { createAIPic(prompt: $prompt) "
    "{ id owner prompt completionStatus createdAt updatedAt imgId } }"
)
LIST = gql("query List { listAIPics(limit: 10) { items { id prompt owner } nextToken } }")
SUBSCRIBE = gql("subscription OnPic { subscribe { owner data } }")


@dataclass(frozen=True)
class User:
    username: str
    sub: str
    id_token: str
    access_token: str


@dataclass
class Stack:
    emulator: MotoServer
    endpoint: AppSyncEndpoint
    fake_lambda: FakeLambda
    dynamodb: Any
    lambda_client: Any
    api: ApiDefinition
    cognito: Any
    user_pool_id: str
    client_id: str
    _names: Iterator[int]

    @property
    def host(self) -> str:
        return urlparse(self.endpoint.url).netloc

    def sign_up(self, prefix: str = "user") -> User:
        username = f"{prefix}-{next(self._names)}-{uuid.uuid4().hex[:6]}"
        self.cognito.sign_up(ClientId=self.client_id, Username=username, Password=PASSWORD)
        self.cognito.admin_confirm_sign_up(UserPoolId=self.user_pool_id, Username=username)
        tokens = self.cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
        return User(username, claims["sub"], tokens["IdToken"], tokens["AccessToken"])

    def sign_up_again(self, user: User) -> User:
        """New tokens for a user (after a change such as a group membership)."""
        tokens = self.cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return User(user.username, user.sub, tokens["IdToken"], tokens["AccessToken"])

    def jwt_client(self, token: str, *, fetch_schema: bool = False) -> Client:
        transport = AIOHTTPTransport(
            url=self.endpoint.url, auth=AppSyncJWTAuthentication(host=self.host, jwt=token)
        )
        return Client(transport=transport, fetch_schema_from_transport=fetch_schema)

    def iam_client(self, key_id: str = PUBLISHER_KEY_ID, secret: str = PUBLISHER_SECRET) -> Client:
        auth = AppSyncIAMAuthentication(
            host=self.host, region_name=REGION, credentials=Credentials(key_id, secret)
        )
        return Client(transport=AIOHTTPTransport(url=self.endpoint.url, auth=auth))

    def publish(self, owner: str, data: dict[str, Any]) -> Any:
        """What the publish Lambda does: the SigV4-signed publish mutation."""
        return self.iam_client().execute(
            GraphQLRequest(PUBLISH, variable_values={"owner": owner, "data": json.dumps(data)})
        )

    def pictures_of(self, owner: str) -> list[dict[str, Any]]:
        items = self.dynamodb.scan(TableName=TABLE_NAME, ConsistentRead=True)["Items"]
        return [
            item
            for item in items
            if item.get("owner", {}).get("S") == owner and not item["id"]["S"].startswith("quota#")
        ]

    def wait_for_subscriptions(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.endpoint.hub.subscription_count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.endpoint.hub.subscription_count()} of {count} subscriptions started"
                )
            time.sleep(0.02)


@pytest.fixture(scope="session")
def emulator() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def resolver_runtime() -> Iterator[NodeResolverRuntime]:
    with NodeResolverRuntime() as runtime:
        yield runtime


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint_url, region_name=REGION, **EMULATOR_CREDENTIALS
    )


@pytest.fixture(scope="session")
def stack(emulator: MotoServer, resolver_runtime: NodeResolverRuntime) -> Iterator[Stack]:
    cognito = _client("cognito-idp", emulator.url)
    dynamodb = _client("dynamodb", emulator.url)
    pool_id = cognito.create_user_pool(PoolName="aipic-appsync-users")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="aipic-web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    create_pics_table(dynamodb, TABLE_NAME)
    api = api_from_repository(
        user_pool_id=pool_id,
        region=REGION,
        table_name=TABLE_NAME,
        generate_function_arn=GENERATE_ARN,
    )
    with FakeLambda() as fake_lambda:
        lambda_client = _client("lambda", fake_lambda.url)
        with AppSyncEndpoint(
            api,
            region=REGION,
            dynamodb_client=dynamodb,
            lambda_client=lambda_client,
            jwks_url=f"{emulator.url}/{pool_id}/.well-known/jwks.json",
            iam_principals=static_principals({PUBLISHER_KEY_ID: PUBLISHER}),
            runtime=resolver_runtime,
            keep_alive_seconds=1.0,
        ) as endpoint:
            yield Stack(
                emulator,
                endpoint,
                fake_lambda,
                dynamodb,
                lambda_client,
                api,
                cognito,
                pool_id,
                client_id,
                itertools.count(1),
            )


def run(coroutine_factory: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Run an async scenario to completion, bounded."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine_factory(), timeout)

    return asyncio.run(bounded())
