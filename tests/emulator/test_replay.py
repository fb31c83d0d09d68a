"""Recording and replay in the emulator: a replayed recording rebuilds the same resources
with the same ids (what the cached apply of ``local.stack_cache`` relies on).

Two fresh emulators per test: one records, the other replays; every id the stack's state
would hold must come out equal — the ones moto draws (user pool, client, KMS key), the
AppSync API id (the patch's own draw) and the DynamoDB stream ARN (moto takes it from the
clock; ``patches.replay`` draws it from the seeded random).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from local.emulator.server import MotoServer
from local.stack_cache import replay_recording, start_recording, stop_recording

REGION = "us-east-1"


def clients(url: str) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


def build(client: Callable[[str], Any], name: str) -> dict[str, str]:
    """A few resources whose ids the server chooses, created concurrently as Terraform
    does (in parallel, ten at a time); their ids."""
    idp, kms, appsync, dynamodb = (client(s) for s in ("cognito-idp", "kms", "appsync", "dynamodb"))

    def pool() -> tuple[str, str]:
        pool_id = idp.create_user_pool(PoolName=f"{name}-pool")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
            "UserPoolClient"
        ]["ClientId"]
        return pool_id, client_id

    def key() -> str:
        return str(kms.create_key(Description=name)["KeyMetadata"]["KeyId"])

    def api() -> str:
        return str(
            appsync.create_graphql_api(name=f"{name}-api", authenticationType="AWS_IAM")[
                "graphqlApi"
            ]["apiId"]
        )

    def table() -> str:
        return str(
            dynamodb.create_table(
                TableName=f"{name}-table",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            )["TableDescription"]["LatestStreamArn"]
        )

    with ThreadPoolExecutor(4) as workers:
        futures = [workers.submit(f) for f in (pool, key, api, table, key, api)]
        (pool_id, client_id), key_1, api_1, stream, key_2, api_2 = (f.result() for f in futures)
    return {
        "pool": pool_id,
        "client": client_id,
        "keys": json.dumps(sorted([key_1, key_2])),
        "apis": json.dumps(sorted([api_1, api_2])),
        "stream": stream,
    }


def observed(client: Callable[[str], Any], name: str) -> dict[str, str]:
    """The same ids, read back from an emulator (as the state's refresh would)."""
    idp, kms, appsync, dynamodb = (client(s) for s in ("cognito-idp", "kms", "appsync", "dynamodb"))
    (pool,) = idp.list_user_pools(MaxResults=10)["UserPools"]
    (web,) = idp.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    apis = [a["apiId"] for a in appsync.list_graphql_apis()["graphqlApis"]]
    stream = dynamodb.describe_table(TableName=f"{name}-table")["Table"]["LatestStreamArn"]
    return {
        "pool": pool["Id"],
        "client": web["ClientId"],
        "keys": json.dumps(sorted(keys)),
        "apis": json.dumps(sorted(apis)),
        "stream": stream,
    }


def test_a_replayed_recording_has_the_recorded_ids(tmp_path: Path) -> None:
    recording = tmp_path / "recording.jsonl"
    with MotoServer(recording_path=recording) as recorder:
        start_recording(recorder.url)
        built = build(clients(recorder.url), "replayed")
        stop_recording(recorder.url)
        assert observed(clients(recorder.url), "replayed") == built
        port = recorder.port

    # A fresh emulator on the same port (recorded requests name their host).
    with MotoServer(port, recording_path=tmp_path / "replayer.jsonl") as replayer:
        count, _ = replay_recording(replayer.url, recording)
        assert count == len(recording.read_bytes().splitlines())
        assert observed(clients(replayer.url), "replayed") == built


def test_the_stream_label_is_drawn_from_the_seeded_random_not_the_clock() -> None:
    import subprocess
    import sys

    # A fresh interpreter (the test process never patches moto): seed, label, seed, label.
    program = (
        "from local.emulator import patches; patches.apply_all(lambda_runtime_url=None)\n"
        "from local.emulator.patches.replay import stream_label\n"
        "from moto.moto_api._internal import mock_random\n"
        "mock_random.seed(7); first = stream_label()\n"
        "mock_random.seed(7); print(first, stream_label())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first, second = result.stdout.split()
    assert first == second
    assert first.startswith("2024-")
