"""Lambda: every invocation goes to the project's function runtime (or is recorded), never Docker.

moto 5.2.5 runs a function in Docker whenever it invokes one: the Invoke API, an S3 bucket
notification, SNS, a log subscription, an SQS mapping, a DynamoDB stream mapping. Here
there is no Docker, so the records are dropped (and for a stream mapping, moto clears the
shard's records once it has "delivered" them).

Contract with the runtime (``--lambda-runtime-url URL``): each invocation is Lambda's own
Invoke wire call, ``POST {URL}/2015-03-31/functions/{function name or ARN}/invocations``
(``?Qualifier=`` when the caller gave one) with ``X-Amz-Invocation-Type: Event`` or
``RequestResponse`` and the payload as the body. For the Invoke API the runtime's status,
body and ``X-Amz-Function-Error`` / ``X-Amz-Executed-Version`` / ``X-Amz-Log-Result``
headers go back to the caller unchanged; moto's own callers (S3 notifications and the
rest) are asynchronous in AWS and are sent as ``Event``. Without a runtime URL, nothing
runs: an Invoke answers ``null`` (202 for ``Event``).

Every invocation, forwarded or not, is recorded (the last ``LOG_LIMIT``) and listed at
``GET /_local/lambda/invocations`` (JSON; ``DELETE`` clears the list).

moto's DynamoDB-stream push is switched off: the runtime polls the stream through the
DynamoDB Streams API, as Lambda's poller does, and the records stay in the shard for it.

Hooks: ``moto.awslambda.models.LambdaFunction.invoke`` (what every moto caller ends in),
``moto.awslambda.responses.LambdaResponse.invoke`` (the Invoke API, so the runtime's
status reaches the caller), ``moto.awslambda.models.LambdaBackend.send_dynamodb_items``
(the stream push).
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

import requests
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse

from local.emulator.patches._hooks import original, replace

INVOKE_PATH = "/2015-03-31/functions/{function}/invocations"
LOG_LIMIT = 1000
# A function's own timeout bounds a RequestResponse call; Event only needs the 202.
EVENT_TIMEOUT_SECONDS = 10.0
RESPONSE_MARGIN_SECONDS = 5.0
PASSED_HEADERS = ("X-Amz-Function-Error", "X-Amz-Executed-Version", "X-Amz-Log-Result")


class InvocationLog:
    """The last ``LOG_LIMIT`` invocations, safe to use from moto's request threads."""

    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


INVOCATIONS = InvocationLog()
_runtime: dict[str, str | None] = {"url": None}
_session = requests.Session()
_session.trust_env = False  # straight to loopback, whatever proxy the environment names


def runtime_url() -> str | None:
    return _runtime["url"]


def _decoded(body: str | bytes | None) -> object:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace") if isinstance(body, bytes) else body


def _record(
    function: LambdaFunction, invocation_type: str, body: str | bytes | None, **outcome: object
) -> None:
    INVOCATIONS.record(
        {
            "time": datetime.now(UTC).isoformat(),
            "function_name": function.function_name,
            "function_arn": function.function_arn,
            "invocation_type": invocation_type,
            "payload": _decoded(body),
            **outcome,
        }
    )


def forward(
    function: str,
    invocation_type: str,
    body: str | bytes | None,
    *,
    qualifier: str | None,
    timeout: float,
) -> requests.Response:
    """Lambda's Invoke call to the runtime; raises ``requests.RequestException``."""
    url = str(runtime_url()) + INVOKE_PATH.format(function=quote(function, safe=""))
    return _session.post(
        url,
        params={"Qualifier": qualifier} if qualifier else None,
        data=body.encode() if isinstance(body, str) else (body or b""),
        headers={"X-Amz-Invocation-Type": invocation_type, "Content-Type": "application/json"},
        timeout=timeout,
    )


def _timeout(function: LambdaFunction, invocation_type: str) -> float:
    if invocation_type == "Event":
        return EVENT_TIMEOUT_SECONDS
    return float(function.timeout) + RESPONSE_MARGIN_SECONDS


def function_invoke(
    self: LambdaFunction,
    body: str,
    request_headers: Mapping[str, str],
    response_headers: MutableMapping[str, str],
) -> str | bytes:
    """What ``LambdaFunction.invoke`` does here: forward to the runtime, or record.

    The Invoke API never gets here (see ``invoke``): these are moto's own callers (S3, SNS,
    log subscriptions, InvokeAsync), asynchronous in AWS, hence ``Event`` by default.
    """
    invocation_type = request_headers.get("x-amz-invocation-type") or "Event"
    if runtime_url() is None:
        _record(self, invocation_type, body, forwarded=False)
        return "" if invocation_type == "Event" else b"null"
    try:
        answer = forward(
            self.function_arn,
            invocation_type,
            body,
            qualifier=None,
            timeout=_timeout(self, invocation_type),
        )
    except requests.RequestException as error:
        # Asynchronous in AWS: the caller (S3, SNS, ...) never sees a delivery failure.
        print(f"emulator: invoking {self.function_name} failed: {error}", file=sys.stderr)
        _record(self, invocation_type, body, forwarded=True, error=str(error))
        return ""
    _record(self, invocation_type, body, forwarded=True, status=answer.status_code)
    for name in PASSED_HEADERS:
        if name in answer.headers:
            response_headers[name.lower()] = answer.headers[name]
    return answer.content


def _api_invoke_factory() -> Callable[[LambdaResponse], object]:
    moto_invoke = original(LambdaResponse, "invoke", parameters=("self",))

    def invoke(self: LambdaResponse) -> object:
        """The Invoke API: the runtime's answer is the caller's; without one, recorded."""
        name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self._get_param("qualifier") or self.querystring.get("Qualifier", [None])[0]
        function = self.backend.get_function(name, qualifier)  # moto's 404 if unknown
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type == "DryRun":
            return moto_invoke(self)
        if runtime_url() is None:
            _record(function, invocation_type, self.body, forwarded=False)
            if invocation_type == "Event":
                return 202, {"status": "202"}, b""
            return 200, {"status": "200", "content-type": "application/json"}, b"null"
        try:
            answer = forward(
                name,
                invocation_type,
                self.body,
                qualifier=qualifier,
                timeout=_timeout(function, invocation_type),
            )
        except requests.RequestException as error:
            _record(function, invocation_type, self.body, forwarded=True, error=str(error))
            message = f"the function runtime at {runtime_url()} did not answer: {error}"
            return (
                500,
                {
                    "status": "500",
                    "x-amzn-ErrorType": "ServiceException",
                    "content-type": "application/json",
                },
                json.dumps({"Type": "Service", "message": message}),
            )
        _record(function, invocation_type, self.body, forwarded=True, status=answer.status_code)
        headers = {
            name.lower(): answer.headers[name] for name in PASSED_HEADERS if name in answer.headers
        }
        headers["content-type"] = answer.headers.get("Content-Type", "application/json")
        # moto takes the status from this header, not from the tuple.
        headers["status"] = str(answer.status_code)
        return answer.status_code, headers, answer.content

    return invoke


def send_dynamodb_items(
    self: LambdaBackend, function_arn: str, items: list[object], source: str
) -> None:
    """Push nothing: a falsy answer leaves the records in moto's shard for GetRecords."""
    return


def apply(lambda_runtime_url: str | None) -> None:
    _runtime["url"] = lambda_runtime_url.rstrip("/") if lambda_runtime_url else None
    original(
        LambdaFunction,
        "invoke",
        parameters=("self", "body", "request_headers", "response_headers"),
    )
    replace(LambdaFunction, "invoke", function_invoke)
    replace(LambdaResponse, "invoke", _api_invoke_factory())
    original(
        LambdaBackend, "send_dynamodb_items", parameters=("self", "function_arn", "items", "source")
    )
    replace(LambdaBackend, "send_dynamodb_items", send_dynamodb_items)
