"""A data plane for the HTTP APIs the emulator holds: one 127.0.0.1 port per API.

Routes (``GET /pets/{id}``, ``ANY /{proxy+}``, ``$default``) are matched as API Gateway
does (the most specific path wins, a method before ANY, ``$default`` last) below the
stage's path (``$default`` at the root, a named stage under ``/<stage>``). AWS_PROXY
integrations with payload format 2.0 invoke the function synchronously; its answer is
mapped back (``http_api_event``). Not emulated: stage throttling, authorizers, CORS,
payload format 1.0, HTTP_PROXY integrations (each answers 500 and is logged).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from local.net import LocalHttpServer, owner_of
from local.runtime.config import HttpApi, HttpIntegration, HttpRoute
from local.runtime.http_api_event import (
    INTERNAL_ERROR,
    NOT_FOUND,
    SERVICE_UNAVAILABLE,
    HttpRequest,
    HttpResponse,
    http_api_event,
    http_api_response,
)
from local.runtime.invocations import InvocationResult

_log = logging.getLogger(__name__)
_FUNCTION_IN_URI = re.compile(r"functions/(?P<arn>[^/]+)/invocations")

# (function ARN, event payload, trigger) → the function's result
Invoker = Callable[[str, bytes, str], InvocationResult]


def integration_function(integration: HttpIntegration) -> str:
    """The function an AWS_PROXY integration targets (its ARN or API Gateway's invoke URI)."""
    found = _FUNCTION_IN_URI.search(integration.integration_uri)
    return found.group("arn") if found else integration.integration_uri


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute
    path_parameters: dict[str, str]


def _match_path(template: str, path: str) -> dict[str, str] | None:
    template_parts = template.strip("/").split("/")
    path_parts = path.strip("/").split("/")
    parameters: dict[str, str] = {}
    for index, part in enumerate(template_parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = "/".join(path_parts[index:])
            if not rest:
                return None
            parameters[part[1:-2]] = rest
            return parameters
        if index >= len(path_parts):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not path_parts[index]:
                return None
            parameters[part[1:-1]] = path_parts[index]
        elif part != path_parts[index]:
            return None
    return parameters if len(template_parts) == len(path_parts) else None


def match_route(routes: tuple[HttpRoute, ...], method: str, path: str) -> RouteMatch | None:
    best: tuple[tuple[int, int, int], RouteMatch] | None = None
    default: RouteMatch | None = None
    for route in routes:
        if route.route_key == "$default":
            default = RouteMatch(route, {})
            continue
        route_method, _, template = route.route_key.partition(" ")
        if route_method not in {method, "ANY"}:
            continue
        parameters = _match_path(template, path)
        if parameters is None:
            continue
        parts = template.strip("/").split("/")
        literal = sum(1 for p in parts if not p.startswith("{"))
        greedy = 0 if template.endswith("+}") else 1
        score = (literal, greedy, int(route_method == method))
        if best is None or score > best[0]:
            best = (score, RouteMatch(route, parameters))
    return best[1] if best else default


class HttpApiServer(LocalHttpServer):
    def __init__(self, api: HttpApi, invoke: Invoker, *, account_id: str, region: str) -> None:
        super().__init__(_RequestHandler)
        self.api = api
        self._invoke = invoke
        self._account_id = account_id
        self._region = region

    def _stage_and_path(self, raw_path: str) -> tuple[str, str] | None:
        if "$default" in self.api.stages:
            return "$default", raw_path
        for stage in self.api.stages:
            prefix = f"/{stage}"
            if raw_path == prefix or raw_path.startswith(prefix + "/"):
                return stage, raw_path[len(prefix) :] or "/"
        return None

    def handle(self, request: HttpRequest) -> HttpResponse:
        staged = self._stage_and_path(request.raw_path)
        if staged is None:
            return NOT_FOUND
        stage, path = staged
        matched = match_route(self.api.routes, request.method, path)
        if matched is None or matched.route.integration_id is None:
            return NOT_FOUND
        integration = self.api.integrations.get(matched.route.integration_id)
        if integration is None:
            return INTERNAL_ERROR
        if (
            integration.integration_type != "AWS_PROXY"
            or integration.payload_format_version != "2.0"
        ):
            _log.error(
                "api %s route %s: integration %s %s (payload %s) is not emulated",
                self.api.api_id,
                matched.route.route_key,
                integration.integration_id,
                integration.integration_type,
                integration.payload_format_version,
            )
            return INTERNAL_ERROR
        event = http_api_event(
            request,
            route_key=matched.route.route_key,
            path_parameters=matched.path_parameters,
            api_id=self.api.api_id,
            stage=stage,
            account_id=self._account_id,
            region=self._region,
        )
        return self._call(integration, event)

    def _call(self, integration: HttpIntegration, event: dict[str, object]) -> HttpResponse:
        outcome: list[HttpResponse] = []

        def run() -> None:
            try:
                result = self._invoke(
                    integration_function(integration),
                    json.dumps(event).encode(),
                    f"http-api:{self.api.api_id}",
                )
                outcome.append(http_api_response(result))
            except Exception:  # noqa: BLE001 - any failure to invoke is API Gateway's 500
                _log.exception("api %s: invoking the integration failed", self.api.api_id)
                outcome.append(INTERNAL_ERROR)

        # The integration timeout answers 503; the function itself runs on to its own.
        caller = threading.Thread(target=run, daemon=True)
        caller.start()
        caller.join(integration.timeout_millis / 1000)
        return outcome[0] if outcome else SERVICE_UNAVAILABLE


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "LocalHttpApi/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _handle(self) -> None:
        server = owner_of(self)
        assert isinstance(server, HttpApiServer)
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0") or 0)
        request = HttpRequest(
            method=self.command,
            raw_path=parts.path,
            raw_query=parts.query,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        response = server.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()
