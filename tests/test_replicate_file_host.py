"""The Replicate stand-in's file host as the benchmark uses it: a large PNG served at a
bandwidth cap, waiting between writes as a network link makes a client wait."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import requests

from local.replicate import standin as standin_module
from local.replicate.standin import (
    MODEL_VERSION,
    PACED_LINK_SLACK_SECONDS,
    PACED_WRITE_BYTES,
    ReplicateStandIn,
    large_png_size,
)

IMAGE_BYTES = 4 * 1024 * 1024
RATE = 16 * 1024 * 1024  # bytes per second: the image takes a quarter of a second


def _download(standin: ReplicateStandIn) -> tuple[bytes, float, float]:
    """(body, seconds, CPU seconds this process spent meanwhile)."""
    created = requests.post(
        f"{standin.base_url}/predictions",
        json={"version": MODEL_VERSION, "input": {"prompt": "paced"}},
        timeout=10,
    )
    created.raise_for_status()
    started, cpu_started = time.monotonic(), time.process_time()
    answer = requests.get(f"{standin.base_origin}/files/{created.json()['id']}.png", timeout=10)
    answer.raise_for_status()
    return answer.content, time.monotonic() - started, time.process_time() - cpu_started


def test_a_paced_file_host_sends_the_whole_image_no_faster_than_its_rate() -> None:
    with ReplicateStandIn(large_image_bytes=IMAGE_BYTES, image_bytes_per_second=RATE) as paced:
        body, seconds, cpu_seconds = _download(paced)

    assert len(body) == large_png_size(IMAGE_BYTES)
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    assert seconds >= large_png_size(IMAGE_BYTES) / RATE * 0.95
    # Waiting, not computing: the stand-in (in this process) and the client use little CPU.
    assert cpu_seconds < seconds / 2


def test_an_unpaced_file_host_sends_the_same_bytes_at_once() -> None:
    with ReplicateStandIn(large_image_bytes=IMAGE_BYTES, image_bytes_per_second=RATE) as paced:
        paced_body, paced_seconds, _ = _download(paced)
    with ReplicateStandIn(large_image_bytes=IMAGE_BYTES) as unpaced:
        body, seconds, _ = _download(unpaced)

    assert body == paced_body
    assert seconds < paced_seconds / 2


class _Clock:
    """The stand-in's time, advanced only by its waits and by the test's client."""

    def __init__(self, oversleep: float) -> None:
        self.now = 0.0
        self.oversleep = oversleep

    def wait(self, seconds: float) -> bool:
        self.now += seconds + self.oversleep  # as a sleep does, a little late
        return False  # not stopped


def _paced_seconds(
    monkeypatch: pytest.MonkeyPatch, *, oversleep: float, client_pause: float = 0.0
) -> float:
    """Seconds, on a fake clock, the paced link takes to send ``RATE`` bytes (nominally
    one). The client reads each piece at once, except that it stops for ``client_pause``
    once."""
    clock = _Clock(oversleep)
    monkeypatch.setattr(standin_module, "time", SimpleNamespace(monotonic=lambda: clock.now))
    sent = 0
    with ReplicateStandIn(image_bytes_per_second=RATE) as paced:
        stopping, paced._stopping = paced._stopping, clock  # type: ignore[assignment]
        try:
            for number, piece in enumerate(paced._paced(iter([bytes(RATE)]))):
                sent += len(piece)
                if number == 1:
                    clock.now += client_pause
        finally:
            paced._stopping = stopping
    assert sent == RATE
    return clock.now


def test_a_paced_link_makes_up_its_own_overhead_and_carries_its_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each wait oversleeps by a quarter of a piece's time: made up, not lost."""
    piece_seconds = PACED_WRITE_BYTES / RATE
    oversleep = piece_seconds / 4

    seconds = _paced_seconds(monkeypatch, oversleep=oversleep)

    # The clock stops as the last piece starts out.
    assert 1.0 - piece_seconds <= seconds <= 1.0 + PACED_LINK_SLACK_SECONDS + oversleep


def test_a_paced_link_loses_the_time_its_client_was_not_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Like a link, it does not send faster afterwards to catch up on idle time."""
    pause = 0.25

    seconds = _paced_seconds(monkeypatch, oversleep=0.0, client_pause=pause)

    assert seconds >= 1.0 + pause - PACED_LINK_SLACK_SECONDS
