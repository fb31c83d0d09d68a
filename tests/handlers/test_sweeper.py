"""sweeper: every picture reaches COMPLETED or FAILED by its deadline, and its owner hears.

Each fault that used to leave a picture hanging is injected for real (generate's event
lost or failing until its retries run out, Replicate's answer lost, Replicate's webhook
never delivered); the sweep then fails the picture with the user-facing reason, and the
table's stream record passes publish's stream filter and reaches the subscriber.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aipic.handlers import generate, publish, sweeper
from aipic.pics import now_iso8601
from aipic.settings import SettingsError

from local.appsync.standin import AppSyncStandIn
from local.replicate.standin import ReplicateStandIn
from local.runtime.events import DynamoDBStreamReader, lambda_context
from tests.conftest import OWNER, TOKEN_PARAMETER, AwsAccount

PIC_ID = "3b9d7f21-5a4c-4e8b-9c1d-2f6a8e0b4d7c"
REASON = "Your picture was not ready within 30 minutes and was stopped; try again."

# The event pattern of the publish stream mapping (modules/pipeline/triggers.tf, asserted
# there by tests/pipeline.tftest.hcl run "stream_mapping_retries_records_boundedly").
PUBLISH_STREAM_FILTER = {
    "eventName": ["MODIFY"],
    "dynamodb": {"NewImage": {"completionStatus": {"S": ["PROCESSING", "COMPLETED", "FAILED"]}}},
}


def _matches(pattern: dict[str, Any], value: dict[str, Any]) -> bool:
    """Lambda event filtering for the subset the pattern uses: nested keys, value lists."""
    for key, wanted in pattern.items():
        if key not in value:
            return False
        if isinstance(wanted, dict):
            if not isinstance(value[key], dict) or not _matches(wanted, value[key]):
                return False
        elif value[key] not in wanted:
            return False
    return True


def _minutes_ago(minutes: int) -> str:
    moment = datetime.now(UTC) - timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sweep() -> dict[str, int]:
    return sweeper.handler({"source": "aws.events"}, lambda_context("aipic-sweeper"))


def invoke_generate() -> dict[str, str]:
    event = {"id": PIC_ID, "owner": OWNER, "prompt": "a lighthouse at dawn", "settings": {}}
    return generate.handler(event, lambda_context("aipic-generate"))


def publish_swept(stream: DynamoDBStreamReader, appsync: AppSyncStandIn) -> list[Any]:
    """Run publish on what passes its stream filter; the events its subscriber got."""
    records = [r for r in stream.read_records() if _matches(PUBLISH_STREAM_FILTER, r)]
    assert publish.handler({"Records": records}, lambda_context("aipic-publish")) == {
        "batchItemFailures": []
    }
    return [
        (e.owner, e.data["completionStatus"], e.data.get("failureReason")) for e in appsync.events
    ]


def assert_failed_by_the_sweeper(aws: AwsAccount) -> None:
    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item["failureReason"]) == ("FAILED", REASON)
    assert "pendingPartition" not in item


def test_picture_whose_generate_event_was_lost_fails_at_its_deadline(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    aws.put_pic(PIC_ID)  # created long ago; generate never ran
    stream = aws.stream_reader()
    stream.read_records()

    assert sweep() == {"failed": 1, "cancelled": 0, "moved_on": 0}

    assert_failed_by_the_sweeper(aws)
    assert publish_swept(stream, appsync) == [(OWNER, "FAILED", REASON)]


def test_picture_whose_generate_event_exhausted_its_retries_fails_at_its_deadline(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    appsync: AppSyncStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws.put_pic(PIC_ID)
    stream = aws.stream_reader()
    stream.read_records()

    def unreadable(name: str, max_age_seconds: int) -> str:
        raise RuntimeError("SSM endpoint unreachable")  # not a ParameterUnavailableError

    with monkeypatch.context() as patch:
        patch.setattr(generate, "read_secure_parameter", unreadable)
        for _ in range(3):  # the invocation and Lambda's two retries, then the failure queue
            with pytest.raises(RuntimeError):
                invoke_generate()
    assert aws.item(PIC_ID)["completionStatus"] == "STARTED"  # type: ignore[index]

    assert sweep()["failed"] == 1

    assert_failed_by_the_sweeper(aws)
    assert replicate.prediction_requests == []
    assert publish_swept(stream, appsync) == [(OWNER, "FAILED", REASON)]


def test_picture_whose_webhook_never_arrives_fails_and_its_prediction_is_cancelled(
    aws: AwsAccount, replicate: ReplicateStandIn, appsync: AppSyncStandIn
) -> None:
    aws.put_pic(PIC_ID)
    stream = aws.stream_reader()
    stream.read_records()
    # WEBHOOK_URL is a public host the stand-in never reaches: the webhook is lost.
    assert invoke_generate()["outcome"] == "PROCESSING"
    (prediction_id,) = replicate.predictions

    assert sweep() == {"failed": 1, "cancelled": 1, "moved_on": 0}

    assert_failed_by_the_sweeper(aws)
    assert replicate.cancellations == [prediction_id]
    assert publish_swept(stream, appsync) == [
        (OWNER, "PROCESSING", None),
        (OWNER, "FAILED", REASON),
    ]


def test_picture_whose_replicate_answer_was_lost_fails_at_its_deadline(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    appsync: AppSyncStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPLICATE_TIMEOUT_SECONDS", "0.2")
    replicate.prediction_delays = [1.0]
    aws.put_pic(PIC_ID)
    stream = aws.stream_reader()
    stream.read_records()
    assert invoke_generate()["outcome"] == "in-doubt"  # and its webhook is lost too

    assert sweep() == {"failed": 1, "cancelled": 0, "moved_on": 0}

    assert_failed_by_the_sweeper(aws)
    assert publish_swept(stream, appsync) == [(OWNER, "FAILED", REASON)]


def test_pictures_within_their_deadline_and_final_ones_are_left_alone(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic("fresh-started", created_at=now_iso8601())
    aws.put_pic("fresh-processing", status="PROCESSING", created_at=now_iso8601())
    aws.put_pic("completed", status="COMPLETED", prediction_id="p1")
    aws.put_pic("failed", status="FAILED")

    assert sweep() == {"failed": 0, "cancelled": 0, "moved_on": 0}

    ids = ("fresh-started", "fresh-processing", "completed", "failed")
    statuses = {pic_id: aws.item(pic_id)["completionStatus"] for pic_id in ids}  # type: ignore[index]
    assert statuses == {
        "fresh-started": "STARTED",
        "fresh-processing": "PROCESSING",
        "completed": "COMPLETED",
        "failed": "FAILED",
    }
    assert replicate.cancellations == []


def test_a_late_completed_is_never_overridden(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p1")
    # on_upload completed it after the index was read: the item still shows in the index.
    aws.dynamodb.update_item(
        TableName=aws.table_name,
        Key={"id": {"S": PIC_ID}},
        UpdateExpression="SET completionStatus = :completed",
        ExpressionAttributeValues={":completed": {"S": "COMPLETED"}},
    )

    assert sweep() == {"failed": 0, "cancelled": 0, "moved_on": 1}

    assert aws.item(PIC_ID)["completionStatus"] == "COMPLETED"  # type: ignore[index]
    assert replicate.cancellations == []


def test_deadline_follows_the_configuration(
    aws: AwsAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PICTURE_DEADLINE_MINUTES", "10")
    aws.put_pic("eleven-minutes", created_at=_minutes_ago(11))
    aws.put_pic("nine-minutes", created_at=_minutes_ago(9))

    assert sweep()["failed"] == 1

    assert aws.item("eleven-minutes")["failureReason"].startswith(  # type: ignore[index]
        "Your picture was not ready within 10 minutes"
    )
    assert aws.item("nine-minutes")["completionStatus"] == "STARTED"  # type: ignore[index]


def test_a_cancel_that_fails_still_fails_the_picture(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="unknown-at-replicate")
    aws.put_pic("second", status="PROCESSING", prediction_id="also-unknown")

    assert sweep() == {"failed": 2, "cancelled": 0, "moved_on": 0}

    assert_failed_by_the_sweeper(aws)
    assert len([r for r in replicate.requests if r.path.endswith("/cancel")]) == 2


def test_a_missing_token_skips_the_cancel_not_the_failure(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.ssm.delete_parameter(Name=TOKEN_PARAMETER)
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p1")

    assert sweep() == {"failed": 1, "cancelled": 0, "moved_on": 0}

    assert_failed_by_the_sweeper(aws)
    assert replicate.requests == []


def test_one_sweep_is_bounded_and_the_next_continues(
    aws: AwsAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeper, "MAX_PICTURES_PER_SWEEP", 2)
    for index in range(3):
        aws.put_pic(f"pic-{index}", created_at=f"2025-06-01T12:00:0{index}.000Z")

    assert sweep()["failed"] == 2
    assert aws.item("pic-2")["completionStatus"] == "STARTED"  # type: ignore[index]
    assert sweep()["failed"] == 1
    assert aws.item("pic-2")["completionStatus"] == "FAILED"  # type: ignore[index]


def test_missing_index_setting_is_reported_by_name(
    aws: AwsAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PENDING_INDEX_NAME")
    with pytest.raises(SettingsError, match="PENDING_INDEX_NAME"):
        sweep()
