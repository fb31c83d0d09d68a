"""Runs the API's APPSYNC_JS resolvers the way AppSync does, against a real DynamoDB API.

Each handler (`request`/`response`) is evaluated under Node by
`local/appsync/harness.mjs`; the request a handler returns is carried out here:
DynamoDB requests become the equivalent boto3 DynamoDB call (moto in tests and in
the local demo, so a real DynamoDB implementation checks every expression), Lambda
`Invoke` calls a Python callable, and NONE passes the payload through. The outcome
feeds the response handler as `ctx.result` / `ctx.error`, as AppSync does.

    executor = AppSyncExecutor(dynamodb_client, "pics", lambda_invoker=run_generate)
    pic = executor.execute("createAIPic", {"prompt": "a cat"}, cognito_identity("sub-1")).unwrap()

`RESOLVERS` is how modules/api wires schema fields to resolver files and data sources: both
read it from the contract (modules/contract/contract.json, through ``aipic.contract``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from aipic.contract import CONTRACT
from boto3.dynamodb.types import TypeDeserializer
from botocore.client import BaseClient
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
RESOLVERS_DIR = REPO_ROOT / "modules" / "api" / "resolvers"
HARNESS = Path(__file__).resolve().parent / "harness.mjs"

# The lines modules/api rewrites with var.daily_picture_quota and var.daily_picture_ceiling
# (same patterns as its replace()), both in one file.
DAILY_QUOTA_PATTERN = re.compile(r"const DAILY_PICTURE_QUOTA = \d+;")
DAILY_CEILING_PATTERN = re.compile(r"const DAILY_PICTURE_CEILING = \d+;")
DAILY_QUOTA_FILE = "createAIPic.js"

Json = Any
LambdaInvoker = Callable[[Json, str], Json]
"""Called with (payload, invocationType): return the function's result for
RequestResponse; for Event the return value is ignored (run the work in a thread
if it should not block the mutation)."""


class DataSource(StrEnum):
    NONE = "NONE"
    DYNAMODB = "AMAZON_DYNAMODB"
    LAMBDA = "AWS_LAMBDA"


class AuthMode(StrEnum):
    COGNITO_USER_POOLS = "AMAZON_COGNITO_USER_POOLS"
    IAM = "AWS_IAM"


@dataclass(frozen=True)
class PipelineFunction:
    code: str
    data_source: DataSource


@dataclass(frozen=True)
class Resolver:
    """One schema field's resolver: a unit resolver has a data source, a pipeline has functions."""

    type_name: str
    field_name: str
    code: str
    auth_modes: frozenset[AuthMode]
    data_source: DataSource | None = None
    functions: tuple[PipelineFunction, ...] = ()


_COGNITO = frozenset({AuthMode.COGNITO_USER_POOLS})
# Fields only IAM callers reach (the publish Lambda); schema.graphql says so with
# @aws_iam, which tests/resolvers/test_schema.py compares with this.
_IAM_ONLY_FIELDS = frozenset({"publish", "publishAIPic"})


def _auth_modes(field_name: str) -> frozenset[AuthMode]:
    return frozenset({AuthMode.IAM}) if field_name in _IAM_ONLY_FIELDS else _COGNITO


def _resolvers(api: Mapping[str, Any]) -> dict[str, Resolver]:
    """The wiring modules/api deploys, from the contract's ``api`` section."""
    data_sources = {name: DataSource(kind) for name, kind in api["data_sources"].items()}
    resolvers = [
        Resolver(
            pipeline["type"],
            field_name,
            f"{pipeline['code']}.js",
            _auth_modes(field_name),
            functions=tuple(
                PipelineFunction(f"{step['name']}.js", data_sources[step["data_source"]])
                for step in pipeline["functions"]
            ),
        )
        for field_name, pipeline in api["pipelines"].items()
    ]
    resolvers += [
        Resolver(
            unit["type"],
            field_name,
            f"{field_name}.js",
            _auth_modes(field_name),
            data_sources[unit["data_source"]],
        )
        for field_name, unit in api["units"].items()
    ]
    return {resolver.field_name: resolver for resolver in resolvers}


RESOLVERS: dict[str, Resolver] = _resolvers(CONTRACT["api"])


# --- identities (the shapes AppSync puts in ctx.identity) ---

EXAMPLE_USER_POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example"


def cognito_identity(
    sub: str,
    username: str | None = None,
    *,
    groups: Sequence[str] = (),
    issuer: str = EXAMPLE_USER_POOL_ISSUER,
    source_ip: str = "127.0.0.1",
) -> dict[str, Json]:
    """ctx.identity of a caller signed in with a Cognito user pool token."""
    name = username or sub
    claims: dict[str, Json] = {
        "sub": sub,
        "iss": issuer,
        "cognito:username": name,
        "token_use": "id",
        "auth_time": 1_700_000_000,
    }
    if groups:
        claims["cognito:groups"] = list(groups)
    return {
        "sub": sub,
        "issuer": issuer,
        "username": name,
        "claims": claims,
        "sourceIp": [source_ip],
        "defaultAuthStrategy": "ALLOW",
        "groups": list(groups) or None,
    }


def iam_identity(
    user_arn: str = "arn:aws:sts::123456789012:assumed-role/aipic-publish/aipic-publish",
    *,
    account_id: str = "123456789012",
    source_ip: str = "127.0.0.1",
) -> dict[str, Json]:
    """ctx.identity of a SigV4-signed (IAM) caller such as the publish Lambda."""
    return {
        "accountId": account_id,
        "userArn": user_arn,
        "username": user_arn.rsplit("/", 1)[-1],
        "sourceIp": [source_ip],
        "cognitoIdentityPoolId": None,
        "cognitoIdentityId": None,
        "cognitoIdentityAuthType": None,
        "cognitoIdentityAuthProvider": None,
    }


def auth_mode_of(identity: Mapping[str, Json] | None) -> AuthMode | None:
    if identity and identity.get("userArn"):
        return AuthMode.IAM
    if identity and identity.get("sub") and identity.get("issuer"):
        return AuthMode.COGNITO_USER_POOLS
    return None


# --- outcomes ---


class AppSyncError(Exception):
    """A GraphQL error as AppSync reports it (util.error, unauthorized, data source errors)."""

    def __init__(
        self,
        message: str,
        error_type: str | None = None,
        data: Json = None,
        error_info: Json = None,
    ) -> None:
        super().__init__(f"{error_type}: {message}" if error_type else message)
        self.message = message
        self.error_type = error_type
        self.data = data
        self.error_info = error_info

    @classmethod
    def from_harness(cls, error: Mapping[str, Json]) -> AppSyncError:
        return cls(error["message"], error.get("type"), error.get("data"), error.get("errorInfo"))

    def as_graphql(self, path: Sequence[str | int]) -> dict[str, Json]:
        return {
            "message": self.message,
            "errorType": self.error_type,
            "data": self.data,
            "errorInfo": self.error_info,
            "path": list(path),
        }


@dataclass
class ExecutionResult:
    """What AppSync would answer for one field: its value, GraphQL errors, subscription filter."""

    field_name: str
    data: Json = None
    errors: list[dict[str, Json]] = field(default_factory=list)
    subscription_filter: Json = None

    def unwrap(self) -> Json:
        """The field's value, or the first error raised as AppSyncError."""
        if self.errors:
            first = self.errors[0]
            raise AppSyncError(
                first["message"], first["errorType"], first["data"], first["errorInfo"]
            )
        return self.data


@dataclass
class Evaluation:
    """One handler evaluated by the Node harness."""

    result: Json = None
    error: AppSyncError | None = None
    early_return: bool = False
    stash: dict[str, Json] = field(default_factory=dict)
    effects: dict[str, Json] = field(default_factory=dict)


@dataclass(frozen=True)
class LambdaInvocation:
    payload: Json
    invocation_type: str


# --- the Node side ---


class NodeResolverRuntime:
    """One long-lived `node harness.mjs` process evaluating handlers over stdin/stdout lines.

    Thread-safe (one evaluation at a time). Use as a context manager or call close().
    """

    def __init__(self, harness: Path = HARNESS, *, timeout_seconds: float = 30.0) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node (20 or later) is needed to evaluate the AppSync resolvers")
        self._timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        # A file, not a pipe: Node's warnings can never fill a buffer and block it.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(  # noqa: S603 - node + our harness, no shell
            [node, str(harness)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=REPO_ROOT,
        )
        self._buffer = b""

    def evaluate(
        self,
        file: Path | str,
        fn: str,
        ctx: Mapping[str, Json],
        *,
        now_epoch_millis: int | None = None,
        auto_ids: Sequence[str] = (),
    ) -> Evaluation:
        message = {
            "file": str(file),
            "fn": fn,
            "ctx": ctx,
            "nowEpochMillis": now_epoch_millis,
            "autoIds": list(auto_ids),
        }
        with self._lock:
            answer = self._exchange(json.dumps(message).encode() + b"\n")
        if "harnessError" in answer:
            raise RuntimeError(f"the resolver harness failed on {file}: {answer['harnessError']}")
        return Evaluation(
            result=answer.get("earlyReturn", answer.get("result")),
            error=AppSyncError.from_harness(answer["error"]) if "error" in answer else None,
            early_return="earlyReturn" in answer,
            stash=answer["stash"],
            effects=answer["effects"],
        )

    def _exchange(self, line: bytes) -> dict[str, Json]:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        try:
            stdin.write(line)
            stdin.flush()
        except BrokenPipeError as error:
            raise RuntimeError(f"the resolver harness exited: {self._stderr_text()}") from error
        deadline = time.monotonic() + self._timeout_seconds
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self.close()
                    raise TimeoutError(
                        f"no answer from the resolver harness in {self._timeout_seconds}s"
                    )
                chunk = os.read(stdout.fileno(), 1 << 16)
                if not chunk:
                    raise RuntimeError(f"the resolver harness exited: {self._stderr_text()}")
                self._buffer += chunk
        answer, self._buffer = self._buffer.split(b"\n", 1)
        parsed: dict[str, Json] = json.loads(answer)
        return parsed

    def _stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> NodeResolverRuntime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- DynamoDB: AppSync request objects <-> boto3 client calls ---

_deserializer = TypeDeserializer()


def _number_text(value: Json) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a DynamoDB number: {value!r}")
    return str(value)


def to_wire(attribute: Mapping[str, Json]) -> dict[str, Json]:
    """An attribute value as AppSync's JS runtime writes it ({"N": 5}) -> as the API takes it."""
    ((kind, value),) = attribute.items()
    if kind == "N":
        return {"N": _number_text(value)}
    if kind == "NS":
        return {"NS": [_number_text(number) for number in value]}
    if kind == "M":
        return {"M": wire_map(value)}
    if kind == "L":
        return {"L": [to_wire(element) for element in value]}
    return {kind: value}


def wire_map(attributes: Mapping[str, Json] | None) -> dict[str, Json]:
    return {name: to_wire(value) for name, value in (attributes or {}).items()}


def _plain(value: Json) -> Json:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {key: _plain(element) for key, element in value.items()}
    if isinstance(value, list | set | frozenset | tuple):
        return [_plain(element) for element in value]
    if hasattr(value, "value"):  # boto3's Binary
        return _plain(value.value)
    return value


def to_plain_item(item: Mapping[str, Json] | None) -> dict[str, Json] | None:
    """A DynamoDB item -> the JSON AppSync hands to a response handler (numbers as numbers)."""
    if item is None:
        return None
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _merge_expressions(*parts: Mapping[str, Json] | None) -> dict[str, Json]:
    """Expression names/values of several expressions (AppSync sends them as one request)."""
    names: dict[str, str] = {}
    values: dict[str, Json] = {}
    for part in parts:
        if not part:
            continue
        for target, source in (
            (names, part.get("expressionNames")),
            (values, part.get("expressionValues")),
        ):
            for key, value in (source or {}).items():
                if key in target and target[key] != value:
                    raise ValueError(f"{key} means two different things in one request")
                target[key] = value
    merged: dict[str, Json] = {}
    if names:
        merged["ExpressionAttributeNames"] = names
    if values:
        merged["ExpressionAttributeValues"] = wire_map(values)
    return merged


def _check_fields(request: Mapping[str, Json], allowed: set[str]) -> None:
    unknown = set(request) - allowed - {"operation", "version"}
    if unknown:
        # Fail loudly rather than silently ignore what AppSync would act on.
        raise NotImplementedError(f"{request['operation']} fields not emulated: {sorted(unknown)}")


class DynamoDbDataSource:
    """The pics table as an AppSync DynamoDB data source, backed by a boto3 client."""

    def __init__(self, client: BaseClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name
        self._token_key = secrets.token_bytes(32)

    def execute(self, request: Mapping[str, Json]) -> tuple[Json, AppSyncError | None]:
        operation = request.get("operation")
        handler = {
            "GetItem": self._get_item,
            "PutItem": self._put_item,
            "UpdateItem": self._update_item,
            "DeleteItem": self._delete_item,
            "Query": self._query,
        }.get(operation)  # type: ignore[arg-type]
        if handler is None:
            raise NotImplementedError(f"DynamoDB operation not emulated: {operation!r}")
        try:
            return handler(request), None
        except ClientError as error:
            details = error.response.get("Error", {})
            return None, AppSyncError(
                details.get("Message", str(error)), f"DynamoDB:{details.get('Code', 'Unknown')}"
            )

    def _condition(
        self, request: Mapping[str, Json], *others: Mapping[str, Json] | None
    ) -> dict[str, Json]:
        condition = request.get("condition")
        params = _merge_expressions(condition, *others)
        if condition:
            params["ConditionExpression"] = condition["expression"]
        return params

    def _get_item(self, request: Mapping[str, Json]) -> Json:
        _check_fields(request, {"key", "consistentRead"})
        response = self._client.get_item(
            TableName=self._table_name,
            Key=wire_map(request["key"]),
            ConsistentRead=bool(request.get("consistentRead", False)),
        )
        return to_plain_item(response.get("Item"))

    def _put_item(self, request: Mapping[str, Json]) -> Json:
        _check_fields(request, {"key", "attributeValues", "condition"})
        item = {**wire_map(request.get("attributeValues")), **wire_map(request["key"])}
        try:
            self._client.put_item(TableName=self._table_name, Item=item, **self._condition(request))
        except ClientError as error:
            # AppSync's default: a failed condition is success when the stored item is
            # already exactly the one requested (a retried write); otherwise reject.
            current = self._current_if_condition_failed(error, request["key"])
            ignored = set((request.get("condition") or {}).get("equalsIgnore") or ())
            if current is None or _without(current, ignored) != _without(
                to_plain_item(item), ignored
            ):
                raise
            return current
        return to_plain_item(item)

    def _current_if_condition_failed(self, error: ClientError, key: Mapping[str, Json]) -> Json:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            return None
        response = self._client.get_item(
            TableName=self._table_name, Key=wire_map(key), ConsistentRead=True
        )
        return to_plain_item(response.get("Item"))

    def _update_item(self, request: Mapping[str, Json]) -> Json:
        _check_fields(request, {"key", "update", "condition"})
        update = request["update"]
        response = self._client.update_item(
            TableName=self._table_name,
            Key=wire_map(request["key"]),
            UpdateExpression=update["expression"],
            ReturnValues="ALL_NEW",
            **self._condition(request, update),
        )
        return to_plain_item(response.get("Attributes"))

    def _delete_item(self, request: Mapping[str, Json]) -> Json:
        _check_fields(request, {"key", "condition"})
        response = self._client.delete_item(
            TableName=self._table_name,
            Key=wire_map(request["key"]),
            ReturnValues="ALL_OLD",
            **self._condition(request),
        )
        return to_plain_item(response.get("Attributes"))

    def _query(self, request: Mapping[str, Json]) -> Json:
        _check_fields(
            request,
            {
                "query",
                "filter",
                "index",
                "limit",
                "nextToken",
                "scanIndexForward",
                "consistentRead",
                "select",
            },
        )
        query, query_filter = request["query"], request.get("filter")
        params: dict[str, Json] = {
            "TableName": self._table_name,
            "KeyConditionExpression": query["expression"],
            "ScanIndexForward": bool(request.get("scanIndexForward", True)),
            "ConsistentRead": bool(request.get("consistentRead", False)),
            **_merge_expressions(query, query_filter),
        }
        if query_filter:
            params["FilterExpression"] = query_filter["expression"]
        if request.get("index"):
            params["IndexName"] = request["index"]
        if request.get("limit") is not None:
            params["Limit"] = request["limit"]
        if request.get("nextToken"):
            params["ExclusiveStartKey"] = self._decode_token(request["nextToken"])
        response = self._client.query(**params)
        last_key = response.get("LastEvaluatedKey")
        return {
            "items": [to_plain_item(item) for item in response.get("Items", [])],
            "nextToken": self._encode_token(last_key) if last_key else None,
            "scannedCount": response.get("ScannedCount", 0),
        }

    # AppSync's next-tokens are opaque and tamper-proof: a signed, encoded LastEvaluatedKey.
    def _encode_token(self, last_key: Mapping[str, Json]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()
        return f"{body}.{self._signature(body)}"

    def _decode_token(self, token: str) -> Json:
        body, _, signature = str(token).partition(".")
        if not hmac.compare_digest(signature, self._signature(body)):
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Invalid pagination token"}},
                "Query",
            )
        try:
            return json.loads(base64.urlsafe_b64decode(body))
        except (binascii.Error, ValueError) as error:
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Invalid pagination token"}},
                "Query",
            ) from error

    def _signature(self, body: str) -> str:
        return hmac.new(self._token_key, body.encode(), hashlib.sha256).hexdigest()


def _without(item: Mapping[str, Json] | None, names: set[str]) -> dict[str, Json]:
    return {key: value for key, value in (item or {}).items() if key not in names}


# --- subscription filters ---


def subscription_filter_matches(
    subscription_filter: Mapping[str, Json], event: Mapping[str, Json]
) -> bool:
    """Whether AppSync would deliver `event` (the published fields) under this filter:
    any filter group matches when all of its filters do."""
    groups = subscription_filter.get("filterGroup") or []
    return any(all(_filter_matches(rule, event) for rule in group["filters"]) for group in groups)


def _filter_matches(rule: Mapping[str, Json], event: Mapping[str, Json]) -> bool:
    operator, expected = rule["operator"], rule["value"]
    if operator == "attributeExists":
        return (rule["fieldName"] in event) == bool(expected)
    actual = event.get(rule["fieldName"])
    comparisons: dict[str, Callable[[], bool]] = {
        "eq": lambda: actual == expected,
        "ne": lambda: actual != expected,
        "in": lambda: actual in expected,
        "notIn": lambda: actual not in expected,
        "lt": lambda: actual is not None and actual < expected,
        "le": lambda: actual is not None and actual <= expected,
        "gt": lambda: actual is not None and actual > expected,
        "ge": lambda: actual is not None and actual >= expected,
        "between": lambda: actual is not None and expected[0] <= actual <= expected[1],
        "beginsWith": lambda: isinstance(actual, str) and actual.startswith(expected),
        "contains": lambda: actual is not None and expected in actual,
        "notContains": lambda: actual is None or expected not in actual,
    }
    if operator not in comparisons:
        raise ValueError(f"unknown subscription filter operator {operator!r}")
    return comparisons[operator]()


# --- resolvers with a substituted quota (what modules/api deploys) ---


def _substitute_limit(source: str, pattern: re.Pattern[str], value: int) -> str:
    if len(pattern.findall(source)) != 1:
        raise ValueError(f"{DAILY_QUOTA_FILE} must hold exactly one `{pattern.pattern}` line")
    name = pattern.pattern.split(" = ", 1)[0]
    return pattern.sub(f"{name} = {int(value)};", source)


def substitute_daily_quota(source: str, daily_picture_quota: int) -> str:
    """createAIPic.js as modules/api deploys it with var.daily_picture_quota."""
    return _substitute_limit(source, DAILY_QUOTA_PATTERN, daily_picture_quota)


def substitute_daily_ceiling(source: str, daily_picture_ceiling: int) -> str:
    """createAIPic.js as modules/api deploys it with var.daily_picture_ceiling."""
    return _substitute_limit(source, DAILY_CEILING_PATTERN, daily_picture_ceiling)


def stage_resolvers(
    target_dir: Path,
    daily_picture_quota: int | None,
    source_dir: Path | str = RESOLVERS_DIR,
    *,
    daily_picture_ceiling: int | None = None,
) -> Path:
    """Copy the resolvers into target_dir with the given limits substituted (None keeps
    the file's value); returns target_dir."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for source in Path(source_dir).glob("*.js"):
        text = source.read_text(encoding="utf-8")
        if source.name == DAILY_QUOTA_FILE:
            if daily_picture_quota is not None:
                text = substitute_daily_quota(text, daily_picture_quota)
            if daily_picture_ceiling is not None:
                text = substitute_daily_ceiling(text, daily_picture_ceiling)
        (target_dir / source.name).write_text(text, encoding="utf-8")
    return target_dir


# --- the executor ---


class AppSyncExecutor:
    """Executes schema fields through their resolvers, as AppSync would.

    dynamodb_client: a boto3 DynamoDB client (moto in-process or a moto server).
    lambda_invoker: called for the Lambda data source (the generate function).
    clock: epoch seconds (time.time by default) for util.time.*.
    id_factory: source of util.autoId() values (random UUIDs by default).
    daily_picture_quota: deploy-time quota substitution, as modules/api does it.
    daily_picture_ceiling: the same for the ceiling across all users.
    """

    def __init__(
        self,
        dynamodb_client: BaseClient,
        table_name: str,
        *,
        lambda_invoker: LambdaInvoker | None = None,
        resolvers_dir: Path | str = RESOLVERS_DIR,
        runtime: NodeResolverRuntime | None = None,
        clock: Callable[[], float] | None = None,
        id_factory: Callable[[], str] | None = None,
        daily_picture_quota: int | None = None,
        env: Mapping[str, str] | None = None,
        daily_picture_ceiling: int | None = None,
    ) -> None:
        self._dynamodb = DynamoDbDataSource(dynamodb_client, table_name)
        self._lambda_invoker = lambda_invoker
        self._staging: tempfile.TemporaryDirectory[str] | None = None
        if daily_picture_quota is not None or daily_picture_ceiling is not None:
            self._staging = tempfile.TemporaryDirectory(prefix="aipic-resolvers-")
            resolvers_dir = stage_resolvers(
                Path(self._staging.name),
                daily_picture_quota,
                resolvers_dir,
                daily_picture_ceiling=daily_picture_ceiling,
            )
        self._resolvers_dir = Path(resolvers_dir)
        self._owns_runtime = runtime is None
        self._runtime = runtime or NodeResolverRuntime()
        self._clock = clock
        self._id_factory = id_factory
        self._pending_ids: deque[str] = deque()
        self._env = dict(env or {})
        self.lambda_invocations: list[LambdaInvocation] = []

    def close(self) -> None:
        if self._owns_runtime:
            self._runtime.close()
        if self._staging is not None:
            self._staging.cleanup()

    def __enter__(self) -> AppSyncExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def execute(
        self,
        field_name: str,
        arguments: Mapping[str, Json] | None = None,
        identity: Mapping[str, Json] | None = None,
    ) -> ExecutionResult:
        """Resolve one field ("createAIPic" or "Mutation.createAIPic") for a caller."""
        name = field_name.rsplit(".", 1)[-1]
        if name not in RESOLVERS:
            raise ValueError(f"no resolver for {field_name!r}; known: {sorted(RESOLVERS)}")
        resolver = RESOLVERS[name]
        outcome = ExecutionResult(resolver.field_name)
        path = [resolver.field_name]
        if auth_mode_of(identity) not in resolver.auth_modes:
            outcome.errors.append(
                AppSyncError(
                    f"Not Authorized to access {resolver.field_name} on type {resolver.type_name}",
                    "Unauthorized",
                ).as_graphql(path)
            )
            return outcome
        ctx: dict[str, Json] = {
            "arguments": dict(arguments or {}),
            "identity": dict(identity or {}),
            "source": None,
            "stash": {},
            "prev": {"result": None},
            "info": {
                "fieldName": resolver.field_name,
                "parentTypeName": resolver.type_name,
                "variables": {},
                "selectionSetList": [],
            },
            "env": self._env,
        }
        try:
            if resolver.functions:
                outcome.data = self._run_pipeline(resolver, ctx, outcome)
            else:
                assert resolver.data_source is not None
                outcome.data = self._run_step(resolver.code, resolver.data_source, ctx, outcome)
        except AppSyncError as error:
            outcome.data = None
            outcome.errors.append(error.as_graphql(path))
        return outcome

    def _run_pipeline(
        self, resolver: Resolver, ctx: dict[str, Json], outcome: ExecutionResult
    ) -> Json:
        before = self._evaluate(resolver.code, "request", ctx, outcome)
        if before.early_return:
            return before.result
        ctx["prev"] = {"result": before.result}
        for function in resolver.functions:
            ctx["prev"] = {
                "result": self._run_step(function.code, function.data_source, ctx, outcome)
            }
        return self._evaluate(resolver.code, "response", ctx, outcome).result

    def _run_step(
        self, code: str, data_source: DataSource, ctx: dict[str, Json], outcome: ExecutionResult
    ) -> Json:
        """request -> data source -> response of a unit resolver or pipeline function."""
        request = self._evaluate(code, "request", ctx, outcome)
        if request.early_return:
            return request.result
        result, error = self._call_data_source(data_source, request.result)
        ctx["result"], ctx["error"] = result, _error_ctx(error)
        try:
            return self._evaluate(code, "response", ctx, outcome).result
        finally:
            ctx["result"] = ctx["error"] = None

    def _evaluate(
        self, code: str, fn: str, ctx: dict[str, Json], outcome: ExecutionResult
    ) -> Evaluation:
        auto_ids: list[str] = []
        if self._id_factory is not None:
            # Offer more ids than a handler draws; the unused ones are offered again next time.
            while len(self._pending_ids) < 2:
                self._pending_ids.append(self._id_factory())
            auto_ids = list(self._pending_ids)
        evaluation = self._runtime.evaluate(
            self._resolvers_dir / code,
            fn,
            ctx,
            now_epoch_millis=int(self._clock() * 1000) if self._clock else None,
            auto_ids=auto_ids,
        )
        for _ in range(min(evaluation.effects.get("autoIdsUsed", 0), len(self._pending_ids))):
            self._pending_ids.popleft()
        ctx["stash"] = evaluation.stash
        outcome.errors.extend(
            AppSyncError.from_harness(appended).as_graphql([outcome.field_name])
            for appended in evaluation.effects.get("appendedErrors", [])
        )
        if "subscriptionFilter" in evaluation.effects:
            outcome.subscription_filter = evaluation.effects["subscriptionFilter"]
        if evaluation.error is not None:
            raise evaluation.error
        return evaluation

    def _call_data_source(
        self, data_source: DataSource, request: Json
    ) -> tuple[Json, AppSyncError | None]:
        if not isinstance(request, dict):
            raise AppSyncError(
                f"The request handler returned {request!r}, not an object", "MappingTemplate"
            )
        if data_source is DataSource.NONE:
            return request.get("payload"), None
        if data_source is DataSource.DYNAMODB:
            return self._dynamodb.execute(request)
        return self._invoke_lambda(request)

    def _invoke_lambda(self, request: Mapping[str, Json]) -> tuple[Json, AppSyncError | None]:
        if request.get("operation") != "Invoke":
            raise NotImplementedError(
                f"Lambda operation not emulated: {request.get('operation')!r}"
            )
        if self._lambda_invoker is None:
            raise RuntimeError("this executor has no lambda_invoker for the Lambda data source")
        invocation_type = request.get("invocationType", "RequestResponse")
        payload = json.loads(json.dumps(request.get("payload")))
        self.lambda_invocations.append(LambdaInvocation(payload, invocation_type))
        try:
            result = self._lambda_invoker(payload, invocation_type)
        except Exception as error:  # noqa: BLE001 - any function error: AppSync hands it to ctx.error
            return None, AppSyncError(str(error), "Lambda:Unhandled")
        return (None if invocation_type == "Event" else result), None


def _error_ctx(error: AppSyncError | None) -> Json:
    return None if error is None else {"message": error.message, "type": error.error_type}
