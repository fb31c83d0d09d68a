"""Verification of Replicate's webhook signatures (the Standard Webhooks / Svix scheme).

Signed content is ``"{webhook-id}.{webhook-timestamp}.{raw body}"``, the key is the
base64-decoded part of the ``whsec_…`` secret, the MAC is HMAC-SHA256, and
``webhook-signature`` holds one or more space-separated ``v1,<base64>`` entries (several
while a secret is being rotated). Timestamps more than five minutes away from now are
refused so a captured request cannot be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from aipic.errors import PermanentError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
TIMESTAMP_TOLERANCE_SECONDS = 300


class InvalidSignatureError(PermanentError):
    """The request is not provably from Replicate; the message says why."""


class InvalidSecretError(PermanentError, ValueError):
    """The configured signing secret is not a ``whsec_<base64>`` value."""


def decode_secret(secret: str) -> bytes:
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidSecretError("webhook signing secret is not whsec_<base64>") from None
    if not key:
        raise InvalidSecretError("webhook signing secret is empty")
    return key


def verify_signature(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise InvalidSignatureError unless one signature matches; ``headers`` lowercase."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and timestamp and signatures):
        raise InvalidSignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidSignatureError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > TIMESTAMP_TOLERANCE_SECONDS:
        raise InvalidSignatureError("webhook-timestamp is more than 5 minutes from now")

    signed_content = f"{message_id}.{timestamp}.".encode() + body
    expected = hmac.new(decode_secret(secret), signed_content, hashlib.sha256).digest()
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(candidate, expected):
            return
    raise InvalidSignatureError("no webhook-signature entry matches")
