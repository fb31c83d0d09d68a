"""generate's state machine: at most one Replicate prediction per STARTED picture.

    read the picture ── unknown, not STARTED, or claimed ──────────────▶ skipped
      │ STARTED, unclaimed
    read the token ──── unavailable ───────────────────────────────────▶ FAILED
      │
    claim (conditional write) ── another invocation won ───────────────▶ skipped
      │ claimed
    create the prediction ── refused, or retries ran out ──────────────▶ FAILED
      │                   └─ in doubt (it may exist) ─────────────────▶ in-doubt
      │ created                (stays claimed: its webhook adopts it, or the sweeper
      │                         fails the picture at its deadline)
    record PROCESSING ── refused, the webhook recorded it first ───────▶ PROCESSING
      │               └─ refused, the picture went final: cancel it ───▶ skipped
      ▼
    PROCESSING

Which Replicate answers are retried, and which leave the outcome in doubt, is the
Replicate client's (:mod:`aipic.replicate`); this module sees only its three results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from aipic import failure_reasons
from aipic.decisions.picture import Pic, Status


class Outcome(StrEnum):
    """What an invocation returns (``{"id", "outcome"}``) and logs."""

    PROCESSING = Status.PROCESSING.value
    FAILED = Status.FAILED.value
    SKIPPED = "skipped"
    IN_DOUBT = "in-doubt"


@dataclass(frozen=True)
class Finish:
    """Return ``outcome``; ``log`` says why."""

    outcome: Outcome
    log: str
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Fail:
    """Mark the picture FAILED with ``reason`` (users read it); ``detail`` is logged."""

    reason: str
    detail: str


@dataclass(frozen=True)
class RecordProcessing:
    """Write PROCESSING with the prediction (a conditional write from STARTED)."""

    prediction_id: str


@dataclass(frozen=True)
class Cancel:
    """Cancel the prediction (one attempt; its failure is only logged), then finish."""

    prediction_id: str
    then: Finish


# What creating the prediction came to (the Replicate client's results).
@dataclass(frozen=True)
class Created:
    prediction_id: str


@dataclass(frozen=True)
class Refused:
    """Failed for good: refused by Replicate, or its retries ran out."""

    reason: str
    detail: str


@dataclass(frozen=True)
class InDoubt:
    """The request reached Replicate; no answer says whether it created the prediction."""

    detail: str


CreateResult = Created | Refused | InDoubt


def on_invocation(pic: Pic | None) -> Finish | None:
    """None: read the token and claim the picture; else finish without asking Replicate."""
    if pic is None or pic.status != Status.STARTED:
        return Finish(
            Outcome.SKIPPED,
            "picture is unknown or not STARTED; no prediction created",
            {"status": pic.status if pic else None},
        )
    if pic.claimed:
        # An earlier delivery of this event may have reached Replicate: never ask twice.
        return Finish(
            Outcome.SKIPPED,
            "picture already claimed by an earlier invocation; no prediction created",
        )
    return None


def token_unavailable(detail: str) -> Fail:
    return Fail(failure_reasons.SERVICE_MISCONFIGURED, detail)


def after_claim(claimed: bool) -> Finish | None:
    """None: this invocation holds the claim and creates the prediction."""
    if claimed:
        return None
    return Finish(
        Outcome.SKIPPED, "a concurrent invocation claimed the picture; no prediction created"
    )


def after_create(result: CreateResult) -> RecordProcessing | Fail | Finish:
    if isinstance(result, Created):
        return RecordProcessing(result.prediction_id)
    if isinstance(result, Refused):
        return Fail(result.reason, result.detail)
    # Not retried (that could pay twice) and not failed: the picture stays claimed.
    return Finish(
        Outcome.IN_DOUBT,
        "Replicate may have created the prediction; the picture stays claimed for its "
        "webhook (or the sweeper)",
        {"reason": result.detail},
    )


def after_record(recorded: bool, current: Pic | None, prediction_id: str) -> Finish | Cancel:
    """``recorded``: the PROCESSING write succeeded; else ``current`` is the picture read
    back after it was refused."""
    if recorded:
        return Finish(Outcome.PROCESSING, "prediction started", {"prediction_id": prediction_id})
    if current is not None and current.prediction_id == prediction_id:
        return Finish(
            Outcome.PROCESSING,
            "the webhook recorded the prediction first",
            {"prediction_id": prediction_id},
        )
    # The picture went final meanwhile (the sweeper's deadline): stop the paid run.
    return Cancel(
        prediction_id,
        then=Finish(
            Outcome.SKIPPED,
            "picture moved on while the prediction was created; cancelling it",
            {"prediction_id": prediction_id, "status": current.status if current else None},
        ),
    )
