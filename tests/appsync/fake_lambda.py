"""A small fake of Lambda's Invoke API on 127.0.0.1, for boto3's lambda client.

moto's Lambda would run functions in Docker, which is not here; the endpoint only needs
Invoke: ``POST /2015-03-31/functions/<name or ARN>/invocations`` with
``X-Amz-Invocation-Type`` RequestResponse (200 + the handler's JSON, or
``X-Amz-Function-Error: Unhandled``) or Event (202, handled in a thread).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from local.net import LocalHttpServer

Handler = Callable[[Any], Any]


@dataclass(frozen=True)
class Invocation:
    function: str
    invocation_type: str
    payload: Any


class FakeLambda(LocalHttpServer):
    """``handlers`` maps a function name or ARN to a callable(payload) -> result; a handler
    that raises answers as a function error. ``invocations`` records every call."""

    def __init__(self) -> None:
        super().__init__(_InvokeHandler)
        self.handlers: dict[str, Handler] = {}
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.base_origin

    def record(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)

    def invocations_of(self, function: str) -> list[Invocation]:
        with self._lock:
            return [i for i in self.invocations if i.function == function]


class _InvokeHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        fake: FakeLambda = self.server.owner  # type: ignore[attr-defined]
        parts = self.path.split("?", 1)[0].split("/")
        if (
            len(parts) != 5
            or parts[1:3] != ["2015-03-31", "functions"]
            or parts[4] != "invocations"
        ):
            self._send(404, b'{"message": "not found"}')
            return
        function = unquote(parts[3])
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = json.loads(body) if body else None
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        fake.record(Invocation(function, invocation_type, payload))
        handler = fake.handlers.get(function, lambda _payload: None)
        if invocation_type == "Event":
            threading.Thread(target=handler, args=(payload,), daemon=True).start()
            self._send(202, b"")
            return
        try:
            result = handler(payload)
        except Exception as error:  # a function error, as Lambda reports it
            failure = {"errorMessage": str(error), "errorType": type(error).__name__}
            self._send(200, json.dumps(failure).encode(), {"X-Amz-Function-Error": "Unhandled"})
            return
        self._send(200, json.dumps(result).encode())
