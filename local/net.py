"""A threaded HTTP server on 127.0.0.1 (free port) that the stand-ins build on; port probes."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from local.service import Service

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def port_is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((LOOPBACK, port)) == 0


class LocalHttpServer(Service):
    """Start/stop a ThreadingHTTPServer serving ``request_handler_class`` in a thread.

    Usable as a context manager; ``base_origin`` is ``http://127.0.0.1:<port>``. ``port``
    0 (the default) takes a free one; a taken port raises ``OSError`` (EADDRINUSE).
    """

    def __init__(self, request_handler_class: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = ThreadingHTTPServer((LOOPBACK, port), request_handler_class)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._started = False

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_origin(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._started = False
        self._server.server_close()


def owner_of(handler: BaseHTTPRequestHandler) -> object:
    """The LocalHttpServer (stand-in) a request handler belongs to."""
    return handler.server.owner  # type: ignore[attr-defined]
