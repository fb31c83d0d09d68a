"""cleanup: a CANCELED picture's prediction is cancelled at Replicate; a deleted picture's
object versions are all deleted; a failure reports only its record for a retry."""

from __future__ import annotations

from typing import Any

import pytest
from aipic.handlers import cleanup

from local.replicate.standin import ReplicateStandIn
from local.runtime.events import lambda_context
from tests.conftest import OWNER, AwsAccount

from .webhook_support import PIC_ID, processing_pic

OTHER_PIC_ID = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def versioned(aws: AwsAccount) -> AwsAccount:
    aws.s3.put_bucket_versioning(Bucket=aws.bucket, VersioningConfiguration={"Status": "Enabled"})
    return aws


def run_cleanup(event: dict[str, Any]) -> dict[str, Any]:
    return dict(cleanup.handler(event, lambda_context("aipic-cleanup")))


def cancel_as_the_resolver_does(aws: AwsAccount, pic_id: str = PIC_ID) -> None:
    aws.dynamodb.update_item(
        TableName=aws.table_name,
        Key={"id": {"S": pic_id}},
        UpdateExpression="SET completionStatus = :canceled REMOVE pendingPartition",
        ExpressionAttributeValues={":canceled": {"S": "CANCELED"}},
    )


def test_a_cancelled_pictures_prediction_is_cancelled_at_replicate(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    stream = aws.stream_reader()
    stream.read_records()
    cancel_as_the_resolver_does(aws)

    assert run_cleanup(stream.read_event()) == {"batchItemFailures": []}

    assert replicate.cancellations == [prediction_id]
    assert replicate.predictions[prediction_id]["status"] == "canceled"


def test_a_picture_cancelled_before_it_had_a_prediction_calls_nobody(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic(PIC_ID, status="STARTED")
    stream = aws.stream_reader()
    stream.read_records()
    cancel_as_the_resolver_does(aws)

    assert run_cleanup(stream.read_event()) == {"batchItemFailures": []}
    assert replicate.requests == []


def test_replicate_refusing_the_cancel_reports_only_that_record(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    processing_pic(aws, replicate)
    aws.put_pic(OTHER_PIC_ID, status="COMPLETED")
    stream = aws.stream_reader()
    stream.read_records()
    cancel_as_the_resolver_does(aws)
    aws.dynamodb.delete_item(TableName=aws.table_name, Key={"id": {"S": OTHER_PIC_ID}})
    replicate.expected_token = "a-token-the-function-does-not-have"  # answers 401
    event = stream.read_event()

    result = run_cleanup(event)

    cancelled_record = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": cancelled_record}]}


def put_versions(aws: AwsAccount, key: str, count: int) -> None:
    for version in range(count):
        aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=f"png {version}".encode())


def all_versions(aws: AwsAccount) -> list[tuple[str, bool]]:
    listing = aws.s3.list_object_versions(Bucket=aws.bucket)
    return sorted(
        [(v["Key"], False) for v in listing.get("Versions", [])]
        + [(m["Key"], True) for m in listing.get("DeleteMarkers", [])]
    )


def test_a_deleted_pictures_every_object_version_is_deleted(
    versioned: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws = versioned
    key = f"pics/{OWNER}/{PIC_ID}.png"
    kept = [f"pics/{OWNER}/{OTHER_PIC_ID}.png", f"pics/{OWNER}/{PIC_ID}0.png"]
    put_versions(aws, key, 3)
    aws.s3.delete_object(Bucket=aws.bucket, Key=key)  # a delete marker on top
    put_versions(aws, f"pics/{OWNER}/{PIC_ID}.jpg", 1)
    for other in kept:
        put_versions(aws, other, 1)
    aws.put_pic(PIC_ID, status="COMPLETED")
    stream = aws.stream_reader()
    stream.read_records()
    aws.dynamodb.delete_item(TableName=aws.table_name, Key={"id": {"S": PIC_ID}})
    event = stream.read_event()

    assert run_cleanup(event) == {"batchItemFailures": []}
    assert all_versions(aws) == sorted((other, False) for other in kept)
    # A retried record finds nothing left and succeeds.
    assert run_cleanup(event) == {"batchItemFailures": []}
    assert replicate.requests == []


def test_a_deleted_picture_still_running_has_its_prediction_cancelled(
    versioned: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(versioned, replicate)
    stream = versioned.stream_reader()
    stream.read_records()
    versioned.dynamodb.delete_item(TableName=versioned.table_name, Key={"id": {"S": PIC_ID}})

    assert run_cleanup(stream.read_event()) == {"batchItemFailures": []}
    assert replicate.cancellations == [prediction_id]


def test_a_quota_counters_expiry_is_not_a_picture(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    quota = {"id": {"S": f"quota#{OWNER}#2025-06-01"}, "count": {"N": "1"}}
    aws.dynamodb.put_item(TableName=aws.table_name, Item=quota)
    stream = aws.stream_reader()
    stream.read_records()
    aws.dynamodb.delete_item(TableName=aws.table_name, Key={"id": quota["id"]})

    assert run_cleanup(stream.read_event()) == {"batchItemFailures": []}
    assert replicate.requests == []
