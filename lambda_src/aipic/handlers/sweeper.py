"""sweeper: fail the pictures that missed their deadline, so none is left hanging.

Run on a schedule (EventBridge rate rule, asynchronous). A picture that is still STARTED
or PROCESSING ``PICTURE_DEADLINE_MINUTES`` after it was created will not finish: its
generate event was lost or exhausted its retries, generate could not tell whether
Replicate took the prediction and no webhook came, or Replicate's webhook never got
through. Each is found through the sparse pending index (no table scan) and moved to
FAILED with a reason for the user by a conditional write that only applies while the
picture is still not final and overdue, so a late COMPLETED always wins. A swept
PROCESSING picture's prediction is cancelled at Replicate (best effort) to stop billing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aipic import failure_reasons
from aipic.clients import http_session
from aipic.observability import LambdaContext, logger
from aipic.parameters import ParameterUnavailableError, read_secure_parameter
from aipic.pics import Pic, pics_repository
from aipic.replicate import CANCEL_TIMEOUT_SECONDS, ReplicateClient, ReplicateError
from aipic.settings import SweeperSettings, sweeper_settings

# Bounds one run; what is left over is the next run's (the rule fires again soon).
MAX_PICTURES_PER_SWEEP = 500
# Stop taking new pictures when the invocation has less time than this left.
MIN_REMAINING_MILLIS = 10_000


def _iso8601(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Canceller:
    """Cancels predictions at Replicate; the token is read only when one is needed."""

    def __init__(self, settings: SweeperSettings) -> None:
        self._settings = settings
        self._client: ReplicateClient | None = None

    def cancel(self, prediction_id: str) -> bool:
        try:
            if self._client is None:
                token = read_secure_parameter(
                    self._settings.token_parameter, self._settings.parameters_max_age_seconds
                )
                self._client = ReplicateClient(
                    api_url=self._settings.api_url,
                    token=token,
                    timeout_seconds=CANCEL_TIMEOUT_SECONDS,
                    max_attempts=1,
                    session=http_session(),
                )
            self._client.cancel_prediction(prediction_id)
        except (ParameterUnavailableError, ReplicateError) as error:
            logger.warning(
                "could not cancel the prediction; it ends on its own",
                extra={"prediction_id": prediction_id, "reason": str(error)},
            )
            return False
        return True


def _log_failed(before: Pic) -> None:
    logger.warning(
        "overdue picture failed",
        extra={
            "pic_id": before.id,
            "previous_status": before.status,
            "prediction_id": before.prediction_id,
            # STARTED and unclaimed: generate never ran (event lost or exhausted, see the
            # generate failure queue); claimed: Replicate's answer was lost.
            "generate_claimed": before.claimed,
        },
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings = sweeper_settings()
    pics = pics_repository()
    cutoff = _iso8601(datetime.now(UTC) - timedelta(minutes=settings.picture_deadline_minutes))
    reason = failure_reasons.not_ready_within(settings.picture_deadline_minutes)
    canceller = _Canceller(settings)
    counts = {"failed": 0, "cancelled": 0, "moved_on": 0}
    for examined, pic_id in enumerate(
        pics.pending_created_before(settings.pending_index_name, cutoff), start=1
    ):
        before = pics.fail_overdue(pic_id, cutoff, reason)
        if before is None:
            counts["moved_on"] += 1  # final meanwhile: the index lags the table
        else:
            counts["failed"] += 1
            _log_failed(before)
            if before.prediction_id and canceller.cancel(before.prediction_id):
                counts["cancelled"] += 1
        if (
            examined >= MAX_PICTURES_PER_SWEEP
            or context.get_remaining_time_in_millis() < MIN_REMAINING_MILLIS
        ):
            logger.info("sweep stopped early; the next run continues", extra=counts)
            break
    logger.info("sweep finished", extra={"cutoff": cutoff, **counts})
    return counts
