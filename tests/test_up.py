"""``python -m local.up`` (``make up``) as a developer runs it, and a client that knows only
``local-outputs.json``.

The stack runs as a subprocess on the session's ports and apply cache
(``tests/cached_stack.py``, shared with the demo tests, so it usually replays). Once
``local-outputs.json`` appears, ``local/examples/gql_client.py`` — gql and boto3 only, run
unmodified with nothing but the file's path — signs a new user up, subscribes, creates a
picture, receives COMPLETED and downloads the PNG. Then SIGTERM: exit 0, the file gone,
every port closed, no process of it left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from local.stack_cache import ApplyCache
from tests.cached_stack import (
    REPO_ROOT,
    alive,
    assert_ports_closed,
    descendants,
    needs_tools,
    session_stack,
)

EXAMPLE = REPO_ROOT / "local" / "examples" / "gql_client.py"
START_TIMEOUT_SECONDS = 480.0


@pytest.fixture
def running_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    outputs = tmp_path / "local-outputs.json"
    log = (tmp_path / "up.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "local.up", *session_stack().arguments(), "--outputs", str(outputs)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not outputs.exists():
            log.seek(0)
            assert process.poll() is None, f"make up exited {process.returncode}:\n{log.read()}"
            assert time.monotonic() < deadline, f"no local-outputs.json:\n{log.read()[-4000:]}"
            time.sleep(0.5)
        yield process, outputs
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        log.close()


def example_client(outputs: Path, png: Path) -> dict[str, Any]:
    # A developer's shell: no AWS configuration, no project variables.
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "AIPIC_", "TF_"))
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), str(outputs), "--png", str(png)],
        cwd=outputs.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@needs_tools
@pytest.mark.timeout(720)
def test_up_serves_an_unmodified_gql_client_and_stops_cleanly_on_sigterm(
    running_up: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    process, outputs_path = running_up
    outputs = json.loads(outputs_path.read_text(encoding="utf-8"))
    base = session_stack().base_port
    assert outputs["version"] == "1"
    assert set(outputs) == {"version", "auth", "data", "storage", "custom"}
    assert outputs["data"]["url"] == f"http://127.0.0.1:{base + 1}/graphql"
    assert outputs["data"]["default_authorization_type"] == "AMAZON_COGNITO_USER_POOLS"
    assert outputs["custom"] == {
        "aws_endpoint_url": f"http://127.0.0.1:{base}",
        "realtime_url": f"ws://127.0.0.1:{base + 1}/graphql",
    }

    answer = example_client(outputs_path, tmp_path / "picture.png")

    assert answer["statuses"][-1] == "COMPLETED"
    # A progress step repeats PROCESSING: compare the status changes.
    changes = [
        s for i, s in enumerate(answer["statuses"]) if i == 0 or answer["statuses"][i - 1] != s
    ]
    assert changes in (["PROCESSING", "COMPLETED"], ["COMPLETED"])
    assert answer["pngSignature"] == b"\x89PNG\r\n\x1a\n".hex()
    assert (tmp_path / "picture.png").stat().st_size == answer["pngBytes"] > 0

    children = descendants(process.pid)
    assert children, "the emulator and the resolver runtime run as child processes"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert not outputs_path.exists()  # no stale file pointing at closed ports
    assert [pid for pid in children if alive(pid)] == []
    assert_ports_closed(session_stack().ports)


def start_replayed(work_dir: Path) -> LocalStack:
    """A LocalStack on the session's ports and cache, started from a replay (when no test
    before recorded the apply, the first start records it and a second one replays)."""
    ports = session_stack().ports
    for attempt in ("first", "second"):
        stack = LocalStack(
            work_dir=work_dir / attempt,
            emulator_port=ports[0],
            appsync_port=ports[1],
            replicate_port=ports[2],
            apply_cache=ApplyCache(session_stack().cache_dir),
        ).start()
        if stack.cache_hit:
            return stack
        stack.stop()
    raise AssertionError("the second start did not replay the first one's recorded apply")


@needs_tools
@pytest.mark.timeout(600)
def test_replayed_stack_matches_its_terraform_state(tmp_path: Path) -> None:
    """The cached apply is faithful: after a replay, terraform plans no change (same ids,
    same stream ARN, everything the provider reads back), and the root's own
    client_outputs are what LocalStack hands clients, minus the local endpoints."""
    stack = start_replayed(tmp_path)
    try:
        empty, plan = stack.terraform.plan_is_empty()
        assert empty, plan[-4000:]
        client_outputs = stack.client_outputs()
        assert {k: v for k, v in client_outputs.items() if k != "custom"} == stack.outputs[
            "client_outputs"
        ]
    finally:
        stack.stop()
