"""``python -m local.emulator --host 127.0.0.1 --port P [--lambda-runtime-url URL]``.

moto's server with the project's patches (``local.emulator.patches``). Listens on a
loopback address only; the runtime URL, if given, must be a loopback http(s) URL too.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from local.emulator.app import serve


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.emulator", description="moto's server with the project's patches"
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument(
        "--lambda-runtime-url",
        default=None,
        help="function runtime every Lambda invocation is forwarded to (Lambda's Invoke "
        "wire call); without it invocations are only recorded at /_local/lambda/invocations",
    )
    parser.add_argument(
        "--appsync-origin",
        default=None,
        help="origin of the local AppSync endpoint (http://127.0.0.1:PORT): every GraphQL API "
        "reports it as its GRAPHQL and REALTIME uris",
    )
    arguments = parser.parse_args(argv)
    if not _loopback(arguments.host):
        parser.error(f"--host must be a loopback address, got {arguments.host!r}")
    if not 0 < arguments.port < 65536:
        parser.error(f"--port must be 1-65535, got {arguments.port}")
    url = arguments.lambda_runtime_url
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not _loopback(parts.hostname or ""):
            parser.error(f"--lambda-runtime-url must be http(s) on a loopback host, got {url!r}")
    origin = arguments.appsync_origin
    if origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not _loopback(parts.hostname or ""):
            parser.error(f"--appsync-origin must be http(s) on a loopback host, got {origin!r}")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    serve(
        arguments.host,
        arguments.port,
        lambda_runtime_url=arguments.lambda_runtime_url,
        appsync_origin=arguments.appsync_origin,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
