"""AppSync's real-time WebSocket protocol (subprotocol ``graphql-ws``) and the fan-out of
mutation results to subscriptions.

Connection: ``GET /graphql`` or ``/graphql/realtime`` upgraded to a WebSocket. The
connection's authorization headers come base64-encoded in the ``header`` query parameter
(gql, AppSync's documented client) or in a ``header-<base64url>`` subprotocol (aws-amplify
v6); ``payload`` is base64 ``{}``. IAM headers are signed for ``POST /graphql/connect``
with body ``{}``.

Messages: ``connection_init`` -> ``connection_ack`` {connectionTimeoutMs} (or
``connection_error`` with errorCode 401 when the connection's authorization fails), then
``ka`` at once and every keep-alive interval; ``start`` {id, payload: {data: "<JSON of
query/variables>", extensions: {authorization: {...}}}} -> ``start_ack`` or ``error``;
events as ``data``; ``stop`` -> ``complete``. Each start is authorized on its own headers
(IAM: signed for ``POST /graphql`` with the data string as body).

An event reaches a subscription when its field is named by the mutation's
@aws_subscribe, the subscription's arguments equal the event's fields of the same name,
and the enhanced filter its resolver set (extensions.setSubscriptionFilter) matches.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from local.appsync.auth import AuthenticationError, Authenticator, Caller
from local.appsync.execution import (
    GraphQLService,
    MalformedRequestError,
    MutationEvent,
    ParsedRequest,
)
from local.appsync.executor import subscription_filter_matches

Json = Any
SUBPROTOCOL = "graphql-ws"
HEADER_SUBPROTOCOL_PREFIX = "header-"
# AppSync's figures: a client may wait 5 minutes for a "ka"; AppSync sends one a minute.
CONNECTION_TIMEOUT_MS = 300_000
KEEP_ALIVE_SECONDS = 60.0
# AppSync closes a connection after 24 hours; so does this endpoint (every loop ends).
MAX_CONNECTION_SECONDS = 24 * 3600.0
# This endpoint's bound (every client gets the same answer when it is passed).
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
MAX_DELIVERIES_KEPT = 1000

log = logging.getLogger(__name__)

Offload = Callable[..., Awaitable[Any]]
"""Runs a blocking call in the endpoint's worker threads: ``await offload(fn, *args)``."""


def decode_base64_json(text: str) -> Json:
    """base64 (standard or URL-safe, padded or not) JSON, as clients send it."""
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return json.loads(raw)
    except (binascii.Error, ValueError):
        raise ValueError("not base64-encoded JSON") from None


def _lower(headers: Mapping[str, Json]) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in headers.items()}


@dataclass
class Subscription:
    id: str
    connection: RealtimeConnection
    field_name: str
    arguments: dict[str, Json]
    subscription_filter: Json
    request: ParsedRequest
    caller: Caller
    headers: dict[str, str]

    def wants(self, event: MutationEvent) -> bool:
        payload = event.payload if isinstance(event.payload, Mapping) else {}
        for name, expected in self.arguments.items():
            if expected is not None and payload.get(name) != expected:
                return False
        if self.subscription_filter:
            return subscription_filter_matches(self.subscription_filter, payload)
        return True


@dataclass
class DeliveredEvent:
    """A ``data`` message sent to one subscription (kept for tests and the demo)."""

    subscription_id: str
    mutation: str
    payload: Json
    at: float = field(default_factory=time.time)


class SubscriptionHub:
    """The live subscriptions of all connections, and the fan-out of mutation events."""

    def __init__(self, service: GraphQLService, offload: Offload) -> None:
        self._service = service
        self._offload = offload
        self._subscriptions: dict[tuple[int, str], Subscription] = {}
        # The latest deliveries (bounded: `make up` runs for hours).
        self.delivered: deque[DeliveredEvent] = deque(maxlen=MAX_DELIVERIES_KEPT)

    def add(self, subscription: Subscription) -> None:
        self._subscriptions[(id(subscription.connection), subscription.id)] = subscription

    def remove(self, connection: RealtimeConnection, subscription_id: str) -> bool:
        return self._subscriptions.pop((id(connection), subscription_id), None) is not None

    def remove_connection(self, connection: RealtimeConnection) -> None:
        for key in [key for key in self._subscriptions if key[0] == id(connection)]:
            del self._subscriptions[key]

    def count(self, connection: RealtimeConnection) -> int:
        return sum(1 for key in self._subscriptions if key[0] == id(connection))

    def subscription_count(self) -> int:
        """Live subscriptions over all connections."""
        return len(self._subscriptions)

    def has(self, connection: RealtimeConnection, subscription_id: str) -> bool:
        return (id(connection), subscription_id) in self._subscriptions

    async def publish(self, events: list[MutationEvent]) -> None:
        for event in events:
            fields = set(self._service.triggers.get(event.mutation, ()))
            for subscription in list(self._subscriptions.values()):
                if subscription.field_name not in fields or not subscription.wants(event):
                    continue
                payload = await self._offload(
                    self._service.deliver,
                    subscription.request,
                    subscription.caller,
                    subscription.headers,
                    event.payload,
                )
                sent = await subscription.connection.send(
                    {"type": "data", "id": subscription.id, "payload": payload}
                )
                if sent:
                    self.delivered.append(DeliveredEvent(subscription.id, event.mutation, payload))


class RealtimeConnection:
    """One client's WebSocket: the protocol above, until the client or the endpoint ends it."""

    def __init__(
        self,
        websocket: web.WebSocketResponse,
        *,
        hub: SubscriptionHub,
        service: GraphQLService,
        authenticator: Authenticator,
        offload: Offload,
        host: str,
        source_ip: str,
        connection_headers: Mapping[str, Json] | None,
        connection_payload: str,
        keep_alive_seconds: float,
        connection_timeout_ms: int,
    ) -> None:
        self._ws = websocket
        self._hub = hub
        self._service = service
        self._authenticator = authenticator
        self._offload = offload
        self._host = host
        self._source_ip = source_ip
        self._connection_headers = connection_headers
        self._connection_payload = connection_payload
        self._keep_alive_seconds = keep_alive_seconds
        self._connection_timeout_ms = connection_timeout_ms
        self._acknowledged = False
        self._keep_alive: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()

    async def send(self, message: Mapping[str, Json]) -> bool:
        if self._ws.closed:
            return False
        async with self._send_lock:
            try:
                await self._ws.send_str(json.dumps(message, separators=(",", ":")))
            except (ConnectionError, RuntimeError):
                return False
        return True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code=code, message=reason.encode())

    async def serve(self) -> None:
        deadline = time.monotonic() + MAX_CONNECTION_SECONDS
        try:
            while not self._ws.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    await self.close(1000, "connection lifetime reached")
                    break
                try:
                    message = await self._ws.receive(timeout=remaining)
                except TimeoutError:
                    continue
                if message.type is WSMsgType.TEXT:
                    await self._handle(message.data)
                elif message.type in (
                    WSMsgType.CLOSE,
                    WSMsgType.CLOSING,
                    WSMsgType.CLOSED,
                    WSMsgType.ERROR,
                ):
                    break
        finally:
            self._hub.remove_connection(self)
            if self._keep_alive is not None:
                self._keep_alive.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._keep_alive

    async def _keep_alive_loop(self) -> None:
        while not self._ws.closed:
            if not await self.send({"type": "ka"}):
                return
            await asyncio.sleep(self._keep_alive_seconds)

    async def _handle(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self._error(None, "MalformedMessage", "The message is not valid JSON")
            return
        if not isinstance(message, dict):
            await self._error(None, "MalformedMessage", "The message is not a JSON object")
            return
        kind = message.get("type")
        if kind == "connection_init":
            await self._init()
        elif kind == "start":
            await self._start(message)
        elif kind == "stop":
            await self._stop(message)
        else:
            await self._error(
                message.get("id"),
                "UnsupportedOperation",
                f"{kind if isinstance(kind, str) else 'unknown'} not supported through the "
                "realtime channel",
            )

    async def _error(self, subscription_id: Json, error_type: str, text: str) -> None:
        payload = {"errors": [{"errorType": error_type, "message": text}]}
        message: dict[str, Json] = {"type": "error", "payload": payload}
        if isinstance(subscription_id, str):
            message["id"] = subscription_id
        await self.send(message)

    async def _authenticate(
        self, headers: Mapping[str, Json] | None, path: str, body: str
    ) -> Caller:
        if not isinstance(headers, Mapping) or not headers:
            raise AuthenticationError(401, "UnauthorizedException", "Missing authorization header")
        lowered = _lower(headers)
        host = lowered.get("host", self._host)
        caller: Caller = await self._offload(
            self._authenticator.authenticate,
            lowered,
            url=f"https://{host}{path}",
            body=body.encode(),
            source_ip=self._source_ip,
        )
        return caller

    async def _init(self) -> None:
        if self._acknowledged:
            return
        try:
            await self._authenticate(
                self._connection_headers, "/graphql/connect", self._connection_payload
            )
        except AuthenticationError as refused:
            error = {"errorType": refused.error_type, "message": refused.message}
            error["errorCode"] = refused.status  # type: ignore[assignment]
            await self.send({"type": "connection_error", "payload": {"errors": [error]}})
            await self.close(1000, "connection_error")
            return
        self._acknowledged = True
        await self.send(
            {
                "type": "connection_ack",
                "payload": {"connectionTimeoutMs": self._connection_timeout_ms},
            }
        )
        self._keep_alive = asyncio.create_task(self._keep_alive_loop())

    async def _start(self, message: Mapping[str, Json]) -> None:
        subscription_id = message.get("id")
        if not isinstance(subscription_id, str) or not subscription_id:
            await self._error(None, "MalformedMessage", "A start message needs a string id")
            return
        if not self._acknowledged:
            await self._error(
                subscription_id, "UnauthorizedException", "The connection is not initialized"
            )
            return
        if self._hub.has(self, subscription_id):
            await self._error(
                subscription_id, "DuplicatedOperationError", "Subscription ID already in use"
            )
            return
        if self._hub.count(self) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            await self._error(
                subscription_id,
                "MaxSubscriptionsReachedError",
                f"at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection",
            )
            return
        payload = message.get("payload")
        data = payload.get("data") if isinstance(payload, Mapping) else None
        extensions = payload.get("extensions") if isinstance(payload, Mapping) else None
        if not isinstance(data, str):
            await self._error(subscription_id, "MalformedMessage", "payload.data must be a string")
            return
        authorization = extensions.get("authorization") if isinstance(extensions, Mapping) else None
        try:
            caller = await self._authenticate(authorization, "/graphql", data)
        except AuthenticationError as refused:
            await self._error(subscription_id, refused.error_type, refused.message)
            return
        try:
            parsed = self._service.parse_request(json.loads(data))
        except (ValueError, MalformedRequestError) as malformed:
            await self._error(subscription_id, "MalformedMessage", str(malformed))
            return
        if not isinstance(parsed, ParsedRequest):
            await self.send({"type": "error", "id": subscription_id, "payload": {"errors": parsed}})
            return
        headers = _lower(authorization or {})
        started = await self._offload(self._service.start_subscription, parsed, caller, headers)
        if isinstance(started, list):
            await self.send(
                {"type": "error", "id": subscription_id, "payload": {"errors": started}}
            )
            return
        field_name, arguments, effects = started
        self._hub.add(
            Subscription(
                subscription_id,
                self,
                field_name,
                arguments,
                effects.subscription_filter,
                parsed,
                caller,
                headers,
            )
        )
        await self.send({"type": "start_ack", "id": subscription_id})

    async def _stop(self, message: Mapping[str, Json]) -> None:
        subscription_id = message.get("id")
        if isinstance(subscription_id, str) and self._hub.remove(self, subscription_id):
            await self.send({"type": "complete", "id": subscription_id})
        else:
            await self._error(subscription_id, "UnknownOperationError", "Unknown subscription id")


def connection_headers(request: web.Request) -> tuple[Mapping[str, Json] | None, str]:
    """(the connection's authorization headers, its payload text) from the upgrade request."""
    headers: Json = None
    encoded = request.query.get("header")
    if encoded is None:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        encoded = next(
            (
                value.strip()[len(HEADER_SUBPROTOCOL_PREFIX) :]
                for value in offered.split(",")
                if value.strip().startswith(HEADER_SUBPROTOCOL_PREFIX)
            ),
            None,
        )
    if encoded:
        with contextlib.suppress(ValueError):
            headers = decode_base64_json(encoded)
    payload_text = "{}"
    if "payload" in request.query:
        try:
            payload_text = json.dumps(
                decode_base64_json(request.query["payload"]), separators=(",", ":")
            )
        except ValueError:
            payload_text = "{}"
    return (headers if isinstance(headers, Mapping) else None), payload_text
