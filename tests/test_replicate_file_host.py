"""The Replicate stand-in's file host as the benchmark uses it: a large PNG served at a
bandwidth cap, waiting between writes as a network link makes a client wait."""

from __future__ import annotations

import time

import requests

from local.replicate.standin import MODEL_VERSION, ReplicateStandIn, large_png_size

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
