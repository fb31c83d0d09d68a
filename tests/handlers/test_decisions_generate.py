"""generate's state machine (aipic.decisions.generate), in memory: one prediction per
picture, and what each Replicate result leaves the picture in."""

from __future__ import annotations

import subprocess
import sys

import pytest
from aipic import failure_reasons
from aipic.decisions.generate import (
    Cancel,
    Created,
    Fail,
    Finish,
    InDoubt,
    Outcome,
    RecordProcessing,
    Refused,
    after_claim,
    after_create,
    after_record,
    on_invocation,
    token_unavailable,
)
from aipic.decisions.picture import Pic
from aipic.handlers.generate import GenerateRequest, InvalidGenerateEventError

PIC_ID = "5f0c6a52-3c1e-4f7e-9d0b-6a1f2e3d4c5b"


def pic(status: str = "STARTED", *, claimed: bool = False, prediction_id: str | None = None) -> Pic:
    return Pic(PIC_ID, "owner-1", status, prediction_id, claimed=claimed)


def outcome(step: object) -> Outcome | None:
    return step.outcome if isinstance(step, Finish) else None


@pytest.mark.parametrize(
    ("picture", "expected"),
    [
        (pic(), None),  # STARTED and unclaimed: this invocation may ask Replicate
        (None, Outcome.SKIPPED),  # unknown picture
        # an earlier delivery of the event claimed it (and may have reached Replicate)
        (pic(claimed=True), Outcome.SKIPPED),
        (pic("PROCESSING", claimed=True, prediction_id="p-1"), Outcome.SKIPPED),
        (pic("COMPLETED", claimed=True, prediction_id="p-1"), Outcome.SKIPPED),
        (pic("FAILED", claimed=True), Outcome.SKIPPED),
        (pic("CANCELED"), Outcome.SKIPPED),  # its owner cancelled it before generate ran
    ],
)
def test_only_an_unclaimed_started_picture_is_sent_to_replicate(
    picture: Pic | None, expected: Outcome | None
) -> None:
    step = on_invocation(picture)
    assert outcome(step) == expected
    if expected is not None:
        assert "no prediction created" in step.log  # type: ignore[union-attr]


def test_the_claim_is_taken_once() -> None:
    assert after_claim(True) is None
    lost = after_claim(False)
    assert outcome(lost) == Outcome.SKIPPED


def test_an_unavailable_token_fails_the_picture_with_a_reason_users_can_act_on() -> None:
    assert token_unavailable("ParameterNotFound: /aipic/x") == Fail(
        failure_reasons.SERVICE_MISCONFIGURED, "ParameterNotFound: /aipic/x"
    )


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (Created("p-1"), RecordProcessing("p-1")),
        # a 4xx, or 429/503/no connection until the attempts ran out
        (
            Refused(failure_reasons.IMAGE_SERVICE_REFUSED, "HTTP 422: invalid input"),
            Fail(failure_reasons.IMAGE_SERVICE_REFUSED, "HTTP 422: invalid input"),
        ),
        (
            Refused(failure_reasons.IMAGE_SERVICE_UNAVAILABLE, "after 4 attempts: HTTP 503"),
            Fail(failure_reasons.IMAGE_SERVICE_UNAVAILABLE, "after 4 attempts: HTTP 503"),
        ),
    ],
)
def test_what_creating_the_prediction_leads_to(result: object, expected: object) -> None:
    assert after_create(result) == expected  # type: ignore[arg-type]


def test_an_answer_in_doubt_leaves_the_picture_claimed_and_not_failed() -> None:
    step = after_create(InDoubt("ReadTimeout"))
    assert isinstance(step, Finish)
    assert step.outcome == Outcome.IN_DOUBT
    assert step.extra == {"reason": "ReadTimeout"}


@pytest.mark.parametrize(
    ("recorded", "current", "expected"),
    [
        (True, None, Outcome.PROCESSING),
        # the webhook adopted this very prediction before generate's own write
        (False, pic("PROCESSING", claimed=True, prediction_id="p-1"), Outcome.PROCESSING),
    ],
)
def test_the_prediction_is_recorded(recorded: bool, current: Pic | None, expected: Outcome) -> None:
    assert outcome(after_record(recorded, current, "p-1")) == expected


@pytest.mark.parametrize(
    "current",
    [
        pic("FAILED", claimed=True),  # the sweeper's deadline passed meanwhile
        pic("CANCELED", claimed=True),  # its owner cancelled it
        None,  # deleted
    ],
)
def test_the_prediction_of_a_picture_that_went_final_meanwhile_is_cancelled(
    current: Pic | None,
) -> None:
    step = after_record(False, current, "p-1")
    assert isinstance(step, Cancel)
    assert step.prediction_id == "p-1"
    assert step.then.outcome == Outcome.SKIPPED


def test_an_event_delivered_twice_asks_replicate_once() -> None:
    """The whole machine against a one-item table: the second delivery finds the claim."""
    table = {PIC_ID: pic()}
    calls: list[str] = []

    def invocation() -> Outcome:
        step = on_invocation(table.get(PIC_ID))
        if step is not None:
            return step.outcome
        claimed = not table[PIC_ID].claimed
        table[PIC_ID] = pic(claimed=True)
        if (lost := after_claim(claimed)) is not None:
            return lost.outcome
        calls.append("create")
        record = after_create(Created("p-1"))
        assert isinstance(record, RecordProcessing)
        table[PIC_ID] = pic("PROCESSING", claimed=True, prediction_id=record.prediction_id)
        done = after_record(True, None, record.prediction_id)
        assert isinstance(done, Finish)
        return done.outcome

    assert [invocation(), invocation(), invocation()] == [
        Outcome.PROCESSING,
        Outcome.SKIPPED,
        Outcome.SKIPPED,
    ]
    assert calls == ["create"]


def test_outcomes_are_the_strings_an_invocation_returns() -> None:
    assert [str(o) for o in Outcome] == ["PROCESSING", "FAILED", "skipped", "in-doubt"]


# ---------------------------------------------------------------- the event


def test_all_settings_map_to_replicate_inputs() -> None:
    settings = {
        "negativePrompt": "text",
        "width": 512,
        "height": 640,
        "numInferenceSteps": 30,
        "guidanceScale": 7.5,
        "seed": 1,
        "unknown": "ignored",
    }
    event = {"id": PIC_ID, "owner": "o", "prompt": "a lighthouse", "settings": settings}
    assert GenerateRequest.from_event(event).replicate_input() == {
        "prompt": "a lighthouse",
        "negative_prompt": "text",
        "width": 512,
        "height": 640,
        "num_inference_steps": 30,
        "guidance_scale": 7.5,
        "seed": 1,
    }


def test_unset_settings_are_left_to_the_model() -> None:
    event = {"id": PIC_ID, "owner": "o", "prompt": "p", "settings": {"seed": None}}
    assert GenerateRequest.from_event(event).replicate_input() == {"prompt": "p"}
    assert GenerateRequest.from_event(event | {"settings": None}).settings == {}


@pytest.mark.parametrize(
    ("event", "missing"),
    [
        ({"owner": "o", "prompt": "p"}, "id"),
        ({"id": PIC_ID, "prompt": "p"}, "owner"),
        ({"id": PIC_ID, "owner": "o", "prompt": "   "}, "prompt"),
        ({"id": PIC_ID, "owner": "o", "prompt": 7}, "prompt"),
        ({"id": PIC_ID, "owner": "o", "prompt": "p", "settings": [1]}, "settings"),
    ],
)
def test_an_event_missing_a_field_is_refused(event: dict[str, object], missing: str) -> None:
    with pytest.raises(InvalidGenerateEventError, match=missing):
        GenerateRequest.from_event(event)


# ---------------------------------------------------------------- purity


def test_the_decisions_import_no_aws_or_http_library() -> None:
    code = (
        "import sys, aipic.decisions.generate, aipic.decisions.webhook;"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'boto3', 'botocore', 'requests', 'urllib3', 'aws_lambda_powertools'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
