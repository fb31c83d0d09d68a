"""publish: DynamoDB stream records (read from moto's stream) → signed AppSync mutation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from aipic.appsync import PUBLISH_MUTATION
from aipic.handlers import publish
from aipic.pics import pics_repository

from local.appsync.standin import AppSyncStandIn
from local.runtime.events import DynamoDBStreamReader, lambda_context
from tests.conftest import OWNER, AwsAccount

PIC_ID = "c9a1e5f0-1d2b-4c3e-8f4a-5b6c7d8e9f00"


def run_publish(event: dict[str, Any]) -> dict[str, Any]:
    return dict(publish.handler(event, lambda_context("aipic-publish")))


def stream_after_processing(aws: AwsAccount, *pic_ids: str) -> DynamoDBStreamReader:
    """PROCESSING pictures (prediction ``pred-<id>``), and the stream read past their INSERTs."""
    for pic_id in pic_ids:
        aws.put_pic(pic_id, status="PROCESSING", prediction_id=f"pred-{pic_id}")
    stream = aws.stream_reader()
    stream.read_records()  # skip the arrangement
    return stream


def failed_pictures_event(aws: AwsAccount, *pic_ids: str, reason: str = "boom") -> dict[str, Any]:
    """The stream batch of PROCESSING pictures turning FAILED, one MODIFY record each."""
    stream = stream_after_processing(aws, *pic_ids)
    for pic_id in pic_ids:
        pics_repository().mark_failed(pic_id, reason)
    return stream.read_event()


def test_status_changes_are_published_to_the_owner(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    stream = aws.stream_reader()
    settings = {"width": 768, "guidanceScale": 7.5, "negativePrompt": "blurry"}
    aws.put_pic(PIC_ID, settings=settings)
    pics = pics_repository()
    pics.mark_processing(PIC_ID, "pred-1")
    pics.mark_completed(PIC_ID, OWNER, f"pics/{OWNER}/{PIC_ID}.png")
    event = stream.read_event()
    assert [r["eventName"] for r in event["Records"]] == ["INSERT", "MODIFY", "MODIFY"]

    assert run_publish(event) == {"batchItemFailures": []}

    assert [e.owner for e in appsync.events] == [OWNER, OWNER]
    processing, completed = (e.data for e in appsync.events)
    assert processing["completionStatus"] == "PROCESSING"
    assert completed == {
        "id": PIC_ID,
        "owner": OWNER,
        "prompt": "a lighthouse at dawn",
        "settings": {"width": 768, "guidanceScale": 7.5, "negativePrompt": "blurry"},
        "completionStatus": "COMPLETED",
        "createdAt": "2025-06-01T12:00:00.000Z",
        "updatedAt": completed["updatedAt"],
        "imgId": f"pics/{OWNER}/{PIC_ID}.png",
    }
    assert completed["updatedAt"] > completed["createdAt"]
    assert isinstance(completed["settings"]["width"], int)


def test_failed_picture_is_published_with_its_reason(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    run_publish(failed_pictures_event(aws, PIC_ID, reason="Replicate prediction failed: NSFW"))

    (event,) = appsync.events
    assert event.data["completionStatus"] == "FAILED"
    assert event.data["failureReason"] == "Replicate prediction failed: NSFW"
    assert "predictionId" not in event.data


def test_records_without_a_status_or_progress_change_are_not_published(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    stream = stream_after_processing(aws, PIC_ID)
    pics = pics_repository()
    pics.record_progress(PIC_ID, f"pred-{PIC_ID}", 10)
    stream.read_records()  # the progress step itself is published: see below
    pics.record_webhook_attempt(PIC_ID, f"pred-{PIC_ID}")  # MODIFY, same status and progress
    pics.claim_image_store(PIC_ID, f"pred-{PIC_ID}", "lease-1", 0, 60)  # MODIFY, the same
    quota = {"id": {"S": f"quota#{OWNER}#2025-06-01"}, "count": {"N": "1"}}
    aws.dynamodb.put_item(TableName=aws.table_name, Item=quota)  # INSERT, no status
    aws.dynamodb.delete_item(TableName=aws.table_name, Key=quota_key(quota))  # its expiry
    event = stream.read_event()
    names = [r["eventName"] for r in event["Records"]]
    assert names == ["MODIFY", "MODIFY", "INSERT", "REMOVE"]

    assert run_publish(event) == {"batchItemFailures": []}
    assert appsync.events == []
    assert appsync.rejected == []


def quota_key(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"]}


def test_each_progress_step_is_published_typed_and_as_json(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    stream = stream_after_processing(aws, PIC_ID)
    pics = pics_repository()
    for step in (10, 30, 20, 30):  # a late 20 and a repeated 30 store nothing
        pics.record_progress(PIC_ID, f"pred-{PIC_ID}", step)
    pics.mark_completed(PIC_ID, OWNER, f"pics/{OWNER}/{PIC_ID}.png")

    assert run_publish(stream.read_event()) == {"batchItemFailures": []}

    published = [(e.data["completionStatus"], e.data.get("progress")) for e in appsync.events]
    assert published == [("PROCESSING", 10), ("PROCESSING", 30), ("COMPLETED", 30)]
    assert all(event.pic == event.data for event in appsync.events)


def test_cancelled_picture_is_published(aws: AwsAccount, appsync: AppSyncStandIn) -> None:
    stream = stream_after_processing(aws, PIC_ID)
    aws.dynamodb.update_item(  # what the cancelAIPic resolver writes
        TableName=aws.table_name,
        Key={"id": {"S": PIC_ID}},
        UpdateExpression="SET completionStatus = :canceled REMOVE pendingPartition",
        ExpressionAttributeValues={":canceled": {"S": "CANCELED"}},
    )

    assert run_publish(stream.read_event()) == {"batchItemFailures": []}

    (event,) = appsync.events
    assert event.data["completionStatus"] == "CANCELED"
    assert "deletedAt" not in event.data


def test_deleted_picture_is_published_with_deleted_at(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    aws.put_pic(PIC_ID, status="COMPLETED")
    stream = aws.stream_reader()
    stream.read_records()
    aws.dynamodb.delete_item(TableName=aws.table_name, Key={"id": {"S": PIC_ID}})
    event = stream.read_event()
    (record,) = event["Records"]
    assert record["eventName"] == "REMOVE"

    assert run_publish(event) == {"batchItemFailures": []}

    (published,) = appsync.events
    assert published.owner == OWNER
    assert published.data["id"] == PIC_ID
    assert published.data["completionStatus"] == "COMPLETED"
    assert published.data["deletedAt"].endswith("Z")
    assert published.pic == published.data


def test_a_failed_record_and_the_ones_after_it_are_reported_and_each_reaches_its_owner_once(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    event = failed_pictures_event(aws, "pic-a", "pic-b", "pic-c")
    appsync.fail_for_pic_ids = {"pic-b"}

    result = run_publish(event)

    # Lambda retries from pic-b on, whatever else is reported, so all from there is.
    sequences = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
    assert result == {"batchItemFailures": [{"itemIdentifier": s} for s in sequences[1:]]}
    assert "pic-b" not in [e.data["id"] for e in appsync.events]

    appsync.fail_for_pic_ids = set()
    retry = {"Records": event["Records"][1:]}
    assert run_publish(retry) == {"batchItemFailures": []}
    # pic-c, if published concurrently with pic-b's failure, is not sent again.
    assert sorted(e.data["id"] for e in appsync.events) == ["pic-a", "pic-b", "pic-c"]


def test_after_a_failure_no_later_change_of_that_picture_is_published(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    stream = stream_after_processing(aws, "pic-a", "pic-b")
    pics = pics_repository()
    for step in (10, 30):
        pics.record_progress("pic-a", "pred-pic-a", step)
    pics.record_progress("pic-b", "pred-pic-b", 10)
    pics.mark_completed("pic-a", OWNER, f"pics/{OWNER}/pic-a.png")
    event = stream.read_event()
    appsync.fail_for_pic_ids = {"pic-a"}

    result = run_publish(event)

    sequences = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
    assert result == {"batchItemFailures": [{"itemIdentifier": s} for s in sequences]}
    assert len(appsync.rejected) == 1  # pic-a's first change; its later ones never sent

    appsync.fail_for_pic_ids = set()
    assert run_publish(event) == {"batchItemFailures": []}
    published = [
        (e.data["id"], e.data["completionStatus"], e.data.get("progress")) for e in appsync.events
    ]
    assert [p for p in published if p[0] == "pic-a"] == [
        ("pic-a", "PROCESSING", 10),
        ("pic-a", "PROCESSING", 30),
        ("pic-a", "COMPLETED", 30),
    ]
    assert [p for p in published if p[0] == "pic-b"] == [("pic-b", "PROCESSING", 10)]


def test_a_record_this_environment_published_is_not_sent_again(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    event = failed_pictures_event(aws, "pic-a", "pic-b")
    assert run_publish(event) == {"batchItemFailures": []}

    assert run_publish(event) == {"batchItemFailures": []}  # as a retry redelivers it

    assert sorted(e.data["id"] for e in appsync.events) == ["pic-a", "pic-b"]


def test_pictures_are_published_concurrently_each_in_order(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    pic_ids = [f"pic-{n}" for n in range(6)]
    stream = stream_after_processing(aws, *pic_ids)
    pics = pics_repository()
    for pic_id in pic_ids:
        pics.record_progress(pic_id, f"pred-{pic_id}", 10)
        pics.mark_completed(pic_id, OWNER, f"pics/{OWNER}/{pic_id}.png")
    event = stream.read_event()
    assert len(event["Records"]) == 12
    delay = 0.3
    appsync.subscribe(lambda _: time.sleep(delay))  # each request answered after this

    started = time.monotonic()
    assert run_publish(event) == {"batchItemFailures": []}
    elapsed = time.monotonic() - started

    assert elapsed < 12 * delay / 2  # one after another would take 12 delays
    for pic_id in pic_ids:
        statuses = [e.data["completionStatus"] for e in appsync.events if e.data["id"] == pic_id]
        assert statuses == ["PROCESSING", "COMPLETED"]


def test_graphql_errors_fail_the_record(aws: AwsAccount, appsync: AppSyncStandIn) -> None:
    event = failed_pictures_event(aws, PIC_ID)
    appsync.graphql_errors_for_pic_ids = {PIC_ID}

    result = run_publish(event)

    assert len(result["batchItemFailures"]) == 1
    assert appsync.events == []


def test_request_signed_with_the_wrong_secret_is_refused(
    aws: AwsAccount, appsync: AppSyncStandIn
) -> None:
    event = failed_pictures_event(aws, PIC_ID)
    key_id = next(iter(appsync.access_keys))
    appsync.access_keys = {key_id: "not-the-secret-the-function-signs-with"}

    result = run_publish(event)

    assert len(result["batchItemFailures"]) == 1
    assert [r.status for r in appsync.rejected] == [403]
    assert appsync.rejected[0].reason == "signature does not match"


# ---------------------------------------------------------------- the stand-in's own checks


def publish_body(owner: str = OWNER, data: object = None) -> bytes:
    picture = data or {"id": PIC_ID}
    variables = {"owner": owner, "data": json.dumps(picture), "pic": picture}
    query = PUBLISH_MUTATION
    return json.dumps({"query": query, "variables": variables}).encode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer some-jwt",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250601/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    ],
)
def test_stand_in_refuses_requests_not_signed_for_appsync(
    appsync: AppSyncStandIn, authorization: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    response = requests.post(appsync.url, data=publish_body(), headers=headers, timeout=5)
    assert response.status_code == 403
    assert appsync.events == []
