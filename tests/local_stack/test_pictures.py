"""A picture through the whole local stack, as a frontend sees it: signed in with the
emulator's Cognito, subscribed over AppSync's real-time WebSocket (gql's
AppSyncWebsocketsTransport), created over HTTP (gql's RequestsHTTPTransport with
AppSyncJWTAuthentication), downloaded with the user's identity-pool credentials; and
between those, every hop run by the function runtime from what Terraform created.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from aipic import failure_reasons

from local.client import PictureClient, SignedInUser
from local.replicate.standin import render_png
from local.stack import LocalStack

from .conftest import (
    PICTURE_TIMEOUT_SECONDS,
    function_for,
    item,
    object_keys,
    run_picture,
    settle,
    table_name,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def predictions_for(stack: LocalStack, prompt: str) -> list[dict[str, Any]]:
    return [p for p in stack.replicate.predictions.values() if p["input"].get("prompt") == prompt]


def test_a_picture_reaches_completed_and_its_owner_downloads_it(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    prompt = "a lighthouse at dawn, oil painting"
    run = run_picture(stack, client, user, f"  {prompt} ")

    assert run.pic["owner"] == user.sub
    assert run.pic["prompt"] == prompt
    assert run.pic["completionStatus"] == "STARTED"
    assert run.statuses == ["PROCESSING", "COMPLETED"], run.events
    assert all(event.owner == user.sub for event in run.events)
    completed = run.final
    assert completed is not None
    key = completed.pic["imgId"]
    assert key == f"pics/{user.sub}/{run.pic['id']}.png"

    listed = client.list_pictures(user)
    assert [(p["id"], p["completionStatus"], p["imgId"]) for p in listed] == [
        (run.pic["id"], "COMPLETED", key)
    ]
    # The bytes the Replicate stand-in drew for the prediction this picture started.
    (prediction,) = predictions_for(stack, prompt)
    stored = item(stack, run.pic["id"])
    assert stored is not None
    assert stored["predictionId"] == prediction["id"]
    assert client.download(user, key) == render_png(prompt, stack.replicate.image_size)
    print(f"\nCOMPLETED after {run.seconds:.1f}s")


def test_every_hop_is_run_by_the_runtime_from_what_terraform_created(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    functions = {name: function_for(stack, name) for name in ("generate", "webhook", "publish")}
    on_upload = function_for(stack, "on_upload")
    runtime_before = len(stack.runtime.invocations)
    emulator_before = len(_emulator_invocations(stack))

    run = run_picture(stack, client, user, "a heron in the reeds")
    assert run.statuses == ["PROCESSING", "COMPLETED"], run.events

    new = stack.runtime.invocations.records()[runtime_before:]
    triggers = {
        name: {r.trigger for r in new if r.function_name == function.name}
        for name, function in functions.items()
    }
    assert all(r.outcome == "success" for r in new), new
    # generate: AppSync's Lambda data source, through the Invoke API.
    assert triggers["generate"] == {"invoke-api"}
    # webhook: the HTTP API route in front of it, the API whose URL generate gave Replicate.
    api_id = (urlsplit(stack.outputs["webhook_url"]).hostname or "").split(".", 1)[0]
    assert triggers["webhook"] == {f"http-api:{api_id}"}
    # publish: the stream mapping Terraform created on the table's stream.
    mappings = stack.aws_client("lambda").list_event_source_mappings(
        FunctionName=functions["publish"].arn
    )["EventSourceMappings"]
    (mapping,) = mappings
    assert f":table/{table_name(stack)}/stream/" in mapping["EventSourceArn"]
    assert triggers["publish"] == {f"dynamodb-stream:{mapping['UUID']}"}
    # on_upload: the bucket's notification, which the emulator handed to the runtime.
    notifications = stack.aws_client("s3").get_bucket_notification_configuration(
        Bucket=stack.outputs["bucket_name"]
    )["LambdaFunctionConfigurations"]
    assert [n["LambdaFunctionArn"] for n in notifications] == [on_upload.arn]
    from_s3 = [
        entry
        for entry in _emulator_invocations(stack)[emulator_before:]
        if entry["function_name"] == on_upload.name
    ]
    assert [entry["payload"]["Records"][0]["eventSource"] for entry in from_s3] == ["aws:s3"]
    assert from_s3[0]["forwarded"] is True
    assert [r.outcome for r in new if r.function_name == on_upload.name] == ["success"]


def _emulator_invocations(stack: LocalStack) -> list[dict[str, Any]]:
    """Every invocation moto's own callers (S3 notifications...) made, as the emulator's
    launcher lists them."""
    answer = requests.get(f"{stack.emulator.url}/_local/lambda/invocations", timeout=10)
    answer.raise_for_status()
    entries: list[dict[str, Any]] = answer.json()
    return entries


def test_a_failed_prediction_reaches_the_subscriber_as_failed_with_a_reason(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    stack.replicate.outcome = "failed"

    run = run_picture(stack, client, user, "a storm over the sea")

    assert run.statuses == ["PROCESSING", "FAILED"], run.events
    failed = run.final
    assert failed is not None
    assert failed.pic["failureReason"] == failure_reasons.PREDICTION_FAILED
    assert object_keys(stack, f"pics/{user.sub}/") == []
    listed = client.list_pictures(user)
    assert [(p["completionStatus"], p["failureReason"]) for p in listed] == [
        ("FAILED", failure_reasons.PREDICTION_FAILED)
    ]


def test_replicate_unavailable_once_then_the_picture_completes(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    # 503: Replicate did not take the request, so generate retries it (with backoff).
    stack.replicate.prediction_failures = [503]
    prompt = "a windmill at noon"
    generate = function_for(stack, "generate")
    calls_before = len(stack.runtime.invocations.records(generate.name))
    posts_before = len(stack.replicate.prediction_requests)

    run = run_picture(stack, client, user, prompt)

    assert run.statuses == ["PROCESSING", "COMPLETED"], run.events
    # Two requests, one prediction, one invocation: the retry was generate's own.
    assert len(stack.replicate.prediction_requests) - posts_before == 2
    assert len(predictions_for(stack, prompt)) == 1
    assert len(stack.runtime.invocations.records(generate.name)) - calls_before == 1


def test_a_500_leaves_the_picture_in_doubt_until_the_sweeper_fails_it(
    stack: LocalStack, client: PictureClient, user: SignedInUser
) -> None:
    """A 500 may come after Replicate created the prediction: generate neither retries
    (that could pay twice) nor fails the picture; the webhook, or else the sweeper's
    deadline, decides. Here no prediction exists, so the deadline does."""
    stack.replicate.prediction_failures = [500]
    posts_before = len(stack.replicate.prediction_requests)

    async def scenario() -> tuple[list[str], dict[str, Any], Any]:
        async with client.subscription(user) as events:
            pic = await asyncio.to_thread(client.create, user, "a bridge in the fog")
            await asyncio.to_thread(settle, stack)
            in_doubt = await asyncio.to_thread(item, stack, pic["id"])
            # The deadline passes (the picture was created before it), and the sweeper's
            # schedule, the rule Terraform created, fires.
            await asyncio.to_thread(_created_long_ago, stack, pic["id"])
            await asyncio.to_thread(stack.runtime.fire_schedules)
            async with asyncio.timeout(PICTURE_TIMEOUT_SECONDS):
                async for event in events:
                    if event.pic.get("id") == pic["id"]:
                        return [event.status], in_doubt or {}, event
            raise AssertionError("the subscription ended")

    statuses, in_doubt, event = asyncio.run(scenario())

    assert len(stack.replicate.prediction_requests) - posts_before == 1  # not retried
    assert in_doubt["completionStatus"] == "STARTED"  # not failed by generate
    assert statuses == ["FAILED"]
    any_minutes = re.escape(failure_reasons.not_ready_within(999)).replace("999", r"\d+")
    assert re.fullmatch(any_minutes, event.pic["failureReason"])


def _created_long_ago(stack: LocalStack, pic_id: str) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=1)
    stack.aws_client("dynamodb").update_item(
        TableName=table_name(stack),
        Key={"id": {"S": pic_id}},
        UpdateExpression="SET createdAt = :then",
        ExpressionAttributeValues={
            ":then": {"S": long_ago.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        },
    )
