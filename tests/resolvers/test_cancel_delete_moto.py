"""cancelAIPic, deleteAIPic, publishAIPic and onAIPicChange run by the executor against
moto's DynamoDB: owner only, final pictures refused, nothing changed on a refusal."""

from __future__ import annotations

from typing import Any

import pytest

from local.appsync.executor import (
    AppSyncExecutor,
    cognito_identity,
    iam_identity,
    subscription_filter_matches,
)

from .conftest import TABLE_NAME

ALICE = cognito_identity("11111111-aaaa-4aaa-8aaa-111111111111", "alice")
BOB = cognito_identity("22222222-bbbb-4bbb-8bbb-222222222222", "bob")


def item(dynamodb: Any, pic_id: str) -> dict[str, Any] | None:
    return dynamodb.get_item(
        TableName=TABLE_NAME, Key={"id": {"S": pic_id}}, ConsistentRead=True
    ).get("Item")


def created(executor: AppSyncExecutor, identity: dict[str, Any] = ALICE) -> dict[str, Any]:
    pic: dict[str, Any] = executor.execute(
        "createAIPic", {"prompt": "a lighthouse at dawn"}, identity
    ).unwrap()
    return pic


def set_status(dynamodb: Any, pic_id: str, status: str, **extra: str) -> None:
    names = {"#status": "completionStatus", **{f"#{k}": k for k in extra}}
    values = {":status": {"S": status}, **{f":{k}": {"S": v} for k, v in extra.items()}}
    assignments = ", ".join(["#status = :status", *(f"#{k} = :{k}" for k in extra)])
    final = status in ("COMPLETED", "FAILED", "CANCELED")
    dynamodb.update_item(
        TableName=TABLE_NAME,
        Key={"id": {"S": pic_id}},
        UpdateExpression=f"SET {assignments}" + (" REMOVE pendingPartition" if final else ""),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def errors_of(outcome: Any) -> list[tuple[str, str]]:
    return [(error["errorType"], error["message"]) for error in outcome.errors]


# --- cancelAIPic ---


@pytest.mark.parametrize("status", ["STARTED", "PROCESSING"])
def test_owner_cancels_a_picture_not_final_yet(
    executor: AppSyncExecutor, dynamodb: Any, status: str
) -> None:
    pic = created(executor)
    set_status(dynamodb, pic["id"], status, predictionId="pred-1")

    cancelled = executor.execute("cancelAIPic", {"id": pic["id"]}, ALICE).unwrap()

    assert cancelled["completionStatus"] == "CANCELED"
    assert cancelled["updatedAt"] >= pic["updatedAt"]
    stored = item(dynamodb, pic["id"])
    assert stored is not None
    assert stored["completionStatus"] == {"S": "CANCELED"}
    assert "pendingPartition" not in stored  # out of the sweeper's index, like every final
    assert stored["predictionId"] == {"S": "pred-1"}  # for the cleanup Lambda to cancel


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "CANCELED"])
def test_cancelling_a_final_picture_is_a_clear_error(
    executor: AppSyncExecutor, dynamodb: Any, status: str
) -> None:
    pic = created(executor)
    set_status(dynamodb, pic["id"], status)
    before = item(dynamodb, pic["id"])

    outcome = executor.execute("cancelAIPic", {"id": pic["id"]}, ALICE)

    assert outcome.data is None
    assert errors_of(outcome) == [
        (
            "PictureAlreadyFinal",
            f"The picture is already {status}; only a picture still being made can be cancelled",
        )
    ]
    assert item(dynamodb, pic["id"]) == before


@pytest.mark.parametrize("operation", ["cancelAIPic", "deleteAIPic"])
def test_another_users_picture_is_refused_with_nothing_changed(
    executor: AppSyncExecutor, dynamodb: Any, operation: str
) -> None:
    pic = created(executor, ALICE)
    if operation == "deleteAIPic":
        set_status(dynamodb, pic["id"], "COMPLETED")
    before = item(dynamodb, pic["id"])

    refused = executor.execute(operation, {"id": pic["id"]}, BOB)
    unknown = executor.execute(operation, {"id": "no-such-picture"}, BOB)
    counter = executor.execute(operation, {"id": f"quota#{ALICE['sub']}#2024-05-17"}, ALICE)

    assert errors_of(refused) == [("NotFound", f"You have no picture with id {pic['id']}")]
    # The same answer as for an id nobody has: it does not tell that Alice's exists.
    assert errors_of(unknown) == [("NotFound", "You have no picture with id no-such-picture")]
    assert errors_of(counter)[0][0] == "NotFound"
    assert item(dynamodb, pic["id"]) == before


@pytest.mark.parametrize("operation", ["cancelAIPic", "deleteAIPic"])
def test_iam_callers_cannot_cancel_or_delete(executor: AppSyncExecutor, operation: str) -> None:
    outcome = executor.execute(operation, {"id": "any"}, iam_identity())
    assert errors_of(outcome)[0][0] == "Unauthorized"


# --- deleteAIPic ---


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "CANCELED"])
def test_owner_deletes_a_final_picture_and_keeps_the_quota_used(
    executor: AppSyncExecutor, dynamodb: Any, status: str
) -> None:
    pic = created(executor)
    set_status(dynamodb, pic["id"], status)
    quota_id = f"quota#{ALICE['sub']}#2024-05-17"
    quota_before = item(dynamodb, quota_id)

    deleted = executor.execute("deleteAIPic", {"id": pic["id"]}, ALICE).unwrap()

    assert deleted["id"] == pic["id"]
    assert deleted["completionStatus"] == status
    assert deleted["deletedAt"].endswith("Z")
    assert item(dynamodb, pic["id"]) is None
    assert item(dynamodb, quota_id) == quota_before  # no picture given back


@pytest.mark.parametrize("status", ["STARTED", "PROCESSING"])
def test_deleting_a_picture_still_being_made_is_refused(
    executor: AppSyncExecutor, dynamodb: Any, status: str
) -> None:
    pic = created(executor)
    set_status(dynamodb, pic["id"], status)
    before = item(dynamodb, pic["id"])

    outcome = executor.execute("deleteAIPic", {"id": pic["id"]}, ALICE)

    assert errors_of(outcome) == [
        (
            "PictureNotFinal",
            "The picture is still being made; cancel it first, or wait until it is final",
        )
    ]
    assert item(dynamodb, pic["id"]) == before


# --- publishAIPic / onAIPicChange ---


def test_publish_aipic_returns_the_picture_for_iam_only(executor: AppSyncExecutor) -> None:
    pic = {"id": "p1", "owner": ALICE["sub"], "completionStatus": "PROCESSING", "progress": 40}
    assert executor.execute("publishAIPic", {"pic": pic}, iam_identity()).unwrap() == pic
    assert errors_of(executor.execute("publishAIPic", {"pic": pic}, ALICE))[0][0] == (
        "Unauthorized"
    )


def test_typed_subscription_delivers_only_the_callers_pictures(
    executor: AppSyncExecutor,
) -> None:
    outcome = executor.execute("onAIPicChange", {}, ALICE)
    assert outcome.errors == []
    assert subscription_filter_matches(
        outcome.subscription_filter, {"id": "p1", "owner": ALICE["sub"]}
    )
    assert not subscription_filter_matches(
        outcome.subscription_filter, {"id": "p2", "owner": BOB["sub"]}
    )
    assert errors_of(executor.execute("onAIPicChange", {}, iam_identity()))[0][0] == (
        "Unauthorized"
    )
