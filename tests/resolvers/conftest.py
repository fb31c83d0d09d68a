"""Fixtures for the resolver tests: one Node harness per session, moto's DynamoDB per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.appsync.executor import (
    RESOLVERS_DIR,
    AppSyncExecutor,
    Evaluation,
    LambdaInvocation,
    NodeResolverRuntime,
)
from local.pics_table import create_pics_table

TABLE_NAME = "aipic-test-pics"
# 2024-05-17T10:30:00.250Z: fixed, so dates, TTLs and timestamps are exact.
FIXED_NOW_SECONDS = 1_715_941_800.25

# make_executor: keyword arguments of AppSyncExecutor in, a started executor out.
ExecutorFactory = Callable[..., AppSyncExecutor]


@pytest.fixture(scope="session")
def node_runtime() -> Iterator[NodeResolverRuntime]:
    with NodeResolverRuntime() as runtime:
        yield runtime


class HandlerRunner:
    """Evaluates one handler of one resolver file under Node with a given ctx."""

    def __init__(self, runtime: NodeResolverRuntime, resolvers_dir: Path = RESOLVERS_DIR) -> None:
        self._runtime = runtime
        self._resolvers_dir = resolvers_dir

    def __call__(
        self,
        code: str,
        fn: str,
        ctx: dict[str, Any],
        *,
        now_seconds: float = FIXED_NOW_SECONDS,
        auto_ids: tuple[str, ...] = (),
    ) -> Evaluation:
        return self._runtime.evaluate(
            self._resolvers_dir / code,
            fn,
            ctx,
            now_epoch_millis=int(now_seconds * 1000),
            auto_ids=auto_ids,
        )


@pytest.fixture
def run_handler(node_runtime: NodeResolverRuntime) -> HandlerRunner:
    return HandlerRunner(node_runtime)


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_pics_table(client, TABLE_NAME)
        yield client


class RecordingInvoker:
    """Stands in for the generate Lambda: records each invocation."""

    def __init__(self) -> None:
        self.invocations: list[LambdaInvocation] = []

    def __call__(self, payload: Any, invocation_type: str) -> None:
        self.invocations.append(LambdaInvocation(payload, invocation_type))


@pytest.fixture
def generate_invoker() -> RecordingInvoker:
    return RecordingInvoker()


class Clock:
    """A settable clock for the executor (epoch seconds)."""

    def __init__(self, now: float = FIXED_NOW_SECONDS) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_executor(
    dynamodb: Any,
    node_runtime: NodeResolverRuntime,
    generate_invoker: RecordingInvoker,
    clock: Clock,
) -> Iterator[ExecutorFactory]:
    """AppSyncExecutor factory on the test's table, invoker and clock; keywords override.

    Every executor it makes is closed when the test ends.
    """
    with ExitStack() as stack:

        def make(**options: Any) -> AppSyncExecutor:
            defaults: dict[str, Any] = {"lambda_invoker": generate_invoker, "clock": clock}
            return stack.enter_context(
                AppSyncExecutor(dynamodb, TABLE_NAME, runtime=node_runtime, **(defaults | options))
            )

        yield make


@pytest.fixture
def executor(make_executor: ExecutorFactory) -> AppSyncExecutor:
    return make_executor()
