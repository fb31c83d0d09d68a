"""A small client for Replicate's prediction API.

Only what the pipeline needs: create a prediction with a webhook. Transient failures
(429, 5xx, connection errors, timeouts) are retried a bounded number of times with
exponential backoff and full jitter; everything else fails at once with Replicate's
``detail`` so the picture can be marked FAILED with a useful reason.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from aipic import failure_reasons

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
# A Retry-After longer than this is not waited for: the invocation has its own deadline.
MAX_RETRY_AFTER_SECONDS = 10.0


class ReplicateError(Exception):
    """Creating the prediction failed for good (after any retries). The message is the
    detail for the logs; ``reason`` is what the user is told."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


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
        session: requests.Session,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._token = token
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._session = session
        self._sleep = sleep

    def create_prediction(
        self, *, version: str, model_input: Mapping[str, Any], webhook: str
    ) -> Prediction:
        body: dict[str, Any] = {
            "version": version,
            "input": dict(model_input),
            "webhook": webhook,
            "webhook_events_filter": ["completed"],
        }
        last_problem = ""
        for attempt in range(1, self._max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self._session.post(
                    f"{self._api_url}/predictions",
                    json=body,
                    headers={"Authorization": f"Bearer {self._token}"},
                    timeout=self._timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                last_problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code in (200, 201):
                    return _prediction_from(response)
                last_problem = f"HTTP {response.status_code}: {_detail(response)}"
                if response.status_code != 429 and response.status_code < 500:
                    raise ReplicateError(
                        f"Replicate rejected the prediction: {last_problem}",
                        failure_reasons.IMAGE_SERVICE_REFUSED,
                    )
                retry_after = _retry_after_seconds(response)
            if attempt < self._max_attempts:
                self._sleep(self._backoff(attempt, retry_after))
        raise ReplicateError(
            f"Replicate unavailable after {self._max_attempts} attempts: {last_problem}",
            failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
        )

    @staticmethod
    def _backoff(attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def _prediction_from(response: requests.Response) -> Prediction:
    try:
        payload = response.json()
        return Prediction(id=str(payload["id"]))
    except (ValueError, KeyError, TypeError):
        raise ReplicateError(
            f"Replicate answered HTTP {response.status_code} without a prediction id",
            failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
        ) from None


def _detail(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300] or response.reason or "no detail"
    if isinstance(payload, dict) and "detail" in payload:
        return str(payload["detail"])
    return str(payload)[:300]


def _retry_after_seconds(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None  # absent or an HTTP date: use our own backoff
    if 0 <= seconds <= MAX_RETRY_AFTER_SECONDS:
        return seconds
    return None
