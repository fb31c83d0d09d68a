"""The local AppSync endpoint: GraphQL over HTTP and the real-time WebSocket, one port.

    api = api_from_repository(user_pool_id=..., region=..., table_name=...,
                              generate_function_arn=...)
    with AppSyncEndpoint(api, dynamodb_client=ddb, lambda_client=lam, region=region,
                         jwks_url=f"{emulator}/{pool_id}/.well-known/jwks.json",
                         iam_principals=static_principals({...})) as endpoint:
        endpoint.url           # http://127.0.0.1:<port>/graphql   (POST queries/mutations)
        endpoint.realtime_url  # ws://127.0.0.1:<port>/graphql     (subscriptions)

aiohttp serves both on one port in a thread of its own; resolvers run in worker threads
(the Node harness, boto3). ``POST /graphql``; WebSocket upgrades on ``/graphql`` (gql,
AppSync's documented client) and ``/graphql/realtime`` (where aws-amplify v6 goes for a
non-AppSync domain). CORS is answered as AppSync does, so a browser app can call it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, Self, TypeVar

from aiohttp import web
from botocore.client import BaseClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from local.appsync.api import ApiDefinition
from local.appsync.auth import (
    AuthenticationError,
    Authenticator,
    CognitoTokenVerifier,
    IamPrincipalLookup,
    SigV4Verifier,
)
from local.appsync.execution import (
    GraphQLService,
    MalformedRequestError,
    ParsedRequest,
    ResolverRunner,
)
from local.appsync.executor import AuthMode, NodeResolverRuntime
from local.appsync.faults import FieldFaults
from local.appsync.realtime import (
    CONNECTION_TIMEOUT_MS,
    KEEP_ALIVE_SECONDS,
    SUBPROTOCOL,
    RealtimeConnection,
    SubscriptionHub,
    connection_headers,
)
from local.net import LOOPBACK
from local.service import Service

Json = Any
_P = ParamSpec("_P")
_R = TypeVar("_R")
log = logging.getLogger(__name__)

GRAPHQL_PATH = "/graphql"
REALTIME_PATHS = (GRAPHQL_PATH, f"{GRAPHQL_PATH}/realtime")
MAX_REQUEST_BYTES = 1024 * 1024  # AppSync: 1 MB per request
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "authorization, content-type, x-amz-date, x-amz-security-token, x-amz-user-agent, "
        "x-api-key, x-amz-content-sha256"
    ),
    "Access-Control-Max-Age": "86400",
}
WORKER_THREADS = 8


def local_tls_context(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1/localhost in ``directory`` and a server
    context using it: (context, certificate path). Clients trust the certificate file
    (Node: NODE_EXTRA_CA_CERTS; Python: ssl.create_default_context(cafile=...)). Needed by
    aws-amplify, which always opens the real-time socket with wss://."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local AppSync endpoint")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / "appsync-local.crt"
    key_path = directory / "appsync-local.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate_path, key_path)
    return context, certificate_path


def _json_response(status: int, body: Json, extra: dict[str, str] | None = None) -> web.Response:
    headers = dict(CORS_HEADERS)
    headers.update(extra or {})
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
        charset="UTF-8",
        headers=headers,
    )


def _refusal(error: AuthenticationError) -> web.Response:
    return _json_response(error.status, error.as_body(), {"x-amzn-ErrorType": error.error_type})


class AppSyncEndpoint(Service):
    """A local AppSync GraphQL API serving ``api``; a context manager (start/stop).

    dynamodb_client / lambda_client: boto3 clients for the DynamoDB and Lambda data sources
    (the emulator; the function runtime's Invoke API). region: the API's region (SigV4
    scope). jwks_url: the Cognito user pool's JWKS (needed when a mode is Cognito).
    iam_principals: access key id -> IamPrincipal (needed for AWS_IAM). ssl_context: serve
    https/wss instead of http/ws. tls_context: also serve https/wss on a second port
    (``tls_url``), the same API and subscriptions (say, for aws-amplify beside plain-http
    callers). runtime: a NodeResolverRuntime to share (else its own).
    keep_alive_seconds / connection_timeout_ms: the ``ka`` interval and what connection_ack
    announces. port: 0 picks a free one.
    """

    def __init__(
        self,
        api: ApiDefinition,
        *,
        region: str,
        dynamodb_client: BaseClient | None = None,
        lambda_client: BaseClient | None = None,
        jwks_url: str | None = None,
        iam_principals: IamPrincipalLookup | None = None,
        ssl_context: ssl.SSLContext | None = None,
        tls_context: ssl.SSLContext | None = None,
        runtime: NodeResolverRuntime | None = None,
        keep_alive_seconds: float = KEEP_ALIVE_SECONDS,
        connection_timeout_ms: int = CONNECTION_TIMEOUT_MS,
        port: int = 0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.api = api
        self.region = region
        cognito = api.provider(AuthMode.COGNITO_USER_POOLS)
        if cognito is not None and jwks_url is None:
            raise ValueError("the API has a Cognito user pool mode: give the pool's jwks_url")
        if api.provider(AuthMode.IAM) is not None and iam_principals is None:
            raise ValueError("the API has an AWS_IAM mode: give iam_principals")
        clock = clock or time.time
        self._authenticator = Authenticator(
            api,
            cognito=(
                CognitoTokenVerifier(cognito.user_pool, jwks_url, clock=clock)
                if cognito is not None and cognito.user_pool is not None and jwks_url
                else None
            ),
            iam=(
                SigV4Verifier(region, iam_principals, clock=clock)
                if iam_principals is not None
                else None
            ),
        )
        self._owns_runtime = runtime is None
        self._runtime = runtime or NodeResolverRuntime()
        try:
            self._runner = ResolverRunner(
                api,
                runtime=self._runtime,
                dynamodb_client=dynamodb_client,
                lambda_client=lambda_client,
            )
            self.service = GraphQLService(api, self._runner)
        except BaseException:
            if self._owns_runtime:
                self._runtime.close()
            raise
        self._ssl_context = ssl_context
        self._keep_alive_seconds = keep_alive_seconds
        self._connection_timeout_ms = connection_timeout_ms
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, port))
        self._tls_context = tls_context
        self._tls_socket: socket.socket | None = None
        if tls_context is not None:
            self._tls_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._tls_socket.bind((LOOPBACK, 0))
        self._pool = concurrent.futures.ThreadPoolExecutor(
            WORKER_THREADS, thread_name_prefix="appsync-resolver"
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="appsync-endpoint", daemon=True
        )
        self._runner_web: web.AppRunner | None = None
        self._connections: set[RealtimeConnection] = set()
        self.hub = SubscriptionHub(self.service, self._offload)
        self._started = False

    @property
    def faults(self) -> FieldFaults:
        """Injected field failures (``faults.fail("publish", owners={...})``), off by default."""
        return self.service.faults

    # -- addresses

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def origin(self) -> str:
        return f"{'https' if self._ssl_context else 'http'}://{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        """The GraphQL URL (Amplify outputs' ``data.url``)."""
        return f"{self.origin}{GRAPHQL_PATH}"

    @property
    def realtime_url(self) -> str:
        """The real-time URL for clients that take one (gql's AppSyncWebsocketsTransport)."""
        return f"{'wss' if self._ssl_context else 'ws'}://{LOOPBACK}:{self.port}{GRAPHQL_PATH}"

    @property
    def tls_url(self) -> str:
        """The GraphQL URL of the second, TLS listener (``tls_context``)."""
        assert self._tls_socket is not None, "no tls_context given"
        return f"https://{LOOPBACK}:{self._tls_socket.getsockname()[1]}{GRAPHQL_PATH}"

    # -- life cycle

    def start(self) -> Self:
        if self._started:
            return self
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=30)
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            if self._runner_web is not None:
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
                try:
                    future.result(timeout=15)
                except (TimeoutError, concurrent.futures.TimeoutError):
                    log.warning("the AppSync endpoint did not shut down within 15 s")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._socket.close()
        if self._tls_socket is not None:
            self._tls_socket.close()
        self._runner.close()
        if self._owns_runtime:
            self._runtime.close()
        self._started = False

    async def _serve(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post(GRAPHQL_PATH, self._graphql)
        for path in REALTIME_PATHS:
            app.router.add_route("OPTIONS", path, self._preflight)
            app.router.add_get(path, self._realtime)
        self._runner_web = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner_web.setup()
        site = web.SockSite(self._runner_web, self._socket, ssl_context=self._ssl_context)
        await site.start()
        if self._tls_socket is not None:
            await web.SockSite(
                self._runner_web, self._tls_socket, ssl_context=self._tls_context
            ).start()

    async def _shutdown(self) -> None:
        for connection in list(self._connections):
            await connection.close(1001, "endpoint stopping")
        if self._runner_web is not None:
            await self._runner_web.cleanup()

    async def _offload(self, function: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return await self._loop.run_in_executor(
            self._pool, functools.partial(function, *args, **kwargs)
        )

    # -- HTTP

    async def _preflight(self, _request: web.Request) -> web.Response:
        return web.Response(status=200, headers=CORS_HEADERS)

    async def _graphql(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            caller = await self._offload(
                self._authenticator.authenticate,
                headers,
                url=f"https://{request.host}{request.path_qs}",
                body=body,
                source_ip=request.remote or LOOPBACK,
            )
        except AuthenticationError as refused:
            return _refusal(refused)
        try:
            parsed = self.service.parse_request(json.loads(body))
        except (ValueError, MalformedRequestError) as malformed:
            return _json_response(
                400,
                {
                    "errors": [
                        {"errorType": "MalformedHttpRequestException", "message": str(malformed)}
                    ]
                },
                {"x-amzn-ErrorType": "MalformedHttpRequestException"},
            )
        if not isinstance(parsed, ParsedRequest):
            return _json_response(200, {"data": None, "errors": parsed})
        response, events = await self._offload(self.service.execute, parsed, caller, headers)
        # Subscribers hear of a mutation before its caller gets the answer, as with AppSync
        # the order between the two is not promised; this one keeps tests deterministic.
        await self.hub.publish(events)
        return _json_response(200, response)

    # -- WebSocket

    async def _realtime(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return _json_response(
                405,
                {
                    "errors": [
                        {"errorType": "MethodNotAllowed", "message": "POST a GraphQL request"}
                    ]
                },
            )
        websocket = web.WebSocketResponse(protocols=(SUBPROTOCOL,), autoping=True)
        await websocket.prepare(request)
        headers, payload = connection_headers(request)
        connection = RealtimeConnection(
            websocket,
            hub=self.hub,
            service=self.service,
            authenticator=self._authenticator,
            offload=self._offload,
            host=request.host,
            source_ip=request.remote or LOOPBACK,
            connection_headers=headers,
            connection_payload=payload,
            keep_alive_seconds=self._keep_alive_seconds,
            connection_timeout_ms=self._connection_timeout_ms,
        )
        self._connections.add(connection)
        try:
            await connection.serve()
        finally:
            self._connections.discard(connection)
        return websocket
