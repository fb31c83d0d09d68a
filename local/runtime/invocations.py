"""An invocation's outcome and the runtime's log of them (function, trigger, timing, outcome)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class InvocationResult:
    """What one call of a handler gave: the payload, or Lambda's error JSON as payload."""

    request_id: str
    payload: bytes
    function_error: str | None = None  # "Unhandled" as Lambda reports it, else None
    log_tail: str = ""

    @property
    def succeeded(self) -> bool:
        return self.function_error is None

    def json(self) -> object:
        return json.loads(self.payload) if self.payload else None

    @property
    def error_type(self) -> str | None:
        if self.succeeded:
            return None
        body = self.json()
        return str(body.get("errorType")) if isinstance(body, dict) else None


@dataclass(frozen=True)
class InvocationRecord:
    """One entry of the invocation log: enough for hop timings and failure reports."""

    function_name: str
    trigger: (
        str  # "invoke-api", "async", "dynamodb-stream:<uuid>", "http-api:<id>", "schedule:<rule>"
    )
    request_id: str
    started_at: float  # epoch seconds
    duration_seconds: float
    outcome: str  # "success", or the error type ("Sandbox.Timedout", "ValueError", ...)
    attempt: int = 1


class InvocationLog:
    """Thread-safe, append-only; listeners see each record as it is added."""

    def __init__(self) -> None:
        self._records: list[InvocationRecord] = []
        self._lock = threading.Lock()
        self._listeners: list[Callable[[InvocationRecord], None]] = []

    def add_listener(self, listener: Callable[[InvocationRecord], None]) -> None:
        self._listeners.append(listener)

    def record(
        self,
        function_name: str,
        trigger: str,
        result: InvocationResult,
        started_at: float,
        attempt: int = 1,
    ) -> InvocationRecord:
        entry = InvocationRecord(
            function_name=function_name,
            trigger=trigger,
            request_id=result.request_id,
            started_at=started_at,
            duration_seconds=time.time() - started_at,
            outcome="success" if result.succeeded else (result.error_type or "error"),
            attempt=attempt,
        )
        with self._lock:
            self._records.append(entry)
        for listener in list(self._listeners):
            listener(entry)
        return entry

    def records(self, function_name: str | None = None) -> list[InvocationRecord]:
        with self._lock:
            return [r for r in self._records if function_name in (None, r.function_name)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
