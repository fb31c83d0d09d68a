"""Asynchronous (Event) invocations: Lambda's internal queue, retries and destinations.

An event is accepted at once (202), then run; a function error or timeout is retried
``MaximumRetryAttempts`` times with backoff (scaled down, ``RuntimeSettings``) while the
event is younger than ``MaximumEventAgeInSeconds``; then the invocation record goes to
the on-failure destination (condition ``RetriesExhausted`` or ``EventAgeExceeded``), as a
success's goes to the on-success one. Without a destination a failed event is dropped,
as Lambda does, and logged.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from local.runtime.config import Destination
from local.runtime.destinations import DestinationSender, invocation_record
from local.runtime.functions import FunctionNotFoundError, Functions
from local.runtime.invocations import InvocationResult
from local.runtime.settings import RuntimeSettings
from local.runtime.workers import TooManyRequestsError

_log = logging.getLogger(__name__)


@dataclass
class AsyncEvent:
    function_name: str
    payload: bytes
    trigger: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = field(default_factory=time.monotonic)
    attempts: int = 0


class AsyncInvoker:
    def __init__(
        self, functions: Functions, sender: DestinationSender, settings: RuntimeSettings
    ) -> None:
        self._functions = functions
        self._sender = sender
        self._settings = settings
        self._due: list[tuple[float, int, AsyncEvent]] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"async-invoke-{n}", daemon=True)
            for n in range(settings.async_threads)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            dropped = len(self._due)
            self._due.clear()
            self._condition.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=30)
        for _ in range(dropped):
            self._functions.activity.leave()

    def submit(self, function_name: str, payload: bytes, trigger: str) -> str:
        """Queue an event (after checking the function exists); its request id."""
        function = self._functions.config(function_name)
        event = AsyncEvent(function.name, payload, trigger)
        self._functions.activity.enter()  # left when the event is finished with
        self._schedule(event, delay=0.0)
        return event.request_id

    def _schedule(self, event: AsyncEvent, delay: float) -> None:
        with self._condition:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), event))
            self._condition.notify()

    def _next(self) -> AsyncEvent | None:
        with self._condition:
            while not self._stopping:
                if self._due and self._due[0][0] <= time.monotonic():
                    return heapq.heappop(self._due)[2]
                timeout = self._due[0][0] - time.monotonic() if self._due else None
                self._condition.wait(timeout)
            return None

    def _run(self) -> None:
        while (event := self._next()) is not None:
            try:
                if self._attempt(event):
                    continue  # rescheduled: still in flight
            except Exception:  # noqa: BLE001 - the loop must survive whatever one event does
                _log.exception("asynchronous invocation of %s failed", event.function_name)
            self._functions.activity.leave()

    def _attempt(self, event: AsyncEvent) -> bool:
        """Run one attempt; True when a retry was scheduled."""
        try:
            function = self._functions.config(event.function_name)
        except FunctionNotFoundError:
            _log.error("dropping an event for %s: the function is gone", event.function_name)
            return False
        config = function.async_config
        event.attempts += 1
        try:
            result = self._functions.invoke(
                function.name,
                event.payload,
                trigger=event.trigger,
                request_id=event.request_id,
                attempt=event.attempts,
            )
        except TooManyRequestsError:
            result = None  # throttled: Lambda retries these too
        if result is not None and result.succeeded:
            if config.on_success is not None:
                self._deliver(event, function.arn, "Success", result, config.on_success)
            return False
        retries_done = event.attempts - 1
        delay = self._settings.async_retry_base_delay_seconds * 2**retries_done
        age_after_delay = time.monotonic() - event.received_at + delay
        if retries_done < config.maximum_retry_attempts:
            if age_after_delay <= config.maximum_event_age_seconds:
                self._schedule(event, delay)
                return True
            condition = "EventAgeExceeded"
        else:
            condition = "RetriesExhausted"
        if config.on_failure is not None:
            self._deliver(event, function.arn, condition, result, config.on_failure)
        else:
            _log.warning(
                "event %s for %s dropped after %d attempts (%s); no on-failure destination",
                event.request_id,
                function.name,
                event.attempts,
                condition,
            )
        return False

    def _deliver(
        self,
        event: AsyncEvent,
        function_arn: str,
        condition: str,
        result: InvocationResult | None,
        destination: Destination,
    ) -> None:
        record = invocation_record(
            function_arn=function_arn,
            request_id=event.request_id,
            condition=condition,
            invoke_count=event.attempts,
            request_payload=event.payload,
            result=result,
        )
        self._sender.send(destination, record)
