"""moto's server as a child process on 127.0.0.1, stopped for sure when the demo ends.

A separate process (not ``ThreadedMotoServer``) so the emulator gets its own core while the
handlers run here, and so it holds the state that Terraform and boto3 share. It runs in its
own session (Ctrl-C reaches only the demo, which then stops it in order) and, on Linux, is
told by the kernel to exit if the demo dies without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import IO, Self

from tests.demo.errors import SetupError

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SetupError(
                    f"port {port} on {HOST} is already in use; stop what listens there "
                    "or leave out --moto-port to let the demo pick a free one"
                ) from None
            raise SetupError(f"cannot use port {port} on {HOST}: {error}") from None


def port_is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the demo's process dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class MotoServer:
    """``python -m moto.server -H 127.0.0.1 -p PORT``; a context manager."""

    def __init__(self, port: int | None = None, *, start_timeout: float = 30.0) -> None:
        if port is not None:
            ensure_port_free(port)
        self.port = port or free_port()
        self._start_timeout = start_timeout
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> Self:
        # A file, not a pipe: a chatty server can never fill a pipe and stall.
        self._log = tempfile.TemporaryFile(prefix="aipic-moto-")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SetupError(
                    f"moto's server exited (status {self._process.returncode}) before it "
                    f"answered on {self.url}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise SetupError(
            f"moto's server did not answer on {self.url} within {self._start_timeout:.0f}s"
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

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
