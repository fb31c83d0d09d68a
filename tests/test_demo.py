"""The local demo (``python -m local.demo``, what ``make demo`` runs), as a user runs it.

Each test starts the demo as a subprocess and asserts on what it leaves behind: its exit
status, the PNGs, the events the subscribers received (``--events-json``), and that no
process or port of it outlives it.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aipic import failure_reasons
from PIL import Image

from local.demo.errors import EXIT_SETUP_FAILED, EXIT_TIMEOUT
from local.demo.pipeline import HOPS
from local.demo.terraform import _resource_type
from local.net import free_port, port_is_listening
from local.replicate.standin import render_png

REPO_ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ("a lighthouse at dawn, oil painting", "a red fox in fresh snow")

needs_tools = pytest.mark.skipif(
    shutil.which("terraform") is None or shutil.which("node") is None,
    reason="the demo needs terraform and node on PATH",
)


def run_demo(*arguments: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.demo", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain ``text`` (Linux /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if text in command:
            found.append(command)
    return found


def assert_nothing_left_running(moto_port: int) -> None:
    assert not port_is_listening(moto_port), f"moto's port {moto_port} is still open"
    assert processes_mentioning(f"-p {moto_port}") == []  # moto's server
    assert processes_mentioning(f"moto_endpoint=http://127.0.0.1:{moto_port}") == []  # terraform


def run_demo_successfully(
    tmp_path: Path, *arguments: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The demo writing its PNGs to ``tmp_path/out``; it must exit 0. Its ``--events-json``."""
    events_path = tmp_path / "events.json"
    result = run_demo(
        *arguments, "--output-dir", str(tmp_path / "out"), "--events-json", str(events_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result, json.loads(events_path.read_text(encoding="utf-8"))


@needs_tools
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
        # The stored picture is the one the stand-in drew for this prompt, byte for byte.
        assert png.read_bytes() == render_png(picture["prompt"])
        assert set(picture["timings"]) == {hop for hop, _ in HOPS}
    first, second = (Path(p["file"]).read_bytes() for p in pictures)
    assert first != second

    # Each subscriber received exactly its own picture's events.
    assert events["misrouted"] == []
    for subscriber, picture in zip(events["subscribers"], pictures, strict=True):
        assert subscriber["owner"] == picture["owner"]
        assert [e["id"] for e in subscriber["received"]] == [picture["id"]] * 2
        assert [e["completionStatus"] for e in subscriber["received"]] == [
            "PROCESSING",
            "COMPLETED",
        ]
        assert all(e["owner"] == picture["owner"] for e in subscriber["received"])
    assert_nothing_left_running(events["moto"]["port"])


@needs_tools
def test_demo_fail_mode_delivers_failed_with_its_reason(tmp_path: Path) -> None:
    _, events = run_demo_successfully(tmp_path, "--prompt", "a storm at sea", "--fail")

    (picture,) = events["pictures"]
    assert picture["statuses"] == ["PROCESSING", "FAILED"]
    # The stand-in's error is Replicate's safety checker's: users read what to do about it.
    assert picture["failureReason"] == failure_reasons.PREDICTION_BLOCKED
    assert picture["file"] is None
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    (subscriber,) = events["subscribers"]
    assert subscriber["received"][-1]["failureReason"] == picture["failureReason"]
    assert_nothing_left_running(events["moto"]["port"])


def test_demo_reports_a_port_in_use_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_demo("--prompt", "x", "--moto-port", str(port), timeout=60)

    assert result.returncode == EXIT_SETUP_FAILED
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert processes_mentioning(f"-p {port}") == []


@needs_tools
def test_demo_timeout_fails_clearly_and_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    result = run_demo(
        "--prompt", "x", "--moto-port", str(port), "--timeout", "3", "--output-dir", str(tmp_path)
    )

    assert result.returncode == EXIT_TIMEOUT, result.stdout + result.stderr
    assert "--timeout" in result.stderr
    assert "Traceback" not in result.stderr
    assert_nothing_left_running(port)


@pytest.mark.parametrize(
    "arguments",
    [[], ["--prompt", "   "], ["--prompt", "x", "--timeout", "0"]],
)
def test_demo_rejects_bad_arguments(arguments: list[str]) -> None:
    result = run_demo(*arguments, timeout=60)

    assert result.returncode == 2
    assert "error:" in result.stderr


@pytest.mark.parametrize(
    ("address", "resource_type"),
    [
        ("aws_ssm_parameter.webhook_secret", "aws_ssm_parameter"),
        ("module.data.aws_s3_bucket_policy.pics", "aws_s3_bucket_policy"),
        ("module.data.aws_s3_bucket_logging.pics[0]", "aws_s3_bucket_logging"),
        ("module.a.module.b.data.aws_region.current", "aws_region"),
    ],
)
def test_resource_type_of_a_plan_address(address: str, resource_type: str) -> None:
    assert _resource_type(address) == resource_type
