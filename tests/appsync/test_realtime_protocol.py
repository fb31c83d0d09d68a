"""AppSync's real-time protocol message by message (a raw WebSocket client): what gql and
Amplify rely on, and the connection errors they expect."""

from __future__ import annotations

import base64
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from .conftest import Stack, User, run

SUBSCRIPTION = json.dumps({"query": "subscription { subscribe { owner data } }", "variables": {}})


def encoded(headers: dict[str, Any], *, url_safe: bool = False) -> str:
    raw = json.dumps(headers).encode()
    if url_safe:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


def auth_headers(stack: Stack, user: User) -> dict[str, str]:
    return {"host": stack.host, "Authorization": user.id_token}


async def receive(websocket: ClientConnection, skip_ka: bool = True) -> dict[str, Any]:
    while True:
        message = json.loads(await websocket.recv())
        if not (skip_ka and message["type"] == "ka"):
            return message


def test_handshake_start_data_stop_as_appsync_documents_them(stack: Stack) -> None:
    user = stack.sign_up()
    url = f"{stack.endpoint.realtime_url}?header={encoded(auth_headers(stack, user))}&payload=e30="

    async def scenario() -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        async with connect(url, subprotocols=["graphql-ws"]) as websocket:  # type: ignore[list-item]
            assert websocket.subprotocol == "graphql-ws"
            await websocket.send(json.dumps({"type": "connection_init"}))
            seen.append(await receive(websocket))
            seen.append(await receive(websocket, skip_ka=False))  # a ka at once
            start = {
                "id": "sub-1",
                "type": "start",
                "payload": {
                    "data": SUBSCRIPTION,
                    "extensions": {"authorization": auth_headers(stack, user)},
                },
            }
            await websocket.send(json.dumps(start))
            seen.append(await receive(websocket))
            await websocket.send(json.dumps({**start, "id": "sub-1"}))
            seen.append(await receive(websocket))  # the same id again
            import asyncio

            await asyncio.to_thread(stack.publish, user.sub, {"id": "p-1"})
            seen.append(await receive(websocket))
            await websocket.send(json.dumps({"type": "stop", "id": "sub-1"}))
            seen.append(await receive(websocket))
            await websocket.send(json.dumps({"type": "subscribe", "id": "x"}))
            seen.append(await receive(websocket))
        return seen

    ack, keep_alive, start_ack, duplicate, data, complete, unsupported = run(scenario)
    assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
    assert keep_alive == {"type": "ka"}
    assert start_ack == {"type": "start_ack", "id": "sub-1"}
    assert duplicate["type"] == "error"
    assert duplicate["id"] == "sub-1"
    assert duplicate["payload"]["errors"][0]["errorType"] == "DuplicatedOperationError"
    assert data == {
        "type": "data",
        "id": "sub-1",
        "payload": {"data": {"subscribe": {"owner": user.sub, "data": '{"id":"p-1"}'}}},
    }
    assert complete == {"type": "complete", "id": "sub-1"}
    assert unsupported["payload"]["errors"] == [
        {
            "errorType": "UnsupportedOperation",
            "message": "subscribe not supported through the realtime channel",
        }
    ]


def test_amplify_style_connection_header_subprotocol_on_the_realtime_path(stack: Stack) -> None:
    # aws-amplify v6 puts the connection's headers in a "header-<base64url>" subprotocol
    # and, for a domain that is not AppSync's, connects to <graphql url>/realtime.
    user = stack.sign_up()
    url = f"{stack.endpoint.realtime_url}/realtime"
    header_protocol = f"header-{encoded(auth_headers(stack, user), url_safe=True)}"

    async def scenario() -> dict[str, Any]:
        async with connect(url, subprotocols=["graphql-ws", header_protocol]) as websocket:  # type: ignore[list-item]
            await websocket.send(json.dumps({"type": "connection_init"}))
            return await receive(websocket)

    assert run(scenario)["type"] == "connection_ack"


def test_a_connection_without_authorization_gets_a_connection_error(stack: Stack) -> None:
    async def scenario() -> tuple[dict[str, Any], int | None]:
        async with connect(stack.endpoint.realtime_url, subprotocols=["graphql-ws"]) as websocket:  # type: ignore[list-item]
            await websocket.send(json.dumps({"type": "connection_init"}))
            message = await receive(websocket)
            await websocket.wait_closed()
            return message, websocket.close_code

    message, close_code = run(scenario)
    assert message == {
        "type": "connection_error",
        "payload": {
            "errors": [
                {
                    "errorType": "UnauthorizedException",
                    "message": "Missing authorization header",
                    "errorCode": 401,
                }
            ]
        },
    }
    assert close_code == 1000


def test_a_start_without_its_own_authorization_is_refused(stack: Stack) -> None:
    user = stack.sign_up()
    url = f"{stack.endpoint.realtime_url}?header={encoded(auth_headers(stack, user))}&payload=e30="

    async def scenario() -> dict[str, Any]:
        async with connect(url, subprotocols=["graphql-ws"]) as websocket:  # type: ignore[list-item]
            await websocket.send(json.dumps({"type": "connection_init"}))
            await receive(websocket)
            await websocket.send(
                json.dumps({"id": "s", "type": "start", "payload": {"data": SUBSCRIPTION}})
            )
            return await receive(websocket)

    assert run(scenario) == {
        "type": "error",
        "id": "s",
        "payload": {
            "errors": [
                {"errorType": "UnauthorizedException", "message": "Missing authorization header"}
            ]
        },
    }
