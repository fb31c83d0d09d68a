"""The official JavaScript client through the whole local stack: aws-amplify v6 in Node
(``generateClient``), configured from the stack's Amplify Gen 2 outputs, signs in with the
emulator's Cognito, subscribes, creates a picture, and receives PROCESSING and COMPLETED as
the publish function sent them from the table's stream.

aws-amplify opens the real-time socket with wss:// only, so the stack's AppSync endpoint
serves a TLS listener beside its plain one (same API, same subscriptions); Node trusts
its self-signed certificate through NODE_EXTRA_CA_CERTS. The script is the one the
endpoint's own test drives (tests/appsync/amplify_client.mjs).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from typing import IO, Any

import pytest

from local.client import PictureClient
from local.stack import LocalStack
from local.terraform import REPO_ROOT

from .conftest import PASSWORD, item, new_user

SCRIPT = REPO_ROOT / "tests" / "appsync" / "amplify_client.mjs"
TIMEOUT_SECONDS = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "aws-amplify").is_dir(),
        reason="needs node and `make node` (aws-amplify is a pinned devDependency)",
    ),
]


def _lines(stream: IO[str], into: queue.Queue[dict[str, Any]]) -> None:
    for line in stream:
        if line.strip():
            into.put(json.loads(line))


def test_amplify_creates_a_picture_and_receives_processing_then_completed(
    stack: LocalStack, client: PictureClient
) -> None:
    assert stack.appsync_certificate is not None
    user = new_user(client, "amplify")
    outputs = stack.client_outputs()
    outputs["data"]["url"] = stack.endpoint.tls_url
    # Amplify takes an endpoint for the user pool only: with an identity pool configured
    # it would ask AWS's own Cognito identity service for credentials (and wait for it).
    del outputs["auth"]["identity_pool_id"]
    options = {
        "outputs": outputs,
        "userPoolEndpoint": stack.emulator.url,
        "username": user.username,
        "password": PASSWORD,
        "prompt": "a paper boat on a pond",
        "expectedEvents": 2,
        "timeoutMs": TIMEOUT_SECONDS * 1000,
    }
    environment = {**os.environ, "NODE_EXTRA_CA_CERTS": str(stack.appsync_certificate)}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        environment.pop(name, None)
    process = subprocess.Popen(
        ["node", str(SCRIPT), json.dumps(options)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    lines: queue.Queue[dict[str, Any]] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + TIMEOUT_SECONDS
    seen: list[dict[str, Any]] = []
    try:
        while not seen or seen[-1]["event"] not in ("done", "timeout", "error"):
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        exit_code = process.wait(timeout=10)
    except queue.Empty:
        exit_code = None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert process.stderr is not None
    assert exit_code == 0, f"aws-amplify: {seen}\n{process.stderr.read()[-3000:]}"

    kinds = [line["event"] for line in seen]
    # The create's answer and the first event may cross (generate runs asynchronously).
    assert kinds[:2] == ["signed-in", "subscribed"], seen
    assert sorted(kinds[2:-1]) == ["created", "data", "data"], seen
    assert kinds[-1] == "done", seen
    (pic,) = [line["pic"] for line in seen if line["event"] == "created"]
    assert (pic["owner"], pic["completionStatus"]) == (user.sub, "STARTED")
    events = [line["value"] for line in seen if line["event"] == "data"]
    assert [event["owner"] for event in events] == [user.sub, user.sub]
    published = [json.loads(event["data"]) for event in events]
    assert [(p["id"], p["completionStatus"]) for p in published] == [
        (pic["id"], "PROCESSING"),
        (pic["id"], "COMPLETED"),
    ]
    stored = item(stack, pic["id"])
    assert stored is not None
    assert published[1]["imgId"] == stored["imgId"]
