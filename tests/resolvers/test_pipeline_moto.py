"""Whole resolvers run by the executor against moto's DynamoDB: the requests the
resolvers build are carried out for real, from request to response."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.appsync.executor import (
    AppSyncExecutor,
    LambdaInvocation,
    cognito_identity,
    iam_identity,
    subscription_filter_matches,
)

from .conftest import TABLE_NAME, Clock, ExecutorFactory, RecordingInvoker

ALICE = cognito_identity("11111111-aaaa-4aaa-8aaa-111111111111", "alice")
BOB = cognito_identity("22222222-bbbb-4bbb-8bbb-222222222222", "bob")


def table_items(dynamodb: Any) -> list[dict[str, Any]]:
    return dynamodb.scan(TableName=TABLE_NAME, ConsistentRead=True)["Items"]


def pictures(dynamodb: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(dynamodb) if not item["id"]["S"].startswith("quota#")]


def counter(dynamodb: Any, counter_id: str) -> int | None:
    item = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"id": {"S": counter_id}}, ConsistentRead=True
    ).get("Item")
    return None if item is None else int(item["count"]["N"])


def quota_count(dynamodb: Any, identity: dict[str, Any], day: str = "2024-05-17") -> int | None:
    return counter(dynamodb, f"quota#{identity['sub']}#{day}")


def global_count(dynamodb: Any, day: str = "2024-05-17") -> int | None:
    return counter(dynamodb, f"quota#global#{day}")


def create(
    executor: AppSyncExecutor,
    identity: dict[str, Any],
    prompt: str = "a lighthouse at dawn",
    **settings: Any,
) -> Any:
    arguments: dict[str, Any] = {"prompt": prompt}
    if settings:
        arguments["settings"] = settings
    return executor.execute("createAIPic", arguments, identity)


# --- createAIPic ---


def test_good_prompt_stores_a_started_item_and_starts_generation(
    executor: AppSyncExecutor, dynamodb: Any, generate_invoker: RecordingInvoker
) -> None:
    outcome = create(executor, ALICE, "  a lighthouse at dawn  ", width=768, guidanceScale=7.5)
    assert outcome.errors == []
    pic = outcome.data
    assert pic == {
        "id": pic["id"],
        "owner": ALICE["sub"],
        "prompt": "a lighthouse at dawn",
        "completionStatus": "STARTED",
        "pendingPartition": "PENDING",  # not in the schema: a GraphQL selection drops it
        "createdAt": "2024-05-17T10:30:00.250Z",
        "updatedAt": "2024-05-17T10:30:00.250Z",
        "settings": {"width": 768, "guidanceScale": 7.5},
    }
    stored = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"id": {"S": pic["id"]}}, ConsistentRead=True
    )["Item"]
    assert stored == {
        "id": {"S": pic["id"]},
        "owner": {"S": ALICE["sub"]},
        "prompt": {"S": "a lighthouse at dawn"},
        "completionStatus": {"S": "STARTED"},
        "pendingPartition": {"S": "PENDING"},
        "createdAt": {"S": "2024-05-17T10:30:00.250Z"},
        "updatedAt": {"S": "2024-05-17T10:30:00.250Z"},
        "settings": {"M": {"width": {"N": "768"}, "guidanceScale": {"N": "7.5"}}},
    }
    assert generate_invoker.invocations == [
        LambdaInvocation(
            {
                "id": pic["id"],
                "owner": ALICE["sub"],
                "prompt": "a lighthouse at dawn",
                "settings": {"width": 768, "guidanceScale": 7.5},
            },
            "Event",
        )
    ]
    quota = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"id": {"S": f"quota#{ALICE['sub']}#2024-05-17"}}
    )["Item"]
    # A counter only: no owner (stays out of the index), no status (never published).
    assert quota == {"id": quota["id"], "count": {"N": "1"}, "expiresAt": {"N": "1716076800"}}


def test_good_prompt_without_settings_sends_empty_settings(
    executor: AppSyncExecutor, dynamodb: Any, generate_invoker: RecordingInvoker
) -> None:
    pic = create(executor, ALICE, "a cat").unwrap()
    assert "settings" not in pic
    assert "settings" not in pictures(dynamodb)[0]
    assert generate_invoker.invocations[0].payload["settings"] == {}


@pytest.mark.parametrize(
    ("prompt", "settings", "message"),
    [
        ("   ", {}, "The prompt must not be empty"),
        ("p" * 1001, {}, "The prompt must be at most 1000 characters (got 1001)"),
        ("a cat", {"width": 300}, "settings.width must be a multiple of 64 from 256 to 1024"),
        (
            "a cat",
            {"numInferenceSteps": 500},
            "settings.numInferenceSteps must be an integer from 1 to 50",
        ),
    ],
)
def test_bad_input_is_a_validation_error_and_writes_nothing(
    executor: AppSyncExecutor,
    dynamodb: Any,
    generate_invoker: RecordingInvoker,
    prompt: str,
    settings: dict[str, Any],
    message: str,
) -> None:
    outcome = create(executor, ALICE, prompt, **settings)
    assert outcome.data is None
    assert [(e["message"], e["errorType"], e["path"]) for e in outcome.errors] == [
        (message, "ValidationError", ["createAIPic"])
    ]
    assert table_items(dynamodb) == []  # not even a quota count
    assert generate_invoker.invocations == []


def test_quota_stops_the_call_after_the_limit(
    make_executor: ExecutorFactory,
    dynamodb: Any,
    generate_invoker: RecordingInvoker,
    clock: Clock,
) -> None:
    # The limit as modules/api deploys it: substituted into createAIPic.js.
    executor = make_executor(daily_picture_quota=3)
    for _ in range(3):
        assert create(executor, ALICE).errors == []
    refused = create(executor, ALICE)
    assert refused.data is None
    assert [(e["message"], e["errorType"]) for e in refused.errors] == [
        ("Daily picture quota of 3 reached; try again after midnight UTC", "QuotaExceeded")
    ]
    assert quota_count(dynamodb, ALICE) == 3
    assert len(pictures(dynamodb)) == 3
    assert len(generate_invoker.invocations) == 3
    # Another user has their own quota; the next UTC day starts a new count.
    assert create(executor, BOB).errors == []
    clock.advance(14 * 3600)  # 2024-05-18T00:30Z
    assert create(executor, ALICE).errors == []
    assert quota_count(dynamodb, ALICE, "2024-05-18") == 1


def test_default_quota_is_25(executor: AppSyncExecutor, dynamodb: Any) -> None:
    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item={
            "id": {"S": f"quota#{ALICE['sub']}#2024-05-17"},
            "count": {"N": "24"},
            "expiresAt": {"N": "1716076800"},
        },
    )
    assert create(executor, ALICE).errors == []
    assert create(executor, ALICE).errors[0]["errorType"] == "QuotaExceeded"
    assert quota_count(dynamodb, ALICE) == 25


CAROL = cognito_identity("33333333-cccc-4ccc-8ccc-333333333333", "carol")


def test_global_ceiling_stops_every_user_after_the_days_total(
    make_executor: ExecutorFactory,
    dynamodb: Any,
    generate_invoker: RecordingInvoker,
    clock: Clock,
) -> None:
    # The limits as modules/api deploys them: substituted into createAIPic.js.
    executor = make_executor(daily_picture_quota=3, daily_picture_ceiling=4)
    for identity in (ALICE, ALICE, ALICE, BOB):
        assert create(executor, identity).errors == []
    assert global_count(dynamodb) == 4
    for identity in (BOB, CAROL):
        refused = create(executor, identity)
        assert refused.data is None
        assert [(e["message"], e["errorType"], e["path"]) for e in refused.errors] == [
            (
                "The service has made as many pictures today as it can; "
                "try again after midnight UTC",
                "GlobalQuotaExceeded",
                ["createAIPic"],
            )
        ]
    # Nothing written for the refused calls: no picture, no invocation, no count past it.
    assert len(pictures(dynamodb)) == 4
    assert len(generate_invoker.invocations) == 4
    assert global_count(dynamodb) == 4
    stored = dynamodb.get_item(TableName=TABLE_NAME, Key={"id": {"S": "quota#global#2024-05-17"}})
    # A counter only, expiring (TTL) with the per-user counters.
    assert stored["Item"] == {
        "id": {"S": "quota#global#2024-05-17"},
        "count": {"N": "4"},
        "expiresAt": {"N": "1716076800"},
    }
    # The next UTC day starts a new total.
    clock.advance(14 * 3600)  # 2024-05-18T00:30Z
    assert create(executor, CAROL).errors == []
    assert global_count(dynamodb, "2024-05-18") == 1


def test_a_caller_over_their_quota_does_not_use_up_the_global_ceiling(
    make_executor: ExecutorFactory, dynamodb: Any
) -> None:
    executor = make_executor(daily_picture_quota=2, daily_picture_ceiling=3)
    for _ in range(2):
        assert create(executor, ALICE).errors == []
    for _ in range(5):  # one account hammering past its own quota
        assert create(executor, ALICE).errors[0]["errorType"] == "QuotaExceeded"
    assert global_count(dynamodb) == 2
    assert create(executor, BOB).errors == []  # the others' day is intact
    assert global_count(dynamodb) == 3


def test_default_ceiling_is_1000(executor: AppSyncExecutor, dynamodb: Any) -> None:
    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item={
            "id": {"S": "quota#global#2024-05-17"},
            "count": {"N": "999"},
            "expiresAt": {"N": "1716076800"},
        },
    )
    assert create(executor, ALICE).errors == []
    assert create(executor, BOB).errors[0]["errorType"] == "GlobalQuotaExceeded"
    assert global_count(dynamodb) == 1000


def test_a_failed_put_condition_is_an_error_and_invokes_nothing(
    make_executor: ExecutorFactory,
    dynamodb: Any,
    generate_invoker: RecordingInvoker,
) -> None:
    taken_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    existing = {
        "id": {"S": taken_id},
        "owner": {"S": BOB["sub"]},
        "prompt": {"S": "bob's"},
        "completionStatus": {"S": "COMPLETED"},
        "createdAt": {"S": "2024-05-01T00:00:00.000Z"},
        "updatedAt": {"S": "2024-05-01T00:00:00.000Z"},
        "imgId": {"S": f"pics/{BOB['sub']}/{taken_id}.png"},
    }
    dynamodb.put_item(TableName=TABLE_NAME, Item=existing)
    outcome = create(make_executor(id_factory=lambda: taken_id), ALICE)
    assert outcome.data is None
    assert [e["errorType"] for e in outcome.errors] == ["DynamoDB:ConditionalCheckFailedException"]
    assert dynamodb.get_item(TableName=TABLE_NAME, Key={"id": {"S": taken_id}})["Item"] == existing
    assert generate_invoker.invocations == []
    # The documented trade-off: the attempt still counted against the quota.
    assert quota_count(dynamodb, ALICE) == 1


def test_a_failed_invoke_is_an_error(make_executor: ExecutorFactory) -> None:
    def throttled(payload: Any, invocation_type: str) -> None:
        raise RuntimeError("Rate exceeded")

    outcome = create(make_executor(lambda_invoker=throttled), ALICE)
    assert outcome.data is None
    assert [(e["message"], e["errorType"]) for e in outcome.errors] == [
        ("Rate exceeded", "Lambda:Unhandled")
    ]


def test_create_requires_a_user_pool_caller(executor: AppSyncExecutor, dynamodb: Any) -> None:
    outcome = executor.execute("createAIPic", {"prompt": "a cat"}, iam_identity())
    assert [e["errorType"] for e in outcome.errors] == ["Unauthorized"]
    assert table_items(dynamodb) == []


# --- listAIPics ---


def make_pictures(
    executor: AppSyncExecutor, clock: Clock, identity: dict[str, Any], count: int
) -> list[str]:
    ids = []
    for number in range(count):
        clock.advance(1)
        ids.append(create(executor, identity, f"picture {number}").unwrap()["id"])
    return ids


def test_list_pages_newest_first_without_overlap(executor: AppSyncExecutor, clock: Clock) -> None:
    alice_ids = make_pictures(executor, clock, ALICE, 5)
    make_pictures(executor, clock, BOB, 2)
    first = executor.execute("listAIPics", {"limit": 2}, ALICE).unwrap()
    assert [pic["id"] for pic in first["items"]] == alice_ids[:-3:-1]
    assert isinstance(first["nextToken"], str)
    second = executor.execute(
        "listAIPics", {"limit": 2, "nextToken": first["nextToken"]}, ALICE
    ).unwrap()
    third = executor.execute(
        "listAIPics", {"limit": 2, "nextToken": second["nextToken"]}, ALICE
    ).unwrap()
    seen = [pic["id"] for page in (first, second, third) for pic in page["items"]]
    assert seen == alice_ids[::-1]
    assert len(third["items"]) == 1
    assert third["nextToken"] is None


def test_list_default_page_returns_only_the_callers_pictures(
    executor: AppSyncExecutor, clock: Clock, dynamodb: Any
) -> None:
    make_pictures(executor, clock, BOB, 3)
    alice_ids = make_pictures(executor, clock, ALICE, 2)
    page = executor.execute("listAIPics", {}, ALICE).unwrap()
    assert [pic["id"] for pic in page["items"]] == alice_ids[::-1]
    assert {pic["owner"] for pic in page["items"]} == {ALICE["sub"]}
    assert page["nextToken"] is None
    # Quota counters carry no owner, so the index never returns them.
    assert all(not pic["id"].startswith("quota#") for pic in page["items"])
    assert executor.execute("listAIPics", {}, cognito_identity("nobody")).unwrap() == {
        "items": [],
        "nextToken": None,
    }


def test_list_rejects_a_forged_next_token(executor: AppSyncExecutor, clock: Clock) -> None:
    bob_ids = make_pictures(executor, clock, BOB, 2)
    bobs_token = executor.execute("listAIPics", {"limit": 1}, BOB).unwrap()["nextToken"]
    body, _, _ = bobs_token.partition(".")
    outcome = executor.execute("listAIPics", {"nextToken": f"{body}.forged"}, ALICE)
    assert [e["errorType"] for e in outcome.errors] == ["DynamoDB:ValidationException"]
    # A genuine token of Bob's still only walks Alice's partition.
    page = executor.execute("listAIPics", {"nextToken": bobs_token}, ALICE).unwrap()
    assert not {pic["id"] for pic in page["items"]} & set(bob_ids)


# --- publish / subscribe ---


def test_publish_returns_its_input_for_iam_only(executor: AppSyncExecutor) -> None:
    arguments = {
        "owner": ALICE["sub"],
        "data": json.dumps({"id": "p1", "completionStatus": "COMPLETED"}),
    }
    assert executor.execute("publish", arguments, iam_identity()).unwrap() == arguments
    denied = executor.execute("publish", arguments, ALICE)
    assert [(e["message"], e["errorType"]) for e in denied.errors] == [
        ("Not Authorized to access publish on type Mutation", "Unauthorized")
    ]


def test_subscription_delivers_only_the_callers_events(executor: AppSyncExecutor) -> None:
    outcome = executor.execute("subscribe", {}, ALICE)
    assert outcome.errors == []
    assert outcome.data is None
    assert outcome.subscription_filter == {
        "filterGroup": [
            {"filters": [{"fieldName": "owner", "operator": "eq", "value": ALICE["sub"]}]}
        ]
    }
    assert subscription_filter_matches(
        outcome.subscription_filter, {"owner": ALICE["sub"], "data": "{}"}
    )
    assert not subscription_filter_matches(
        outcome.subscription_filter, {"owner": BOB["sub"], "data": "{}"}
    )
    assert (
        executor.execute("subscribe", {}, iam_identity()).errors[0]["errorType"] == "Unauthorized"
    )
