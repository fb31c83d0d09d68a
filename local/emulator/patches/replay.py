"""Replayable state: what moto derives from the clock instead of its seeded random.

moto's request recording (``/moto-api/recorder/*``) replays the requests that built a
stack; with ``/moto-api/seed`` first, every id moto draws from ``mock_random`` comes out as
recorded, so the Terraform state saved beside the recording matches the replayed emulator
(see ``local/stack_cache.py``). One identifier moto takes from the clock instead:

- ``moto.dynamodb.models.table.Table.set_stream_specification``: the stream label (the
  last part of the stream ARN, which the stream's event-source mapping names) is
  ``utcnow().isoformat()``. Replaced by the same format drawn from ``mock_random``, so a
  replayed table has the recorded stream ARN.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.dynamodb.models.table import Table
from moto.moto_api._internal import mock_random

from local.emulator.patches._hooks import original, replace

# Labels fall in one year from here: an ISO timestamp like AWS's, never the real clock.
_LABEL_EPOCH = datetime.datetime(2024, 1, 1)
_LABEL_SPAN_MICROSECONDS = 365 * 24 * 3600 * 1_000_000


def stream_label() -> str:
    offset = mock_random.randrange(_LABEL_SPAN_MICROSECONDS)
    return (_LABEL_EPOCH + datetime.timedelta(microseconds=offset)).isoformat()


def apply() -> None:
    moto_set_stream_specification = original(
        Table, "set_stream_specification", parameters=("self", "streams")
    )

    def set_stream_specification(self: Table, streams: dict[str, Any] | None) -> None:
        moto_set_stream_specification(self, streams)
        # moto takes a new label each time it enables the stream: so does this.
        if (self.stream_specification or {}).get("StreamEnabled"):
            self.latest_stream_label = stream_label()

    replace(Table, "set_stream_specification", set_stream_specification)
