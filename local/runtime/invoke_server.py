"""Lambda's Invoke API on 127.0.0.1: ``POST /2015-03-31/functions/{name}/invocations``.

boto3's lambda client pointed at it works (``endpoint_url=runtime.invoke_url``).
``X-Amz-Invocation-Type``: ``RequestResponse`` (200 with the result; a function error is
200 with ``X-Amz-Function-Error: Unhandled`` and Lambda's error JSON), ``Event`` (202, run
by the async invoker with retries and destinations), ``DryRun`` (204).
``X-Amz-Log-Type: Tail`` returns the last 4 KB of the call's log in ``X-Amz-Log-Result``.
The emulator forwards the invocations moto would have performed (S3 notifications, its
own Invoke API) here; ``X-Local-Trigger`` (optional, not AWS's) names the trigger in the
invocation log.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from local.net import LocalHttpServer, owner_of
from local.runtime.functions import FunctionNotFoundError
from local.runtime.invocations import InvocationResult
from local.runtime.workers import TooManyRequestsError

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
TRIGGER_HEADER = "X-Local-Trigger"

# (function name or ARN, payload, trigger) → result
SyncInvoker = Callable[[str, bytes, str], InvocationResult]
# (function name or ARN, payload, trigger) → request id; FunctionNotFoundError when unknown
AsyncSubmitter = Callable[[str, bytes, str], str]
# function name or ARN → raises FunctionNotFoundError when unknown
Resolver = Callable[[str], object]


class InvokeServer(LocalHttpServer):
    def __init__(self, invoke: SyncInvoker, submit: AsyncSubmitter, resolve: Resolver) -> None:
        super().__init__(_InvokeHandler)
        self.invoke = invoke
        self.submit = submit
        self.resolve = resolve


class _InvokeHandler(BaseHTTPRequestHandler):
    server_version = "LocalLambda/1.0"
    protocol_version = "HTTP/1.1"

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

    def _error(self, status: int, error_type: str, message: str) -> None:
        body = json.dumps({"Type": "User", "message": message}).encode()
        self._send(status, body, {"x-amzn-ErrorType": error_type})

    def do_POST(self) -> None:
        server = owner_of(self)
        assert isinstance(server, InvokeServer)
        length = int(self.headers.get("Content-Length", "0") or 0)
        payload = self.rfile.read(length) if length else b""
        found = _INVOKE_PATH.match(urlsplit(self.path).path)
        if found is None:
            self._error(404, "UnknownOperationException", f"Unknown operation {self.path}")
            return
        name = unquote(found.group("name"))
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        trigger = self.headers.get(TRIGGER_HEADER, "invoke-api")
        if payload:
            try:
                json.loads(payload)
            except ValueError as error:
                self._error(
                    400,
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: {error}",
                )
                return
        try:
            if invocation_type == "DryRun":
                server.resolve(name)
                self._send(204, b"")
            elif invocation_type == "Event":
                request_id = server.submit(name, payload, trigger)
                self._send(202, b"", {"x-amzn-RequestId": request_id})
            elif invocation_type == "RequestResponse":
                self._respond(server.invoke(name, payload, trigger))
            else:
                self._error(
                    400,
                    "InvalidParameterValueException",
                    f"Unsupported invocation type {invocation_type}",
                )
        except FunctionNotFoundError as error:
            self._error(404, "ResourceNotFoundException", str(error))
        except TooManyRequestsError as error:
            self._error(429, "TooManyRequestsException", str(error))

    def _respond(self, result: InvocationResult) -> None:
        headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": result.request_id}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if self.headers.get("X-Amz-Log-Type") == "Tail":
            tail = result.log_tail.encode()[-4096:]
            headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode()
        self._send(200, result.payload, headers)
