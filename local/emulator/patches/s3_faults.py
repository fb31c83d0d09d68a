"""S3 write faults on request: the next N PutObject / UploadPart calls fail as S3 fails.

moto never fails a write, yet S3 does (``500 InternalError``, which the SDKs retry), and
what the stack does then — the webhook releasing its lease and answering 500 so Replicate
retries — is only reachable if the emulator can fail one. ``S3_FAULTS.arm(count,
operations, key_contains)`` (the emulator's ``POST /_local/faults``) makes the next
``count`` requests of those operations (on keys containing ``key_contains``, when given)
answer 500 with S3's ``InternalError`` body, before moto stores anything; each one
failed is recorded (operation, bucket, key). Off until armed.

Hooks: ``moto.s3.responses.S3Response.put_object`` and
``moto.s3.responses.S3Response.upload_part``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from moto.s3.responses import S3Response

from local.emulator.patches._hooks import original, replace

OPERATIONS = ("PutObject", "UploadPart")
_METHODS = {"PutObject": "put_object", "UploadPart": "upload_part"}
INTERNAL_ERROR_MESSAGE = "We encountered an internal error. Please try again."


@dataclass(frozen=True)
class InjectedS3Fault:
    operation: str
    bucket: str
    key: str


class S3Faults:
    """What is armed, and what was injected; thread-safe (moto's server is threaded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left = 0
        self._operations: frozenset[str] = frozenset()
        self._key_contains = ""
        self.injected: list[InjectedS3Fault] = []

    def arm(
        self, count: int, operations: Iterable[str] = OPERATIONS, key_contains: str = ""
    ) -> None:
        chosen = frozenset(operations)
        unknown = sorted(chosen - set(OPERATIONS))
        if count < 0 or unknown:
            raise ValueError(f"count must be >= 0 and operations among {OPERATIONS}: {unknown}")
        with self._lock:
            self._left, self._operations, self._key_contains = count, chosen, key_contains

    def take(self, operation: str, bucket: str, key: str) -> bool:
        with self._lock:
            if (
                self._left <= 0
                or operation not in self._operations
                or self._key_contains not in key
            ):
                return False
            self._left -= 1
            self.injected.append(InjectedS3Fault(operation, bucket, key))
            return True

    def clear(self) -> None:
        with self._lock:
            self._left, self._operations = 0, frozenset()
            self.injected.clear()

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "armed": self._left,
                "operations": sorted(self._operations),
                "key_contains": self._key_contains,
                "injected": [asdict(fault) for fault in self.injected],
            }


S3_FAULTS = S3Faults()


def internal_error(resource: str) -> tuple[int, dict[str, str], str]:
    request_id = secrets.token_hex(8).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>InternalError</Code><Message>{INTERNAL_ERROR_MESSAGE}</Message>"
        f"<Resource>{resource}</Resource><RequestId>{request_id}</RequestId></Error>"
    )
    return 500, {"content-type": "application/xml", "x-amz-request-id": request_id}, body


def _failing(operation: str, moto_method: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: S3Response) -> Any:  # noqa: ANN401 - moto's TYPE_RESPONSE
        key = self.parse_key_name()
        if S3_FAULTS.take(operation, self.bucket_name, key):
            return internal_error(f"/{self.bucket_name}/{key}")
        return moto_method(self)

    return method


def apply() -> None:
    for operation, name in _METHODS.items():
        moto_method = original(S3Response, name, parameters=("self",))
        replace(S3Response, name, _failing(operation, moto_method))
