"""A local stand-in for the API Gateway HTTP API in front of the webhook function.

Each request to 127.0.0.1 becomes a payload-format-2.0 event (``aws_events``), the
handler runs in-process with a Lambda-like context, and its ``{"statusCode", "headers",
"body"}`` answer becomes the HTTP response. Calls are serialised, as one Lambda execution
environment handles one request at a time.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from local.net import LocalHttpServer
from local.runtime.events import WEBHOOK_ROUTE_KEY, api_gateway_v2_event, lambda_context

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Invocation:
    event: dict[str, Any]
    response: dict[str, Any]


class HttpApiGateway(LocalHttpServer):
    """``POST /webhooks/replicate`` → ``handler(event, context)``; other routes 404."""

    def __init__(
        self,
        handler: LambdaHandler,
        *,
        route_key: str = WEBHOOK_ROUTE_KEY,
        function_name: str = "aipic-webhook",
    ) -> None:
        super().__init__(_GatewayRequestHandler)
        self.handler = handler
        self.route_key = route_key
        self.function_name = function_name
        self.invocations: list[Invocation] = []
        self._invoke_lock = threading.Lock()

    @property
    def route_path(self) -> str:
        return self.route_key.split(" ", 1)[1]

    @property
    def webhook_url(self) -> str:
        """Use as WEBHOOK_URL."""
        return f"{self.base_origin}{self.route_path}"

    def invoke(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
    ) -> dict[str, Any]:
        event = api_gateway_v2_event(
            body=body,
            headers=headers,
            raw_query_string=raw_query,
            method=method,
            raw_path=raw_path,
            route_key=self.route_key,
            source_ip=source_ip,
        )
        with self._invoke_lock:
            try:
                response = self.handler(event, lambda_context(self.function_name))
            except Exception:  # noqa: BLE001 - what API Gateway answers when the function errors
                response = {"statusCode": 500, "body": '{"message":"Internal Server Error"}'}
            self.invocations.append(Invocation(event, response))
        return response


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    server_version = "HttpApiGatewayStandIn/1.0"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _handle(self) -> None:
        gateway: HttpApiGateway = self.server.owner  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        if f"{self.command} {parts.path}" != gateway.route_key:
            self._send(404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}')
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = gateway.invoke(
            self.command, parts.path, parts.query, headers, body, self.client_address[0]
        )
        raw = response.get("body") or ""
        payload = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        self._send(
            int(response.get("statusCode", 200)), dict(response.get("headers") or {}), payload
        )

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()
