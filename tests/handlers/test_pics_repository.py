"""The pics repository: status only moves forward, every transition conditional."""

from __future__ import annotations

import pytest
from aipic.pics import StoreClaim, pics_repository

from local.pics_table import PENDING_INDEX_NAME
from tests.conftest import CREATED_AT, OWNER, AwsAccount

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


# ---------------------------------------------------------------- claim and adoption


@pytest.mark.parametrize(
    ("status", "claimed", "allowed"),
    [
        ("STARTED", False, True),
        ("STARTED", True, False),
        ("PROCESSING", False, False),
        ("FAILED", False, False),
    ],
)
def test_only_one_claim_on_a_started_picture(
    aws: AwsAccount, status: str, claimed: bool, allowed: bool
) -> None:
    aws.put_pic(PIC_ID, status=status, claimed=claimed)
    assert pics_repository().claim_for_generation(PIC_ID) is allowed
    assert pics_repository().claim_for_generation(PIC_ID) is False
    assert pics_repository().claim_for_generation("ghost") is False
    assert aws.item("ghost") is None


@pytest.mark.parametrize(
    ("status", "claimed", "prediction_id", "allowed"),
    [
        ("STARTED", True, None, True),
        ("STARTED", False, None, False),  # generate never asked Replicate
        ("PROCESSING", True, "recorded", False),
        ("FAILED", True, None, False),  # swept at its deadline
    ],
)
def test_webhook_adopts_a_prediction_only_for_a_claimed_picture_without_one(
    aws: AwsAccount, status: str, claimed: bool, prediction_id: str | None, allowed: bool
) -> None:
    aws.put_pic(PIC_ID, status=status, claimed=claimed, prediction_id=prediction_id)
    assert pics_repository().adopt_prediction(PIC_ID, "from-webhook") is allowed
    item = aws.item(PIC_ID)
    assert item is not None
    if allowed:
        assert (item["completionStatus"], item["predictionId"]) == ("PROCESSING", "from-webhook")
    else:
        assert (item["completionStatus"], item.get("predictionId")) == (status, prediction_id)


# ---------------------------------------------------------------- the pending index


def pending_ids(cutoff: str = "2030-01-01T00:00:00.000Z") -> list[str]:
    return list(pics_repository().pending_created_before(PENDING_INDEX_NAME, cutoff, page_size=2))


def test_every_final_write_takes_the_picture_out_of_the_pending_index(aws: AwsAccount) -> None:
    pics = pics_repository()
    for pic_id in ("completed", "failed", "overdue"):
        aws.put_pic(pic_id, status="PROCESSING", prediction_id="p")
    assert sorted(pending_ids()) == ["completed", "failed", "overdue"]

    assert pics.mark_completed("completed", OWNER, "pics/o/completed.png")
    assert pics.mark_failed("failed", "reason")
    assert pics.fail_overdue("overdue", "2030-01-01T00:00:00.000Z", "late") is not None

    assert pending_ids() == []
    for pic_id in ("completed", "failed", "overdue"):
        assert "pendingPartition" not in aws.item(pic_id)  # type: ignore[operator]


def test_pending_index_lists_pictures_created_before_the_cutoff_oldest_first(
    aws: AwsAccount,
) -> None:
    for minute in (5, 1, 3, 9):
        aws.put_pic(f"pic-{minute}", created_at=f"2025-06-01T12:0{minute}:00.000Z")
    aws.put_pic("done", status="COMPLETED", created_at="2025-06-01T12:00:00.000Z")
    aws.dynamodb.put_item(  # quota counters are never pictures
        TableName=aws.table_name, Item={"id": {"S": "quota#o#2025-06-01"}, "count": {"N": "2"}}
    )

    assert pending_ids("2025-06-01T12:06:00.000Z") == ["pic-1", "pic-3", "pic-5"]


@pytest.mark.parametrize(
    ("status", "created_at", "allowed"),
    [
        ("STARTED", CREATED_AT, True),
        ("PROCESSING", CREATED_AT, True),
        ("COMPLETED", CREATED_AT, False),  # a late COMPLETED wins
        ("FAILED", CREATED_AT, False),
        ("STARTED", "2030-06-01T12:00:00.000Z", False),  # not overdue (the index lagged)
    ],
)
def test_fail_overdue_only_fails_a_picture_not_final_and_past_the_cutoff(
    aws: AwsAccount, status: str, created_at: str, allowed: bool
) -> None:
    aws.put_pic(PIC_ID, status=status, created_at=created_at, prediction_id="p", claimed=True)

    before = pics_repository().fail_overdue(PIC_ID, "2030-01-01T00:00:00.000Z", "too late")

    item = aws.item(PIC_ID)
    assert item is not None
    if allowed:
        assert before is not None
        assert (before.status, before.prediction_id, before.claimed) == (status, "p", True)
        assert (item["completionStatus"], item["failureReason"]) == ("FAILED", "too late")
    else:
        assert before is None
        assert item["completionStatus"] == status


# ---------------------------------------------------------------- the image store lease


def test_the_store_lease_admits_one_delivery_until_it_expires_or_is_given_back(
    aws: AwsAccount,
) -> None:
    pics = pics_repository()
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p-1")
    now = 1_750_000_000

    assert pics.claim_image_store(PIC_ID, "p-1", "first", now, now + 20) is StoreClaim.CLAIMED
    assert pics.claim_image_store(PIC_ID, "p-1", "second", now, now + 20) is StoreClaim.BUSY
    # A lease left by a delivery that crashed is taken over once it expired.
    later = now + 20
    assert pics.claim_image_store(PIC_ID, "p-1", "second", later, later + 20) is StoreClaim.CLAIMED
    # The first delivery's late writes are refused: the lease is no longer its.
    pics.release_image_store(PIC_ID, "first")
    pics.record_image_stored(PIC_ID, "first", "pics/o/wrong.png")
    assert aws.item(PIC_ID)["imageStoreLease"] == "second"  # type: ignore[index]
    # A transient failure gives the lease back: the next delivery may retry at once.
    pics.release_image_store(PIC_ID, "second")
    assert pics.claim_image_store(PIC_ID, "p-1", "third", later, later + 20) is StoreClaim.CLAIMED

    pics.record_image_stored(PIC_ID, "third", "pics/o/p.png")

    item = aws.item(PIC_ID)
    assert item is not None
    assert item["storedImageKey"] == "pics/o/p.png"
    assert "imageStoreLease" not in item
    assert "imageStoreLeaseExpiresAt" not in item
    far = later + 3600
    assert pics.claim_image_store(PIC_ID, "p-1", "fourth", far, far + 20) is StoreClaim.STORED


@pytest.mark.parametrize(
    ("status", "prediction_id"),
    [("PROCESSING", "p-other"), ("FAILED", "p-1"), ("COMPLETED", "p-1"), ("STARTED", None)],
)
def test_no_store_lease_on_a_picture_that_is_not_processing_this_prediction(
    aws: AwsAccount, status: str, prediction_id: str | None
) -> None:
    aws.put_pic(PIC_ID, status=status, prediction_id=prediction_id)
    claim = pics_repository().claim_image_store(PIC_ID, "p-1", "lease", 0, 20)
    assert claim is StoreClaim.NOT_PROCESSING
    assert "imageStoreLease" not in aws.item(PIC_ID)  # type: ignore[operator]
    assert pics_repository().claim_image_store("ghost", "p-1", "lease", 0, 20) is (
        StoreClaim.NOT_PROCESSING
    )
