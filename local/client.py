"""A frontend's view of the stack, over the protocols AWS speaks, for the demo and the tests.

It reads only the client outputs (``local-outputs.json`` locally, ``client_outputs`` of the
dev/prod roots — Amplify Gen 2's shape) and then does what an app does:

- Cognito user pool: sign up, confirm (locally with the admin call, as an operator would),
  sign in → ID token;
- AppSync over HTTP with the ID token (gql's ``AppSyncJWTAuthentication``): ``createAIPic``,
  ``listAIPics``;
- AppSync's real-time WebSocket (gql's ``AppSyncWebsocketsTransport``): ``subscribe``;
- Cognito identity pool: the user's own AWS credentials (``GetId`` +
  ``GetCredentialsForIdentity`` with the ID token) → S3 ``GetObject`` of the picture.

    client = PictureClient(ClientConfig.from_outputs(json.loads(Path(...).read_text())))
    user = client.sign_up("ada@example.com", "a long password 1!")
    async with client.subscription(user) as events:
        pic = client.create(user, "a lighthouse at dawn")
        async for event in events: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from gql import Client, GraphQLRequest
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.requests import RequestsHTTPTransport

PIC_FIELDS = (
    "id owner prompt completionStatus createdAt updatedAt imgId failureReason progress deletedAt"
)
CREATE = f"mutation Create($prompt: String!) {{ createAIPic(prompt: $prompt) {{ {PIC_FIELDS} }} }}"
CANCEL = f"mutation Cancel($id: ID!) {{ cancelAIPic(id: $id) {{ {PIC_FIELDS} }} }}"
DELETE = f"mutation Delete($id: ID!) {{ deleteAIPic(id: $id) {{ {PIC_FIELDS} }} }}"
LIST = (
    "query List($limit: Int, $nextToken: String) { listAIPics(limit: $limit, nextToken: "
    f"$nextToken) {{ items {{ {PIC_FIELDS} }} nextToken }} }}"
)
SUBSCRIBE = "subscription Subscribe { subscribe { owner data } }"
ON_CHANGE = f"subscription OnChange {{ onAIPicChange {{ {PIC_FIELDS} }} }}"
FINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELED"})
# The emulator's operator credentials (moto accepts any; never real ones).
LOCAL_OPERATOR_KEY_ID = "AKIALOCALOPERATOR000"
LOCAL_OPERATOR_SECRET = "local-operator-fake-secret"  # noqa: S105 - fake, for the emulator


@dataclass(frozen=True)
class ClientConfig:
    """What a frontend is configured with: Amplify Gen 2's outputs, plus the local endpoints."""

    region: str
    user_pool_id: str
    user_pool_client_id: str
    identity_pool_id: str
    graphql_url: str
    realtime_url: str
    bucket_name: str
    # Locally, every AWS API is the emulator; None on AWS.
    aws_endpoint_url: str | None = None

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> ClientConfig:
        auth, data, storage = outputs["auth"], outputs["data"], outputs["storage"]
        custom = outputs.get("custom") or {}
        realtime = custom.get("realtime_url") or _realtime_url_on_aws(data["url"])
        return cls(
            region=auth["aws_region"],
            user_pool_id=auth["user_pool_id"],
            user_pool_client_id=auth["user_pool_client_id"],
            identity_pool_id=auth["identity_pool_id"],
            graphql_url=data["url"],
            realtime_url=realtime,
            bucket_name=storage["bucket_name"],
            aws_endpoint_url=custom.get("aws_endpoint_url"),
        )

    @property
    def graphql_host(self) -> str:
        return urlsplit(self.graphql_url).netloc

    @property
    def issuer(self) -> str:
        """The user pool as the identity pool's login provider names it."""
        return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def _realtime_url_on_aws(graphql_url: str) -> str:
    # AppSync's documented rule for its own domains.
    return graphql_url.replace("https://", "wss://").replace("appsync-api", "appsync-realtime-api")


@dataclass(frozen=True)
class SignedInUser:
    username: str
    sub: str
    id_token: str


@dataclass(frozen=True)
class PicEvent:
    """One subscription event: the owner and the picture as the publish mutation sent it."""

    owner: str
    pic: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.pic.get("completionStatus"))


class GraphQLResponseError(RuntimeError):
    """The API answered with ``errors``; ``errors`` holds them as AppSync sent them."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(error.get("message")) for error in errors))
        self.errors = errors

    @property
    def error_types(self) -> list[str]:
        return [str(error.get("errorType")) for error in self.errors]


class PictureClient:
    def __init__(self, config: ClientConfig, *, timeout_seconds: float = 30.0) -> None:
        self.config = config
        self._timeout = timeout_seconds
        self._boto_config = Config(
            region_name=config.region,
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            read_timeout=timeout_seconds,
        )

    # ------------------------------------------------------------------ Cognito

    def _admin_client(self, service: str) -> BaseClient:
        """An operator's client: locally the emulator accepts any credentials; on AWS the
        environment's own (the admin calls need IAM permissions a user never has)."""
        if self.config.aws_endpoint_url is None:
            return self._aws_client(service)
        return self._aws_client(
            service,
            aws_access_key_id=LOCAL_OPERATOR_KEY_ID,
            aws_secret_access_key=LOCAL_OPERATOR_SECRET,
        )

    def _aws_client(self, service: str, **credentials: str) -> BaseClient:
        return cast(
            BaseClient,
            boto3.client(
                service,
                endpoint_url=self.config.aws_endpoint_url,
                config=self._boto_config,
                **credentials,
            ),
        )

    def sign_up(self, email: str, password: str) -> SignedInUser:
        """Sign up, confirm with the operator's admin call, sign in (ADMIN_USER_PASSWORD_AUTH:
        the local root allows it; a browser would use SRP)."""
        idp = self._aws_client("cognito-idp")
        signed_up = idp.sign_up(
            ClientId=self.config.user_pool_client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        self._admin_client("cognito-idp").admin_confirm_sign_up(
            UserPoolId=self.config.user_pool_id, Username=email
        )
        return self.sign_in(email, password, sub=str(signed_up["UserSub"]))

    def sign_in(self, email: str, password: str, *, sub: str | None = None) -> SignedInUser:
        answer = self._admin_client("cognito-idp").admin_initiate_auth(
            UserPoolId=self.config.user_pool_id,
            ClientId=self.config.user_pool_client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        id_token = str(answer["AuthenticationResult"]["IdToken"])
        if sub is None:
            sub = str(_jwt_claims(id_token)["sub"])
        return SignedInUser(username=email, sub=sub, id_token=id_token)

    # ------------------------------------------------------------------ AppSync over HTTP

    def _http(self, user: SignedInUser) -> Client:
        transport = RequestsHTTPTransport(
            url=self.config.graphql_url,
            auth=None,
            headers=AppSyncJWTAuthentication(
                host=self.config.graphql_host, jwt=user.id_token
            ).get_headers(),
            timeout=int(self._timeout),
            retries=0,
        )
        return Client(transport=transport, fetch_schema_from_transport=False)

    def _execute(
        self, user: SignedInUser, document: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        from gql.transport.exceptions import TransportQueryError

        try:
            result = self._http(user).execute(GraphQLRequest(document, variable_values=variables))
        except TransportQueryError as error:
            raise GraphQLResponseError(list(error.errors or [])) from None
        return dict(result)

    def create(self, user: SignedInUser, prompt: str) -> dict[str, Any]:
        """``createAIPic``: the new picture (STARTED), or GraphQLResponseError."""
        return dict(self._execute(user, CREATE, {"prompt": prompt})["createAIPic"])

    def cancel(self, user: SignedInUser, pic_id: str) -> dict[str, Any]:
        """``cancelAIPic``: the picture, CANCELED, or GraphQLResponseError."""
        return dict(self._execute(user, CANCEL, {"id": pic_id})["cancelAIPic"])

    def delete(self, user: SignedInUser, pic_id: str) -> dict[str, Any]:
        """``deleteAIPic``: the picture as it was, with deletedAt, or GraphQLResponseError."""
        return dict(self._execute(user, DELETE, {"id": pic_id})["deleteAIPic"])

    def list_pictures(self, user: SignedInUser, limit: int = 20) -> list[dict[str, Any]]:
        page = self._execute(user, LIST, {"limit": limit})["listAIPics"]
        return [dict(item) for item in page["items"]]

    # ------------------------------------------------------------------ real-time

    @contextlib.asynccontextmanager
    async def subscription(
        self, user: SignedInUser, *, progress_steps: bool = False, typed: bool = False
    ) -> AsyncIterator[AsyncIterator[PicEvent]]:
        """Subscribed (AppSync's ``start_ack`` received) when the block starts; yields the
        events as they arrive, and raises what ended the subscription. A progress step
        repeats its picture's status; it is yielded only with ``progress_steps`` (a
        deletion is always yielded). ``typed``: ``onAIPicChange`` (the picture as
        ``AIPic``) instead of ``subscribe`` (``PicEvent`` with the picture as AWSJSON)."""
        transport = _StartAckTransport(
            url=self.config.realtime_url,
            auth=AppSyncJWTAuthentication(host=self.config.graphql_host, jwt=user.id_token),
        )
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            events: asyncio.Queue[PicEvent] = asyncio.Queue()

            last_change: dict[str, tuple[str, bool]] = {}

            async def listen() -> None:
                async for result in session.subscribe(
                    GraphQLRequest(ON_CHANGE if typed else SUBSCRIBE)
                ):
                    if typed:
                        pic = dict(result["onAIPicChange"])
                        event = PicEvent(str(pic.get("owner")), pic)
                    else:
                        payload = result["subscribe"]
                        event = PicEvent(payload["owner"], json.loads(payload["data"]))
                    pic_id = str(event.pic.get("id"))
                    change = (event.status, event.pic.get("deletedAt") is not None)
                    if not progress_steps and last_change.get(pic_id) == change:
                        continue
                    last_change[pic_id] = change
                    await events.put(event)

            listener = asyncio.create_task(listen())
            acknowledged = asyncio.ensure_future(transport.start_acknowledged.wait())
            await asyncio.wait(
                {acknowledged, listener}, timeout=self._timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if listener.done():
                listener.result()  # the subscription was refused: raise why
            if not acknowledged.done():
                acknowledged.cancel()
                listener.cancel()
                raise TimeoutError(f"no start_ack within {self._timeout:.0f}s")

            async def stream() -> AsyncIterator[PicEvent]:
                while True:
                    getter = asyncio.ensure_future(events.get())
                    done, _ = await asyncio.wait(
                        {getter, listener}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if getter in done:
                        yield getter.result()
                        continue
                    getter.cancel()
                    listener.result()
                    return

            try:
                yield stream()
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    # ------------------------------------------------------------------ S3

    def download(self, user: SignedInUser, key: str) -> bytes:
        """The picture, read with the user's own identity-pool credentials."""
        identity = self._aws_client("cognito-identity")
        logins = {self.config.issuer: user.id_token}
        identity_id = identity.get_id(IdentityPoolId=self.config.identity_pool_id, Logins=logins)[
            "IdentityId"
        ]
        credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
            "Credentials"
        ]
        s3 = self._aws_client(
            "s3",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return bytes(s3.get_object(Bucket=self.config.bucket_name, Key=key)["Body"].read())


class _StartAckTransport(AppSyncWebsocketsTransport):
    """gql's AppSync transport, observed: gql reads AppSync's ``start_ack`` but does not
    tell its caller, and a client must not create before it is subscribed."""

    def __init__(self, *, url: str, auth: AppSyncJWTAuthentication) -> None:
        super().__init__(url=url, auth=auth)
        self.start_acknowledged = asyncio.Event()

    def _parse_answer(self, answer: str) -> Any:  # noqa: ANN401 - gql's own return type
        parsed = super()._parse_answer(answer)
        if parsed[0] == "start_ack":
            self.start_acknowledged.set()
        return parsed


def _jwt_claims(token: str) -> dict[str, Any]:
    import base64

    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    return dict(json.loads(base64.urlsafe_b64decode(padded)))
