"""Lambda event filtering (an event-source mapping's FilterCriteria) over stream records.

Reuses moto's implementation of EventBridge event patterns (``moto.events.models.
EventPattern``), which Lambda's filter syntax is: exact values, ``prefix``, ``suffix``,
``anything-but`` (values, or a nested ``prefix``/``suffix``), ``numeric`` ranges,
``exists``, ``equals-ignore-case``, ``wildcard``, ``cidr``, ``$or`` and ``null``; matching
on leaf values of the record, arrays matching when any element matches.

What Lambda adds on top, done here: a mapping's filters are ORed (a record passes when
any matches; no filters pass everything), and a pattern is validated up front.
DynamoDB records are matched as Lambda sees them: the typed images
(``dynamodb.NewImage.<attr>.S``), numbers inside them being strings (so ``numeric`` only
applies to JSON numbers such as ``dynamodb.SizeBytes``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from moto.events.models import EventPattern


class FilterCriteriaError(ValueError):
    """A pattern Lambda would have refused (CreateEventSourceMapping's validation)."""


class FilterCriteria:
    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns: list[EventPattern] = []
        for raw in patterns:
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as error:
                raise FilterCriteriaError(f"filter pattern is not JSON: {raw!r}") from error
            if not isinstance(parsed, dict):
                raise FilterCriteriaError(f"filter pattern must be a JSON object: {raw!r}")
            try:
                self._patterns.append(EventPattern.load(raw))
            except Exception as error:
                raise FilterCriteriaError(f"invalid filter pattern {raw!r}: {error}") from error

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, record: Mapping[str, Any]) -> bool:
        if not self._patterns:
            return True
        return any(pattern.matches_event(dict(record)) for pattern in self._patterns)  # type: ignore[arg-type]
