"""Progress lines on the terminal, stamped with the seconds since the demo started."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self._stream = stream
        self._started = time.monotonic()
        self._lock = threading.Lock()  # lines come from several threads
        self.last_step: str | None = None  # what a timeout says the demo was doing

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def step(self, message: str) -> None:
        with self._lock:
            self.last_step = message
            print(f"[{self.elapsed():5.1f}s] {message}", file=self._stream, flush=True)

    def detail(self, message: str) -> None:
        with self._lock:
            print(f"         {message}", file=self._stream, flush=True)
