"""S3 bucket policies: conditions are evaluated, with the emulator's request context.

moto 5.2.5 evaluates a bucket policy on every object request (``FakeBucket.get_permission``)
but ignores condition operators it does not know (all but ``StringEquals``: the condition
counts as met) and knows no request context. So ``modules/data``'s TLS-only statement
(``Deny s3:*`` when ``Bool aws:SecureTransport`` is ``false``) denies every PutObject.

Here a statement applies only when its conditions hold, evaluated as IAM does for the
operators a bucket policy of this stack uses (``Bool``, ``String*``, ``Null``, each also
``...IfExists``; a key missing from the request fails a condition, except for ``Null``,
``...IfExists`` and negated operators), against the emulator's request context:
``aws:SecureTransport`` is ``true``, because the emulator stands in for AWS's HTTPS
endpoints (clients reach it over loopback only). An operator outside that set keeps
moto's behaviour (the condition counts as met). Actions, principal ``*`` and resources are
moto's own ``IAMPolicyStatement``.

Hook: ``moto.s3.models.FakeBucket.get_permission``.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

from local.emulator.patches._hooks import original, replace

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _string_like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _string_like,
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike"}


def condition_holds(operator: str, key: str, expected: object, context: dict[str, str]) -> bool:
    """One ``operator: {key: expected}`` entry of a ``Condition`` block."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
    values = [str(value) for value in (expected if isinstance(expected, list) else [expected])]
    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    positive = _NEGATED.get(base, base)
    compare = _OPERATORS.get(positive)
    if compare is None:
        return True  # moto's behaviour for what this patch does not evaluate
    if actual is None:
        return if_exists or base in _NEGATED
    matched = any(compare(value, actual) for value in values)
    return not matched if base in _NEGATED else matched


def conditions_hold(conditions: dict[str, dict[str, object]], context: dict[str, str]) -> bool:
    return all(
        condition_holds(operator, key, expected, context)
        for operator, entries in conditions.items()
        for key, expected in entries.items()
    )


def permission(policy: str | bytes, action: str, resource: str) -> PermissionResult:
    """IAM's evaluation of a resource policy: an applicable Deny wins, then an Allow."""
    statements: Any = json.loads(policy)["Statement"]
    result = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        if not conditions_hold(statement.get("Condition") or {}, REQUEST_CONTEXT):
            continue  # not applicable: neither Allow nor Deny
        unconditional = {name: value for name, value in statement.items() if name != "Condition"}
        outcome = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
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
        IAMPolicyStatement,
        "is_action_permitted",
        parameters=("self", "action", "resource", "principal", "incoming_condition_values"),
    )
    replace(FakeBucket, "get_permission", get_permission)
