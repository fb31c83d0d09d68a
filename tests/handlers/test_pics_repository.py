"""The pics repository: status only moves forward, every transition conditional."""

from __future__ import annotations

import pytest
from aipic.pics import pics_repository

from tests.conftest import OWNER, AwsAccount

PIC_ID = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"


@pytest.mark.parametrize(
    ("status", "allowed"),
    [("STARTED", True), ("PROCESSING", False), ("COMPLETED", False), ("FAILED", False)],
)
def test_processing_only_from_started(aws: AwsAccount, status: str, allowed: bool) -> None:
    aws.put_pic(PIC_ID, status=status, prediction_id="first")
    assert pics_repository().mark_processing(PIC_ID, "second") is allowed
    item = aws.item(PIC_ID)
    assert item is not None
    expected = ("PROCESSING", "second") if allowed else (status, "first")
    assert (item["completionStatus"], item["predictionId"]) == expected


@pytest.mark.parametrize(
    ("status", "owner", "allowed"),
    [
        ("PROCESSING", OWNER, True),
        ("PROCESSING", "someone-else", False),
        ("STARTED", OWNER, False),
        ("FAILED", OWNER, False),
    ],
)
def test_completed_only_from_processing_for_the_owner(
    aws: AwsAccount, status: str, owner: str, allowed: bool
) -> None:
    aws.put_pic(PIC_ID, status=status)
    assert pics_repository().mark_completed(PIC_ID, owner, "pics/x/y.png") is allowed
    assert aws.item(PIC_ID)["completionStatus"] == ("COMPLETED" if allowed else status)  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "allowed"),
    [("STARTED", True), ("PROCESSING", True), ("COMPLETED", False), ("FAILED", False)],
)
def test_failed_never_overwrites_a_final_status(
    aws: AwsAccount, status: str, allowed: bool
) -> None:
    aws.put_pic(PIC_ID, status=status)
    assert pics_repository().mark_failed(PIC_ID, "x" * 5000) is allowed
    item = aws.item(PIC_ID)
    assert item is not None
    if allowed:
        assert item["completionStatus"] == "FAILED"
        assert len(item["failureReason"]) == 1000
    else:
        assert item["completionStatus"] == status


def test_transitions_never_create_an_item(aws: AwsAccount) -> None:
    pics = pics_repository()
    assert pics.mark_failed("ghost", "reason") is False
    assert pics.mark_completed("ghost", OWNER, "pics/o/ghost.png") is False
    assert pics.record_webhook_attempt("ghost", "p") is None
    assert aws.item("ghost") is None


def test_webhook_attempts_count_up_for_the_current_prediction_only(aws: AwsAccount) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p1")
    pics = pics_repository()
    assert [pics.record_webhook_attempt(PIC_ID, "p1") for _ in range(3)] == [1, 2, 3]
    assert pics.record_webhook_attempt(PIC_ID, "another") is None


def test_quota_counters_are_not_pictures(aws: AwsAccount) -> None:
    aws.dynamodb.put_item(
        TableName=aws.table_name, Item={"id": {"S": "quota#o#2025-06-01"}, "count": {"N": "2"}}
    )
    assert pics_repository().get("quota#o#2025-06-01") is None
