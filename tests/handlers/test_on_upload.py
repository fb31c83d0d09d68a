"""on_upload: S3 ObjectCreated notifications (URL-encoded keys) → COMPLETED + imgId."""

from __future__ import annotations

import pytest
from aipic.handlers import on_upload

from local.runtime.events import lambda_context, s3_object_created_event
from tests.conftest import OWNER, AwsAccount

PIC_ID = "2b7e151a-28ae-4d2a-a6ab-f7158809cf4f"
KEY = f"pics/{OWNER}/{PIC_ID}.webp"


def upload(aws: AwsAccount, key: str) -> None:
    aws.s3.put_object(
        Bucket=aws.bucket,
        Key=key,
        Body=b"RIFF....WEBPVP8 ",
        ContentType="image/webp",
        Metadata={"pic-id": PIC_ID, "owner": OWNER},
    )


def notify(
    aws: AwsAccount, key: str, event_name: str = "ObjectCreated:Put"
) -> dict[str, list[str]]:
    event = s3_object_created_event(aws.s3, aws.bucket, key, event_name=event_name)
    return on_upload.handler(event, lambda_context("aipic-on-upload"))


@pytest.mark.parametrize(
    "event_name", ["ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload"]
)
def test_processing_picture_is_completed_with_its_key(aws: AwsAccount, event_name: str) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p1")
    upload(aws, KEY)

    assert notify(aws, KEY, event_name) == {"completed": [KEY], "ignored": []}

    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item["imgId"]) == ("COMPLETED", KEY)


def test_url_encoded_key_is_decoded(aws: AwsAccount) -> None:
    owner, pic_id = "user+tag@example.com", "pic with spaces"
    key = f"pics/{owner}/{pic_id}.png"
    aws.put_pic(pic_id, owner=owner, status="PROCESSING", prediction_id="p1")
    upload(aws, key)
    event = s3_object_created_event(aws.s3, aws.bucket, key)
    assert event["Records"][0]["s3"]["object"]["key"] == (
        "pics/user%2Btag%40example.com/pic+with+spaces.png"
    )

    on_upload.handler(event, lambda_context())

    assert aws.item(pic_id)["imgId"] == key  # type: ignore[index]


def test_repeated_notification_changes_nothing(aws: AwsAccount) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p1")
    upload(aws, KEY)
    notify(aws, KEY)
    first = aws.item(PIC_ID)

    assert notify(aws, KEY) == {"completed": [], "ignored": [KEY]}
    assert aws.item(PIC_ID) == first


@pytest.mark.parametrize(
    "key",
    [
        f"uploads/{OWNER}/{PIC_ID}.png",  # outside pics/
        f"pics/{PIC_ID}.png",  # no owner segment
        f"pics/{OWNER}/nested/{PIC_ID}.png",
        f"pics/{OWNER}/{PIC_ID}",  # no extension
        f"pics/someone-else/{PIC_ID}.png",  # owner differs from the picture's
        f"pics/{OWNER}/unknown-picture.png",
    ],
)
def test_other_keys_are_ignored(aws: AwsAccount, key: str) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p1")
    before = aws.item(PIC_ID)
    upload(aws, key)

    assert notify(aws, key) == {"completed": [], "ignored": [key]}

    assert aws.item(PIC_ID) == before
    assert aws.item("unknown-picture") is None


@pytest.mark.parametrize("status", ["STARTED", "FAILED"])
def test_picture_not_processing_is_not_completed(aws: AwsAccount, status: str) -> None:
    aws.put_pic(PIC_ID, status=status)
    upload(aws, KEY)
    notify(aws, KEY)
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == status
    assert "imgId" not in item


def test_quota_counter_with_a_matching_id_is_never_touched(aws: AwsAccount) -> None:
    quota_id = f"quota#{OWNER}#2025-06-01"
    aws.dynamodb.put_item(
        TableName=aws.table_name,
        Item={"id": {"S": quota_id}, "count": {"N": "3"}, "expiresAt": {"N": "1748822400"}},
    )
    key = f"pics/{OWNER}/{quota_id}.png"
    upload(aws, key)
    notify(aws, key)
    assert aws.item(quota_id) == {"id": quota_id, "count": "3", "expiresAt": "1748822400"}
