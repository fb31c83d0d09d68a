"""``python -m local.demo``: the command line, the steps in order, the summary."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from local.client import ClientConfig, PictureClient
from local.demo.deadline import Deadline
from local.demo.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    DemoError,
    DemoTimeoutError,
    PictureOutcomeError,
    SetupError,
)
from local.demo.progress import Progress
from local.demo.run import (
    CLIENT_HOPS,
    Picture,
    check_outcome,
    download_pictures,
    invocations_since,
    run_pictures,
    sign_up_users,
)
from local.emulator.server import MotoServerError, ensure_port_free
from local.isolation import isolate_from_real_aws
from local.stack import LocalStack, LocalStackError
from local.stack_cache import DEFAULT_CACHE_DIR, ApplyCache

DEFAULT_TIMEOUT_SECONDS = 300.0
# The demo's ports (emulator, AppSync endpoint, Replicate stand-in): fixed, because the
# cached apply is only valid on the ports it was recorded with. `make up` uses others.
DEFAULT_BASE_PORT = 18700
PORT_ROLES = ("emulator", "AppSync endpoint", "Replicate stand-in")
# The stand-in's model logs its diffusers progress bar and runs a 50-step picture in 1 s
# (a logs webhook each 0.1 s), so the terminal shows the progress steps.
MODEL_OPTIONS = {"progress_bar": True, "time_scale": 0.2}
# What the Replicate stand-in answers under --fail: its safety checker's refusal.
FAIL_OPTIONS = {
    "outcome": "failed",
    "error": "NSFW content detected. Try running it again, or try a different prompt.",
}


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.demo",
        description="Generate pictures end to end on this machine, as a frontend does: the "
        "whole Terraform stack applied to the emulator (or its cached apply replayed), run by "
        "the function runtime and the local AppSync endpoint; users sign up in Cognito, "
        "subscribe over WebSocket, call createAIPic and download from S3. No AWS account.",
    )
    parser.add_argument(
        "--prompt",
        action="append",
        default=[],
        help="a prompt; repeat for several pictures (each from a different user, concurrently)",
    )
    parser.add_argument(
        "--prompts", nargs="+", default=[], metavar="PROMPT", help="several prompts at once"
    )
    parser.add_argument(
        "--fail",
        action="store_true",
        help="the Replicate stand-in fails the prediction: FAILED and its reason reach the "
        "subscriber (the demo then succeeds when every picture FAILED with a reason)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("demo-output"),
        help="where the pictures are written as <id>.png (default: demo-output/)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds the whole run may take (default: {DEFAULT_TIMEOUT_SECONDS:.0f})",
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=DEFAULT_BASE_PORT,
        help=f"the emulator's port; the AppSync endpoint and the Replicate stand-in take the "
        f"next two (default: {DEFAULT_BASE_PORT})",
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
    parser.add_argument(
        "--events-json", type=Path, help="also write the pictures, events and timings as JSON"
    )
    arguments = parser.parse_args(argv)
    arguments.all_prompts = [p.strip() for p in [*arguments.prompt, *arguments.prompts]]
    if not arguments.all_prompts:
        parser.error("give at least one --prompt")
    if any(not p for p in arguments.all_prompts):
        parser.error("prompts must not be blank")
    if arguments.timeout <= 0:
        parser.error("--timeout must be positive")
    if not 1024 <= arguments.base_port <= 65535 - len(PORT_ROLES):
        parser.error(f"--base-port must be between 1024 and {65535 - len(PORT_ROLES)}")
    return arguments


def check_tools() -> None:
    missing = [tool for tool in ("terraform", "node") if shutil.which(tool) is None]
    if missing:
        raise SetupError(
            f"missing on PATH: {', '.join(missing)}. The demo needs Terraform 1.11.4 (to "
            "create the emulator's resources) and Node 20 (to run the AppSync resolvers)."
        )


def check_ports(base_port: int) -> list[int]:
    """The three ports, each free; a taken one is a set-up error naming what it was for."""
    ports = [base_port + offset for offset in range(len(PORT_ROLES))]
    for port, role in zip(ports, PORT_ROLES, strict=True):
        try:
            ensure_port_free(port)
        except MotoServerError as error:
            raise SetupError(
                f"{error} (wanted for the {role}); stop what listens there (`make up`?) "
                "or pass --base-port"
            ) from None
    return ports


class _DeadlinePassed(BaseException):
    """Raised by the --timeout alarm wherever the demo is; a BaseException, so that every
    layer's cleanup runs (as for Ctrl-C) and no step reports it as its own failure."""


@contextmanager
def alarm_at(deadline: Deadline) -> Iterator[None]:
    """SIGALRM when the deadline passes (terraform and the emulator stop on the way out)."""

    def ring(signal_number: int, frame: FrameType | None) -> None:
        raise _DeadlinePassed

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(deadline.remaining(), 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class DemoResult:
    pictures: list[Picture]
    stack_timings: dict[str, float]
    cache_hit: bool | None
    invocations: list[dict[str, Any]] = field(default_factory=list)
    emulator: dict[str, Any] = field(default_factory=dict)

    def as_json(self, *, fail: bool) -> dict[str, Any]:
        return {
            "fail_mode": fail,
            "cache_hit": self.cache_hit,
            "stack_timings": {k: round(v, 3) for k, v in self.stack_timings.items()},
            "pictures": [p.as_json() for p in self.pictures],
            "subscribers": [
                {"user": p.user.username, "owner": p.user.sub, "received": p.received}
                for p in self.pictures
            ],
            "misrouted": [event for p in self.pictures for event in p.misrouted],
            "invocations": self.invocations,
            "emulator": self.emulator,
        }


def run(arguments: argparse.Namespace, progress: Progress) -> DemoResult:
    deadline = Deadline(arguments.timeout)
    check_tools()
    emulator_port, appsync_port, replicate_port = check_ports(arguments.base_port)
    with tempfile.TemporaryDirectory(prefix="aipic-demo-") as temp:
        work_dir = Path(temp)
        isolate_from_real_aws(work_dir)
        stack = LocalStack(
            work_dir=work_dir / "stack",
            emulator_port=emulator_port,
            appsync_port=appsync_port,
            replicate_port=replicate_port,
            apply_cache=None if arguments.no_cache else ApplyCache(arguments.cache_dir),
            replicate_options={**MODEL_OPTIONS, **(FAIL_OPTIONS if arguments.fail else {})},
            progress=progress.step,
        )
        result = DemoResult([], stack.timings, None)
        try:
            with alarm_at(deadline):
                try:
                    _run_on(stack, arguments, deadline, progress, result)
                finally:
                    write_events_json(arguments.events_json, result, fail=arguments.fail)
        except _DeadlinePassed:
            raise DemoTimeoutError(
                f"timed out after {deadline.seconds:.0f}s (--timeout) while "
                f"{progress.last_step or 'starting'}"
            ) from None
        except LocalStackError as error:
            raise SetupError(f"the local stack did not start: {error}") from None
        except DemoError:
            raise
        except Exception as error:  # a client call failed: the picture did not end as asked
            raise PictureOutcomeError(f"{type(error).__name__}: {error}") from error
        finally:
            progress.step("stopping the local stack")
            stack.stop()
    return result


def _run_on(
    stack: LocalStack,
    arguments: argparse.Namespace,
    deadline: Deadline,
    progress: Progress,
    result: DemoResult,
) -> None:
    stack.start()
    result.cache_hit = stack.cache_hit
    result.emulator = {
        "url": stack.emulator.url,
        "port": stack.emulator.port,
        "pid": stack.emulator.pid,
    }
    client = PictureClient(ClientConfig.from_outputs(stack.client_outputs()))
    progress.step(f"signing up {len(arguments.all_prompts)} user(s) in the emulator's Cognito")
    result.pictures = sign_up_users(client, arguments.all_prompts)
    run_pictures(client, result.pictures, deadline, progress)
    # The last publish is still returning when its event arrives: let the log catch up.
    stack.runtime.wait_until_idle(timeout=max(min(deadline.remaining(), 10.0), 0.1))
    first_create = min(p.created_at for p in result.pictures if p.created_at is not None)
    result.invocations = invocations_since(stack.runtime.invocations.records(), first_create)
    download_pictures(client, result.pictures, arguments.output_dir)


def write_events_json(path: Path | None, result: DemoResult, *, fail: bool) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_json(fail=fail), indent=2), encoding="utf-8")


def print_summary(result: DemoResult, progress: Progress) -> None:
    how = {True: "replayed from the cache", False: "terraform apply", None: "?"}[result.cache_hit]
    stack = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.stack_timings.items())
    for picture in result.pictures:
        print()
        print(f"Picture {picture.number}: {picture.user.username}, prompt {picture.prompt!r}")
        print(f"  id        {picture.pic_id}")
        if picture.file is not None:
            print(f"  file      {picture.file} ({picture.file_bytes} bytes, PNG)")
        history = [f"{picture.started_status} (createAIPic answer)", *picture.statuses]
        print(f"  statuses  {' → '.join(history)}   (after the first: as the subscriber got them)")
        if picture.failure_reason:
            print(f"  reason    {picture.failure_reason}")
        hops = ", ".join(
            f"{label} {picture.timings[key]:.2f}s"
            for key, label in CLIENT_HOPS
            if key in picture.timings
        )
        print(f"  client    {hops}")
    print()
    print("Runtime invocations (its log; seconds from the first createAIPic):")
    for entry in result.invocations:
        print(
            f"  +{entry['startOffset']:6.2f}s  {entry['function']:<28} {entry['trigger']:<40.40} "
            f"{entry['duration']:6.2f}s  {entry['outcome']}"
        )
    print()
    print(f"Stack start ({how}): {stack}")
    print(f"Done in {progress.elapsed():.1f}s; nothing left running.")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    progress = Progress()
    try:
        result = run(arguments, progress)
    except DemoError as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\ndemo interrupted; everything it started has been stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(result, progress)
    try:
        check_outcome(result.pictures, fail=arguments.fail)
    except DemoError as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return error.exit_code
    return EXIT_OK
