"""The demo's one time budget (--timeout), shared by every step that waits."""

from __future__ import annotations

import time

from local.demo.errors import DemoTimeoutError


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def check(self, waiting_for: str) -> float:
        """The seconds left; raises DemoTimeoutError naming the step when none are."""
        left = self.remaining()
        if left <= 0:
            raise DemoTimeoutError(
                f"timed out after {self.seconds:.0f}s (--timeout) while {waiting_for}"
            )
        return left
