"""The webhook's answer table (aipic.decisions.webhook), in memory: every row of the fault
table in docs/architecture.md that the webhook owns, past the signature check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aipic import failure_reasons
from aipic.decisions.picture import Pic, StoreClaim
from aipic.decisions.webhook import (
    ALREADY_FINAL,
    MAX_JSON_DEPTH,
    MAX_TRANSIENT_FAILURES,
    Adopt,
    Answer,
    Fail,
    MalformedWebhookError,
    RecordProgress,
    StoreImage,
    adopted,
    after_fail,
    after_progress,
    after_rejected_image,
    after_store_claim,
    after_stored,
    after_transient_failure,
    on_delivery,
    parse_prediction,
)

from local.replicate.standin import run_logs

PREDICTION = "p-1"
URL = "https://replicate.delivery/xezq/out-0.png"


def pic(
    status: str = "PROCESSING",
    prediction_id: str | None = PREDICTION,
    *,
    claimed: bool = True,
    progress: int = 0,
) -> Pic:
    return Pic("pic-1", "owner-1", status, prediction_id, claimed=claimed, progress=progress)


def prediction(status: str = "succeeded", **fields: Any) -> dict[str, Any]:
    return {"id": PREDICTION, "status": status, "output": [URL]} | fields


WRONG_PREDICTION = Answer(409, "prediction does not belong to this picture")

# (picture, the posted prediction, what the webhook does)
ANSWER_TABLE = [
    pytest.param(None, prediction(), Answer(404, "unknown picture"), id="unknown-picture"),
    # generate claimed the picture and its record of the prediction was lost or is late
    pytest.param(pic("STARTED", None), prediction(), Adopt(PREDICTION), id="claimed-adopts"),
    pytest.param(
        pic("STARTED", None, claimed=False),
        prediction(),
        WRONG_PREDICTION,
        id="before-generate-claimed-retry-later",
    ),
    pytest.param(pic("FAILED", None), prediction(), WRONG_PREDICTION, id="swept-never-adopts"),
    pytest.param(
        pic(prediction_id="p-other"), prediction(), WRONG_PREDICTION, id="not-the-pictures"
    ),
    *(
        pytest.param(pic(final), prediction(status), ALREADY_FINAL, id=f"{final}-{status}")
        for final in ("COMPLETED", "FAILED", "CANCELED")
        for status in ("succeeded", "failed", "processing")
    ),
    pytest.param(pic(), prediction(), StoreImage(URL), id="succeeded-stores"),
    pytest.param(pic(), prediction(output=URL), StoreImage(URL), id="single-url-output"),
    *(
        pytest.param(
            pic(),
            prediction(output=output),
            Fail(failure_reasons.NO_OUTPUT, "prediction succeeded without an output URL"),
            id=f"no-output-{json.dumps(output)}",
        )
        for output in ([], None, "", [""], [7], {"url": URL})
    ),
    pytest.param(
        pic(),
        prediction("failed", error="CUDA out of memory"),
        Fail(failure_reasons.PREDICTION_FAILED, "Replicate prediction failed: CUDA out of memory"),
        id="failed",
    ),
    pytest.param(
        pic(),
        prediction("aborted", error=""),
        Fail(failure_reasons.PREDICTION_FAILED, "Replicate prediction aborted: no error given"),
        id="aborted",
    ),
    pytest.param(
        pic(),
        prediction("canceled", error=None),
        Fail(failure_reasons.PREDICTION_CANCELED, "Replicate prediction canceled: no error given"),
        id="canceled",
    ),
    pytest.param(
        pic(),
        prediction("failed", error={"type": "NSFW"}),
        Fail(failure_reasons.PREDICTION_BLOCKED, 'Replicate prediction failed: {"type": "NSFW"}'),
        id="nsfw-object",
    ),
    pytest.param(
        pic(),
        prediction("failed", error="NSFW content detected. Try running it again."),
        Fail(
            failure_reasons.PREDICTION_BLOCKED,
            "Replicate prediction failed: NSFW content detected. Try running it again.",
        ),
        id="nsfw-text",
    ),
    pytest.param(
        pic(), prediction("processing", logs=run_logs(24, 50, 0.1)), RecordProgress(40), id="logs"
    ),
    pytest.param(
        pic(progress=40),
        prediction("processing", logs=run_logs(24, 50, 0.1)),
        Answer(200, "no new progress step"),
        id="logs-same-step",
    ),
    pytest.param(
        pic(progress=50),
        prediction("processing", logs=run_logs(21, 50, 0.1)),
        Answer(200, "no new progress step"),
        id="logs-out-of-order",
    ),
    pytest.param(
        pic(),
        prediction("starting", logs=None),
        Answer(200, "no new progress step"),
        id="start-without-a-bar",
    ),
    pytest.param(
        pic(), prediction("queued"), Answer(200, "status queued needs no action"), id="other"
    ),
]


@pytest.mark.parametrize(("picture", "posted", "expected"), ANSWER_TABLE)
def test_the_answer_table(picture: Pic | None, posted: dict[str, Any], expected: object) -> None:
    assert on_delivery(picture, posted) == expected


def test_an_adopted_picture_is_decided_again_as_processing() -> None:
    claimed = pic("STARTED", None)
    assert on_delivery(claimed, prediction()) == Adopt(PREDICTION)

    now = adopted(claimed, PREDICTION)

    assert (now.status, now.prediction_id) == ("PROCESSING", PREDICTION)
    assert on_delivery(now, prediction(), may_adopt=False) == StoreImage(URL)
    # Another prediction calling back with this ?id= is still not the picture's.
    assert on_delivery(now, prediction() | {"id": "p-2"}) == WRONG_PREDICTION


def test_an_adoption_lost_to_another_write_decides_on_what_was_written() -> None:
    # generate recorded its prediction meanwhile, or the sweeper failed the picture
    assert on_delivery(pic(), prediction(), may_adopt=False) == StoreImage(URL)
    assert on_delivery(pic("FAILED", None), prediction(), may_adopt=False) == WRONG_PREDICTION
    # a picture still without a prediction after the attempt is never adopted twice
    assert on_delivery(pic("STARTED", None), prediction(), may_adopt=False) == WRONG_PREDICTION


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (StoreClaim.CLAIMED, None),  # this delivery downloads
        (StoreClaim.STORED, Answer(200, "image already stored")),  # a repeat: no download
        (
            StoreClaim.BUSY,
            Answer(409, "the image is being stored by another delivery; retry later"),
        ),
        (StoreClaim.NOT_PROCESSING, ALREADY_FINAL),
    ],
)
def test_the_store_lease_lets_one_delivery_download(
    claim: StoreClaim, expected: Answer | None
) -> None:
    assert after_store_claim(claim) == expected


def test_the_same_succeeded_webhook_twice_downloads_once() -> None:
    first = on_delivery(pic(), prediction())
    assert first == StoreImage(URL)
    assert after_store_claim(StoreClaim.CLAIMED) is None
    assert after_stored("pics/o/p.png", newly_stored=True) == Answer(
        200, "image stored", {"key": "pics/o/p.png"}
    )
    # The second delivery is decided the same way; its claim finds the stored key.
    assert on_delivery(pic(), prediction()) == first
    assert after_store_claim(StoreClaim.STORED) == Answer(200, "image already stored")


def test_an_object_an_earlier_attempt_wrote_is_already_stored() -> None:
    assert after_stored("k", newly_stored=False) == Answer(
        200, "image already stored", {"key": "k"}
    )


def test_a_rejected_image_fails_the_picture_with_its_reason() -> None:
    assert after_rejected_image(failure_reasons.IMAGE_TOO_LARGE, "over the cap") == Fail(
        failure_reasons.IMAGE_TOO_LARGE, "output image rejected: over the cap"
    )


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        (1, Answer(500, "image transfer failed; retry later")),
        (MAX_TRANSIENT_FAILURES - 1, Answer(500, "image transfer failed; retry later")),
        (
            MAX_TRANSIENT_FAILURES,
            Fail(
                failure_reasons.IMAGE_NOT_SAVED, "image transfer failed 3 times, last: NoSuchBucket"
            ),
        ),
        (
            MAX_TRANSIENT_FAILURES + 1,
            Fail(
                failure_reasons.IMAGE_NOT_SAVED, "image transfer failed 4 times, last: NoSuchBucket"
            ),
        ),
        (None, ALREADY_FINAL),  # the picture moved on while this delivery failed
    ],
)
def test_transient_failures_are_retried_a_bounded_number_of_times(
    failures: int | None, expected: object
) -> None:
    assert after_transient_failure(failures, failure_reasons.IMAGE_NOT_SAVED, "NoSuchBucket") == (
        expected
    )


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        (True, Answer(200, "picture marked FAILED", {"reason": failure_reasons.NO_OUTPUT})),
        (False, ALREADY_FINAL),
    ],
)
def test_a_failure_is_answered_200(marked: bool, expected: Answer) -> None:
    assert after_fail(marked, failure_reasons.NO_OUTPUT) == expected


def test_progress_answers() -> None:
    assert after_progress(True, 40) == Answer(200, "progress recorded", {"progress": "40"})
    assert after_progress(False, 40) == Answer(
        200, "progress not recorded: a higher one is stored or the picture moved on"
    )


# ---------------------------------------------------------------- the body, once verified


def nested(depth: int) -> dict[str, Any]:
    """A prediction nested ``depth`` levels deep (the object is the first)."""
    value: Any = "x"
    for _ in range(depth - 1):
        value = [value]
    return {"id": "p", "status": "failed", "error": value}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not JSON, or is nested too deeply"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'"succeeded"', "body is not a JSON object"),
        (b'{"status": "succeeded"}', "body lacks the prediction id"),
        (b'{"id": 7, "status": "succeeded"}', "body lacks the prediction id"),
        (b'{"id": "p", "status": ""}', "body lacks the prediction status"),
        (b'{"id": "p"}', "body lacks the prediction status"),
        # json's decoder gives up (RecursionError) long before this is built
        (b'{"id": "p", "output": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (json.dumps(nested(MAX_JSON_DEPTH + 1)).encode(), f"nested deeper than {MAX_JSON_DEPTH}"),
    ],
)
def test_an_unusable_body_is_malformed(body: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhookError, match=message):
        parse_prediction(body)


def test_a_body_at_the_depth_limit_is_a_prediction() -> None:
    body = nested(MAX_JSON_DEPTH)
    assert parse_prediction(json.dumps(body).encode()) == body
