"""S3 bucket policies: a statement whose condition does not hold does not apply.

moto 5.2.5 evaluates a bucket policy on every object request (``FakeBucket.get_permission``),
but a statement whose ``Condition`` it cannot satisfy comes back DENIED whatever its
effect, and it knows no request context. So ``modules/data``'s TLS-only statement
(``Deny s3:*`` when ``aws:SecureTransport`` is ``false``) denies every PutObject.

Here a statement applies only when its conditions hold (IAM's rule: otherwise it is not
applicable, neither Allow nor Deny), evaluated with the context of the emulator's
requests: ``aws:SecureTransport`` is ``true``, because the emulator stands in for AWS's
HTTPS endpoints (clients reach it over loopback only). The rest of moto's evaluation
(actions, principal ``*``, resources) is moto's own ``IAMPolicyStatement``.

Hook: ``moto.s3.models.FakeBucket.get_permission``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

from local.emulator.patches._hooks import original, replace

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def permission(policy: str | bytes, action: str, resource: str) -> PermissionResult:
    """IAM's evaluation of a resource policy: an applicable Deny wins, then an Allow."""
    statements: Any = json.loads(policy)["Statement"]
    result = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        evaluated = IAMPolicyStatement(statement)
        if not evaluated._check_conditions(REQUEST_CONTEXT):
            continue
        outcome = evaluated.is_action_permitted(action, resource, None, REQUEST_CONTEXT)
        if outcome == PermissionResult.DENIED:
            return outcome
        if outcome == PermissionResult.PERMITTED:
            result = outcome
    return result


def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return permission(self.policy, action, resource)


def apply() -> None:
    original(FakeBucket, "get_permission", parameters=("self", "action", "resource"))
    original(
        IAMPolicyStatement, "_check_conditions", parameters=("self", "incoming_condition_values")
    )
    replace(FakeBucket, "get_permission", get_permission)
