"""webhook: Replicate's signed completion → image streamed into S3, or FAILED."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from aipic import failure_reasons
from aipic.decisions.webhook import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_TRANSIENT_FAILURES
from aipic.observability import record_keys

from local.replicate.standin import (
    ReplicateStandIn,
    large_png_size,
    render_png,
    signed_webhook_headers,
)
from tests.conftest import OWNER, SECRET_PARAMETER, WEBHOOK_SECRET, AwsAccount
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


def test_output_given_as_a_single_url_is_accepted(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)
    prediction["output"] = prediction["output"][0]

    assert call_webhook(webhook_event(prediction))[0] == 200
    assert aws.object_keys() == [PNG_KEY]


# ---------------------------------------------------------------- duplicates and order


def test_repeated_webhook_changes_nothing_more(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)

    assert call_webhook(webhook_event(prediction))[0] == 200
    assert call_webhook(webhook_event(prediction))[0] == 200

    assert aws.object_keys() == [PNG_KEY]
    assert aws.item(PIC_ID)["completionStatus"] == "PROCESSING"  # type: ignore[index]


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
def test_two_concurrent_deliveries_download_and_store_once(
    versioned_bucket: AwsAccount, replicate: ReplicateStandIn, large: bool
) -> None:
    aws = versioned_bucket
    replicate.image_delay = 1.0  # the first is still downloading when the second arrives
    if large:
        replicate.large_image_bytes = 6 * 1024 * 1024
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)
    start = threading.Barrier(2)

    def deliver() -> int:
        start.wait(timeout=5)
        return call_webhook(webhook_event(prediction))[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(lambda _: deliver(), range(2)))

    assert statuses == [200, 409]  # 409: Replicate delivers again later, and finds it stored
    assert len(replicate.file_requests) == 1
    assert len(object_versions(aws)) == 1
    assert call_webhook(webhook_event(prediction))[0] == 200
    assert len(replicate.file_requests) == 1


def lease(aws: AwsAccount, holder: str, expires_in_seconds: int) -> None:
    aws.dynamodb.update_item(
        TableName=aws.table_name,
        Key={"id": {"S": PIC_ID}},
        UpdateExpression="SET imageStoreLease = :holder, imageStoreLeaseExpiresAt = :until",
        ExpressionAttributeValues={
            ":holder": {"S": holder},
            ":until": {"N": str(int(time.time()) + expires_in_seconds)},
        },
    )


def test_a_delivery_storing_the_image_makes_another_wait(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    lease(aws, "a-delivery-still-running", expires_in_seconds=20)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 409

    assert replicate.file_requests == []
    assert aws.object_keys() == []


def test_the_expired_lease_of_a_crashed_delivery_is_taken_over(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    lease(aws, "a-delivery-that-timed-out", expires_in_seconds=-1)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    assert aws.object_keys() == [PNG_KEY]
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["storedImageKey"] == PNG_KEY
    assert "imageStoreLease" not in item


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


@pytest.mark.parametrize("final_status", ["COMPLETED", "FAILED"])
def test_webhook_for_a_final_picture_is_acknowledged_and_ignored(
    aws: AwsAccount, replicate: ReplicateStandIn, final_status: str
) -> None:
    prediction_id = processing_pic(aws, replicate)
    aws.put_pic(PIC_ID, status=final_status, prompt=PROMPT, prediction_id=prediction_id)

    status, body = call_webhook(webhook_event(replicate.final_prediction(prediction_id)))

    assert (status, body["message"]) == (200, "picture already final")
    assert replicate.file_requests == []
    assert aws.item(PIC_ID)["completionStatus"] == final_status  # type: ignore[index]


def test_prediction_that_is_not_the_pictures_is_rejected(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    other = replicate.final_prediction(prediction_id) | {"id": "someone-elses-prediction"}

    assert call_webhook(webhook_event(other))[0] == 409
    assert_unchanged(aws, prediction_id)
    assert replicate.file_requests == []


def test_webhook_before_generate_recorded_the_prediction_is_retryable(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic(PIC_ID, status="STARTED")
    prediction = {"id": "early-prediction", "status": "succeeded", "output": ["x"]}
    assert call_webhook(webhook_event(prediction))[0] == 409
    assert aws.item(PIC_ID)["completionStatus"] == "STARTED"  # type: ignore[index]


def test_claimed_picture_without_a_prediction_adopts_the_webhooks(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    """generate's record of the prediction was lost (or is late): the webhook adopts it."""
    prediction_id = processing_pic(aws, replicate)
    aws.put_pic(PIC_ID, status="STARTED", prompt=PROMPT, claimed=True)

    status, body = call_webhook(webhook_event(replicate.final_prediction(prediction_id)))

    assert (status, body["key"]) == (200, PNG_KEY)
    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item["predictionId"]) == ("PROCESSING", prediction_id)
    # Only the first prediction is adopted; any other is still not the picture's.
    other = replicate.final_prediction(prediction_id) | {"id": "another-prediction"}
    assert call_webhook(webhook_event(other))[0] == 409


def test_claimed_picture_adopts_a_failed_prediction_and_fails(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    replicate.outcome = "failed"
    prediction_id = processing_pic(aws, replicate)
    aws.put_pic(PIC_ID, status="STARTED", prompt=PROMPT, claimed=True)

    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 200

    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item["predictionId"]) == ("FAILED", prediction_id)


def test_unknown_picture_is_404(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction = {"id": "p1", "status": "succeeded", "output": ["x"]}
    assert call_webhook(webhook_event(prediction, pic_id="no-such-picture"))[0] == 404
    assert aws.object_keys() == []


# ---------------------------------------------------------------- signature


def tamper(event: dict[str, object], **header_changes: str | None) -> dict[str, object]:
    headers = dict(event["headers"])  # type: ignore[call-overload]
    for name, value in header_changes.items():
        header = name.replace("_", "-")
        if value is None:
            headers.pop(header)
        else:
            headers[header] = value
    return event | {"headers": headers}


@pytest.mark.parametrize("header", ["webhook_id", "webhook_timestamp", "webhook_signature"])
def test_missing_signature_header_is_401(
    aws: AwsAccount, replicate: ReplicateStandIn, header: str
) -> None:
    prediction_id = processing_pic(aws, replicate)
    event = webhook_event(replicate.final_prediction(prediction_id))
    assert call_webhook(tamper(event, **{header: None}))[0] == 401
    assert_unchanged(aws, prediction_id)


def test_signature_with_another_secret_is_401(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction_id = processing_pic(aws, replicate)
    wrong = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    event = webhook_event(replicate.final_prediction(prediction_id), secret=wrong)
    assert call_webhook(event)[0] == 401
    assert_unchanged(aws, prediction_id)


def test_tampered_body_is_401(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction_id = processing_pic(aws, replicate)
    event = webhook_event(replicate.final_prediction(prediction_id))
    event["body"] = event["body"].replace("succeeded", "failed")
    assert call_webhook(event)[0] == 401
    assert_unchanged(aws, prediction_id)


# A few seconds past the 5-minute tolerance: whole-second timestamps plus the time the
# call takes must not bring a "future" one back inside it.
@pytest.mark.parametrize("offset", [-305, 305])
def test_stale_or_future_timestamp_is_401(
    aws: AwsAccount, replicate: ReplicateStandIn, offset: int
) -> None:
    prediction_id = processing_pic(aws, replicate)
    event = webhook_event(
        replicate.final_prediction(prediction_id), timestamp=int(time.time()) + offset
    )
    assert call_webhook(event)[0] == 401
    assert_unchanged(aws, prediction_id)


def test_one_valid_signature_among_several_is_accepted(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    body = json.dumps(replicate.final_prediction(prediction_id)).encode()
    headers = signed_webhook_headers(WEBHOOK_SECRET, body)
    rotated_out = "v1,dGhpcyBpcyBub3QgdGhlIHJpZ2h0IHNpZ25hdHVyZSEhISEhISEhISEhISE="
    headers["webhook-signature"] = f"{rotated_out} v1a,bm9wZQ== {headers['webhook-signature']}"
    assert call_webhook(webhook_event(body, headers=headers))[0] == 200
    assert aws.object_keys() == [PNG_KEY]


def test_missing_signing_secret_is_500(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction_id = processing_pic(aws, replicate)
    aws.ssm.delete_parameter(Name=SECRET_PARAMETER)
    assert call_webhook(webhook_event(replicate.final_prediction(prediction_id)))[0] == 500
    assert_unchanged(aws, prediction_id)


# ---------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    ("body", "pic_id", "message"),
    [
        (b"{not json", PIC_ID, "not JSON"),
        (b"[1, 2]", PIC_ID, "not a JSON object"),
        (b'{"status": "succeeded"}', PIC_ID, "prediction id"),
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


def test_deeply_nested_json_is_400_not_a_crash(aws: AwsAccount) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p")
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"id": "p", "status": "succeeded", "output": ' + deep + b"}"

    status, answer = call_webhook(webhook_event(body))

    assert status == 400
    assert "nested" in answer["message"]
    assert aws.item(PIC_ID)["completionStatus"] == "PROCESSING"  # type: ignore[index]


def test_json_nested_past_the_limit_is_400(aws: AwsAccount) -> None:
    """Parseable, but deeper than any prediction: refused before anything uses it."""
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="p")
    depth = MAX_JSON_DEPTH + 1
    prediction = {"id": "p", "status": "failed", "error": "x"}
    for _ in range(depth - 1):
        prediction["error"] = [prediction["error"]]

    status, answer = call_webhook(webhook_event(prediction))

    assert status == 400
    assert answer["message"] == f"body is nested deeper than {MAX_JSON_DEPTH} levels"
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
        (
            "failed",
            "CUDA out of memory",
            failure_reasons.PREDICTION_FAILED,
            "Replicate prediction failed: CUDA out of memory",
        ),
        (
            "canceled",
            None,
            failure_reasons.PREDICTION_CANCELED,
            "Replicate prediction canceled: no error given",
        ),
        (
            "failed",
            {"type": "NSFW"},
            failure_reasons.PREDICTION_BLOCKED,
            'Replicate prediction failed: {"type": "NSFW"}',
        ),
        (
            "failed",
            "NSFW content detected. Try running it again, or try a different prompt.",
            failure_reasons.PREDICTION_BLOCKED,
            "Replicate prediction failed: NSFW content detected.",
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


def test_succeeded_without_output_fails_the_picture(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id) | {"output": []}
    assert call_webhook(webhook_event(prediction))[0] == 200
    assert failure_reason(aws) == failure_reasons.NO_OUTPUT


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


def test_intermediate_status_needs_no_action(aws: AwsAccount, replicate: ReplicateStandIn) -> None:
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id) | {"status": "processing"}
    assert call_webhook(webhook_event(prediction))[0] == 200
    assert_unchanged(aws, prediction_id)
