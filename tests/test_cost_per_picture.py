"""What one picture costs in webhook invocations, table writes and publishes.

The whole chain runs through the handlers (as tests/test_pipeline_end_to_end.py does)
with the Replicate stand-in sending what Replicate sends for the requested events:
``start``, a ``logs`` event per 500 ms of the run (each carrying the diffusers tqdm log
so far) and ``completed``. Counted: every webhook invocation (the HTTP API stand-in),
every DynamoDB write call the handlers make (a refused conditional write is billed as a
write too, so calls are counted, not stream records) and every event published. Run with
``-s`` to see the figures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aipic.clients import dynamodb_client
from aipic.handlers import generate, on_upload, publish, webhook

from local.appsync.standin import AppSyncStandIn
from local.replicate.standin import ReplicateStandIn
from local.runtime.events import lambda_context, s3_object_created_event
from local.runtime.http_api import HttpApiGateway
from tests.conftest import OWNER, AwsAccount

PIC_ID = "c05d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
PROMPT = "a lighthouse at dawn, oil painting"
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem"})


@pytest.fixture
def gateway(aws: AwsAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpApiGateway]:
    with HttpApiGateway(webhook.handler) as api:
        monkeypatch.setenv("WEBHOOK_URL", api.webhook_url)
        yield api


def count_table_calls(calls: Counter[str]) -> None:
    def record(model: Any, **_: object) -> None:
        calls[model.name] += 1

    dynamodb_client().meta.events.register("before-call.dynamodb", record)


@pytest.mark.parametrize(
    ("steps", "step_seconds"),
    [(50, 0.1), (50, 0.4), (30, 1.0)],
    ids=["50-steps-5s", "50-steps-20s", "30-steps-30s"],
)
def test_cost_per_picture_is_bounded_whatever_the_run_length(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    appsync: AppSyncStandIn,
    gateway: HttpApiGateway,
    steps: int,
    step_seconds: float,
) -> None:
    replicate.step_seconds, replicate.time_scale = step_seconds, 0.002
    calls: Counter[str] = Counter()
    count_table_calls(calls)
    stream = aws.stream_reader()
    aws.put_pic(PIC_ID, prompt=PROMPT)

    event = {"id": PIC_ID, "owner": OWNER, "prompt": PROMPT}
    generate.handler(
        {**event, "settings": {"numInferenceSteps": steps}}, lambda_context("aipic-generate")
    )
    replicate.wait_for_webhooks(timeout=30)
    on_upload.handler(
        s3_object_created_event(aws.s3, aws.bucket, f"pics/{OWNER}/{PIC_ID}.png"),
        lambda_context("aipic-on-upload"),
    )
    publish.handler(stream.read_event(), lambda_context("aipic-publish"))

    run_seconds = steps * step_seconds
    webhook_calls = len(gateway.invocations)
    writes = sum(count for name, count in calls.items() if name in WRITE_OPERATIONS)
    events = appsync.events_for(OWNER)
    progress_events = [e for e in events if e.data.get("progress") is not None]
    print(
        f"\n{steps} steps, {run_seconds:.0f} s run: {webhook_calls} webhook invocations, "
        f"{writes} table writes (all calls: {dict(calls)}), {len(events)} publishes "
        f"({len(progress_events) - 1} progress steps)"
    )
    # Replicate: start, at most one logs event per 500 ms (each with new log output),
    # completed; the webhook ran once per delivery.
    logs_events = [d for d in replicate.deliveries if d.event == "logs"]
    assert 1 <= len(logs_events) <= math.ceil(run_seconds / 0.5)
    assert len({d.prediction["logs"] for d in logs_events}) == len(logs_events)
    assert webhook_calls == 1 + len(logs_events) + 1
    assert [d.event for d in replicate.deliveries][:: len(replicate.deliveries) - 1] == [
        "start",
        "completed",
    ]
    # However long the run: claim, PROCESSING, ≤ 10 progress steps, store lease, stored
    # key, COMPLETED; PROCESSING, ≤ 10 progress steps, COMPLETED published.
    progress_writes = writes - 5
    assert 1 <= progress_writes <= 10
    assert len(events) == 2 + progress_writes
    assert events[-1].data["completionStatus"] == "COMPLETED"
