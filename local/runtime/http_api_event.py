"""API Gateway HTTP API's Lambda proxy integration, payload format 2.0: event and response.

The event as documented (version, routeKey, rawPath, rawQueryString, cookies, headers
lower-cased and repeated ones comma-joined, queryStringParameters, pathParameters,
requestContext, body, isBase64Encoded) and the mapping of the function's answer to the
HTTP response (a ``statusCode`` object, or any other JSON as a 200 application/json).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from local.runtime.invocations import InvocationResult

_TEXT_TYPES = ("text/", "json", "xml", "javascript", "graphql")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str  # as received, stage prefix included
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _is_text(content_type: str | None, body: bytes) -> bool:
    if content_type is None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    lowered = content_type.lower()
    return any(marker in lowered for marker in _TEXT_TYPES)


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def http_api_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: dict[str, str],
    api_id: str,
    stage: str,
    account_id: str,
    region: str,
) -> dict[str, Any]:
    headers = _joined((name.lower(), value) for name, value in request.headers)
    cookie_header = headers.pop("cookie", None)
    encode = bool(request.body) and not _is_text(headers.get("content-type"), request.body)
    now = datetime.now(UTC)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": base64.b32encode(uuid.uuid4().bytes)[:16].decode(),
            "routeKey": route_key,
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": encode,
    }
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.split(";") if c.strip()]
    query = _joined(parse_qsl(request.raw_query, keep_blank_values=True))
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        event["body"] = (
            base64.b64encode(request.body).decode() if encode else request.body.decode("utf-8")
        )
    return event


INTERNAL_ERROR = HttpResponse(
    500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}'
)
SERVICE_UNAVAILABLE = HttpResponse(
    503, [("Content-Type", "application/json")], b'{"message":"Service Unavailable"}'
)
NOT_FOUND = HttpResponse(404, [("Content-Type", "application/json")], b'{"message":"Not Found"}')


def http_api_response(result: InvocationResult) -> HttpResponse:
    """Format 2.0's response mapping; a function error or malformed answer is a 500."""
    if not result.succeeded:
        return INTERNAL_ERROR
    try:
        answer = json.loads(result.payload) if result.payload else None
    except ValueError:
        return INTERNAL_ERROR
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return HttpResponse(200, [("Content-Type", "application/json")], result.payload)
    try:
        status = int(answer["statusCode"])
        raw_body = answer.get("body") or ""
        if not isinstance(raw_body, str):
            return INTERNAL_ERROR
        body = base64.b64decode(raw_body) if answer.get("isBase64Encoded") else raw_body.encode()
        headers = [(str(k), str(v)) for k, v in (answer.get("headers") or {}).items()]
        headers += [("Set-Cookie", str(cookie)) for cookie in answer.get("cookies") or []]
    except (TypeError, ValueError, AttributeError):
        return INTERNAL_ERROR
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, body)
