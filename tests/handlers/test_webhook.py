"""webhook: Replicate's signed completion → image streamed into S3, or FAILED, through the
adapters (moto, the Replicate stand-in's file host). The answer table itself runs in
memory in test_decisions_webhook.py; the signature's cases in test_signature.py."""

from __future__ import annotations

import pytest
from aipic import failure_reasons
from aipic.decisions.webhook import MAX_BODY_BYTES, MAX_TRANSIENT_FAILURES
from aipic.observability import record_keys

from local.replicate.standin import (
    ReplicateStandIn,
    large_png_size,
    render_png,
)
from tests.conftest import OWNER, SECRET_PARAMETER, AwsAccount
from tests.handlers.webhook_support import (
    PIC_ID,
    PROMPT,
    call_webhook,
    processing_pic,
    webhook_event,
)

PNG_KEY = f"pics/{OWNER}/{PIC_ID}.png"


def assert_unchanged(aws: AwsAccount, prediction_id: str) -> None:
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "PROCESSING"
    assert item["predictionId"] == prediction_id
    assert "failureReason" not in item
    assert aws.object_keys() == []


USER_FACING_REASONS = {value for name, value in vars(failure_reasons).items() if name.isupper()}


def failure_reason(aws: AwsAccount) -> str:
    """The stored reason, which must be one of the sentences written for users."""
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "FAILED"
    reason = str(item["failureReason"])
    assert reason in USER_FACING_REASONS
    return reason


def failure_detail(caplog: pytest.LogCaptureFixture) -> str:
    """What the webhook logged about the failure (the detail users are not shown)."""
    details = [
        str(record_keys(r)["detail"]) for r in caplog.records if r.getMessage() == "picture failed"
    ]
    assert len(details) == 1, details
    return details[0]


# ---------------------------------------------------------------- success


@pytest.mark.parametrize("base64_encode", [False, True])
def test_succeeded_streams_the_png_into_s3(
    aws: AwsAccount, replicate: ReplicateStandIn, base64_encode: bool
) -> None:
    prediction_id = processing_pic(aws, replicate)

    status, body = call_webhook(
        webhook_event(replicate.final_prediction(prediction_id), base64_encode=base64_encode)
    )

    assert (status, body["key"]) == (200, PNG_KEY)
    stored = aws.s3.get_object(Bucket=aws.bucket, Key=PNG_KEY)
    assert stored["Body"].read() == render_png(PROMPT)
    assert stored["ContentType"] == "image/png"
    assert stored["Metadata"] == {"pic-id": PIC_ID, "owner": OWNER}
    # on_upload completes the picture when S3 reports the object.
    assert aws.item(PIC_ID)["completionStatus"] == "PROCESSING"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/webp", "webp"),
        ("image/jpeg", "jpg"),
        ("image/gif", "gif"),
        ("IMAGE/PNG; q=1", "png"),
    ],
)
def test_extension_follows_the_content_type(
    aws: AwsAccount, replicate: ReplicateStandIn, content_type: str, extension: str
) -> None:
    replicate.content_type = content_type
    prediction_id = processing_pic(aws, replicate)

    status, _ = call_webhook(webhook_event(replicate.final_prediction(prediction_id)))

    assert status == 200
    assert aws.object_keys() == [f"pics/{OWNER}/{PIC_ID}.{extension}"]


def test_image_larger_than_a_part_goes_up_in_parts(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    replicate.large_image_bytes = 12 * 1024 * 1024
    prediction_id = processing_pic(aws, replicate)

    status, _ = call_webhook(webhook_event(replicate.final_prediction(prediction_id)))

    assert status == 200
    head = aws.s3.head_object(Bucket=aws.bucket, Key=PNG_KEY)
    assert head["ETag"].strip('"').endswith("-3")  # three 5 MiB parts (the last shorter)
    assert head["ContentLength"] == large_png_size(12 * 1024 * 1024)
    assert head["Metadata"] == {"pic-id": PIC_ID, "owner": OWNER}


# ---------------------------------------------------------------- duplicates and order


def object_versions(aws: AwsAccount) -> list[dict[str, object]]:
    listing = aws.s3.list_object_versions(Bucket=aws.bucket)
    return list(listing.get("Versions", []))


@pytest.fixture
def versioned_bucket(aws: AwsAccount) -> AwsAccount:
    """As modules/data creates it: every write of a key is kept as a version."""
    aws.s3.put_bucket_versioning(Bucket=aws.bucket, VersioningConfiguration={"Status": "Enabled"})
    return aws


def test_repeated_webhook_after_the_store_downloads_nothing(
    versioned_bucket: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws = versioned_bucket
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)

    stored = {"message": "image stored", "key": PNG_KEY}
    assert call_webhook(webhook_event(prediction)) == (200, stored)
    assert call_webhook(webhook_event(prediction)) == (200, {"message": "image already stored"})

    assert len(replicate.file_requests) == 1
    assert len(object_versions(aws)) == 1


@pytest.mark.parametrize("large", [False, True], ids=["one-put", "multipart"])
def test_an_object_already_stored_is_not_written_again(
    versioned_bucket: AwsAccount, replicate: ReplicateStandIn, large: bool
) -> None:
    """A delivery stored the object and crashed before recording it: S3's conditional
    write keeps the first object."""
    aws = versioned_bucket
    if large:
        replicate.large_image_bytes = 6 * 1024 * 1024
    prediction_id = processing_pic(aws, replicate)
    aws.s3.put_object(Bucket=aws.bucket, Key=PNG_KEY, Body=b"first", ContentType="image/png")

    status, body = call_webhook(webhook_event(replicate.final_prediction(prediction_id)))

    assert (status, body["message"]) == (200, "image already stored")
    assert len(object_versions(aws)) == 1
    assert aws.s3.get_object(Bucket=aws.bucket, Key=PNG_KEY)["Body"].read() == b"first"
    assert no_uploads_left(aws)


def test_an_unknown_picture_is_404_and_another_prediction_409(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    """Every row of the answer table: test_decisions_webhook.py."""
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)

    assert call_webhook(webhook_event(prediction, pic_id="no-such-picture"))[0] == 404
    other = prediction | {"id": "someone-elses-prediction"}
    assert call_webhook(webhook_event(other))[0] == 409

    assert_unchanged(aws, prediction_id)
    assert replicate.file_requests == []


# ---------------------------------------------------------------- signature


def test_tampered_body_is_401(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction_id = processing_pic(aws, replicate)
    event = webhook_event(replicate.final_prediction(prediction_id))
    event["body"] = event["body"].replace("succeeded", "failed")
    assert call_webhook(event)[0] == 401
    assert_unchanged(aws, prediction_id)


def test_missing_signing_secret_is_500(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction_id = processing_pic(aws, replicate)
    aws.ssm.delete_parameter(Name=SECRET_PARAMETER)
    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 500
    assert_unchanged(aws, prediction_id)


# ---------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    ("body", "pic_id", "message"),
    [
        # the rest of the body's table: tests/handlers/test_decisions_webhook.py
        (b"{not json", PIC_ID, "not JSON"),
        (b'{"id": "p", "status": "succeeded"}', None, "query parameter id"),
    ],
)
def test_malformed_but_signed_request_is_400(
    aws: AwsAccount, body: bytes, pic_id: str | None, message: str
) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p")
    status, answer = call_webhook(webhook_event(body, pic_id))
    assert status == 400
    assert message in answer["message"]
    assert aws.item(PIC_ID)["completionStatus"] == "PROCESSING"  # type: ignore[index]


@pytest.mark.parametrize("base64_encode", [False, True])
def test_a_body_over_the_size_limit_is_400(aws: AwsAccount, base64_encode: bool) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p")
    prediction = {"id": "p", "status": "failed", "error": "x" * MAX_BODY_BYTES}

    status, answer = call_webhook(webhook_event(prediction, base64_encode=base64_encode))

    assert (status, answer["message"]) == (400, f"body is larger than {MAX_BODY_BYTES} bytes")
    assert aws.item(PIC_ID)["completionStatus"] == "PROCESSING"  # type: ignore[index]


# ---------------------------------------------------------------- failed predictions


@pytest.mark.parametrize(
    ("outcome", "error", "reason", "detail"),
    [
        # every outcome's reason: tests/handlers/test_decisions_webhook.py
        (
            "failed",
            "CUDA out of memory",
            failure_reasons.PREDICTION_FAILED,
            "Replicate prediction failed: CUDA out of memory",
        ),
    ],
)
def test_failed_prediction_marks_the_picture_failed(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    caplog: pytest.LogCaptureFixture,
    outcome: str,
    error: object,
    reason: str,
    detail: str,
) -> None:
    replicate.outcome, replicate.error = outcome, error
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == reason
    assert detail in failure_detail(caplog)
    assert aws.object_keys() == []


# ---------------------------------------------------------------- rejected images


def no_uploads_left(aws: AwsAccount) -> bool:
    return aws.s3.list_multipart_uploads(Bucket=aws.bucket).get("Uploads", []) == []


def test_plain_http_output_is_rejected_by_default(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("ALLOWED_IMAGE_URL_SCHEMES")
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_SOURCE_REFUSED
    assert "scheme 'http' is not allowed" in failure_detail(caplog)
    assert replicate.file_requests == []
    assert aws.object_keys() == []


@pytest.mark.parametrize(
    "output_url",
    [
        "https://evil.example.com/out.png",
        "https://replicate.delivery.evil.example.com/out.png",
        "https://127.0.0.1.nip.io/out.png",
    ],
)
def test_output_on_a_host_off_the_allow_list_is_rejected(
    aws: AwsAccount, replicate: ReplicateStandIn, caplog: pytest.LogCaptureFixture, output_url: str
) -> None:
    replicate.output_url = output_url
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_SOURCE_REFUSED
    assert "host" in failure_detail(caplog)
    assert "is not allowed" in failure_detail(caplog)
    assert aws.object_keys() == []


def test_redirect_to_a_host_off_the_allow_list_is_rejected(
    aws: AwsAccount, replicate: ReplicateStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    replicate.redirect_image_to = "http://localhost:9/elsewhere.png"
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_SOURCE_REFUSED
    assert "host 'localhost' is not allowed" in failure_detail(caplog)
    assert len(replicate.file_requests) == 1
    assert aws.object_keys() == []


def test_redirect_loop_is_bounded(
    aws: AwsAccount, replicate: ReplicateStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    prediction_id = processing_pic(aws, replicate)
    replicate.redirect_image_to = replicate.file_url(prediction_id)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_SOURCE_REFUSED
    assert "more than 3 redirects" in failure_detail(caplog)
    assert len(replicate.file_requests) == 4


@pytest.mark.parametrize(
    ("content_type", "message"),
    [("text/html; charset=utf-8", "not an image"), ("image/svg+xml", "not image type")],
)
def test_output_that_is_not_a_storable_image_is_rejected(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    caplog: pytest.LogCaptureFixture,
    content_type: str,
    message: str,
) -> None:
    replicate.content_type = content_type
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_NOT_STORABLE
    assert message in failure_detail(caplog)
    assert aws.object_keys() == []


def test_image_over_the_cap_is_rejected_from_its_content_length(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("MAX_IMAGE_BYTES", "1000")
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_TOO_LARGE
    assert "over the 1000-byte cap" in failure_detail(caplog)
    assert aws.object_keys() == []


def test_image_over_the_cap_without_content_length_is_cut_off_while_streaming(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cap = 7 * 1024 * 1024  # past the first 5 MiB part, so a multipart upload is under way
    monkeypatch.setenv("MAX_IMAGE_BYTES", str(cap))
    replicate.large_image_bytes = 12 * 1024 * 1024
    replicate.send_content_length = False
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_TOO_LARGE
    assert f"over the {cap}-byte cap" in failure_detail(caplog)
    assert aws.object_keys() == []
    assert no_uploads_left(aws)


# ---------------------------------------------------------------- transient faults


def test_file_host_error_is_retried_by_replicate(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    replicate.image_failures = [503]
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)

    assert call_webhook(webhook_event(prediction))[0] == 500
    assert aws.item(PIC_ID)["webhookAttempts"] == "1"  # type: ignore[index]
    assert call_webhook(webhook_event(prediction))[0] == 200
    assert aws.object_keys() == [PNG_KEY]


def test_s3_failure_answers_500_until_the_third_attempt_fails_the_picture(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PICS_BUCKET_NAME", "aipic-bucket-that-does-not-exist")
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)

    statuses = [call_webhook(webhook_event(prediction))[0] for _ in range(MAX_TRANSIENT_FAILURES)]

    assert statuses == [500, 500, 200]
    reason = failure_reason(aws)
    assert reason == failure_reasons.IMAGE_NOT_SAVED
    assert "failed 3 times" in failure_detail(caplog)
    assert "NoSuchBucket" in failure_detail(caplog)
    # A late retry after that finds a final picture and changes nothing.
    assert call_webhook(webhook_event(prediction))[0] == 200
    assert failure_reason(aws) == reason


def test_s3_failure_mid_multipart_aborts_the_upload(
    aws: AwsAccount, replicate: ReplicateStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aipic import clients

    s3 = clients.s3_client()
    real_complete = s3.complete_multipart_upload

    def failing_complete(**kwargs: object) -> object:
        raise s3.exceptions.ClientError(
            {"Error": {"Code": "InternalError", "Message": "We encountered an internal error"}},
            "CompleteMultipartUpload",
        )

    monkeypatch.setattr(s3, "complete_multipart_upload", failing_complete)
    replicate.large_image_bytes = 6 * 1024 * 1024
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 500

    assert aws.object_keys() == []
    assert no_uploads_left(aws)
    assert real_complete is not None


def test_output_gone_from_the_file_host_fails_the_picture(
    aws: AwsAccount, replicate: ReplicateStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    replicate.image_failures = [404]  # Replicate deletes outputs after an hour
    prediction_id = processing_pic(aws, replicate)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert failure_reason(aws) == failure_reasons.IMAGE_GONE
    assert "answered HTTP 404" in failure_detail(caplog)
    assert aws.object_keys() == []
