"""The local demo (``python -m local.demo``, what ``make demo`` runs), as a user runs it.

Each test starts the demo as a subprocess and asserts on what it leaves behind: its exit
status, the PNGs, the events each user's subscription received (``--events-json``), the
runtime's invocation log, and that no process or port of it outlives it. The demo tests
share one apply cache and one set of ports (``tests/cached_stack.py``): the first run
applies and records, the later ones replay — which the second test asserts.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aipic import failure_reasons
from PIL import Image

from local.demo.errors import EXIT_SETUP_FAILED, EXIT_TIMEOUT
from local.demo.run import CLIENT_HOPS
from local.replicate.standin import render_png
from tests.cached_stack import (
    REPO_ROOT,
    assert_ports_closed,
    needs_tools,
    processes_mentioning,
    session_stack,
)

PROMPTS = ("a lighthouse at dawn, oil painting", "a red fox in fresh snow")
# Every function of the stack that a picture passes through, by the name Terraform gave it.
PIPELINE_FUNCTIONS = ("generate", "webhook", "on-upload", "publish")


def run_demo(*arguments: str, timeout: float = 540) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.demo", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_demo_successfully(
    tmp_path: Path, *arguments: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The demo on the session's ports and cache, its PNGs in ``tmp_path/out``; it must
    exit 0. Its ``--events-json``."""
    events_path = tmp_path / "events.json"
    result = run_demo(
        *session_stack().arguments(),
        *arguments,
        "--output-dir",
        str(tmp_path / "out"),
        "--events-json",
        str(events_path),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result, json.loads(events_path.read_text(encoding="utf-8"))


def functions_invoked(events: dict[str, Any]) -> dict[str, set[str]]:
    """Pipeline function → the triggers the runtime's log shows it invoked by."""
    found: dict[str, set[str]] = {}
    for entry in events["invocations"]:
        for function in PIPELINE_FUNCTIONS:
            if entry["function"].endswith(f"-{function}"):
                found.setdefault(function, set()).add(entry["trigger"].split(":")[0])
    return found


@needs_tools
@pytest.mark.timeout(600)
def test_demo_generates_a_prompt_dependent_png_per_user(tmp_path: Path) -> None:
    result, events = run_demo_successfully(tmp_path, "--prompts", *PROMPTS)

    pictures = events["pictures"]
    assert [p["prompt"] for p in pictures] == list(PROMPTS)
    assert len({p["owner"] for p in pictures}) == len(PROMPTS)  # one user per prompt
    for picture in pictures:
        assert picture["mutationStatus"] == "STARTED"
        assert picture["statuses"] == ["PROCESSING", "COMPLETED"]
        assert picture["imgId"] == f"pics/{picture['owner']}/{picture['id']}.png"
        png = Path(picture["file"])
        assert png == tmp_path / "out" / f"{picture['id']}.png"
        assert str(png) in result.stdout  # the path is printed
        with Image.open(io.BytesIO(png.read_bytes())) as image:
            image.verify()
            assert image.format == "PNG"
        # Downloaded with the user's credentials: the picture the stand-in drew for it.
        assert png.read_bytes() == render_png(picture["prompt"])
        assert set(picture["timings"]) == {key for key, _ in CLIENT_HOPS}
    first, second = (Path(p["file"]).read_bytes() for p in pictures)
    assert first != second

    # Each subscription received exactly its own picture's events.
    assert events["misrouted"] == []
    for subscriber, picture in zip(events["subscribers"], pictures, strict=True):
        assert subscriber["owner"] == picture["owner"]
        assert [e["id"] for e in subscriber["received"]] == [picture["id"]] * 2
        assert [e["completionStatus"] for e in subscriber["received"]] == [
            "PROCESSING",
            "COMPLETED",
        ]
        assert all(e["owner"] == picture["owner"] for e in subscriber["received"])

    # Every hop was the runtime running a function through the trigger Terraform wired:
    # AppSync's async invoke, the HTTP API route, the bucket notification, the stream.
    invoked = functions_invoked(events)
    assert set(invoked) == set(PIPELINE_FUNCTIONS), events["invocations"]
    assert "http-api" in invoked["webhook"]
    assert "dynamodb-stream" in invoked["publish"]
    assert all(entry["outcome"] == "success" for entry in events["invocations"])
    assert "Runtime invocations" in result.stdout
    assert_ports_closed(session_stack().ports)


@needs_tools
@pytest.mark.timeout(600)
def test_repeated_demo_replays_the_cached_apply_and_fail_mode_reaches_the_subscriber(
    tmp_path: Path,
) -> None:
    # The first run recorded the apply (when this test runs alone, this one does and the
    # assertions on the cache are skipped by a second run below).
    started = time.monotonic()
    result, events = run_demo_successfully(tmp_path, "--prompt", "a storm at sea", "--fail")
    if not events["cache_hit"]:
        started = time.monotonic()
        result, events = run_demo_successfully(tmp_path, "--prompt", "a storm at sea", "--fail")
    seconds = time.monotonic() - started

    assert events["cache_hit"] is True
    assert "replaying the cached apply" in result.stdout
    assert "terraform apply" not in result.stdout
    assert "apply" not in events["stack_timings"]
    print(f"repeated demo: {seconds:.1f}s, stack start {events['stack_timings']}")

    (picture,) = events["pictures"]
    assert picture["statuses"] == ["PROCESSING", "FAILED"]
    # The stand-in's error is Replicate's safety checker's: users read what to do about it.
    assert picture["failureReason"] == failure_reasons.PREDICTION_BLOCKED
    assert picture["file"] is None
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    (subscriber,) = events["subscribers"]
    assert subscriber["received"][-1]["failureReason"] == picture["failureReason"]
    assert_ports_closed(session_stack().ports)


def test_demo_reports_a_port_in_use_and_starts_nothing() -> None:
    stack = session_stack()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the last run's TIME_WAIT
        taken.bind(("127.0.0.1", stack.ports[1]))  # the AppSync endpoint's
        taken.listen()
        result = run_demo("--prompt", "x", *stack.arguments(), timeout=60)

    assert result.returncode == EXIT_SETUP_FAILED
    assert f"port {stack.ports[1]} on 127.0.0.1 is already in use" in result.stderr
    assert "AppSync endpoint" in result.stderr
    assert "Traceback" not in result.stderr
    assert processes_mentioning(f"--port {stack.ports[0]}") == []


@needs_tools
def test_demo_timeout_fails_clearly_and_stops_everything(tmp_path: Path) -> None:
    stack = session_stack()
    result = run_demo(
        "--prompt", "x", *stack.arguments(), "--timeout", "3", "--output-dir", str(tmp_path)
    )

    assert result.returncode == EXIT_TIMEOUT, result.stdout + result.stderr
    assert "--timeout" in result.stderr
    assert "Traceback" not in result.stderr
    assert_ports_closed(stack.ports)


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--prompt", "   "],
        ["--prompt", "x", "--timeout", "0"],
        ["--prompt", "x", "--base-port", "80"],
    ],
)
def test_demo_rejects_bad_arguments(arguments: list[str]) -> None:
    result = run_demo(*arguments, timeout=60)

    assert result.returncode == 2
    assert "error:" in result.stderr
