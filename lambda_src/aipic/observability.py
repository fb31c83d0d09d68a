"""The structured JSON logger every handler shares.

One JSON object per line on stdout: level, location, message, timestamp, service, the
invocation's Lambda context (function name, memory, ARN, request id, cold start) and any
keys added with :meth:`StructuredLogger.append_keys` or ``extra=``; an exception adds
``exception`` and ``exception_name``. It replaces Powertools' Logger, of which the handlers
used only this: any Powertools import runs its package ``__init__`` (Logger, Metrics and
Tracer), a cost paid on every cold start, while the standard library's ``logging`` and
``json`` are already loaded by boto3. The variables keep Powertools' names
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_LOG_LEVEL``), so the functions' configuration
does not change.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO, TypeVar, cast

DEFAULT_SERVICE = "aipic"
DEFAULT_LEVEL = "INFO"

_EXTRA_ATTRIBUTE = "aipic_extra"

Extra = Mapping[str, object] | None

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


class LambdaContext(Protocol):
    """The Lambda context attributes this logger reads; a type for the handlers' ``context``
    that, unlike Powertools' ``LambdaContext``, costs no Powertools import."""

    @property
    def function_name(self) -> str: ...

    @property
    def memory_limit_in_mb(self) -> int: ...

    @property
    def invoked_function_arn(self) -> str: ...

    @property
    def aws_request_id(self) -> str: ...

    def get_remaining_time_in_millis(self) -> int: ...


class JsonFormatter(logging.Formatter):
    def __init__(self, keys: Mapping[str, object]) -> None:
        super().__init__()
        self._keys = keys

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "level": record.levelname,
            "location": f"{record.funcName}:{record.lineno}",
            "message": record.getMessage(),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
        }
        # Context and appended keys, then extra=; none replaces the fields above.
        for key, value in (*self._keys.items(), *getattr(record, _EXTRA_ATTRIBUTE, {}).items()):
            entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = self.formatException(record.exc_info)
            entry["exception_name"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, ensure_ascii=False)


class StructuredLogger:
    """The subset of Powertools' Logger the handlers use, on the standard library."""

    def __init__(self, service: str, level: str, stream: TextIO | None = None) -> None:
        self._service = service
        self._keys: dict[str, object] = {"service": service}
        self._cold_start = True
        self._logger = logging.getLogger(f"aipic.{service}")
        self._logger.propagate = False  # the runtime's root handler would re-format it
        try:
            self._logger.setLevel(level.upper())
        except ValueError:
            raise ValueError(f"POWERTOOLS_LOG_LEVEL={level!r} is not a logging level") from None
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(JsonFormatter(self._keys))
        self._logger.handlers[:] = [handler]

    def debug(self, message: str, *args: object, extra: Extra = None) -> None:
        self._log(logging.DEBUG, message, args, extra)

    def info(self, message: str, *args: object, extra: Extra = None) -> None:
        self._log(logging.INFO, message, args, extra)

    def warning(self, message: str, *args: object, extra: Extra = None) -> None:
        self._log(logging.WARNING, message, args, extra)

    def error(self, message: str, *args: object, extra: Extra = None) -> None:
        self._log(logging.ERROR, message, args, extra)

    def exception(self, message: str, *args: object, extra: Extra = None) -> None:
        """An ERROR line with the exception being handled."""
        self._log(logging.ERROR, message, args, extra, exc_info=True)

    def _log(
        self,
        level: int,
        message: str,
        args: tuple[object, ...],
        extra: Extra,
        *,
        exc_info: bool = False,
    ) -> None:
        self._logger.log(
            level,
            message,
            *args,
            # One attribute of our own, so no key can clash with a LogRecord attribute.
            extra={_EXTRA_ATTRIBUTE: dict(extra or {})},
            exc_info=exc_info,
            stacklevel=3,  # the location is the handler's line, not this module's
        )

    def append_keys(self, **keys: object) -> None:
        """Keys carried by every later line (until the next invocation clears them)."""
        self._keys.update(keys)

    def inject_lambda_context(self, *, clear_state: bool = False) -> Callable[[_Handler], _Handler]:
        """Add the invocation's context to every line; ``clear_state`` drops earlier keys."""

        def decorate(handler: _Handler) -> _Handler:
            @functools.wraps(handler)
            def wrapper(event: object, context: object, *args: object) -> object:
                if clear_state:
                    self._keys.clear()
                    self._keys["service"] = self._service
                self._keys.update(
                    cold_start=self._cold_start,
                    function_name=getattr(context, "function_name", None),
                    function_memory_size=getattr(context, "memory_limit_in_mb", None),
                    function_arn=getattr(context, "invoked_function_arn", None),
                    function_request_id=getattr(context, "aws_request_id", None),
                )
                self._cold_start = False
                return handler(event, context, *args)

            return cast(_Handler, wrapper)

        return decorate


logger = StructuredLogger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE,
    level=os.environ.get("POWERTOOLS_LOG_LEVEL") or DEFAULT_LEVEL,
)


def record_keys(record: logging.LogRecord) -> dict[str, object]:
    """The ``extra=`` keys a log record carries (what its JSON line shows beside the message)."""
    return dict(getattr(record, _EXTRA_ATTRIBUTE, {}))
