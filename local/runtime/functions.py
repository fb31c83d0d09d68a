"""The deployed functions by name and ARN, each with its pool; every call is logged.

Also counts the work in flight, so ``wait_until_idle`` can tell when everything a
trigger started has finished.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from local.runtime.config import FunctionConfig
from local.runtime.invocations import InvocationLog, InvocationResult
from local.runtime.workers import FunctionPool


class FunctionNotFoundError(LookupError):
    """No deployed function has this name or ARN (Lambda's ResourceNotFoundException)."""


class Activity:
    """A counter of work in flight (invocations, queued async events, pending retries)."""

    def __init__(self) -> None:
        self._count = 0
        self._changes = 0
        self._condition = threading.Condition()

    @contextmanager
    def busy(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

    def enter(self) -> None:
        with self._condition:
            self._count += 1
            self._changes += 1

    def leave(self) -> None:
        with self._condition:
            self._count -= 1
            self._changes += 1
            self._condition.notify_all()

    def snapshot(self) -> tuple[int, int]:
        """(work in flight, number of changes so far)."""
        with self._condition:
            return self._count, self._changes


def function_name_of(name_or_arn: str) -> str:
    """``f``, ``f:qualifier``, ``123456789012:function:f`` or a full ARN → ``f``."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


@dataclass(frozen=True)
class InjectedCrash:
    """A crash the runtime injected: the invocation, and whether the worker died before the
    handler answered (False: the handler was quicker than ``after_seconds``)."""

    function_name: str
    request_id: str
    crashed: bool


class CrashPlan:
    """Faults for a soak: the next ``count`` invocations of a function (whose event
    contains every string of ``payload_contains``, when given) have their worker killed
    ``after_seconds`` into the invocation. Off until ``arm()``."""

    def __init__(self) -> None:
        self._armed: dict[str, tuple[int, float, tuple[bytes, ...]]] = {}
        self._lock = threading.Lock()
        self.injected: list[InjectedCrash] = []

    def arm(
        self,
        function_name: str,
        count: int = 1,
        after_seconds: float = 0.05,
        *,
        payload_contains: str | Sequence[str] = (),
    ) -> None:
        if count < 0 or after_seconds < 0:
            raise ValueError("count and after_seconds must not be negative")
        wanted = (payload_contains,) if isinstance(payload_contains, str) else payload_contains
        with self._lock:
            self._armed[function_name] = (count, after_seconds, tuple(s.encode() for s in wanted))

    def take(self, function_name: str, payload: bytes) -> float | None:
        """Seconds after which to kill this invocation's worker, or None."""
        with self._lock:
            count, after, needles = self._armed.get(function_name, (0, 0.0, ()))
            if count <= 0 or not all(needle in payload for needle in needles):
                return None
            self._armed[function_name] = (count - 1, after, needles)
            return after

    def record(self, function_name: str, result: InvocationResult) -> None:
        crashed = result.error_type == "Runtime.ExitError"
        with self._lock:
            self.injected.append(InjectedCrash(function_name, result.request_id, crashed))


class Functions:
    def __init__(self, log: InvocationLog, activity: Activity) -> None:
        self._pools: dict[str, FunctionPool] = {}
        self._log = log
        self.activity = activity
        self.crashes = CrashPlan()
        self._lock = threading.Lock()

    def replace(self, pools: dict[str, FunctionPool]) -> None:
        """Serve these pools from now on; the old ones are closed (workers stopped)."""
        with self._lock:
            old, self._pools = self._pools, pools
        for pool in old.values():
            pool.close()

    def config(self, name_or_arn: str) -> FunctionConfig:
        return self._pool(name_or_arn).spec.function

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._pools)

    def _pool(self, name_or_arn: str) -> FunctionPool:
        name = function_name_of(name_or_arn)
        with self._lock:
            pool = self._pools.get(name)
        if pool is None:
            raise FunctionNotFoundError(f"Function not found: {name_or_arn}")
        return pool

    def invoke(
        self,
        name_or_arn: str,
        payload: bytes,
        *,
        trigger: str,
        request_id: str | None = None,
        attempt: int = 1,
    ) -> InvocationResult:
        """Run the function once, synchronously; TooManyRequestsError when no worker frees up."""
        pool = self._pool(name_or_arn)
        request_id = request_id or str(uuid.uuid4())
        name = pool.spec.function.name
        crash_after = self.crashes.take(name, payload)
        with self.activity.busy():
            started_at = time.time()
            result = pool.invoke(payload, request_id, crash_after_seconds=crash_after)
            if crash_after is not None:
                self.crashes.record(name, result)
            self._log.record(name, trigger, result, started_at, attempt)
        return result

    def close(self) -> None:
        self.replace({})
