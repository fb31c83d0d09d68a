"""A local stand-in for the AppSync GraphQL endpoint that the publish function calls.

It answers ``POST /graphql`` like AppSync with IAM auth: 403 unless the request carries
a SigV4 ``Authorization`` header for service ``appsync`` (and, for an access key it knows,
a signature botocore recomputes identically); the document must parse, validate against
the repository's schema.graphql, call ``publish`` with a JSON ``data`` and, beside it,
``publishAIPic`` with the same picture typed (what the publish function sends). Accepted
events are recorded and handed to subscribers (the demo prints them).
``fail_for_pic_ids`` makes it answer 500 for events about those pictures, to exercise
partial batch failure.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from graphql import parse, validate
from graphql.error import GraphQLError
from graphql.language import FieldNode, OperationDefinitionNode, OperationType, VariableNode

from local.appsync.api import SCHEMA_PATH
from local.appsync.directives import build_appsync_schema
from local.net import LocalHttpServer

PUBLISH_SCHEMA = build_appsync_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class PublishedEvent:
    owner: str
    data: dict[str, Any]
    received_at: float
    pic: dict[str, Any] | None = None  # publishAIPic's argument


@dataclass(frozen=True)
class RejectedRequest:
    status: int
    reason: str


class AppSyncStandIn(LocalHttpServer):
    """Constructor: ``access_keys`` maps access key id → secret key for signature checks
    (default: the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment);
    ``region``; ``fail_for_pic_ids`` (answered HTTP 500); ``graphql_errors_for_pic_ids``
    (answered 200 with a GraphQL ``errors`` array). Attributes: ``url`` (use as
    APPSYNC_GRAPHQL_URL), ``events``, ``rejected``. Methods: ``subscribe(callback)``,
    ``events_for(owner)``, ``wait_for_events(n)``, ``check_signature(...)``.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        access_keys: Mapping[str, str] | None = None,
        fail_for_pic_ids: set[str] | None = None,
        graphql_errors_for_pic_ids: set[str] | None = None,
    ) -> None:
        super().__init__(_AppSyncRequestHandler)
        self.region = region
        if access_keys is None:
            key_id, secret = (
                os.environ.get("AWS_ACCESS_KEY_ID"),
                os.environ.get("AWS_SECRET_ACCESS_KEY"),
            )
            access_keys = {key_id: secret} if key_id and secret else {}
        self.access_keys = dict(access_keys)
        self.fail_for_pic_ids = set(fail_for_pic_ids or set())
        self.graphql_errors_for_pic_ids = set(graphql_errors_for_pic_ids or set())
        self.events: list[PublishedEvent] = []
        self.rejected: list[RejectedRequest] = []
        self._subscribers: list[Callable[[PublishedEvent], None]] = []
        self._condition = threading.Condition()

    @property
    def url(self) -> str:
        return f"{self.base_origin}/graphql"

    def subscribe(self, callback: Callable[[PublishedEvent], None]) -> None:
        self._subscribers.append(callback)

    def events_for(self, owner: str) -> list[PublishedEvent]:
        return [event for event in self.events if event.owner == owner]

    def wait_for_events(self, count: int, timeout: float = 10.0) -> list[PublishedEvent]:
        with self._condition:
            if not self._condition.wait_for(lambda: len(self.events) >= count, timeout=timeout):
                raise TimeoutError(f"{len(self.events)} of {count} events published")
            return list(self.events)

    def _accept(self, event: PublishedEvent) -> None:
        with self._condition:
            self.events.append(event)
            self._condition.notify_all()
        for callback in self._subscribers:
            callback(event)

    def _reject(self, status: int, reason: str) -> None:
        with self._condition:
            self.rejected.append(RejectedRequest(status, reason))

    # -- request checks

    def check_signature(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        """None if the request is SigV4-signed for appsync, else why not."""
        match = AUTHORIZATION.match(headers.get("authorization", ""))
        if match is None:
            return "missing or malformed SigV4 Authorization header"
        if match["service"] != "appsync":
            return f"credential scope service is {match['service']!r}, not 'appsync'"
        if match["region"] != self.region:
            return f"credential scope region is {match['region']!r}, not {self.region!r}"
        secret = self.access_keys.get(match["key"])
        if secret is None:
            return None if not self.access_keys else f"unknown access key {match['key']}"
        signed_names = match["signed"].split(";")
        missing = [name for name in signed_names if name not in headers]
        if missing or "x-amz-date" not in headers:
            return f"signed headers missing: {missing or ['x-amz-date']}"
        request = AWSRequest(
            method=method,
            url=url,
            data=body,
            headers={name: headers[name] for name in signed_names},
        )
        request.context["timestamp"] = headers["x-amz-date"]
        signer = SigV4Auth(
            Credentials(match["key"], secret, headers.get("x-amz-security-token")),
            "appsync",
            self.region,
        )
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return None if expected == match["signature"] else "signature does not match"


def _arguments(field: FieldNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for argument in field.arguments or ():
        value = argument.value
        if isinstance(value, VariableNode):
            arguments[argument.name.value] = variables.get(value.name.value)
        else:
            arguments[argument.name.value] = getattr(value, "value", None)
    return arguments


def parse_publish(payload: object) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(owner, data, pic) from a GraphQL request body; raises GraphQLError when it is not
    the publish + publishAIPic pair, or they disagree on the picture."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        raise GraphQLError("request body must be a JSON object with a query")
    document = parse(payload["query"])
    errors = validate(PUBLISH_SCHEMA, document)
    if errors:
        raise errors[0]
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    if operation.operation != OperationType.MUTATION:
        raise GraphQLError("expected a mutation")
    fields = {
        field.name.value: field
        for field in operation.selection_set.selections
        if isinstance(field, FieldNode)
    }
    if set(fields) != {"publish", "publishAIPic"}:
        raise GraphQLError(f"expected publish and publishAIPic, got {sorted(fields)}")
    variables = payload.get("variables") or {}
    arguments = _arguments(fields["publish"], variables)
    pic = _arguments(fields["publishAIPic"], variables).get("pic")
    owner, data = arguments.get("owner"), arguments.get("data")
    if not isinstance(owner, str) or not isinstance(data, str):
        raise GraphQLError("owner and data (an AWSJSON string) are required")
    try:
        decoded = json.loads(data)
    except ValueError:
        raise GraphQLError("data is not valid AWSJSON") from None
    if not isinstance(pic, dict) or pic != decoded or pic.get("owner") != owner:
        raise GraphQLError("publishAIPic's pic must be the picture published as data")
    return owner, decoded, pic


class _AppSyncRequestHandler(BaseHTTPRequestHandler):
    server_version = "AppSyncStandIn/1.0"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send_json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        standin: AppSyncStandIn = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        if self.path != "/graphql":
            self._send_json(404, {"message": "Not Found"})
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        problem = standin.check_signature(
            "POST", f"{standin.base_origin}{self.path}", headers, body
        )
        if problem is not None:
            standin._reject(403, problem)
            self._send_json(
                403, {"errors": [{"errorType": "UnauthorizedException", "message": problem}]}
            )
            return
        try:
            owner, data, pic = parse_publish(json.loads(body))
        except (ValueError, GraphQLError) as error:
            standin._reject(400, str(error))
            self._send_json(
                200,
                {"data": None, "errors": [{"errorType": "ValidationError", "message": str(error)}]},
            )
            return
        if data.get("id") in standin.fail_for_pic_ids:
            standin._reject(500, f"configured to fail for {data.get('id')}")
            self._send_json(
                500, {"errors": [{"errorType": "InternalFailure", "message": "stand-in failure"}]}
            )
            return
        if data.get("id") in standin.graphql_errors_for_pic_ids:
            standin._reject(200, f"configured to answer GraphQL errors for {data.get('id')}")
            refusal = {
                "errorType": "DynamoDB:ConditionalCheckFailedException",
                "message": "stand-in",
            }
            self._send_json(200, {"data": {"publish": None}, "errors": [refusal]})
            return
        standin._accept(PublishedEvent(owner=owner, data=data, received_at=time.time(), pic=pic))
        answer = {"publish": {"owner": owner, "data": json.dumps(data)}, "publishAIPic": pic}
        self._send_json(200, {"data": answer})
