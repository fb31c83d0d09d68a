"""generate: AppSync's asynchronous invocation → one Replicate prediction → PROCESSING/FAILED,
through the adapters (moto, the Replicate stand-in). The state machine itself runs in
memory in test_decisions_generate.py; the races in test_races.py."""

from __future__ import annotations

import pytest
from aipic import failure_reasons
from aipic.handlers import generate
from aipic.observability import record_keys
from aipic.pics import pics_repository
from aipic.replicate import BACKOFF_CAP_SECONDS

from local.net import free_port
from local.replicate.standin import MODEL_VERSION, ReplicateStandIn
from local.runtime.events import lambda_context
from local.runtime.http_api import HttpApiGateway
from tests.conftest import OWNER, PUBLIC_WEBHOOK_URL, REPLICATE_TOKEN, TOKEN_PARAMETER, AwsAccount
from tests.support.adopted_prediction import assert_the_webhook_adopted_the_prediction

PIC_ID = "5f0c6a52-3c1e-4f7e-9d0b-6a1f2e3d4c5b"


def generate_event(pic_id: str = PIC_ID, **overrides: object) -> dict[str, object]:
    """The payload the invokeGenerate pipeline function sends (invocationType Event)."""
    event: dict[str, object] = {
        "id": pic_id,
        "owner": OWNER,
        "prompt": "a lighthouse at dawn",
        "settings": {},
    }
    event.update(overrides)
    return event


def invoke(event: dict[str, object]) -> dict[str, str]:
    return generate.handler(event, lambda_context("aipic-generate"))


def failure(aws: AwsAccount, caplog: pytest.LogCaptureFixture) -> tuple[str, str]:
    """(the reason users read, the detail only the logs have)."""
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "FAILED"
    details = [
        str(record_keys(r)["detail"]) for r in caplog.records if r.getMessage() == "picture failed"
    ]
    assert len(details) == 1, details
    return str(item["failureReason"]), details[0]


def test_started_picture_gets_a_prediction_and_moves_to_processing(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic(PIC_ID)
    settings = {"negativePrompt": "blurry", "width": 768, "seed": 42, "guidanceScale": None}

    result = invoke(generate_event(settings=settings))

    assert result == {"id": PIC_ID, "outcome": "PROCESSING"}
    (request,) = replicate.prediction_requests
    assert request.headers["authorization"] == f"Bearer {REPLICATE_TOKEN}"
    assert request.json() == {
        "version": MODEL_VERSION,
        "input": {
            "prompt": "a lighthouse at dawn",
            "negative_prompt": "blurry",
            "width": 768,
            "seed": 42,
        },
        "webhook": f"{PUBLIC_WEBHOOK_URL}?id={PIC_ID}",
        "webhook_events_filter": ["start", "logs", "completed"],
    }
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "PROCESSING"
    assert item["predictionId"] == next(iter(replicate.predictions))
    assert item["updatedAt"] > item["createdAt"]


def test_an_official_model_is_created_through_its_models_endpoint(
    aws: AwsAccount, replicate: ReplicateStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_MODEL", "stability-ai/stable-diffusion-3.5-large")
    aws.put_pic(PIC_ID)

    result = invoke(generate_event())

    assert result == {"id": PIC_ID, "outcome": "PROCESSING"}
    (request,) = replicate.prediction_requests
    assert request.path == "/v1/models/stability-ai/stable-diffusion-3.5-large/predictions"
    # No version: Replicate runs the official model's latest one.
    assert request.json() == {
        "input": {"prompt": "a lighthouse at dawn"},
        "webhook": f"{PUBLIC_WEBHOOK_URL}?id={PIC_ID}",
        "webhook_events_filter": ["start", "logs", "completed"],
    }
    (prediction,) = replicate.predictions.values()
    assert prediction["model"] == "stability-ai/stable-diffusion-3.5-large"
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "PROCESSING"
    assert item["predictionId"] == prediction["id"]


def test_an_event_missing_a_field_raises_before_anything_is_read() -> None:
    # Raising sends the event to the on-failure queue; every case: test_decisions_generate.py
    with pytest.raises(generate.InvalidGenerateEventError, match="prompt"):
        invoke({"id": PIC_ID, "owner": OWNER, "prompt": " "})


def test_a_picture_already_processing_is_skipped(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    aws.put_pic(PIC_ID, status="PROCESSING", prediction_id="first-prediction", claimed=True)
    assert invoke(generate_event()) == {"id": PIC_ID, "outcome": "skipped"}
    assert replicate.prediction_requests == []
    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item["predictionId"]) == ("PROCESSING", "first-prediction")


def test_missing_token_parameter_fails_the_picture_naming_it_in_the_log_only(
    aws: AwsAccount, replicate: ReplicateStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    aws.put_pic(PIC_ID)
    aws.ssm.delete_parameter(Name=TOKEN_PARAMETER)

    assert invoke(generate_event())["outcome"] == "FAILED"

    reason, detail = failure(aws, caplog)
    assert reason == failure_reasons.SERVICE_MISCONFIGURED
    assert TOKEN_PARAMETER in detail
    assert replicate.prediction_requests == []


def test_throttled_then_accepted_honours_retry_after(
    aws: AwsAccount, replicate: ReplicateStandIn, retry_sleeps: list[float]
) -> None:
    aws.put_pic(PIC_ID)
    replicate.prediction_failures = [429]
    replicate.retry_after = "2"

    assert invoke(generate_event())["outcome"] == "PROCESSING"

    assert len(replicate.prediction_requests) == 2
    assert retry_sleeps == [2.0]
    assert aws.item(PIC_ID)["completionStatus"] == "PROCESSING"  # type: ignore[index]


def test_unavailable_answers_retry_with_bounded_backoff_then_fail(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    retry_sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    aws.put_pic(PIC_ID)
    # 429 and 503 say the request was not processed: safe to send again.
    replicate.prediction_failures = [503, 429, 503, 503, 503]

    assert invoke(generate_event())["outcome"] == "FAILED"

    assert len(replicate.prediction_requests) == 4  # REPLICATE_MAX_ATTEMPTS
    assert replicate.predictions == {}
    assert len(retry_sleeps) == 3
    assert all(0 <= delay <= BACKOFF_CAP_SECONDS for delay in retry_sleeps)
    reason, detail = failure(aws, caplog)
    assert reason == failure_reasons.IMAGE_SERVICE_UNAVAILABLE
    assert "after 4 attempts" in detail
    assert "HTTP 503" in detail


def test_unreachable_replicate_fails_after_the_attempts(
    aws: AwsAccount,
    monkeypatch: pytest.MonkeyPatch,
    retry_sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REPLICATE_API_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("REPLICATE_MAX_ATTEMPTS", "2")
    aws.put_pic(PIC_ID)

    assert invoke(generate_event())["outcome"] == "FAILED"

    assert len(retry_sleeps) == 1
    reason, detail = failure(aws, caplog)
    # The user is not shown the host:port generate could not reach.
    assert reason == failure_reasons.IMAGE_SERVICE_UNAVAILABLE
    assert "after 2 attempts" in detail
    assert "ConnectionError" in detail
    assert "127.0.0.1" in detail


# ---------------------------------------------------------------- one prediction per picture


def assert_claimed_and_waiting(aws: AwsAccount) -> None:
    """STARTED, claimed, no prediction recorded, not failed: waiting for the webhook."""
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["completionStatus"] == "STARTED"
    assert "generateClaimedAt" in item
    assert "predictionId" not in item
    assert "failureReason" not in item


def test_read_timeout_is_not_retried_and_the_webhook_adopts_the_prediction(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    gateway: HttpApiGateway,
    monkeypatch: pytest.MonkeyPatch,
    retry_sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REPLICATE_TIMEOUT_SECONDS", "0.2")
    replicate.prediction_delays = [1.0]  # Replicate answers after the client gave up
    aws.put_pic(PIC_ID)

    assert invoke(generate_event())["outcome"] == "in-doubt"

    assert len(replicate.prediction_requests) == 1
    assert retry_sleeps == []
    assert_the_webhook_adopted_the_prediction(aws, replicate, pic_id=PIC_ID, owner=OWNER)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_error_leaves_the_outcome_in_doubt_without_retrying(
    aws: AwsAccount, replicate: ReplicateStandIn, retry_sleeps: list[float], status: int
) -> None:
    aws.put_pic(PIC_ID)
    replicate.prediction_failures = [status, 503]

    assert invoke(generate_event())["outcome"] == "in-doubt"

    assert len(replicate.prediction_requests) == 1
    assert retry_sleeps == []
    assert_claimed_and_waiting(aws)


def test_prediction_of_a_picture_failed_meanwhile_is_cancelled(
    aws: AwsAccount, replicate: ReplicateStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.put_pic(PIC_ID)
    pics = pics_repository()
    record = pics.mark_processing

    def swept_first(pic_id: str, prediction_id: str) -> bool:
        pics.mark_failed(pic_id, "deadline passed")  # the sweeper got there first
        return record(pic_id, prediction_id)

    monkeypatch.setattr(pics, "mark_processing", swept_first)

    assert invoke(generate_event())["outcome"] == "skipped"

    assert replicate.cancellations == list(replicate.predictions)
    assert len(replicate.cancellations) == 1
    assert aws.item(PIC_ID)["completionStatus"] == "FAILED"  # type: ignore[index]


def test_client_error_fails_at_once_with_replicates_detail(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    retry_sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    aws.put_pic(PIC_ID)
    replicate.prediction_failures = [422]

    assert invoke(generate_event())["outcome"] == "FAILED"

    assert len(replicate.prediction_requests) == 1
    assert retry_sleeps == []
    reason, detail = failure(aws, caplog)
    assert reason == failure_reasons.IMAGE_SERVICE_REFUSED
    assert "HTTP 422" in detail


def test_wrong_token_fails_with_replicates_detail(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    retry_sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    aws.put_pic(PIC_ID)
    replicate.expected_token = "r8_a_different_token"

    invoke(generate_event())

    reason, detail = failure(aws, caplog)
    assert reason == failure_reasons.IMAGE_SERVICE_REFUSED
    assert "HTTP 401" in detail
    assert "valid authentication token" in detail
    assert retry_sleeps == []
