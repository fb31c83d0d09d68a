"""Warm worker processes per function: spawn, invoke with the function's timeout, replace.

Each worker is ``bootstrap.py`` in its own process with the function's environment and
import path (``sandbox``). A worker runs one invocation at a time, as a Lambda execution
environment does; a pool keeps up to ``max_workers`` of them per function. A worker that
overruns the function's timeout is killed and replaced, and the call answers Lambda's
``Sandbox.Timedout`` error; one that dies answers ``Runtime.ExitError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.runtime.artifacts import Deployment
from local.runtime.config import FunctionConfig
from local.runtime.invocations import InvocationResult
from local.runtime.sandbox import function_environment, search_path, worker_command

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Lambda gives the init phase (imports, module-level code) 10 s of its own.
INIT_TIMEOUT_SECONDS = 10.0
_LOG_TAIL_BYTES = 4096


class TooManyRequestsError(RuntimeError):
    """Every worker of the function stayed busy for the whole wait (Lambda's 429)."""


def _error_result(
    request_id: str, error_type: str, message: str, log_tail: str = ""
) -> InvocationResult:
    body = {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}
    return InvocationResult(request_id, json.dumps(body).encode(), "Unhandled", log_tail)


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker of one function needs; built once per function per reload."""

    function: FunctionConfig
    deployment: Deployment
    sdk_dir: Path
    emulator_url: str
    region: str
    scratch_dir: Path


class Worker:
    """One execution environment: a process running bootstrap.py, fed over two pipes."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.id = uuid.uuid4().hex[:12]
        tmp_dir = spec.scratch_dir / f"tmp-{self.id}"
        tmp_dir.mkdir(parents=True)
        self.log_path = spec.scratch_dir / f"{spec.function.name}-{self.id}.log"
        function = spec.function
        environment = function_environment(
            function,
            region=spec.region,
            task_root=spec.deployment.task_root,
            emulator_url=spec.emulator_url,
            tmp_dir=tmp_dir,
            log_stream=f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.id}",
        )
        path = search_path(
            function.runtime,
            spec.deployment.task_root,
            spec.deployment.layer_paths(function.runtime),
            spec.sdk_dir,
        )
        request_read, self._request_write = os.pipe()
        self._response_read, response_write = os.pipe()
        try:
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed argv
                    worker_command(BOOTSTRAP, request_read, response_write, function.arn, path),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=environment,
                    cwd=spec.deployment.task_root,
                    pass_fds=(request_read, response_write),
                    start_new_session=True,
                )
        finally:
            os.close(request_read)
            os.close(response_write)
        self._buffer = b""
        self._initialised = False

    def _read_line(self, deadline: float) -> bytes | None:
        """The next answer line, or None when the deadline passed first."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._response_read], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._response_read, 1 << 16)
            if not chunk:
                raise EOFError("worker exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _log_tail(self, start: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(max(start, log.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
            return log.read().decode(errors="replace")

    def invoke(
        self, request_id: str, payload: bytes, *, crash_after_seconds: float | None = None
    ) -> InvocationResult:
        """Run one invocation. ``crash_after_seconds`` (a fault the soak injects) kills the
        worker that long after the handler got the event: ``Runtime.ExitError``, as when a
        Lambda execution environment dies mid-invocation."""
        timeout = float(self.spec.function.timeout_seconds)
        started = self.log_path.stat().st_size
        request = {
            "requestId": request_id,
            "payload": payload.decode("utf-8"),
            "deadline": time.time() + timeout,
        }
        try:
            if not self._initialised:
                # The init phase (imports) has its own allowance, as on Lambda.
                if self._read_line(time.monotonic() + INIT_TIMEOUT_SECONDS + timeout) is None:
                    self.kill()
                    return _error_result(
                        request_id,
                        "Sandbox.Timedout",
                        f"Task timed out after {timeout:.2f} seconds (init phase)",
                        self._log_tail(started),
                    )
                self._initialised = True
                request["deadline"] = time.time() + timeout
            os.write(self._request_write, (json.dumps(request) + "\n").encode())
            crash = (
                None
                if crash_after_seconds is None
                else threading.Timer(crash_after_seconds, self.process.kill)
            )
            if crash is not None:
                crash.start()
            try:
                line = self._read_line(time.monotonic() + timeout)
            finally:
                if crash is not None:
                    crash.cancel()
        except (EOFError, BrokenPipeError):
            self.kill()
            status = self.process.returncode
            return _error_result(
                request_id,
                "Runtime.ExitError",
                f"Runtime exited with error: exit status {status}",
                self._log_tail(started),
            )
        if line is None:
            self.kill()
            return _error_result(
                request_id,
                "Sandbox.Timedout",
                f"Task timed out after {timeout:.2f} seconds",
                self._log_tail(started),
            )
        answer: dict[str, Any] = json.loads(line)
        tail = self._log_tail(started)
        if answer["ok"]:
            return InvocationResult(request_id, str(answer["payload"]).encode(), None, tail)
        return InvocationResult(request_id, json.dumps(answer["error"]).encode(), "Unhandled", tail)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for fd in (self._request_write, self._response_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._request_write = self._response_read = -1


class FunctionPool:
    """Up to ``max_workers`` warm workers of one function; callers wait for a free one."""

    def __init__(self, spec: WorkerSpec, max_workers: int, acquire_timeout: float) -> None:
        reserved = spec.function.reserved_concurrency
        self.spec = spec
        self.max_workers = max_workers if reserved is None else min(max_workers, reserved)
        self._acquire_timeout = acquire_timeout
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._count = 0
        self._closed = False
        self._condition = threading.Condition()

    def _acquire(self) -> Worker:
        deadline = time.monotonic() + self._acquire_timeout
        with self._condition:
            while True:
                if self._closed:
                    raise TooManyRequestsError(f"function {self.spec.function.name} is stopping")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    worker.kill()
                    self._all.discard(worker)
                    self._count -= 1
                if self._count < self.max_workers:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TooManyRequestsError(
                        f"Rate Exceeded: all {self.max_workers} workers of "
                        f"{self.spec.function.name} stayed busy for {self._acquire_timeout:.0f}s"
                    )
                self._condition.wait(remaining)
        try:
            worker = Worker(self.spec)
        except BaseException:
            with self._condition:
                self._count -= 1
                self._condition.notify()
            raise
        with self._condition:
            self._all.add(worker)
        return worker

    def _release(self, worker: Worker) -> None:
        with self._condition:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                worker.kill()
                self._all.discard(worker)
                self._count -= 1
            self._condition.notify()

    def invoke(
        self,
        payload: bytes,
        request_id: str | None = None,
        *,
        crash_after_seconds: float | None = None,
    ) -> InvocationResult:
        request_id = request_id or str(uuid.uuid4())
        worker = self._acquire()
        try:
            return worker.invoke(request_id, payload, crash_after_seconds=crash_after_seconds)
        finally:
            self._release(worker)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            idle, self._idle = self._idle, []
            workers, self._all = self._all, set()
            self._condition.notify_all()
        for worker in workers:
            # A busy worker's caller sees the exit (Runtime.ExitError) and closes its pipes.
            worker.process.kill()
        for worker in idle:
            worker.kill()
