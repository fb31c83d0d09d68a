"""The official JavaScript client, aws-amplify v6 in Node, against the local endpoint:
configured from Amplify Gen 2 outputs, signed in with the emulator's Cognito, it
subscribes, creates a picture and receives the picture's published status changes.

aws-amplify always opens the real-time socket with wss:// (for a domain that is not
AppSync's it goes to <graphql url>/realtime), so this endpoint serves TLS with a
self-signed certificate that Node trusts through NODE_EXTRA_CA_CERTS.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from local.appsync.auth import static_principals
from local.appsync.server import AppSyncEndpoint, local_tls_context

from .conftest import PASSWORD, PUBLISHER, PUBLISHER_KEY_ID, REGION, Stack

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("amplify_client.mjs")
TIMEOUT_SECONDS = 60

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "aws-amplify").is_dir(),
    reason="needs node and `make node` (aws-amplify is a pinned devDependency)",
)


@pytest.fixture
def tls_endpoint(stack: Stack, tmp_path: Path) -> Iterator[tuple[AppSyncEndpoint, Path]]:
    context, certificate = local_tls_context(tmp_path)
    with AppSyncEndpoint(
        stack.api,
        region=REGION,
        dynamodb_client=stack.dynamodb,
        lambda_client=stack.lambda_client,
        jwks_url=f"{stack.emulator.url}/{stack.user_pool_id}/.well-known/jwks.json",
        iam_principals=static_principals({PUBLISHER_KEY_ID: PUBLISHER}),
        ssl_context=context,
    ) as endpoint:
        yield endpoint, certificate


def _lines(stream: IO[str], into: queue.Queue[dict[str, Any]]) -> None:
    for line in stream:
        if line.strip():
            into.put(json.loads(line))


def _next(lines: queue.Queue[dict[str, Any]], deadline: float) -> dict[str, Any]:
    return lines.get(timeout=max(0.1, deadline - time.monotonic()))


def test_amplify_creates_and_receives_its_own_events(
    stack: Stack, tls_endpoint: tuple[AppSyncEndpoint, Path]
) -> None:
    endpoint, certificate = tls_endpoint
    user = stack.sign_up("amplify")
    outputs = {
        "version": "1",
        "auth": {
            "aws_region": REGION,
            "user_pool_id": stack.user_pool_id,
            "user_pool_client_id": stack.client_id,
        },
        "data": {
            "aws_region": REGION,
            "url": endpoint.url,
            "default_authorization_type": "AMAZON_COGNITO_USER_POOLS",
            "authorization_types": ["AWS_IAM"],
        },
    }
    options = {
        "outputs": outputs,
        "userPoolEndpoint": stack.emulator.url,
        "username": user.username,
        "password": PASSWORD,
        "prompt": "a paper boat on a pond",
        "expectedEvents": 2,
        "timeoutMs": TIMEOUT_SECONDS * 1000,
    }
    environment = {**os.environ, "NODE_EXTRA_CA_CERTS": str(certificate)}
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
        while not seen or seen[-1]["event"] != "created":
            seen.append(_next(lines, deadline))
            assert seen[-1]["event"] in {"signed-in", "subscribed", "created"}, seen
        pic = seen[-1]["pic"]
        assert pic["owner"] == user.sub
        assert pic["completionStatus"] == "STARTED"
        for status in ("PROCESSING", "COMPLETED"):
            publish_over(
                endpoint, certificate, user.sub, {"id": pic["id"], "completionStatus": status}
            )
        while seen[-1]["event"] != "done":
            seen.append(_next(lines, deadline))
            assert seen[-1]["event"] in {"data", "done"}, seen
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    events = [line["value"] for line in seen if line["event"] == "data"]
    assert [event["owner"] for event in events] == [user.sub, user.sub]
    assert [json.loads(event["data"])["completionStatus"] for event in events] == [
        "PROCESSING",
        "COMPLETED",
    ]
    assert [line["event"] for line in seen[:3]] == ["signed-in", "subscribed", "created"]


def publish_over(
    endpoint: AppSyncEndpoint, certificate: Path, owner: str, data: dict[str, Any]
) -> None:
    """The publish Lambda's SigV4 mutation, to the TLS endpoint (botocore signs it)."""
    import ssl
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from .conftest import PUBLISHER_SECRET

    body = json.dumps(
        {
            "query": "mutation P($owner: ID!, $data: AWSJSON!) "
            "{ publish(owner: $owner, data: $data) { owner data } }",
            "variables": {"owner": owner, "data": json.dumps(data)},
        }
    ).encode()
    request = AWSRequest(
        method="POST", url=endpoint.url, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials(PUBLISHER_KEY_ID, PUBLISHER_SECRET), "appsync", REGION).add_auth(request)
    prepared = request.prepare()
    context = ssl.create_default_context(cafile=str(certificate))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    http_request = urllib.request.Request(
        prepared.url, data=body, headers=dict(prepared.headers), method="POST"
    )
    with opener.open(http_request, timeout=10) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
