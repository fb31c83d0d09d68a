"""The emulator (``python -m local.emulator``: moto's server with the project's patches) as a
child process on 127.0.0.1, stopped for sure when its owner ends.

A separate process (not ``ThreadedMotoServer``) so the emulator gets its own core, holds
the state that Terraform and boto3 share (the demo), and keeps the objects it stores out
of this process's memory figures (the webhook memory test and the benchmark). It runs in
its own session (Ctrl-C reaches only its owner, which then stops it in order) and, on
Linux, is told by the kernel to exit if its owner dies without cleaning up.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Self

from local.net import LOOPBACK, free_port
from local.service import Service

_PR_SET_PDEATHSIG = 1


class MotoServerError(RuntimeError):
    """The emulator could not be started; ``str()`` says why."""


class PortInUseError(MotoServerError):
    """The port asked for is taken."""


def ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds (werkzeug sets it too): a port whose last connections linger
        # in TIME_WAIT is free; only a listener makes it taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(f"port {port} on {LOOPBACK} is already in use") from None
            raise MotoServerError(f"cannot use port {port} on {LOOPBACK}: {error}") from None


def _die_with_parent() -> Callable[[], None] | None:
    """For the child before exec: have the kernel SIGTERM it when this process dies.

    prctl is looked up here, in the parent: loading a library in a child forked from a
    threaded process could deadlock, a plain foreign call cannot.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class MotoServer(Service):
    """``python -m local.emulator --host 127.0.0.1 --port PORT [--lambda-runtime-url URL]``;
    a context manager.

    ``port=None`` picks a free port. ``lambda_runtime_url`` is where every Lambda invocation
    is forwarded (see ``local.emulator.patches.lambda_invocations``); without it they are
    only recorded at ``{url}/_local/lambda/invocations``. ``recording_path`` is the file
    moto's request recorder (``/moto-api/recorder/*``) writes and replays. Raises
    ``MotoServerError`` (``PortInUseError`` for a taken port) when the server cannot be
    started; it is stopped again in that case.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        start_timeout: float = 30.0,
        lambda_runtime_url: str | None = None,
        appsync_origin: str | None = None,
        recording_path: Path | None = None,
    ) -> None:
        if port is not None:
            ensure_port_free(port)
        self.port = port or free_port()
        self.lambda_runtime_url = lambda_runtime_url
        self.appsync_origin = appsync_origin
        self.recording_path = recording_path
        self._start_timeout = start_timeout
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> Self:
        # A file, not a pipe: a chatty server can never fill a pipe and stall.
        self._log = tempfile.TemporaryFile(prefix="aipic-moto-")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable,
            "-m",
            "local.emulator",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
        ]
        if self.lambda_runtime_url:
            command += ["--lambda-runtime-url", self.lambda_runtime_url]
        if self.appsync_origin:
            command += ["--appsync-origin", self.appsync_origin]
        environment = dict(os.environ)
        if self.recording_path is not None:
            environment["MOTO_RECORDER_FILEPATH"] = str(self.recording_path)
        self._process = subprocess.Popen(  # noqa: S603 - our interpreter, our argv
            command,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        # Straight to loopback, whatever proxy the environment names.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise MotoServerError(
                    f"the emulator exited (status {self._process.returncode}) before it "
                    f"answered on {self.url}:\n{self.log_tail()}"
                )
            try:
                with opener.open(f"{self.url}/moto-api/", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise MotoServerError(
            f"the emulator did not answer on {self.url} within {self._start_timeout:.0f}s"
        )

    def log_tail(self, limit: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-limit:]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
