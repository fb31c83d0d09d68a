"""Webhook signature verification against the Standard Webhooks / Svix scheme.

The stand-in's signer is an independent implementation of Replicate's published scheme;
the first test also pins one known vector computed by hand below.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from aipic.signature import (
    InvalidSecretError,
    InvalidSignatureError,
    decode_secret,
    verify_signature,
)

from local.replicate.standin import signed_webhook_headers

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BODY = b'{"id":"p1","status":"succeeded"}'
NOW = 1_750_000_000


def test_known_vector_verifies() -> None:
    content = b"msg_1.1750000000." + BODY
    digest = hmac.new(b"0123456789abcdef0123456789abcdef", content, hashlib.sha256).digest()
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1750000000",
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    verify_signature(secret=SECRET, headers=headers, body=BODY, now=NOW)


def test_within_five_minutes_either_side_is_accepted() -> None:
    for offset in (-300, 0, 300):
        headers = signed_webhook_headers(SECRET, BODY, timestamp=NOW + offset)
        verify_signature(secret=SECRET, headers=headers, body=BODY, now=NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook-timestamp": "soon"}, "not an integer"),
        ({"webhook-signature": "v2,abc"}, "no webhook-signature entry matches"),
        ({"webhook-signature": "v1,***not base64***"}, "no webhook-signature entry matches"),
        ({"webhook-id": "msg_other"}, "no webhook-signature entry matches"),
    ],
)
def test_bad_headers_are_refused(change: dict[str, str], message: str) -> None:
    headers = signed_webhook_headers(SECRET, BODY, timestamp=NOW) | change
    with pytest.raises(InvalidSignatureError, match=message):
        verify_signature(secret=SECRET, headers=headers, body=BODY, now=NOW)


@pytest.mark.parametrize("secret", ["whsec_***", "whsec_"])
def test_malformed_secret_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(InvalidSecretError):
        decode_secret(secret)
