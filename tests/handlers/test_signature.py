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


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(header: str) -> None:
    headers = signed_webhook_headers(SECRET, BODY, timestamp=NOW)
    del headers[header]
    with pytest.raises(InvalidSignatureError, match="missing"):
        verify_signature(secret=SECRET, headers=headers, body=BODY, now=NOW)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_five_minutes_away_is_refused(offset: int) -> None:
    headers = signed_webhook_headers(SECRET, BODY, timestamp=NOW + offset)
    with pytest.raises(InvalidSignatureError, match="more than 5 minutes"):
        verify_signature(secret=SECRET, headers=headers, body=BODY, now=NOW)


def test_another_secret_or_a_tampered_body_is_refused() -> None:
    other = "whsec_" + base64.b64encode(b"another-key-another-key-another-").decode()
    with pytest.raises(InvalidSignatureError, match="no webhook-signature entry matches"):
        verify_signature(
            secret=SECRET,
            headers=signed_webhook_headers(other, BODY, timestamp=NOW),
            body=BODY,
            now=NOW,
        )
    headers = signed_webhook_headers(SECRET, BODY, timestamp=NOW)
    with pytest.raises(InvalidSignatureError, match="no webhook-signature entry matches"):
        verify_signature(
            secret=SECRET, headers=headers, body=BODY.replace(b"succeeded", b"failed"), now=NOW
        )


def test_one_valid_signature_among_several_is_accepted() -> None:
    """While a secret rotates, Replicate sends one entry per secret."""
    headers = signed_webhook_headers(SECRET, BODY, timestamp=NOW)
    rotated_out = "v1,dGhpcyBpcyBub3QgdGhlIHJpZ2h0IHNpZ25hdHVyZSEhISEhISEhISEhISE="
    headers["webhook-signature"] = f"{rotated_out} v1a,bm9wZQ== {headers['webhook-signature']}"
    verify_signature(secret=SECRET, headers=headers, body=BODY, now=NOW)
