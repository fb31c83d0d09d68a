"""What the launcher adds to moto 5.2.5 (pinned in requirements-dev.txt), one module per
service; each module's docstring says what moto lacks and which moto methods it hooks.

| module | moto lacks |
| --- | --- |
| ``appsync`` | data sources, functions, resolvers; AppSync-shaped ids, uris, settings, SDL |
| ``dynamodb_atomic_writes`` | atomic item writes under concurrent requests (a lock) |
| ``cognito_identity`` | SetIdentityPoolRoles, SetPrincipalTagAttributeMap (+ Get*) |
| ``lambda_invocations`` | invoking without Docker: forwards to the function runtime |
| ``s3_bucket_policy`` | conditions in bucket policies (the TLS-only statement) |
| ``replay`` | replayable ids: the DynamoDB stream label from the seeded random, not the clock |
| ``s3_faults`` | failing a write on request (PutObject, UploadPart: 500 InternalError) |

Never edits moto's installed files: the patches replace or add attributes in this process.
"""

from __future__ import annotations

import threading

from local.emulator.patches import (
    appsync,
    cognito_identity,
    dynamodb_atomic_writes,
    lambda_invocations,
    replay,
    s3_bucket_policy,
    s3_faults,
)
from local.emulator.patches._hooks import HOOKED, MotoChangedError

__all__ = ["HOOKED", "MotoChangedError", "apply_all"]

_applied: dict[str, str | None] = {}
_lock = threading.Lock()


def apply_all(*, lambda_runtime_url: str | None, appsync_origin: str | None = None) -> None:
    """Apply every patch once per process (again with the same settings is a no-op)."""
    with _lock:
        if _applied:
            if _applied.get("lambda_runtime_url") != lambda_runtime_url:
                raise RuntimeError("the patches are applied already, with another runtime URL")
            return
        appsync.apply(appsync_origin)
        cognito_identity.apply()
        dynamodb_atomic_writes.apply()
        lambda_invocations.apply(lambda_runtime_url)
        s3_bucket_policy.apply()
        replay.apply()
        s3_faults.apply()
        _applied["lambda_runtime_url"] = lambda_runtime_url
