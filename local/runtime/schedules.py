"""EventBridge scheduled rules whose targets are functions, fired locally.

``fire(rules)`` sends each rule's event now (what tests and a demo call); with
``RuntimeSettings.schedule_clock_scale`` set, a clock fires ``rate(...)`` rules every
period / scale seconds. EventBridge invokes its Lambda targets asynchronously, so each
firing goes through the async invoker (the function's retries and destinations apply).
A target's constant ``Input`` replaces the event, as EventBridge does. Not emulated:
``cron(...)`` on the clock (fire them with ``fire``), InputPath/InputTransformer, the
target's own RetryPolicy and dead-letter queue, non-Lambda targets (logged, skipped).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from local.runtime.config import ScheduledRule

_log = logging.getLogger(__name__)
_RATE = re.compile(r"^rate\((?P<value>\d+)\s+(?P<unit>minutes?|hours?|days?)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

# (function ARN, payload, trigger) → request id
Submitter = Callable[[str, bytes, str], str]


def rate_seconds(expression: str) -> float | None:
    """``rate(5 minutes)`` → 300.0; None for cron() and anything else."""
    found = _RATE.match(expression.strip())
    if found is None:
        return None
    return int(found.group("value")) * _UNIT_SECONDS[found.group("unit").rstrip("s")]


def scheduled_event(rule: ScheduledRule, account_id: str, region: str) -> dict[str, object]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule.arn],
        "detail": {},
    }


class Scheduler:
    def __init__(
        self,
        submit: Submitter,
        *,
        account_id: str,
        region: str,
        clock_scale: float | None,
    ) -> None:
        self._submit = submit
        self._account_id = account_id
        self._region = region
        self._clock_scale = clock_scale
        self._rules: tuple[ScheduledRule, ...] = ()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self, rules: tuple[ScheduledRule, ...] | None = None) -> list[str]:
        """Fire these rules (default: all) now; the async request ids."""
        request_ids: list[str] = []
        for rule in self._rules if rules is None else rules:
            event = scheduled_event(rule, self._account_id, self._region)
            for target in rule.targets:
                if ":lambda:" not in target.arn:
                    _log.warning(
                        "rule %s: target %s is not a function; skipped", rule.name, target.arn
                    )
                    continue
                payload = target.input if target.input is not None else json.dumps(event)
                request_ids.append(
                    self._submit(target.arn, payload.encode(), f"schedule:{rule.name}")
                )
        return request_ids

    def start(self, rules: tuple[ScheduledRule, ...]) -> None:
        self._rules = rules
        if self._clock_scale is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)
        self._thread.start()

    def update(self, rules: tuple[ScheduledRule, ...]) -> None:
        self._rules = rules

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        assert self._clock_scale is not None
        next_due: dict[str, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for rule in self._rules:
                period = rate_seconds(rule.schedule_expression)
                if period is None:
                    continue
                due = next_due.setdefault(rule.arn, now + period / self._clock_scale)
                if now >= due:
                    next_due[rule.arn] = now + period / self._clock_scale
                    try:
                        self.fire((rule,))
                    except Exception:  # noqa: BLE001 - the clock keeps going
                        _log.exception("firing rule %s", rule.name)
            self._stop.wait(0.05)
