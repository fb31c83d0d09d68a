"""DynamoDB item writes are atomic, as DynamoDB's are.

moto 5.2.5 applies ``PutItem``, ``UpdateItem``, ``DeleteItem`` and
``TransactWriteItems`` as a read, a check and a write in Python, with no lock, while its
server answers requests on many threads. Two concurrent ``ADD #count :one`` updates can
then both read the same count (the soak saw a user's quota counter at 2 after 3 accepted
creates), and two conditional writes can both pass their condition: exactly what the
stack's claims, leases and quota counters rely on DynamoDB never doing. Here every item
write of the backend holds one lock (the emulator serves one account on loopback, so a
single lock costs nothing that matters).

Hooks: ``moto.dynamodb.models.DynamoDBBackend.put_item``, ``.update_item``,
``.delete_item`` and ``.transact_write_items``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

from local.emulator.patches._hooks import original, replace

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_WRITE_LOCK = threading.RLock()


def _atomic(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - moto's own types
        with _WRITE_LOCK:
            return write(*args, **kwargs)

    return locked


def apply() -> None:
    for name in WRITES:
        replace(DynamoDBBackend, name, _atomic(original(DynamoDBBackend, name)))
