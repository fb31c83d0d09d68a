"""The webhook's answer table: what a signed Replicate delivery does to its picture.

Input: the prediction Replicate posted (parsed and bounded by :func:`parse_prediction`)
and the stored picture. Output: an action for the handler to apply (adopt the
prediction, store its image, mark the picture FAILED, record progress) or the answer
itself. Each adapter's result (the repository's conditional writes, the image transfer)
comes back through an ``after_*`` function, which gives the HTTP answer:

- 404 unknown picture; 409 a prediction that is not the picture's (or a store another
  delivery holds: Replicate retries); 500 a transient transfer failure, counted on the
  picture, until the ``MAX_TRANSIENT_FAILURES``-th marks it FAILED;
- 200 for everything else, final pictures and repeated deliveries included (changing
  nothing), so Replicate stops retrying.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aipic import failure_reasons
from aipic.decisions.picture import Pic, Status, StoreClaim
from aipic.errors import PermanentError
from aipic.progress import progress_to_record

MAX_TRANSIENT_FAILURES = 3
FAILED_PREDICTION_STATUSES = frozenset({"failed", "canceled", "aborted"})
# A running prediction's events ("start", "logs"): they carry its logs so far.
RUNNING_PREDICTION_STATUSES = frozenset({"starting", "processing"})
# A prediction is a few KB; these bound what parsing a signed body may cost.
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32


class MalformedWebhookError(PermanentError, ValueError):
    """The request cannot be understood; answered with 400."""


@dataclass(frozen=True)
class Answer:
    """The HTTP answer: ``status`` and a JSON body of ``message`` and ``details``."""

    status: int
    message: str
    details: Mapping[str, str] = field(default_factory=dict)


ALREADY_FINAL = Answer(200, "picture already final")


@dataclass(frozen=True)
class Adopt:
    """Record ``prediction_id`` on the claimed picture that holds none (a conditional
    write), then decide again with :func:`adopted` or the picture read back."""

    prediction_id: str


@dataclass(frozen=True)
class Fail:
    """Mark the picture FAILED with ``reason`` (users read it); ``detail`` is logged."""

    reason: str
    detail: str


@dataclass(frozen=True)
class StoreImage:
    """Claim the store lease, then stream ``url`` into S3."""

    url: str


@dataclass(frozen=True)
class RecordProgress:
    step: int


Action = Answer | Adopt | Fail | StoreImage | RecordProgress


def parse_prediction(body: bytes) -> dict[str, Any]:
    """The verified body as a prediction with an ``id`` and a ``status``, or
    MalformedWebhookError."""
    try:
        prediction = json.loads(body)
    except (ValueError, RecursionError):
        # RecursionError: json's C decoder refuses nesting deeper than the stack allows.
        raise MalformedWebhookError("body is not JSON, or is nested too deeply") from None
    if not isinstance(prediction, dict):
        raise MalformedWebhookError("body is not a JSON object")
    if _depth(prediction) > MAX_JSON_DEPTH:
        raise MalformedWebhookError(f"body is nested deeper than {MAX_JSON_DEPTH} levels")
    for name in ("id", "status"):
        if not isinstance(prediction.get(name), str) or not prediction[name]:
            raise MalformedWebhookError(f"body lacks the prediction {name}")
    return prediction


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, without recursion; stops past MAX_JSON_DEPTH."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)
    return deepest


def on_delivery(
    pic: Pic | None, prediction: Mapping[str, Any], *, may_adopt: bool = True
) -> Action:
    """The first step for a delivery; ``may_adopt=False`` once an adoption was tried."""
    if pic is None:
        return Answer(404, "unknown picture")
    if may_adopt and pic.prediction_id is None and pic.claimed and not pic.is_final:
        # generate asks Replicate once per picture, so the only prediction that can call
        # back with this picture's ?id= is that one.
        return Adopt(prediction["id"])
    if pic.prediction_id != prediction["id"]:
        return Answer(409, "prediction does not belong to this picture")
    if pic.is_final:
        return ALREADY_FINAL

    status = prediction["status"]
    if status == "succeeded":
        url = output_url(prediction.get("output"))
        if url is None:
            return Fail(failure_reasons.NO_OUTPUT, "prediction succeeded without an output URL")
        return StoreImage(url)
    if status in FAILED_PREDICTION_STATUSES:
        error = _error_text(prediction.get("error"))
        reason = _prediction_failure_reason(status, error)
        return Fail(reason, f"Replicate prediction {status}: {error}")
    if status in RUNNING_PREDICTION_STATUSES:
        step = progress_to_record(prediction.get("logs"), pic.progress)
        if step is None:
            return Answer(200, "no new progress step")
        return RecordProgress(step)
    return Answer(200, f"status {status} needs no action")


def adopted(pic: Pic, prediction_id: str) -> Pic:
    """The picture after its adoption of ``prediction_id`` was written."""
    return replace(pic, status=Status.PROCESSING, prediction_id=prediction_id)


def output_url(output: object) -> str | None:
    """Replicate's ``output``: a list of file URLs (the first is ours) or a single URL."""
    if isinstance(output, list) and output:
        output = output[0]
    return output if isinstance(output, str) and output else None


def _error_text(error: object) -> str:
    if error is None or error == "":
        return "no error given"
    return error if isinstance(error, str) else json.dumps(error)


def _prediction_failure_reason(status: str, error: str) -> str:
    if status == "canceled":
        return failure_reasons.PREDICTION_CANCELED
    # Replicate's safety checker: "NSFW content detected. Try running it again, ..."
    if "nsfw" in error.lower():
        return failure_reasons.PREDICTION_BLOCKED
    return failure_reasons.PREDICTION_FAILED


def after_fail(marked: bool, reason: str) -> Answer:
    """``marked``: the conditional FAILED write succeeded (the picture was not final)."""
    if not marked:
        return ALREADY_FINAL
    return Answer(200, "picture marked FAILED", {"reason": reason})


def after_progress(recorded: bool, step: int) -> Answer:
    if not recorded:
        return Answer(200, "progress not recorded: a higher one is stored or the picture moved on")
    return Answer(200, "progress recorded", {"progress": str(step)})


def after_store_claim(claim: StoreClaim) -> Answer | None:
    """None: this delivery holds the lease and stores the image; else the answer."""
    if claim is StoreClaim.CLAIMED:
        return None
    if claim is StoreClaim.STORED:
        return Answer(200, "image already stored")
    if claim is StoreClaim.BUSY:
        return Answer(409, "the image is being stored by another delivery; retry later")
    return ALREADY_FINAL


def after_stored(key: str, newly_stored: bool) -> Answer:
    """The object is in S3 (``newly_stored`` False: an earlier attempt had written it)."""
    return Answer(200, "image stored" if newly_stored else "image already stored", {"key": key})


def after_rejected_image(reason: str, detail: str) -> Fail:
    """The image can never be stored (refused source, not an image, too large, ...)."""
    return Fail(reason, f"output image rejected: {detail}")


def after_transient_failure(failures: int | None, reason: str, detail: str) -> Answer | Fail:
    """``failures``: the picture's count of transient failures with this one, None when the
    picture moved on meanwhile (the count is written only on its PROCESSING prediction)."""
    if failures is None:
        return ALREADY_FINAL
    if failures >= MAX_TRANSIENT_FAILURES:
        return Fail(reason, f"image transfer failed {failures} times, last: {detail}")
    return Answer(500, "image transfer failed; retry later")
