"""A small client for Replicate's prediction API.

Only what the pipeline needs: create a prediction with a webhook, cancel one. Replicate
has no idempotency key, so a create request is retried only when the failed attempt
provably created nothing: the connection was never established, or Replicate answered
429 or 503. Those are retried a bounded number of times with exponential backoff and full
jitter; a 4xx fails at once with Replicate's ``detail``. Any other failure after the
request went out (a read timeout, a dropped connection, 500/502/504) leaves the outcome in
doubt: Replicate may have accepted the prediction, so it is neither retried nor reported
as a failure (:class:`PredictionInDoubtError`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from urllib3 import BaseHTTPResponse, PoolManager, Timeout
from urllib3.exceptions import ConnectTimeoutError, HTTPError

from aipic import failure_reasons
from aipic.errors import InDoubtError, PermanentError
from aipic.replicate_model import ReplicateModel

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
# A Retry-After longer than this is not waited for: the invocation has its own deadline.
MAX_RETRY_AFTER_SECONDS = 10.0
# Answers that mean the request was not processed (RFC 9110: 429 throttled, 503 unable to
# handle it); every other 5xx may come after the prediction was created.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
CANCEL_TIMEOUT_SECONDS = 5.0
# What the webhook hears: the start, the logs while it runs (Replicate sends them at most
# every 500 ms; they carry the progress bar) and the outcome.
WEBHOOK_EVENTS = ("start", "logs", "completed")


class ReplicateError(PermanentError):
    """Creating the prediction failed for good (after any retries). The message is the
    detail for the logs; ``reason`` is what the user is told."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


class PredictionInDoubtError(InDoubtError):
    """The request reached Replicate but no answer says whether a prediction was created."""


@dataclass(frozen=True)
class Prediction:
    id: str


class ReplicateClient:
    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        timeout_seconds: float,
        max_attempts: int,
        session: PoolManager,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._token = token
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._http = session
        self._sleep = sleep

    def create_prediction(
        self, *, model: ReplicateModel, model_input: Mapping[str, Any], webhook: str
    ) -> Prediction:
        body: dict[str, Any] = {
            **model.body_fields,
            "input": dict(model_input),
            "webhook": webhook,
            "webhook_events_filter": list(WEBHOOK_EVENTS),
        }
        last_problem = ""
        for attempt in range(1, self._max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._post(
                    f"{self._api_url}{model.predictions_path}",
                    json.dumps(body).encode(),
                    self._timeout,
                )
            except HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
                if not _never_sent(error):
                    raise PredictionInDoubtError(problem) from None
                last_problem = problem
            else:
                if response.status in (200, 201):
                    return _prediction_from(response)
                last_problem = f"HTTP {response.status}: {_detail(response)}"
                if response.status != 429 and response.status < 500:
                    raise ReplicateError(
                        f"Replicate rejected the prediction: {last_problem}",
                        failure_reasons.IMAGE_SERVICE_REFUSED,
                    )
                if response.status not in NOT_PROCESSED_STATUSES:
                    raise PredictionInDoubtError(last_problem)
                retry_after = _retry_after_seconds(response)
            if attempt < self._max_attempts:
                self._sleep(self._backoff(attempt, retry_after))
        raise ReplicateError(
            f"Replicate unavailable after {self._max_attempts} attempts: {last_problem}",
            failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
        )

    def cancel_prediction(self, prediction_id: str) -> None:
        """One attempt to stop a prediction (and its billing); raises ReplicateError."""
        try:
            response = self._post(
                f"{self._api_url}/predictions/{prediction_id}/cancel",
                None,
                min(self._timeout, CANCEL_TIMEOUT_SECONDS),
            )
        except HTTPError as error:
            raise ReplicateError(
                f"cancel failed: {type(error).__name__}: {error}",
                failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
            ) from None
        if response.status != 200:
            raise ReplicateError(
                f"cancel failed: HTTP {response.status}: {_detail(response)}",
                failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
            )

    def _post(self, url: str, body: bytes | None, timeout: float) -> BaseHTTPResponse:
        headers = {"Authorization": f"Bearer {self._token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        # No retries here: whether a failed attempt may be repeated is decided above.
        return self._http.request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=Timeout(connect=timeout, read=timeout),
            retries=False,
            redirect=False,
        )

    @staticmethod
    def _backoff(attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def _never_sent(error: HTTPError) -> bool:
    """True when the connection was never established, so Replicate saw no request:
    urllib3 raises ConnectTimeoutError (or its subclass NewConnectionError, refused or
    unresolvable) only from connecting."""
    return isinstance(error, ConnectTimeoutError)


def _json(response: BaseHTTPResponse) -> object:
    return json.loads(response.data)


def _prediction_from(response: BaseHTTPResponse) -> Prediction:
    try:
        payload: Any = _json(response)
        return Prediction(id=str(payload["id"]))
    except (ValueError, KeyError, TypeError):
        # Accepted, so a prediction exists, but we cannot tell which.
        raise PredictionInDoubtError(
            f"Replicate answered HTTP {response.status} without a prediction id"
        ) from None


def _detail(response: BaseHTTPResponse) -> str:
    try:
        payload = _json(response)
    except ValueError:
        text = response.data.decode(errors="replace")[:300]
        return text or response.reason or "no detail"
    if isinstance(payload, dict) and "detail" in payload:
        return str(payload["detail"])
    return str(payload)[:300]


def _retry_after_seconds(response: BaseHTTPResponse) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None  # absent or an HTTP date: use our own backoff
    if 0 <= seconds <= MAX_RETRY_AFTER_SECONDS:
        return seconds
    return None
