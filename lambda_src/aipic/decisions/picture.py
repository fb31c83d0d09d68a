"""A picture as the handlers decide on it (read from the pics table by aipic.pics)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Status(StrEnum):
    STARTED = "STARTED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


FINAL_STATUSES = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELED})


@dataclass(frozen=True)
class Pic:
    """What the handlers decide on; the rest of the item is not read back."""

    id: str
    owner: str
    status: str
    prediction_id: str | None
    claimed: bool = False
    progress: int = 0  # the stored step (aipic.progress), 0 before the first

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class StoreClaim(Enum):
    CLAIMED = "claimed"  # this delivery downloads and stores the image
    BUSY = "busy"  # another delivery holds an unexpired lease
    STORED = "stored"  # an earlier delivery stored the image already
    NOT_PROCESSING = "not processing"  # final, or not this prediction's picture any more
