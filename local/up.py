"""``python -m local.up`` (``make up``): the whole local stack in the foreground, for clients.

Starts ``local.stack.LocalStack`` (the emulator with the Terraform stack applied — or its
cached apply replayed —, the function runtime, the AppSync endpoint, the Replicate
stand-in) on fixed ports, prints the endpoints and, once every part is ready, writes
``local-outputs.json`` at the repository root: Amplify Gen 2's outputs shape (what the dev
and prod roots output as ``client_outputs``) plus ``custom`` with the local endpoints. An app
or script reads only that file.

Ctrl-C or SIGTERM stops everything it started and removes ``local-outputs.json`` (a file
left behind would point clients at ports nothing listens on); exit status 0. A set-up
failure (port in use, terraform or node missing, the apply failed) exits 3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from local.emulator.server import MotoServerError, ensure_port_free
from local.isolation import isolate_from_real_aws
from local.stack import REPO_ROOT, LocalStack, LocalStackError
from local.stack_cache import DEFAULT_CACHE_DIR, ApplyCache

OUTPUTS_PATH = REPO_ROOT / "local-outputs.json"
# Not the demo's (18700): `make up` and `make demo` can run side by side.
DEFAULT_BASE_PORT = 18600
PORT_ROLES = ("emulator", "AppSync endpoint", "Replicate stand-in")
# The stand-in's model runs in real time (a 50-step picture in 5 s) and logs its
# diffusers progress bar, so an app sees progress steps as it would on AWS.
MODEL_OPTIONS = {"progress_bar": True, "time_scale": 1.0}
EXIT_OK = 0
EXIT_BAD_ARGUMENTS = 2
EXIT_SETUP_FAILED = 3


class _Stop(BaseException):
    """SIGTERM, raised where the main thread is, so every layer's cleanup runs (as for
    Ctrl-C's KeyboardInterrupt)."""


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.up",
        description="Run the whole local stack in the foreground and write its client "
        "configuration (Amplify Gen 2 outputs + local endpoints) to local-outputs.json. "
        "Ctrl-C or SIGTERM stops it.",
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=DEFAULT_BASE_PORT,
        help=f"the emulator's port; the AppSync endpoint and the Replicate stand-in take the "
        f"next two (default: {DEFAULT_BASE_PORT})",
    )
    parser.add_argument(
        "--outputs",
        type=Path,
        default=OUTPUTS_PATH,
        help="where to write the client outputs (default: local-outputs.json at the root)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        help="where recorded applies are kept (default: .tfcli/stack-cache)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="always run terraform apply (and record nothing)"
    )
    arguments = parser.parse_args(argv)
    if not 1024 <= arguments.base_port <= 65535 - len(PORT_ROLES):
        parser.error(f"--base-port must be between 1024 and {65535 - len(PORT_ROLES)}")
    return arguments


def write_outputs(path: Path, outputs: dict[str, Any]) -> None:
    """Atomically: a client polling for the file never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(outputs, file, indent=2)
        file.write("\n")
    Path(temporary).replace(path)


def remove_outputs(path: Path, outputs: dict[str, Any]) -> None:
    """Remove the file if it is still the one this run wrote (another run may own it now)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")) == outputs:
            path.unlink()
    except (OSError, ValueError):
        pass


def print_endpoints(stack: LocalStack, outputs: dict[str, Any], outputs_path: Path) -> None:
    custom = outputs["custom"]
    lines = [
        ("GraphQL (HTTP)", outputs["data"]["url"]),
        ("GraphQL (real-time)", custom["realtime_url"]),
        ("AWS APIs (emulator)", custom["aws_endpoint_url"]),
        ("Replicate stand-in", stack.replicate.base_url),
        ("user pool", outputs["auth"]["user_pool_id"]),
        ("user pool client", outputs["auth"]["user_pool_client_id"]),
        ("identity pool", outputs["auth"]["identity_pool_id"]),
        ("bucket", outputs["storage"]["bucket_name"]),
        ("client outputs", str(outputs_path)),
    ]
    print()
    for name, value in lines:
        print(f"  {name:<21} {value}")
    print()
    print("Ready. Ctrl-C (or SIGTERM) stops everything.", flush=True)


def serve(arguments: argparse.Namespace) -> int:
    ports = [arguments.base_port + offset for offset in range(len(PORT_ROLES))]
    for port, role in zip(ports, PORT_ROLES, strict=True):
        try:
            ensure_port_free(port)
        except MotoServerError as error:
            print(f"make up: {error} (wanted for the {role}); pass --base-port", file=sys.stderr)
            return EXIT_SETUP_FAILED
    missing = [tool for tool in ("terraform", "node") if shutil.which(tool) is None]
    if missing:
        print(f"make up: missing on PATH: {', '.join(missing)}", file=sys.stderr)
        return EXIT_SETUP_FAILED
    with tempfile.TemporaryDirectory(prefix="aipic-up-") as temp:
        isolate_from_real_aws(Path(temp))
        stack = LocalStack(
            work_dir=Path(temp) / "stack",
            emulator_port=ports[0],
            appsync_port=ports[1],
            replicate_port=ports[2],
            apply_cache=None if arguments.no_cache else ApplyCache(arguments.cache_dir),
            replicate_options=MODEL_OPTIONS,
            progress=lambda message: print(f"make up: {message}", flush=True),
        )
        outputs: dict[str, Any] | None = None
        try:
            stack.start()
            outputs = stack.client_outputs()
            write_outputs(arguments.outputs, outputs)
            print_endpoints(stack, outputs, arguments.outputs)
            while True:
                signal.pause()  # until a signal's handler raises here
        except (KeyboardInterrupt, _Stop):
            print("make up: stopping", flush=True)
        except LocalStackError as error:
            print(f"make up: the local stack did not start: {error}", file=sys.stderr)
            return EXIT_SETUP_FAILED
        finally:
            # A second signal while stopping must not cut the cleanup short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if outputs is not None:
                remove_outputs(arguments.outputs, outputs)
            stack.stop()
    print("make up: stopped; nothing left running", flush=True)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)

    def stop(signal_number: int, frame: FrameType | None) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    return serve(arguments)


if __name__ == "__main__":
    sys.exit(main())
