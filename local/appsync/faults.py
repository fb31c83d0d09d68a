"""Field faults for a soak: fail a mutation field for chosen callers' arguments N times.

    endpoint.faults.fail("publish", count=1, owners={"sub-1"})      # by the owner argument
    endpoint.faults.fail("publish", count=1, pic_ids={"pic-1"})     # by data's "id"

A matching call answers as AppSync does when a resolver's data source fails: the field is
``null`` and ``errors[]`` holds an entry with ``errorType`` ``InternalFailure`` and the
field's path, so a caller (the publish function) sees GraphQL errors in a 200 answer.
Nothing is published for it. Each injected failure is recorded in ``injected``. Off until
``fail()``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from local.appsync.executor import AppSyncError, Json

ERROR_TYPE = "InternalFailure"
ERROR_MESSAGE = "An internal failure occurred while resolving this field."


@dataclass(frozen=True)
class InjectedFieldFault:
    field_name: str
    owner: str | None
    pic_id: str | None


@dataclass
class _Rule:
    field_name: str
    left: int
    owners: frozenset[str]
    pic_ids: frozenset[str]

    def matches(self, owner: str | None, pic_id: str | None) -> bool:
        if not self.owners and not self.pic_ids:
            return True
        return owner in self.owners or pic_id in self.pic_ids


def _pic_id(arguments: Mapping[str, Json]) -> str | None:
    data = arguments.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


class FieldFaults:
    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self.injected: list[InjectedFieldFault] = []

    def fail(
        self,
        field_name: str,
        count: int = 1,
        *,
        owners: Iterable[str] = (),
        pic_ids: Iterable[str] = (),
    ) -> None:
        """The next ``count`` calls of ``field_name`` whose ``owner`` argument is in
        ``owners`` or whose ``data`` JSON has an ``id`` in ``pic_ids`` (any call when both are
        empty) fail."""
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._rules.append(_Rule(field_name, count, frozenset(owners), frozenset(pic_ids)))

    def check(self, field_name: str, arguments: Mapping[str, Json]) -> None:
        """Raise the injected error when a rule matches this call (spending one of it)."""
        owner = arguments.get("owner")
        owner = owner if isinstance(owner, str) else None
        pic_id = _pic_id(arguments)
        with self._lock:
            for rule in self._rules:
                if rule.field_name == field_name and rule.left > 0 and rule.matches(owner, pic_id):
                    rule.left -= 1
                    self.injected.append(InjectedFieldFault(field_name, owner, pic_id))
                    break
            else:
                return
        raise AppSyncError(ERROR_MESSAGE, ERROR_TYPE)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.injected.clear()
