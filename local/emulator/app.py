"""The emulator's WSGI application: moto's, patched, plus the ``/_local/`` routes.

Serves as ``python -m moto.server`` does (moto/server.py): moto's
``DomainDispatcherApplication`` over ``create_backend_app``, run by werkzeug's threaded
server with moto's request handler. Requests under ``/_local/`` are the emulator's own:

- ``GET /_local/lambda/invocations``: the invocations moto performed (JSON list);
  ``DELETE`` clears it (see ``patches.lambda_invocations``);
- ``GET /_local/patches``: what the patches hook (JSON list);
- ``POST /_local/faults`` with ``{"s3": {"count": N, "operations": ["PutObject",
  "UploadPart"], "key_contains": "..."}}``: the next N such writes fail with 500
  InternalError; ``GET`` shows what is armed and what was injected, ``DELETE`` disarms
  and forgets (see ``patches.s3_faults``).

While moto records requests (``/moto-api/recorder/start-recording`` until
``stop-recording``), moto's requests are served one at a time: each is recorded and then
draws its ids from moto's seeded random, so serving them in the recorded order makes a
replay draw the same ids (Terraform sends up to ten requests at once).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from local.emulator import patches
from local.emulator.patches.lambda_invocations import INVOCATIONS
from local.emulator.patches.s3_faults import OPERATIONS, S3_FAULTS

LOCAL_PREFIX = "/_local/"
MOTO_API_PREFIX = "/moto-api/"
RECORDER_START = "/moto-api/recorder/start-recording"
RECORDER_STOP = "/moto-api/recorder/stop-recording"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _json(start_response: StartResponse, status: str, value: object) -> list[bytes]:
    body = json.dumps(value, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class EmulatorApp:
    """Routes ``/_local/`` itself and everything else to moto."""

    def __init__(self, moto_app: WsgiApp) -> None:
        self._moto_app = moto_app
        self._recording = False
        self._one_at_a_time = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(MOTO_API_PREFIX):
            # Never serialized: a replay sends its requests to this server from inside one.
            answer = self._moto_app(environ, start_response)
            if path == RECORDER_START:
                self._recording = True
            elif path == RECORDER_STOP:
                self._recording = False
            return answer
        if not path.startswith(LOCAL_PREFIX):
            if not self._recording:
                return self._moto_app(environ, start_response)
            with self._one_at_a_time:
                return list(self._moto_app(environ, start_response))
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_local/lambda/invocations" and method == "GET":
            return _json(start_response, "200 OK", INVOCATIONS.entries())
        if path == "/_local/lambda/invocations" and method == "DELETE":
            INVOCATIONS.clear()
            return _json(start_response, "200 OK", [])
        if path == "/_local/patches" and method == "GET":
            return _json(start_response, "200 OK", patches.HOOKED)
        if path == "/_local/faults":
            return self._faults(environ, start_response, method)
        return _json(start_response, "404 Not Found", {"message": f"no route {method} {path}"})

    @staticmethod
    def _faults(environ: dict[str, Any], start_response: StartResponse, method: str) -> list[bytes]:
        if method == "DELETE":
            S3_FAULTS.clear()
        elif method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                request = json.loads(environ["wsgi.input"].read(length) or b"{}")
                s3 = request.get("s3") or {}
                S3_FAULTS.arm(
                    int(s3.get("count", 0)),
                    s3.get("operations", OPERATIONS),
                    str(s3.get("key_contains", "")),
                )
            except (ValueError, TypeError, AttributeError) as error:
                return _json(start_response, "400 Bad Request", {"message": str(error)})
        elif method != "GET":
            return _json(start_response, "405 Method Not Allowed", {"message": method})
        return _json(start_response, "200 OK", {"s3": S3_FAULTS.state()})


def create_app(*, lambda_runtime_url: str | None, appsync_origin: str | None = None) -> EmulatorApp:
    """Patch moto (once per process) and build the application."""
    patches.apply_all(lambda_runtime_url=lambda_runtime_url, appsync_origin=appsync_origin)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_app = DomainDispatcherApplication(create_backend_app)
    moto_app.debug = True  # type: ignore[attr-defined]  # as moto.server sets it
    return EmulatorApp(moto_app)


def serve(
    host: str, port: int, *, lambda_runtime_url: str | None, appsync_origin: str | None = None
) -> None:
    """Serve until SIGTERM/SIGINT (both end the process cleanly, as in moto.server)."""
    import os
    import signal
    import sys

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    # moto builds URLs back to itself (e.g. SQS queue URLs) from MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(port))
    app = create_app(lambda_runtime_url=lambda_runtime_url, appsync_origin=appsync_origin)
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: sys.exit(0))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)
